"""URLs of the API tokens page, included from ``kam/urls.py``."""

from django.urls import path

from kam import token_views

urlpatterns = [
    path("tokens/", token_views.api_token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="token_revoke"),
]
