"""The notifications API: ``GET notifications/`` (the caller's own, newest first, ``?unread=true|false``),
``GET notifications/{id}/``, ``POST notifications/{id}/read/`` and ``POST notifications/read-all/``.

A notification is its recipient's alone: anyone else's is a 404, for directors too.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kam import selectors, services
from kam.api.safe_writes import SafeWritesMixin
from kam.filters import NotificationFilterSet
from kam.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """What a user was told: ``kind`` says what raised it (``contact_cadence.overdue``…), ``account`` what it is
    about (may be null), ``url`` the path inside KAM to act on it; ``read_at`` is null while unread."""

    account_name = serializers.CharField(source="account.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "account", "account_name", "created_at", "read_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List your notifications, newest first"),
    retrieve=extend_schema(summary="One of your notifications"),
)
class NotificationViewSet(SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilterSet

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer},
        summary="Mark a notification read",
        description="Marks one of your notifications read (again changes nothing). Anyone else's is a 404.",
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.notification_mark_read(user=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("NotificationsMarkedRead", {"marked": serializers.IntegerField()})},
        summary="Mark all your notifications read",
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})
