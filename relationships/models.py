"""Relationship evidence: NPS feedback, advocacy events, contracts and interactions (DESIGN §4), and the
contact cadence they keep (DESIGN §10).

The loyalty ladder (issue 5) reads these; their invariants are database constraints too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.choices import ServiceLevel
from accounts.models import Account, Contact, _check, unique_external_id
from relationships.choices import AdvocacyKind, ContractKind, InteractionKind, InteractionStatus


class Feedback(models.Model):
    """An NPS answer: "how likely are you to recommend us?" from 0 to 10."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="feedback")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback")
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    responded_on = models.DateField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-responded_on", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            unique_external_id(
                "relationships_feedback_external_id_unique", "Another answer already has this external id."
            ),
            _check(
                "relationships_feedback_external_id_not_blank",
                ~Q(external_id=""),
                "Leave external_id null, not blank.",
            ),
            _check("relationships_feedback_score_range", Q(score__gte=0, score__lte=10), "The score must be 0 to 10."),
        ]
        indexes = [models.Index(fields=["account", "responded_on"], name="feedback_account_date_idx")]

    def __str__(self) -> str:
        return f"NPS {self.score} on {self.responded_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#feedback"


class AdvocacyEvent(models.Model):
    """The account spoke for us: a referral, a testimonial… It counts once a second person verified it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="advocacy_events")
    kind = models.CharField(max_length=20, choices=AdvocacyKind)
    occurred_on = models.DateField()
    note = models.TextField(blank=True)
    referred_account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals_received"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="advocacy_logged"
    )
    verified = models.BooleanField(default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advocacy_verified",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            _check("relationships_advocacyevent_kind_valid", Q(kind__in=AdvocacyKind.values), "Unknown advocacy kind."),
            _check(
                "relationships_advocacyevent_verified_by_other",
                Q(verified_by__isnull=True) | Q(logged_by__isnull=True) | ~Q(verified_by=F("logged_by")),
                "An advocacy event must be verified by someone other than the person who logged it.",
                field="verified",
            ),
            _check(
                "relationships_advocacyevent_verified_iff_verifier",
                Q(verified=True, verified_at__isnull=False) | Q(verified=False, verified_at__isnull=True),
                "A verified event records when it was verified, and only a verified one.",
                field="verified",
            ),
            _check(
                "relationships_advocacyevent_referral_elsewhere",
                ~Q(referred_account=F("account")),
                "An account cannot refer itself.",
                field="referred_account",
            ),
        ]
        indexes = [models.Index(fields=["account", "occurred_on"], name="advocacy_account_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#advocacy"


class Contract(models.Model):
    """An agreement with the account; partnership and joint-development contracts open the Partner rung."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contracts")
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    kind = models.CharField(max_length=20, choices=ContractKind)
    title = models.CharField(max_length=200, blank=True)
    service_level = models.CharField(max_length=16, choices=ServiceLevel, default=ServiceLevel.STANDARD)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: open-ended.")
    auto_renew = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            unique_external_id(
                "relationships_contract_external_id_unique", "Another contract already has this external id."
            ),
            _check(
                "relationships_contract_external_id_not_blank",
                ~Q(external_id=""),
                "Leave external_id null, not blank.",
            ),
            _check("relationships_contract_kind_valid", Q(kind__in=ContractKind.values), "Unknown contract kind."),
            _check(
                "relationships_contract_service_level_valid",
                Q(service_level__in=ServiceLevel.values),
                "Unknown service level.",
            ),
            _check(
                "relationships_contract_ends_after_start",
                Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                "The end date may not be before the start date.",
                field="ends_on",
            ),
        ]
        indexes = [models.Index(fields=["account", "starts_on"], name="contract_account_start_idx")]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} from {self.starts_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#contracts"


class Interaction(models.Model):
    """A meeting, call, visit… with the account, and the next step it agreed."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=InteractionKind)
    status = models.CharField(max_length=16, choices=InteractionStatus, default=InteractionStatus.COMPLETED)
    occurred_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        help_text="Who had the interaction.",
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="interactions")
    subject = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    next_step = models.CharField(max_length=300, blank=True)
    next_step_due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            _check(
                "relationships_interaction_kind_valid", Q(kind__in=InteractionKind.values), "Unknown interaction kind."
            ),
            _check(
                "relationships_interaction_status_valid",
                Q(status__in=InteractionStatus.values),
                "Unknown interaction status.",
            ),
            _check("relationships_interaction_subject_not_blank", ~Q(subject=""), "The subject may not be blank."),
            _check(
                "relationships_interaction_due_needs_step",
                Q(next_step_due__isnull=True) | ~Q(next_step=""),
                "A due date needs a next step to be due.",
                field="next_step",
            ),
        ]
        indexes = [models.Index(fields=["account", "occurred_at"], name="interaction_account_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + f"#interaction-{self.pk}"


class ContactCadence(models.Model):
    """Whether an account is contacted as often as its tier asks (DESIGN §10): one row per active account.

    Written only set-based, by ``relationships.cadence`` — the daily check for every account and, for one
    account, right after an interaction of it is logged, changed or deleted. An account is **overdue** when it
    has had no completed interaction for longer than its tier allows (``KAM_CADENCE_DAYS``: strategic 30 days,
    key 45, others 90): ``due_on`` is the last day still on time, ``overdue_since`` the first day late (null
    while on time). ``notified_at`` is when its owner was told about this overdue spell; it clears with the
    flag, so the next spell is told again.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="contact_cadence")
    allowed_days = models.PositiveSmallIntegerField(help_text="The tier's longest gap between contacts, in days.")
    last_contact_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest completed interaction; empty: never contacted."
    )
    due_on = models.DateField(
        help_text="The last day on time: the last contact's day (or, never contacted, the account's creation "
        "day) plus the allowed days."
    )
    overdue_since = models.DateField(null=True, blank=True, help_text="The first day late; empty while on time.")
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the owner was told it is overdue.")

    class Meta:
        ordering = ["account_id"]
        constraints = [
            _check(
                "relationships_contactcadence_allowed_days_positive",
                Q(allowed_days__gte=1),
                "The allowed gap is at least one day.",
            ),
            _check(
                "relationships_contactcadence_overdue_after_due",
                Q(overdue_since__isnull=True) | Q(overdue_since__gt=F("due_on")),
                "An account is overdue only after its due day.",
                field="overdue_since",
            ),
            _check(
                "relationships_contactcadence_notified_when_overdue",
                Q(notified_at__isnull=True) | Q(overdue_since__isnull=False),
                "Only an overdue account has been notified about.",
                field="notified_at",
            ),
        ]
        indexes = [
            # The portfolio's "overdue" filter joins the few overdue rows, not every account's.
            models.Index(
                fields=["overdue_since"], condition=Q(overdue_since__isnull=False), name="cadence_overdue_idx"
            ),
        ]

    def __str__(self) -> str:
        state = f"overdue since {self.overdue_since:%Y-%m-%d}" if self.overdue_since else f"due {self.due_on:%Y-%m-%d}"
        return f"Contact cadence of account {self.account_id}: {state}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#stakeholders"
