"""The audit trail in the admin: read-only, filtered by table, action, actor and date, searched by id."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AUDITED_TABLES, AuditEntry


class TableFilter(admin.SimpleListFilter):
    """The audited tables, listed from the code: a DISTINCT over millions of entries would be slow."""

    title = "table"
    parameter_name = "table_name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(table, table) for table in AUDITED_TABLES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return queryset.filter(table_name=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "occurred_at", "action", "table_name", "object_id", "account_id", "actor_label")
    # Every user is listed as an actor: only those who acted would cost a DISTINCT over the whole trail.
    list_filter = (TableFilter, "action", "actor", "occurred_at")
    search_fields = ("actor_label",)
    search_help_text = "An account id (exact: its changes and its records'), or a part of who made the change."
    show_full_result_count = False  # the trail is large: no COUNT(*) of the whole table on every filtered page
    ordering = ("-id",)
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEntry], search_term: str
    ) -> tuple[QuerySet[AuditEntry], bool]:
        term = search_term.strip()
        if term.isdigit():
            # The account's id alone: an index on object ids would cost every write, for this search only.
            return queryset.filter(account_id=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
