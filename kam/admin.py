from django.contrib import admin

from kam.models import ApiToken, Notification


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_token` (the key is shown once); here they are
    listed and revoked."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Notifications are raised by the features (``kam.services.notifications_create``), which also e-mail them;
    here operators look them up and may correct whether one was read, nothing else."""

    list_display = ["title", "recipient", "kind", "account", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "account"]
    search_fields = ["title", "body", "recipient__username", "account__name"]
    date_hierarchy = "created_at"
    readonly_fields = ["recipient", "kind", "account", "title", "body", "url", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
