"""Root URLs: pages, the admin, the API and its documentation."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam import views
from kam.api.docs import ApiRedocView, ApiSchemaView, ApiSwaggerView
from kam.login_forms import AdminLoginForm, LoginForm

# The admin's sign-in goes through the same sign-in protection as /login/ (kam/login_protection.py).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/refresh/", views.dashboard_refresh, name="dashboard_refresh"),
    path("webhooks/", include("kam.webhook_urls")),
    path("imports/", include("accounts.import_urls")),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("", include("kam.token_urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/<int:account_pk>/", include("relationships.urls")),
    path("", include("relationships.ladder.urls")),
    path("", include("benefits.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("kam.api.urls")),
    path("api/schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("api/docs/", ApiSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", ApiRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler404 = "kam.views.not_found"
