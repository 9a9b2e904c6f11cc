from django.urls import path

from kam import webhook_views

app_name = "webhooks"

urlpatterns = [
    path("", webhook_views.webhook_list, name="list"),
    path("<int:pk>/", webhook_views.webhook_detail, name="detail"),
    path("<int:pk>/<str:action>/", webhook_views.webhook_action, name="action"),
    path("deliveries/<int:pk>/replay/", webhook_views.delivery_replay, name="replay"),
]
