"""Relationship evidence: NPS feedback, advocacy events, contracts and interactions (DESIGN §4); the loyalty
ladder that reads it (state, transitions, overrides, Partner proposals, DESIGN §6); and the account plans that
steer the relationship (objectives, SWOT, actions); and the contact cadence the interactions keep (DESIGN §10).
Every invariant is a database constraint too.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Greatest, Least
from django.urls import reverse

from accounts.choices import LadderStage, ServiceLevel
from accounts.models import MONEY, Account, Contact, _check, unique_external_id
from relationships.choices import (
    ActionStatus,
    AdvocacyKind,
    ContractKind,
    InteractionKind,
    InteractionStatus,
    ObjectiveStatus,
    OverrideStatus,
    PlanStatus,
    ProposalStatus,
    SwotKind,
    TransitionMode,
)


class Feedback(models.Model):
    """An NPS answer: "how likely are you to recommend us?" from 0 to 10."""

    # No single-column index: feedback_account_date_idx leads with the account.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="feedback", db_index=False)
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
        indexes = [
            models.Index(fields=["account", "responded_on"], name="feedback_account_date_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["responded_on", "id"], name="feedback_responded_idx"),
            models.Index(fields=["created_at", "id"], name="feedback_created_idx"),
            models.Index(fields=["score", "id"], name="feedback_score_idx"),
        ]

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
        indexes = [
            models.Index(fields=["account", "occurred_on"], name="advocacy_account_date_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["occurred_on", "id"], name="advocacy_occurred_idx"),
            models.Index(fields=["created_at", "id"], name="advocacy_created_idx"),
            models.Index(fields=["verified_at", "id"], name="advocacy_verified_at_idx"),
            # the latest first, the empty ones last (an ascending index read backwards puts them first)
            models.Index(F("verified_at").desc(nulls_last=True), "id", name="advocacy_verified_desc_idx"),
            models.Index(fields=["kind", "occurred_on"], name="advocacy_kind_idx"),
            models.Index(fields=["verified", "occurred_on"], name="advocacy_verified_idx"),
        ]

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
        indexes = [
            models.Index(fields=["account", "starts_on"], name="contract_account_start_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["starts_on", "id"], name="contract_starts_idx"),
            models.Index(fields=["ends_on", "id"], name="contract_ends_idx"),
            # the latest first, the empty ones last (an ascending index read backwards puts them first)
            models.Index(F("ends_on").desc(nulls_last=True), "id", name="contract_ends_desc_idx"),
            models.Index(fields=["created_at", "id"], name="contract_created_idx"),
            models.Index(fields=["kind", "starts_on"], name="contract_kind_idx"),
            models.Index(fields=["service_level", "starts_on"], name="contract_level_idx"),
            models.Index(fields=["auto_renew", "starts_on"], name="contract_renew_idx"),
        ]

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
        indexes = [
            models.Index(fields=["account", "occurred_at"], name="interaction_account_at_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["occurred_at", "id"], name="interaction_at_idx"),
            models.Index(fields=["next_step_due", "id"], name="interaction_step_due_idx"),
            # the latest first, the empty ones last (an ascending index read backwards puts them first)
            models.Index(F("next_step_due").desc(nulls_last=True), "id", name="interaction_due_desc_idx"),
            models.Index(fields=["created_at", "id"], name="interaction_created_idx"),
            models.Index(fields=["kind", "occurred_at"], name="interaction_kind_idx"),
            models.Index(fields=["status", "occurred_at"], name="interaction_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + f"#interaction-{self.pk}"


# --- the loyalty ladder (DESIGN §6) ----------------------------------------------------------------------------


class LadderState(models.Model):
    """Where an account stands on the loyalty ladder: its stage (``Account.stage`` mirrors it for filters), since
    when, and the stage the rules alone give (``rule_stage``, shown beside a pinned or capped stage).

    Written by the ladder evaluation only when the stage or the rule stage moves."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="ladder_state")
    stage = models.CharField(max_length=16, choices=LadderStage)
    rule_stage = models.CharField(max_length=16, choices=LadderStage)
    since = models.DateField(help_text="The day the account reached its stage.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id"]
        constraints = [
            _check(
                "relationships_ladderstate_stage_valid",
                Q(stage__in=LadderStage.values, rule_stage__in=LadderStage.values),
                "Unknown ladder stage.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} at {self.get_stage_display()} since {self.since:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#ladder"


class LadderTransition(models.Model):
    """One move on the ladder, with the evidence that decided it. Append-only: a database trigger refuses any
    UPDATE (migration 0003)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ladder_transitions")
    from_stage = models.CharField(max_length=16, choices=LadderStage)
    to_stage = models.CharField(max_length=16, choices=LadderStage)
    rule_stage = models.CharField(max_length=16, choices=LadderStage, help_text="The stage the rules gave then.")
    mode = models.CharField(max_length=20, choices=TransitionMode)
    as_of = models.DateField(help_text="The day the evidence was read as of.")
    occurred_at = models.DateTimeField(auto_now_add=True)
    evidence = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who moved it; empty for the automatic evaluation.",
    )
    run = models.ForeignKey(
        "accounts.ScoringRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="ladder_transitions"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            _check(
                "relationships_laddertransition_stage_valid",
                Q(
                    from_stage__in=LadderStage.values,
                    to_stage__in=LadderStage.values,
                    rule_stage__in=LadderStage.values,
                ),
                "Unknown ladder stage.",
            ),
            _check("relationships_laddertransition_moves", ~Q(from_stage=F("to_stage")), "A transition moves."),
            _check("relationships_laddertransition_mode_valid", Q(mode__in=TransitionMode.values), "Unknown mode."),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"], name="laddertransition_account_idx"),
            models.Index(fields=["occurred_at"], name="laddertransition_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_from_stage_display()} → {self.get_to_stage_display()}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#ladder"


class LadderOverride(models.Model):
    """A pinned stage with a reason and an expiry. A manager requests it and a director approves it; a director's
    own override applies at once. At most one is requested or approved per account at a time."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ladder_overrides")
    stage = models.CharField(max_length=16, choices=LadderStage)
    reason = models.TextField(help_text="Why the rules should not decide, in at least a sentence.")
    expires_on = models.DateField()
    status = models.CharField(max_length=16, choices=OverrideStatus, default=OverrideStatus.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=[OverrideStatus.REQUESTED, OverrideStatus.APPROVED]),
                name="relationships_ladderoverride_one_open",
                violation_error_code="relationships_ladderoverride_one_open",
                violation_error_message="This account already has a requested or active override.",
            ),
            _check("relationships_ladderoverride_stage_valid", Q(stage__in=LadderStage.values), "Unknown stage."),
            _check("relationships_ladderoverride_status_valid", Q(status__in=OverrideStatus.values), "Unknown status."),
            _check(
                "relationships_ladderoverride_reason_given",
                Q(reason__regex=r"\S.{19,}"),
                "Give a reason of at least a sentence (20 characters).",
                field="reason",
            ),
            _check(
                "relationships_ladderoverride_decided_iff_not_requested",
                Q(status=OverrideStatus.REQUESTED, decided_at__isnull=True)
                | (~Q(status=OverrideStatus.REQUESTED) & Q(decided_at__isnull=False)),
                "A decided override records when it was decided, and only a decided one.",
                field="status",
            ),
        ]
        indexes = [
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["created_at", "id"], name="override_created_idx"),
            models.Index(fields=["status", "created_at"], name="override_status_idx"),
            models.Index(fields=["stage", "created_at"], name="override_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} pinned at {self.get_stage_display()} until {self.expires_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#ladder"


class PartnerProposal(models.Model):
    """The rules say Partner: the account waits at Advocate until a director approves (DESIGN §6). At most one is
    open per account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="partner_proposals")
    status = models.CharField(max_length=16, choices=ProposalStatus, default=ProposalStatus.OPEN)
    as_of = models.DateField(help_text="The day the evidence was read as of.")
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=ProposalStatus.OPEN),
                name="relationships_partnerproposal_one_open",
                violation_error_code="relationships_partnerproposal_one_open",
                violation_error_message="This account already has an open Partner proposal.",
            ),
            _check(
                "relationships_partnerproposal_status_valid", Q(status__in=ProposalStatus.values), "Unknown status."
            ),
            _check(
                "relationships_partnerproposal_decided_iff_closed",
                Q(status=ProposalStatus.OPEN, decided_at__isnull=True)
                | (~Q(status=ProposalStatus.OPEN) & Q(decided_at__isnull=False)),
                "A decided proposal records when it was decided, and only a decided one.",
                field="status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="partnerproposal_status_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["created_at", "id"], name="proposal_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Partner proposal for {self.account} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#ladder"


# --- account plans ------------------------------------------------------------------------------------------


def _plan_url(account_id: int, plan_id: int) -> str:
    return reverse("relationships:account_plan_detail", args=[account_id, plan_id])


class AccountPlan(models.Model):
    """The plan for one account over one period (typically a year): where the relationship should go
    (``summary``), the objectives that measure it, a SWOT analysis and the actions that get it there.

    Drafted, then ``active`` for its period, then ``closed`` as history. At most one plan of an account is active
    on any day (an exclusion constraint), so "the current plan" is well defined.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    summary = models.TextField(blank=True, help_text="The situation and the strategy for the period.")
    status = models.CharField(max_length=16, choices=PlanStatus, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account_plans_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            _check("relationships_accountplan_title_not_blank", ~Q(title=""), "The title may not be blank."),
            _check("relationships_accountplan_status_valid", Q(status__in=PlanStatus.values), "Unknown plan status."),
            _check(
                "relationships_accountplan_period_end_after_start",
                Q(period_end__gte=F("period_start")),
                "The period may not end before it starts.",
                field="period_end",
            ),
            models.UniqueConstraint(
                fields=["account", "period_start"],
                name="relationships_accountplan_account_period_start_unique",
                violation_error_code="relationships_accountplan_account_period_start_unique:period_start",
                violation_error_message="This account already has a plan starting on this day.",
            ),
            ExclusionConstraint(
                name="relationships_accountplan_one_active_per_period",
                expressions=[
                    ("account", RangeOperators.EQUAL),
                    # Least/Greatest: validation may test an inverted period before the check above refuses it,
                    # and daterange() would raise on it; for a stored (valid) period they change nothing.
                    (
                        Func(
                            Least("period_start", "period_end"),
                            Greatest("period_start", "period_end"),
                            Value("[]"),
                            function="DATERANGE",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status=PlanStatus.ACTIVE),
                violation_error_code="relationships_accountplan_one_active_per_period:status",
                violation_error_message=(
                    "Another active plan of this account overlaps this period: close it first, or keep this one a "
                    "draft."
                ),
            ),
        ]
        indexes = [
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["period_start", "id"], name="plan_start_idx"),
            models.Index(fields=["period_end", "id"], name="plan_end_idx"),
            models.Index(fields=["updated_at", "id"], name="plan_updated_idx"),
            models.Index(fields=["status", "period_start"], name="plan_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return _plan_url(self.account_id, self.pk)


class PlanObjective(models.Model):
    """What the plan sets out to reach: a target in words ("Revenue 2.5 M EUR"), optionally as a number with
    a unit, due by a date, and how it stands."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    target = models.CharField(max_length=200, help_text="What counts as reached, e.g. “Revenue 2.5 M EUR”.")
    target_value = models.DecimalField(**MONEY, null=True, blank=True, help_text="The target as a number.")
    target_unit = models.CharField(max_length=20, blank=True, help_text="What the number counts, e.g. EUR, %, orders.")
    due = models.DateField()
    status = models.CharField(max_length=16, choices=ObjectiveStatus, default=ObjectiveStatus.OPEN)
    position = models.PositiveSmallIntegerField(default=0, help_text="Objectives are listed by position, then due.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "due", "id"]
        constraints = [
            _check("relationships_planobjective_title_not_blank", ~Q(title=""), "The title may not be blank."),
            _check("relationships_planobjective_target_not_blank", ~Q(target=""), "Say what counts as reached."),
            _check(
                "relationships_planobjective_status_valid",
                Q(status__in=ObjectiveStatus.values),
                "Unknown objective status.",
            ),
            _check(
                "relationships_planobjective_unit_needs_value",
                Q(target_unit="") | Q(target_value__isnull=False),
                "A unit needs the target value it measures.",
                field="target_value",
            ),
        ]
        indexes = [
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["position", "due"], name="objective_position_idx"),
            models.Index(fields=["due", "id"], name="objective_due_idx"),
            models.Index(fields=["updated_at", "id"], name="objective_updated_idx"),
            models.Index(fields=["status", "position"], name="objective_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return _plan_url(self.plan.account_id, self.plan_id) + f"#objective-{self.pk}"


class SwotItem(models.Model):
    """One strength, weakness, opportunity or threat of the relationship, as the plan sees it."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="swot_items")
    kind = models.CharField(max_length=16, choices=SwotKind)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            _check("relationships_swotitem_kind_valid", Q(kind__in=SwotKind.values), "Unknown SWOT kind."),
            _check("relationships_swotitem_text_not_blank", ~Q(text=""), "The text may not be blank."),
        ]
        indexes = [
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["position", "id"], name="swot_position_idx"),
            models.Index(fields=["kind", "position"], name="swot_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return _plan_url(self.plan.account_id, self.plan_id) + f"#swot-{self.pk}"


class ActionItem(models.Model):
    """A step of the plan: who does what by when, optionally towards one of the plan's objectives.

    ``completed_at`` is when it was marked done (set by the service; a database rule ties it to ``done``).
    The objective must belong to the same plan: ``clean()`` says so on ``objective``, and a composite foreign
    key (``plan``, ``objective``) → objective (``plan``, ``id``) in migration 0101 holds it in PostgreSQL.
    """

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_actions",
        help_text="Who does it: someone working on the account, or a director.",
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ActionStatus, default=ActionStatus.OPEN)
    objective = models.ForeignKey(
        PlanObjective,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        help_text="The objective of this plan it works towards.",
    )
    notes = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [F("due").asc(nulls_last=True), "id"]
        constraints = [
            _check("relationships_actionitem_title_not_blank", ~Q(title=""), "The title may not be blank."),
            _check("relationships_actionitem_status_valid", Q(status__in=ActionStatus.values), "Unknown status."),
            _check(
                "relationships_actionitem_completed_iff_done",
                Q(status=ActionStatus.DONE, completed_at__isnull=False)
                | (~Q(status=ActionStatus.DONE) & Q(completed_at__isnull=True)),
                "A done action records when it was completed, and only a done one.",
                field="status",  # completed_at is the service's to set; the status is what a caller changed
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due"], name="action_owner_status_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["due", "id"], name="action_due_idx"),
            # the latest first, the empty ones last (an ascending index read backwards puts them first)
            models.Index(F("due").desc(nulls_last=True), "id", name="action_due_desc_idx"),
            models.Index(fields=["completed_at", "id"], name="action_completed_idx"),
            # the latest first, the empty ones last (an ascending index read backwards puts them first)
            models.Index(F("completed_at").desc(nulls_last=True), "id", name="action_completed_desc_idx"),
            models.Index(fields=["updated_at", "id"], name="action_updated_idx"),
            models.Index(fields=["status", "due"], name="action_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return _plan_url(self.plan.account_id, self.plan_id) + f"#action-{self.pk}"

    def clean(self) -> None:
        if self.objective_id is not None and self.objective is not None and self.objective.plan_id != self.plan_id:
            raise ValidationError({"objective": ["This objective belongs to another plan."]})


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
