from django.urls import path

from accounts import views
from audit.views import account_history_page

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("new/", views.account_create, name="account_create"),
    path("scoring/runs/", views.scoring_run_list, name="scoring_run_list"),
    path("scoring/runs/<int:pk>/", views.scoring_run_detail, name="scoring_run_detail"),
    path("scoring/runs/<int:pk>/status/", views.scoring_run_status, name="scoring_run_status"),
    path("scoring/policy/", views.scoring_policy_edit, name="scoring_policy_edit"),
    path("scoring/policy/<int:pk>/activate/", views.scoring_policy_activate, name="scoring_policy_activate"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("<int:pk>/edit/", views.account_update, name="account_update"),
    path("<int:pk>/history/", account_history_page, name="account_history"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_update, name="contact_update"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact_delete"),
]
