"""AccountFilterSet, ContactFilterSet, OrderFilterSet, InvoiceFilterSet: one filter definition for the HTML
lists and the API."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import DurationField, ExpressionWrapper, F, Q, QuerySet
from django_filters.constants import EMPTY_VALUES

from accounts.choices import (
    AccountKind,
    BuyingRole,
    InvoiceStatus,
    KeyStatus,
    LadderStage,
    OrderStatus,
    ScoringRunStatus,
    ServiceLevel,
)
from accounts.models import Account, Contact, Invoice, Order, ScoringRun
from kam.filtering import (
    ChoicesFilter,
    IdChoiceFilter,
    IntegerFilter,
    IsoDateFilter,
    IsoDayOfFilter,
    NullsLastOrderingFilter,
    StrictBooleanFilter,
    UpperCaseFilter,
    rank_of,
)

User = get_user_model()

ACCOUNT_ORDERING = (
    ("name", "name"),
    ("kind", "kind"),
    ("industry", "industry"),
    ("country", "country"),
    ("owner", "owner"),
    ("stage", "stage"),
    ("key_status", "key_status"),
    ("kas", "kas"),
    ("revenue_12m", "revenue_12m"),
    ("contact_count", "contact_count"),
    ("last_contact_at", "last_contact_at"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("last_scored_at", "last_scored_at"),
)
# Stages climb the ladder and key statuses rise (not the alphabet); owners sort by name, unassigned last.
ACCOUNT_ORDERING_EXPRESSIONS = {
    "stage": [rank_of("stage", LadderStage.values)],
    "key_status": [rank_of("key_status", KeyStatus.values)],
    "owner": [F("owner__first_name"), F("owner__last_name"), F("owner__username")],
}


class AccountFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Search")
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices)
    owner = IdChoiceFilter(queryset=User.objects.all(), label="Owner")
    stage = ChoicesFilter(choices=LadderStage.choices)
    key_status = ChoicesFilter(choices=KeyStatus.choices)
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = UpperCaseFilter()  # any case: the codes are stored in capitals
    is_active = StrictBooleanFilter()
    external_id = django_filters.CharFilter()
    kas_min = django_filters.NumberFilter(field_name="kas", lookup_expr="gte", label="KAS at least")
    kas_max = django_filters.NumberFilter(field_name="kas", lookup_expr="lte", label="KAS at most")
    contact_overdue = StrictBooleanFilter(method="filter_contact_overdue", label="Contact overdue")
    ordering = NullsLastOrderingFilter(fields=ACCOUNT_ORDERING, expressions=ACCOUNT_ORDERING_EXPRESSIONS)

    class Meta:
        model = Account
        fields = ["search", "kind", "owner", "stage", "key_status", "industry", "country", "is_active"]

    def filter_search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(external_id__iexact=value)
            | Q(industry__icontains=value)
            | (Q(country=value.upper()) if value.isascii() else Q(pk__in=[]))
        )

    def filter_contact_overdue(self, queryset: QuerySet[Account], name: str, value: str | bool) -> QuerySet[Account]:
        """``true``: flagged overdue by the contact-cadence check; ``false``: not flagged (on time, or not checked
        yet). A method replaces StrictBooleanFilter.filter, so the value arrives as the validated string."""
        return queryset.filter(contact_cadence__overdue_since__isnull=value not in (True, "true"))


class ContactFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Search")
    account = IntegerFilter(field_name="account_id")
    buying_role = ChoicesFilter(choices=BuyingRole.choices)
    is_active = StrictBooleanFilter()
    ordering = NullsLastOrderingFilter(fields=(("name", "name"), ("influence", "influence"), ("id", "id")))

    class Meta:
        model = Contact
        fields = ["search", "account", "buying_role", "is_active"]

    def filter_search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value) | Q(job_title__icontains=value))


# --- evidence records (orders, invoices and the relationship records) ------------------------------------


def date_range(field: str, *, on_date_of: bool = False) -> tuple[IsoDateFilter, IsoDateFilter]:
    """``<field>_after`` / ``<field>_before``, both inclusive, as two plain date filters: a bad value is a
    400 naming the parameter itself (a range filter would name only ``<field>``). ``on_date_of`` compares the
    calendar day of a date-time field."""
    kind = IsoDayOfFilter if on_date_of else IsoDateFilter
    return (
        kind(field_name=field, lookup_expr="gte", label=f"{field} on or after"),
        kind(field_name=field, lookup_expr="lte", label=f"{field} on or before"),
    )


class AccountRecordFilterSet(django_filters.FilterSet):
    """Filters every record of an account has: the account by id or by its external id."""

    account = IntegerFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")


class OrderFilterSet(AccountRecordFilterSet):
    order_date_after, order_date_before = date_range("order_date")
    status = ChoicesFilter(choices=OrderStatus.choices)
    service_level = ChoicesFilter(choices=ServiceLevel.choices)
    external_id = django_filters.CharFilter()
    ordering = NullsLastOrderingFilter(
        fields=(
            ("order_date", "order_date"),
            ("net_amount", "net_amount"),
            ("discount_pct", "discount_pct"),
            ("created_at", "created_at"),
            ("id", "id"),
        )
    )

    class Meta:
        model = Order
        fields = ["account", "account_external_id", "status", "service_level", "external_id"]


class DueOnOrBeforeFilter(IsoDateFilter):
    """``due_date ≤ day``, and so ``issue_date ≤ day`` (the constraint ``accounts_invoice_due_after_issue`` keeps
    every due date on or after its issue date): said outright, it starts the default order's walk down the
    issue-date index at that day, where PostgreSQL would otherwise read back through every later invoice looking
    for the old ones (1 s → 11 ms at 1,000,000 invoices). The answer is the same."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(issue_date__lte=value)


class InvoiceFilterSet(AccountRecordFilterSet):
    issue_date_after, issue_date_before = date_range("issue_date")
    due_date_after = date_range("due_date")[0]
    due_date_before = DueOnOrBeforeFilter(field_name="due_date", lookup_expr="lte", label="due_date on or before")
    paid_date_after, paid_date_before = date_range("paid_date")
    status = ChoicesFilter(choices=InvoiceStatus.choices)
    external_id = django_filters.CharFilter()
    number = django_filters.CharFilter()
    ordering = NullsLastOrderingFilter(
        fields=(
            ("issue_date", "issue_date"),
            ("due_date", "due_date"),
            ("paid_date", "paid_date"),
            ("amount", "amount"),
            ("created_at", "created_at"),
            ("id", "id"),
        )
    )

    class Meta:
        model = Invoice
        fields = ["account", "account_external_id", "status", "external_id", "number"]


class ScoringRunFilterSet(django_filters.FilterSet):
    """The scoring runs page's sort (the API lists runs newest first): statuses in the order a run goes through
    them, the duration from start to finish (runs not finished last)."""

    ordering = NullsLastOrderingFilter(
        fields=(
            ("as_of", "as_of"),
            ("status", "status"),
            ("accounts_scored", "accounts_scored"),
            ("status_changes", "status_changes"),
            ("duration", "duration"),
            ("created_at", "created_at"),
        ),
        expressions={
            "status": [rank_of("status", ScoringRunStatus.values)],
            "duration": [ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())],
        },
    )

    class Meta:
        model = ScoringRun
        fields: list[str] = []
