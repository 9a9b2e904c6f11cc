"""Relationship pages, nested under their account: ``/accounts/<account_pk>/…`` (see kam/urls.py)."""

from django.urls import path

from relationships import views

app_name = "relationships"

urlpatterns = [
    path("interactions/new/", views.interaction_create, name="interaction_create"),
    path("advocacy/new/", views.advocacy_event_create, name="advocacy_event_create"),
    path("advocacy/referral-options/", views.advocacy_referral_options, name="advocacy_referral_options"),
    path("feedback/new/", views.feedback_create, name="feedback_create"),
    path("advocacy/<int:pk>/verify/", views.advocacy_event_verify, name="advocacy_event_verify"),
    path("plans/new/", views.account_plan_create, name="account_plan_create"),
    path("plans/<int:pk>/", views.account_plan_detail, name="account_plan_detail"),
    path("plans/<int:pk>/edit/", views.account_plan_update, name="account_plan_update"),
    path("plans/<int:pk>/delete/", views.account_plan_delete, name="account_plan_delete"),
    path("plans/<int:plan_pk>/actions/<int:pk>/done/", views.action_item_done, name="action_item_done"),
]

# The parts of a plan share one set of views (relationships.views.PLAN_PARTS says how each is handled).
for part, segment in (("objective", "objectives"), ("swot", "swot"), ("action", "actions")):
    name = views.PLAN_PARTS[part].url_name
    prefix = f"plans/<int:plan_pk>/{segment}"
    urlpatterns += [
        path(f"{prefix}/new/", views.plan_part_create, {"part": part}, name=f"{name}_create"),
        path(f"{prefix}/<int:pk>/edit/", views.plan_part_update, {"part": part}, name=f"{name}_update"),
        path(f"{prefix}/<int:pk>/delete/", views.plan_part_delete, {"part": part}, name=f"{name}_delete"),
    ]
