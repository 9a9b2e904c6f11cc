"""Webhooks: other systems hear what changed in KAM, signed, at least once, in order of occurrence per event.

1. **Capture** — database triggers (migration ``kam/0007``) write an ``OutboxEvent`` in the very transaction that
   changed something a subscription asks for: ``account.key_status_changed``, ``ladder.stage_changed``,
   ``grant.status_changed``, ``scoring_run.finished``. A rolled-back change leaves no event; a set-based write (the
   nightly run moving 2,000 key statuses) is one INSERT … SELECT.
2. **Dispatch** — ``webhooks_dispatch`` (beat, every 10 seconds) turns committed events into one
   ``WebhookDelivery`` per matching active subscription and hands them to the workers; it also re-sends
   deliveries whose worker was lost.
3. **Delivery** — ``webhook_deliver`` POSTs the event as JSON with ``KAM-Signature: t=<unix time>,v1=<hex>``,
   the HMAC-SHA256 of ``<unix time>.<body>`` under the subscription's secret (``webhook_signature``; receivers
   check it with ``webhook_verify``), and logs the attempt (``WebhookAttempt``). A 2xx answer is success;
   anything else is retried after ``KAM_WEBHOOK_RETRY_SECONDS`` × 2^(attempt − 1), up to
   ``KAM_WEBHOOK_MAX_ATTEMPTS`` attempts, then the delivery has failed. ``webhook_replay`` sends it again now.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kam.models import (
    DeliveryStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from kam.queue import enqueue_on_commit
from kam.roles import is_director, sees_all_accounts

SIGNATURE_HEADER = "KAM-Signature"
DISPATCH_BATCH = 1000
LOST_AFTER = timedelta(minutes=5)  # a delivery due this long ago and not attempted: its worker was lost
RESPONSE_KEPT = 1000
USER_AGENT = "KAM-Webhooks/1.0"


# --- signing ------------------------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_verify(*, secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: the signature header matches the body under the secret, and its timestamp is within
    ``tolerance`` seconds of now (a replayed capture is refused)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, header)


# --- subscriptions --------------------------------------------------------------------------------------------


def subscriptions_visible_to(user: Any) -> QuerySet[WebhookSubscription]:
    """Directors see every subscription; an integration user those it made; nobody else any (webhooks carry
    every account's changes, so only those who see every account subscribe)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not sees_all_accounts(user):
        return WebhookSubscription.objects.none()
    if is_director(user):
        return WebhookSubscription.objects.all()
    return WebhookSubscription.objects.filter(created_by_id=user.pk)


def subscription_get(*, user: Any, pk: Any) -> WebhookSubscription:
    try:
        return subscriptions_visible_to(user).get(pk=pk)
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError):
        raise Http404("No such webhook.") from None


def deliveries_visible_to(user: Any) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription__in=subscriptions_visible_to(user))


def delivery_get(*, user: Any, pk: Any) -> WebhookDelivery:
    try:
        return deliveries_visible_to(user).select_related("subscription", "event").get(pk=pk)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise Http404("No such delivery.") from None


def _validated(subscription: WebhookSubscription) -> None:
    unknown = sorted(set(subscription.events) - set(WebhookEvent.values))
    if unknown:
        raise ValidationError({"events": [f"Unknown event: {', '.join(unknown)}."]})
    subscription.events = sorted(set(subscription.events))
    subscription.full_clean()


def webhook_subscription_create(*, actor: Any, values: dict[str, Any]) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (``whsec_`` + 32 random bytes), which is shown once. Only those who see
    every account subscribe: a webhook carries every account's changes."""
    if not sees_all_accounts(actor):
        raise PermissionDenied("Only directors and integration users subscribe to webhooks.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        name=(values.get("name") or "").strip(),
        url=values.get("url") or "",
        events=list(values.get("events") or []),
        is_active=values.get("is_active", True),
        secret=secret,
        created_by=actor,
    )
    _validated(subscription)
    with transaction.atomic():
        subscription.save()
    return subscription, secret


def webhook_subscription_update(*, subscription: WebhookSubscription, values: dict[str, Any]) -> WebhookSubscription:
    for name in ("name", "url", "events", "is_active"):
        if name in values:
            setattr(subscription, name, values[name].strip() if name == "name" else values[name])
    _validated(subscription)
    with transaction.atomic():
        subscription.save()
    return subscription


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """The subscription and its delivery log (the events stay for other subscriptions)."""
    with transaction.atomic():
        subscription.delete()


def webhook_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """A new secret from now on (the old one stops signing at once); shown once."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=secret, updated_at=timezone.now())
    subscription.secret = secret
    return secret


# --- dispatch and delivery ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchResult:
    events: int
    deliveries: int
    resent: int

    def as_dict(self) -> dict[str, int]:
        return {"events": self.events, "deliveries": self.deliveries, "resent": self.resent}


def webhooks_dispatch(*, enqueue: Any = None) -> DispatchResult:
    """Committed events not yet dispatched become a delivery per matching active subscription (a batch at a
    time; two dispatchers at once take different events); ``enqueue(delivery_id)`` is called for each after
    the commit, and for deliveries due more than ``LOST_AFTER`` ago that no worker attempted."""
    send = enqueue or _enqueue
    now = timezone.now()
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:DISPATCH_BATCH]
        )
        created: list[WebhookDelivery] = []
        if events:
            subscriptions = list(WebhookSubscription.objects.filter(is_active=True))
            created = WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(subscription=sub, event=event, next_attempt_at=now)
                    for event in events
                    for sub in subscriptions
                    if event.event in sub.events
                ],
                ignore_conflicts=True,
            )
            OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
        # ignore_conflicts leaves the primary keys unset: read them back.
        new_ids = list(WebhookDelivery.objects.filter(event__in=events).values_list("pk", flat=True)) if created else []
        lost = list(
            WebhookDelivery.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lt=now - LOST_AFTER
            )
            .exclude(pk__in=new_ids)
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        for pk in [*new_ids, *lost]:
            transaction.on_commit(lambda pk=pk: send(pk, 0), robust=True)
    return DispatchResult(events=len(events), deliveries=len(new_ids), resent=len(lost))


def _enqueue(delivery_id: int, countdown: float, attempt: int | None = None) -> None:
    from kam.tasks import webhook_deliver_task

    kwargs = {} if attempt is None else {"attempt": attempt}
    webhook_deliver_task.apply_async((delivery_id,), kwargs, countdown=countdown)


def _envelope(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    body = {
        "id": str(event.uid),
        "event": event.event,
        "occurred_at": event.occurred_at.isoformat(),
        "delivery": delivery.pk,
        "data": event.payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode()


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: exponential."""
    return float(settings.KAM_WEBHOOK_RETRY_SECONDS) * 2 ** (attempts - 1)


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    status_code: int | None
    retry_in: float | None  # seconds until the next attempt, when one is due
    attempts: int = 0  # attempts made so far, this one included


def webhook_deliver(*, delivery_id: int, replay: bool = False, attempt: int | None = None) -> DeliveryOutcome | None:
    """One attempt at a delivery (None when there is nothing to do: delivered already, failed for good, or
    another worker holds it). The row stays locked while the request runs, so two workers never send the same
    delivery at once. ``attempt``: the number of attempts made when this retry was scheduled — a copy of its
    message delivered twice (Redis hands an unacknowledged message, a retry's long countdown included, to
    another worker after its visibility timeout) finds more attempts made and sends nothing."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        if not replay and (delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)):
            return None
        if not replay and attempt is not None and delivery.attempts != attempt:
            return None
        subscription = delivery.subscription
        if not subscription.is_active and not replay:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, "The subscription is paused."
            delivery.save(update_fields=["status", "last_error"])
            return DeliveryOutcome(status=delivery.status, status_code=None, retry_in=None)
        body = _envelope(delivery)
        timestamp = int(time.time())
        request = urllib.request.Request(  # noqa: S310 (http/https only: the model's constraint)
            subscription.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "KAM-Event": delivery.event.event,
                "KAM-Event-Id": str(delivery.event.uid),
                "KAM-Delivery": str(delivery.pk),
                "KAM-Timestamp": str(timestamp),
                SIGNATURE_HEADER: webhook_signature(secret=subscription.secret, timestamp=timestamp, body=body),
            },
        )
        started = time.monotonic()
        status_code: int | None = None
        error = answer = ""
        try:
            with urllib.request.urlopen(request, timeout=settings.KAM_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
                status_code = response.status
                answer = response.read(RESPONSE_KEPT).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            status_code = exc.code
            answer = exc.read(RESPONSE_KEPT).decode(errors="replace")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:500]
        now = timezone.now()
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status_code,
            error=error,
            response_body=answer,
            duration_ms=int((time.monotonic() - started) * 1000),
            replay=replay,
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error or ("" if status_code and 200 <= status_code < 300 else f"HTTP {status_code}")
        retry_in = None
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, now, None
        elif replay or delivery.attempts >= settings.KAM_WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            retry_in = retry_delay(delivery.attempts)
            delivery.status, delivery.next_attempt_at = DeliveryStatus.RETRYING, now + timedelta(seconds=retry_in)
        delivery.save(
            update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
        )
    return DeliveryOutcome(
        status=delivery.status, status_code=status_code, retry_in=retry_in, attempts=delivery.attempts
    )


def webhook_replay(*, delivery: WebhookDelivery) -> None:
    """Send the delivery again now, whatever became of it (a worker does, after the commit);
    ``QueueUnavailable`` when the task queue cannot be reached."""
    from kam.tasks import webhook_deliver_task

    enqueue_on_commit(webhook_deliver_task, delivery.pk, kwargs={"replay": True})


def delivery_list(*, user: Any, subscription: WebhookSubscription | None = None) -> QuerySet[WebhookDelivery]:
    deliveries = deliveries_visible_to(user).select_related("subscription", "event")
    if subscription is not None:
        deliveries = deliveries.filter(subscription=subscription)
    return deliveries.order_by("-created_at", "-id")
