"""Ladder pages: the board and the director's queue, and the account page's ladder panel and its actions."""

from django.urls import path

from relationships.ladder import views

app_name = "ladder"

urlpatterns = [
    path("ladder/", views.ladder_board, name="board"),
    path("ladder/queue/", views.ladder_queue, name="queue"),
    path("accounts/<int:account_pk>/ladder/", views.ladder_panel, name="panel"),
    path("accounts/<int:account_pk>/ladder/override/", views.ladder_override_create, name="override_create"),
    path(
        "accounts/<int:account_pk>/ladder/overrides/<int:pk>/<str:decision>/",
        views.ladder_override_decide,
        name="override_decide",
    ),
    path(
        "accounts/<int:account_pk>/ladder/proposals/<int:pk>/<str:decision>/",
        views.partner_proposal_decide,
        name="proposal_decide",
    ),
]
