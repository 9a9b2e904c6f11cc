"""Django admin for accounts, contacts and their commercial evidence (orders and invoices).

The admin is the operators' back door: derived fields stay read-only, and an account's thousands of orders are
reached through counted links to filtered lists, never an inline that loads them all.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.models import Account, Contact, ImportJob, Invoice, Order
from accounts.selectors import accounts_with_score


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "job_title", "buying_role", "influence", "attitude", "is_active"]


# The evidence an account's page links to: (related name, app label, model name, label).
EVIDENCE = (
    ("orders", "accounts", "order", "orders"),
    ("invoices", "accounts", "invoice", "invoices"),
    ("feedback", "relationships", "feedback", "NPS answers"),
    ("advocacy_events", "relationships", "advocacyevent", "advocacy events"),
    ("contracts", "relationships", "contract", "contracts"),
    ("interactions", "relationships", "interaction", "interactions"),
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "industry", "country", "owner", "stage", "key_status", "current_kas", "is_active"]
    list_filter = ["kind", "stage", "key_status", "is_active", "industry", "country"]
    list_select_related = ["owner"]
    search_fields = ["name", "external_id", "industry"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["team"]
    readonly_fields = ["stage", "key_status", "current_kas", "scored_at", "created_at", "updated_at", "evidence"]
    inlines = [ContactInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "industry", "country", "external_id", "is_active"]}),
        ("Ownership", {"fields": ["owner", "team"]}),
        ("Commercial terms", {"fields": ["annual_potential", "payment_terms_days", "credit_limit"]}),
        ("Evidence", {"fields": ["evidence"]}),
        (
            "Derived (ladder and scoring)",
            {"fields": ["stage", "key_status", "current_kas", "scored_at", "created_at", "updated_at"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        # The KAS shown is the current run's score, joined in (accounts.selectors.accounts_with_score).
        return accounts_with_score(super().get_queryset(request))

    @admin.display(description="KAS", ordering="kas")
    def current_kas(self, obj: Account) -> Decimal | None:
        return getattr(obj, "kas", None)

    @admin.display(description="Last scored", ordering="last_scored_at")
    def scored_at(self, obj: Account) -> datetime | None:
        return getattr(obj, "last_scored_at", None)

    @admin.display(description="Records")
    def evidence(self, obj: Account) -> str:
        """Counted links to the account's orders, invoices and relationship records (one count each)."""
        if obj.pk is None:
            return "—"
        links = []
        for related, app_label, model_name, label in EVIDENCE:
            url = reverse(f"admin:{app_label}_{model_name}_changelist") + f"?account__id__exact={obj.pk}"
            links.append((url, getattr(obj, related).count(), label))
        return format_html_join(" · ", '<a href="{}">{} {}</a>', links)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "job_title", "buying_role", "influence", "attitude", "is_active"]
    list_filter = ["buying_role", "is_active"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "account__name"]
    autocomplete_fields = ["account"]


def account_link(obj: Model) -> str:
    """The record's account, linked to its admin page (the account is select_related by the list)."""
    account = obj.account  # type: ignore[attr-defined]
    return format_html('<a href="{}">{}</a>', reverse("admin:accounts_account_change", args=[account.pk]), account)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order_date", "account_column", "net_amount", "discount_pct", "service_level", "status"]
    list_filter = ["status", "service_level"]
    date_hierarchy = "order_date"
    list_select_related = ["account"]
    search_fields = ["external_id", "account__name", "account__external_id"]
    autocomplete_fields = ["account"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False  # a second COUNT over tens of thousands of rows on every filtered page

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: Order) -> str:
        return account_link(obj)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "account_column", "issue_date", "due_date", "amount", "status", "paid_date"]
    list_filter = ["status"]
    date_hierarchy = "issue_date"
    list_select_related = ["account"]
    search_fields = ["number", "external_id", "account__name", "account__external_id"]
    autocomplete_fields = ["account"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False

    @admin.display(description="Account", ordering="account__name")
    def account_column(self, obj: Invoice) -> str:
        return account_link(obj)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """CSV imports, read-only: a job is the record of what a file did (upload on /imports/ or the API)."""

    list_display = ["id", "kind", "file_name", "requested_by", "status", "rows", "created", "updated", "error_count"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "requested_by__username"]
    list_select_related = ["requested_by"]
    exclude = ["data"]  # the file's bytes (kept only until a worker has read them)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
