"""NotificationFilterSet: one filter definition for the Notifications page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from kam.filtering import StrictBooleanFilter
from kam.models import Notification


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(method="filter_unread", label="Unread")

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: str | bool) -> QuerySet[Notification]:
        # A method replaces StrictBooleanFilter.filter, so the value arrives as the validated "true"/"false".
        return queryset.filter(read_at__isnull=value in (True, "true"))
