"""The webhooks API: ``webhooks/`` (subscriptions: list, create — the secret is in that answer only — retrieve,
update, delete, ``POST webhooks/{id}/rotate-secret/``) and ``webhook-deliveries/`` (the delivery log with every
attempt's response code, ``?subscription=<id>&status=…``, and ``POST webhook-deliveries/{id}/replay/``).

Webhooks carry every account's changes, so only directors (all subscriptions) and integration users (their own)
use them; anyone else gets 403 on create and sees none.
"""

from __future__ import annotations

from typing import Any

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kam import webhooks
from kam.api.safe_writes import SafeWritesMixin
from kam.api.schema import DETAIL_ERROR, QUEUE_UNAVAILABLE_DESCRIPTION
from kam.api.serializers import StrictModelSerializer
from kam.filtering import IdChoiceFilter
from kam.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription


class WebhookSubscriptionSerializer(StrictModelSerializer):
    """A subscription: where (``url``, http or https), what (``events``, at least one of
    ``account.key_status_changed``, ``ladder.stage_changed``, ``grant.status_changed``, ``scoring_run.finished``)
    and whether it is active. The ``secret`` that signs deliveries is returned on creation and rotation only."""

    events = serializers.MultipleChoiceField(choices=WebhookEvent.choices, allow_empty=False)

    def to_representation(self, instance: WebhookSubscription) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["events"] = sorted(data["events"])
        return data

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "is_active", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Signs every delivery. Shown this once: keep it.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "error", "response_body", "duration_ms", "replay"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event for one subscription: ``status`` (pending, retrying, succeeded, failed), how many attempts,
    the last response code or error, when the next attempt is due, the event and its payload, and every attempt
    (newest first)."""

    event = serializers.CharField(source="event.event", read_only=True)
    event_id = serializers.UUIDField(source="event.uid", read_only=True)
    occurred_at = serializers.DateTimeField(source="event.occurred_at", read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "event_id",
            "occurred_at",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields


def _subscriptions_seen(request: Any):
    return webhooks.subscriptions_visible_to(request.user if request else None)


class WebhookDeliveryFilterSet(filters.FilterSet):
    # one of the caller's subscriptions, by id; any other id is a 400 naming the filter
    subscription = IdChoiceFilter(queryset=_subscriptions_seen)
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event = filters.ChoiceFilter(field_name="event__event", choices=WebhookEvent.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event"]


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions"),
    retrieve=extend_schema(summary="One webhook subscription"),
    create=extend_schema(summary="Subscribe a URL to events", responses={201: WebhookSubscriptionCreatedSerializer}),
    partial_update=extend_schema(summary="Change a subscription (name, URL, events, active)"),
    destroy=extend_schema(summary="Delete a subscription and its delivery log"),
)
class WebhookSubscriptionViewSet(SafeWritesMixin, viewsets.ModelViewSet):
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return webhooks.subscriptions_visible_to(self.request.user).order_by("name", "id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = webhooks.webhook_subscription_create(
            actor=request.user, values=serializer.validated_data
        )
        data = WebhookSubscriptionCreatedSerializer(subscription).data | {"secret": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhooks.webhook_subscription_delete(subscription=instance)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        webhooks.webhook_subscription_update(subscription=serializer.instance, values=dict(serializer.validated_data))

    @extend_schema(
        request=None,
        responses={200: inline_serializer("WebhookSecret", {"secret": serializers.CharField()})},
        summary="Give a subscription a new secret",
        description="The old secret stops signing at once; the new one is in this answer only.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        return Response({"secret": webhooks.webhook_secret_rotate(subscription=self.get_object())})


@extend_schema_view(
    list=extend_schema(summary="The webhook delivery log, newest first"),
    retrieve=extend_schema(summary="One delivery with its attempts"),
)
class WebhookDeliveryViewSet(
    SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = WebhookDeliverySerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = WebhookDeliveryFilterSet

    def get_queryset(self):
        return webhooks.delivery_list(user=self.request.user).prefetch_related("attempt_log")

    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            503: OpenApiResponse(response=DETAIL_ERROR, description=QUEUE_UNAVAILABLE_DESCRIPTION),
        },
        summary="Send a delivery again now",
        description="A worker sends it once more, whatever its status; the attempt is logged as a replay.",
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        delivery = self.get_object()
        webhooks.webhook_replay(delivery=delivery)
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)
