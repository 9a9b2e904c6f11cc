"""Relationship pages, nested under their account: ``/accounts/<account_pk>/…`` (see kam/urls.py)."""

from django.urls import path

from relationships import views

app_name = "relationships"

urlpatterns = [
    path("interactions/new/", views.interaction_create, name="interaction_create"),
    path("advocacy/new/", views.advocacy_event_create, name="advocacy_event_create"),
    path("feedback/new/", views.feedback_create, name="feedback_create"),
    path("advocacy/<int:pk>/verify/", views.advocacy_event_verify, name="advocacy_event_verify"),
]
