"""Benefits pages: the catalog, the director's approvals, budgets and the ROI report under ``/benefits/``, and
the account page's Benefits section with its actions under ``/accounts/<account_pk>/benefits/`` (included at
the root, like the ladder's)."""

from django.urls import path

from benefits import views

app_name = "benefits"

urlpatterns = [
    path("benefits/", views.catalog, name="catalog"),
    path("benefits/catalog/new/", views.type_create, name="type_create"),
    path("benefits/catalog/<int:pk>/edit/", views.type_update, name="type_update"),
    path("benefits/approvals/", views.approvals, name="approvals"),
    path("benefits/budgets/", views.budgets, name="budgets"),
    path("benefits/budgets/<int:pk>/edit/", views.budget_update, name="budget_update"),
    path("benefits/roi/", views.roi, name="roi"),
    path("accounts/<int:account_pk>/benefits/", views.account_benefits, name="account_benefits"),
    path("accounts/<int:account_pk>/benefits/request/", views.grant_request, name="grant_request"),
    path("accounts/<int:account_pk>/benefits/grants/<int:pk>/cost/", views.cost_record, name="cost_record"),
    path(
        "accounts/<int:account_pk>/benefits/grants/<int:pk>/<str:decision>/",
        views.grant_decide,
        name="grant_decide",
    ),
]
