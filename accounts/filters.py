"""AccountFilterSet and ContactFilterSet: one filter definition for the HTML lists and the API."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.choices import AccountKind, BuyingRole, KeyStatus, LadderStage
from accounts.models import Account, Contact
from kam.filtering import NullsLastOrderingFilter, StrictBooleanFilter

User = get_user_model()

ACCOUNT_ORDERING = (
    ("name", "name"),
    ("kind", "kind"),
    ("industry", "industry"),
    ("country", "country"),
    ("stage", "stage"),
    ("key_status", "key_status"),
    ("kas", "kas"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("last_scored_at", "last_scored_at"),
)


class AccountFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Search")
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices)
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label="Owner")
    stage = django_filters.MultipleChoiceFilter(choices=LadderStage.choices)
    key_status = django_filters.MultipleChoiceFilter(choices=KeyStatus.choices)
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")
    is_active = StrictBooleanFilter()
    external_id = django_filters.CharFilter()
    kas_min = django_filters.NumberFilter(field_name="kas", lookup_expr="gte", label="KAS at least")
    ordering = NullsLastOrderingFilter(fields=ACCOUNT_ORDERING)

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
            | Q(country__iexact=value)
        )


class ContactFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Search")
    account = django_filters.NumberFilter(field_name="account_id")
    buying_role = django_filters.MultipleChoiceFilter(choices=BuyingRole.choices)
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
