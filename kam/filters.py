"""One filter definition per list for its page and its API: notifications, API tokens."""

from __future__ import annotations

import django_filters
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet

from kam.filtering import NullsLastOrderingFilter, StrictBooleanFilter
from kam.models import ApiToken, Notification


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(method="filter_unread", label="Unread")

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: str | bool) -> QuerySet[Notification]:
        # A method replaces StrictBooleanFilter.filter, so the value arrives as the validated "true"/"false".
        return queryset.filter(read_at__isnull=value in (True, "true"))


class ApiTokenFilterSet(django_filters.FilterSet):
    """``mine=true``: only the caller's own tokens (how a director narrows everybody's; ``false`` or empty:
    every token the caller sees); ``active``: not revoked (``true``) or revoked (``false``)."""

    mine = StrictBooleanFilter(method="filter_mine", label="Only mine")
    active = StrictBooleanFilter(method="filter_active", label="Active")
    # By status, active tokens come before revoked ones; owners sort by name.
    ordering = NullsLastOrderingFilter(
        fields=(
            ("name", "name"),
            ("user__username", "owner"),
            ("created_at", "created_at"),
            ("last_used_at", "last_used_at"),
            ("revoked_at", "status"),
        ),
        expressions={
            "owner": [F("user__first_name"), F("user__last_name"), F("user__username")],
            "status": [ExpressionWrapper(Q(revoked_at__isnull=False), output_field=BooleanField())],
        },
    )

    class Meta:
        model = ApiToken
        fields = ["mine", "active"]

    def filter_mine(self, queryset: QuerySet[ApiToken], name: str, value: str | bool) -> QuerySet[ApiToken]:
        user = getattr(self.request, "user", None)
        if value not in (True, "true") or user is None:
            return queryset
        return queryset.filter(user_id=user.pk)

    def filter_active(self, queryset: QuerySet[ApiToken], name: str, value: str | bool) -> QuerySet[ApiToken]:
        return queryset.filter(revoked_at__isnull=value in (True, "true"))
