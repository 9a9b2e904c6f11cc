"""Project-wide models: named API tokens, in-app notifications, the dashboard's summary and webhooks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class ApiToken(models.Model):
    """A named API key of a user. Only the SHA-256 of the key is stored: the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The key's first characters, to recognise it in lists.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="kam_apitoken_name_not_blank",
                violation_error_code="kam_apitoken_name_not_blank",
                violation_error_message="The token needs a name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Notification(models.Model):
    """Something a user should know or act on, shown in the app (the navbar's bell, the Notifications page,
    ``/api/v1/notifications/``) and sent by e-mail once (``kam.services.notifications_create``).

    Generic on purpose: ``kind`` is a dotted code of the feature that raised it (``contact_cadence.overdue``,
    later ``benefit.suspended``…), free text rather than choices so that a new feature needs no migration here;
    ``account`` (optional) is what it is about, ``url`` a path inside KAM where the user acts on it.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60, help_text="A dotted code of what raised it, e.g. contact_cadence.overdue.")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path inside KAM, e.g. /accounts/42/.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__regex=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"),
                name="kam_notification_kind_code",
                violation_error_code="kam_notification_kind_code",
                violation_error_message="The kind is a dotted lower-case code such as contact_cadence.overdue.",
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="kam_notification_title_not_blank",
                violation_error_code="kam_notification_title_not_blank",
                violation_error_message="A notification needs a title.",
            ),
            models.CheckConstraint(
                # Only paths of this site: a notification never links elsewhere (no open redirect, no phishing).
                condition=Q(url="") | Q(url__regex=r"^/([^/\\].*)?$"),
                name="kam_notification_url_local",
                violation_error_code="kam_notification_url_local",
                violation_error_message="The link must be a path inside KAM, starting with a single /.",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_idx"),
            # The navbar counts a user's unread ones on every page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.url or reverse("notification_list")

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        """``contact_cadence.overdue`` → "Contact cadence": the feature that raised it."""
        return self.kind.split(".", 1)[0].replace("_", " ").capitalize()


class DashboardCell(models.Model):
    """One row of the dashboard's summary (``kam.dashboard``): figures of the accounts of one kind, industry and
    owner, for one part of the dashboard — by key status and KAS bucket, by ladder stage, by retention outcome,
    by ladder move, by benefit category — or one at-risk key account. Rebuilt whole, set-based, after every
    scoring run, every daily contact-cadence check and every daily benefit lifecycle
    (``kam.dashboard.dashboard_refresh``), once over every account (for directors) and once per manager over the
    accounts they see, so that a dashboard over 100,000 accounts reads a few thousand rows. A manager's rows are
    read only while they still see exactly the accounts they saw then (the ``seen`` row's fingerprint)."""

    run = models.ForeignKey("accounts.ScoringRun", on_delete=models.CASCADE, related_name="+")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="Whose accounts these are (a manager's: those they see); empty: every account, for directors.",
    )
    checksum = models.BigIntegerField(
        db_default=0, help_text="The 'seen' row: a fingerprint of the accounts the viewer saw at the refresh."
    )
    refreshed_at = models.DateTimeField()
    refreshed_on = models.DateField(help_text="The day the live parts (ladder moves, NPS, benefits) were read as of.")
    part = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)
    industry = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key_status = models.CharField(max_length=16, blank=True)
    kas_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    from_stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16, blank=True)
    category = models.CharField(max_length=16, blank=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    name = models.CharField(max_length=200, blank=True)
    accounts = models.IntegerField(default=0)
    scored = models.IntegerField(default=0)
    revenue_3 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_6 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_12 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    r12 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cohort_r12 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    buying = models.IntegerField(default=0)
    contact_overdue = models.IntegerField(default=0)
    at_risk = models.IntegerField(default=0)
    moves = models.IntegerField(default=0)
    period = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Benefits: the months of the period.")
    grants = models.IntegerField(default=0)
    cost_in_period = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_during = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_before = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    roi = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    kas = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    kas_drop = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    overdue_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    contact_overdue_since = models.DateField(null=True, blank=True)
    falling = models.BooleanField(default=False)
    contact = models.BooleanField(default=False)
    invoices = models.BooleanField(default=False)
    detractor = models.BooleanField(default=False)
    reasons = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["part", "id"]
        indexes = [
            models.Index(fields=["viewer", "part", "kind", "industry", "owner"], name="dashboardcell_filter_idx"),
        ]

    def __str__(self) -> str:
        return f"Dashboard {self.part} cell of run {self.run_id}"


class WebhookEvent(models.TextChoices):
    ACCOUNT_KEY_STATUS_CHANGED = "account.key_status_changed", "An account's key status changed"
    LADDER_STAGE_CHANGED = "ladder.stage_changed", "An account moved on the loyalty ladder"
    GRANT_STATUS_CHANGED = "grant.status_changed", "A benefit grant changed status"
    SCORING_RUN_FINISHED = "scoring_run.finished", "A scoring run finished (done or failed)"


class FullMatchValidator(RegexValidator):
    """A ``RegexValidator`` whose pattern must match the whole value, as the OpenAPI schema's ``pattern`` (which
    drf-spectacular copies from it) means: ``search`` with a final ``$`` would let a trailing newline through."""

    def __call__(self, value: Any) -> None:
        if not self.regex.fullmatch(str(value)):
            raise ValidationError(self.message, code=self.code, params={"value": value})


# An absolute http(s) URL as RFC 3986 spells one (any host: a name, IPv4, or an IPv6 literal in brackets; an
# optional user, port, path, query and fragment), in the characters the RFC allows — what KAM takes as a
# webhook's address, in the API's schema and in the code alike. Whether it answers is for the deliveries to find.
_URL_CHARACTER = r"[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}"
WEBHOOK_URL_PATTERN = (
    rf"^https?://(?:(?:{_URL_CHARACTER}|:)*@)?"
    rf"(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.(?:[A-Za-z0-9._~!$&'()*+,;=:-])+)\]|(?:{_URL_CHARACTER})+)"
    r"(?::[0-9]*)?"
    rf"(?:/(?:{_URL_CHARACTER}|[:@])*)*"
    rf"(?:\?(?:{_URL_CHARACTER}|[:@/?])*)?"
    rf"(?:#(?:{_URL_CHARACTER}|[:@/?])*)?$"
)
webhook_url = FullMatchValidator(
    WEBHOOK_URL_PATTERN, "Enter an http:// or https:// URL (RFC 3986: a host, then an optional port, path and query)."
)


class WebhookSubscription(models.Model):
    """Another system's URL told about the events it chose (``kam.webhooks``): every delivery is signed with the
    subscription's secret (HMAC-SHA256 over the timestamp and the body)."""

    name = models.CharField(max_length=100)
    url = models.CharField(
        max_length=500, validators=[webhook_url], help_text="Where the events are POSTed (http or https)."
    )
    events = ArrayField(
        models.CharField(max_length=40, choices=WebhookEvent), help_text="The events it receives (at least one)."
    )
    secret = models.CharField(max_length=100, editable=False, help_text="Signs every delivery; shown once.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="kam_webhooksubscription_name_not_blank",
                violation_error_code="kam_webhooksubscription_name_not_blank",
                violation_error_message="The subscription needs a name.",
            ),
            models.CheckConstraint(
                condition=Q(events__len__gte=1),
                name="kam_webhooksubscription_some_events",
                violation_error_code="kam_webhooksubscription_some_events",
                violation_error_message="Choose at least one event.",
            ),
            models.CheckConstraint(
                condition=Q(url__regex=r"^https?://"),
                name="kam_webhooksubscription_http_url",
                violation_error_code="kam_webhooksubscription_http_url",
                violation_error_message="The URL must start with http:// or https://.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class OutboxEvent(models.Model):
    """Something happened that subscriptions may want to hear: written by database triggers in the very
    transaction that made the change (so a rolled-back change never leaves an event), then turned into
    deliveries by the dispatcher (``kam.webhooks.webhooks_dispatch``)."""

    uid = models.UUIDField(unique=True, editable=False)
    event = models.CharField(max_length=40, choices=WebhookEvent)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.uid}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one subscription, with every attempt to deliver it."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"],
                name="kam_webhookdelivery_once",
                violation_error_code="kam_webhookdelivery_once",
                violation_error_message="This event is already delivered to this subscription.",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="delivery_subscription_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["created_at", "id"], name="delivery_created_idx"),
            models.Index(fields=["status", "created_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event.event} to {self.subscription.name}: {self.status}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, the response code (None: no response) and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True, help_text="The first 1,000 characters of the answer.")
    duration_ms = models.PositiveIntegerField(default=0)
    replay = models.BooleanField(default=False, help_text="Asked for by someone, not by the retry schedule.")

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"Attempt of delivery {self.delivery_id}: {self.status_code or self.error[:40]}"


class IdempotencyRecord(models.Model):
    """The first successful answer to an API ``POST`` sent with an ``Idempotency-Key``, kept for
    ``KAM_IDEMPOTENCY_KEY_HOURS``: a retry of the same request by the same user is answered with it instead of
    acting twice (``kam/api/safe_writes.py``). It is written in the request's own transaction, so the answer is
    kept if and only if what the request did is."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, the path and the body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The answer's JSON, as first sent.")
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                name="kam_idempotency_once",
                violation_error_code="kam_idempotency_once",
                violation_error_message="This idempotency key is already used.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}: {self.status_code}"
