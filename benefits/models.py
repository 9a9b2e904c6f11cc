"""The benefits key accounts earn (DESIGN §7): the catalog with its eligibility rules, grants and their
approval workflow (every transition logged), budgets per period and category, and the costs actually incurred.
Every invariant is a database constraint too."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Greatest, Least
from django.urls import reverse

from accounts.choices import KeyStatus, LadderStage
from accounts.models import MONEY, Account, _check
from benefits.choices import BenefitCategory, GrantStatus


class BenefitType(models.Model):
    """A benefit of the catalog, with its unit, maximum value and eligibility: a minimum key status, a minimum
    ladder stage (both required, or either one when ``either_rule``), and a minimum payment reliability (C2)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=BenefitCategory)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=30, help_text="What the value counts: %, days, EUR, seats, …")
    max_value = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"), "The maximum must be positive (or empty: no maximum).")],
        help_text="The largest value a grant may have; empty: no maximum.",
    )
    min_key_status = models.CharField(
        max_length=16, choices=KeyStatus, blank=True, help_text="Key status the account needs at least."
    )
    min_stage = models.CharField(
        max_length=16, choices=LadderStage, blank=True, help_text="Ladder stage the account needs at least."
    )
    either_rule = models.BooleanField(
        default=False, help_text="Either the key-status rule or the stage rule suffices (both must be set)."
    )
    min_c2 = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Payment reliability (C2) the account needs at least in its current score.",
    )
    is_active = models.BooleanField(default=True, help_text="Offered for new requests.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name", "id"]
        constraints = [
            _check("benefits_benefittype_code_not_blank", ~Q(code=""), "The code may not be blank."),
            _check("benefits_benefittype_name_not_blank", ~Q(name=""), "The name may not be blank."),
            _check("benefits_benefittype_unit_not_blank", ~Q(unit=""), "Name the unit.", field="unit"),
            _check("benefits_benefittype_category_valid", Q(category__in=BenefitCategory.values), "Unknown category."),
            _check(
                "benefits_benefittype_min_key_status_valid",
                Q(min_key_status="") | Q(min_key_status__in=KeyStatus.values),
                "Unknown key status.",
                field="min_key_status",
            ),
            _check(
                "benefits_benefittype_min_stage_valid",
                Q(min_stage="") | Q(min_stage__in=LadderStage.values),
                "Unknown ladder stage.",
                field="min_stage",
            ),
            _check(
                "benefits_benefittype_max_value_positive",
                Q(max_value__isnull=True) | Q(max_value__gt=0),
                "The maximum must be positive (or empty: no maximum).",
                field="max_value",
            ),
            _check(
                "benefits_benefittype_min_c2_range",
                Q(min_c2__isnull=True) | Q(min_c2__gte=0, min_c2__lte=100),
                "C2 is between 0 and 100.",
                field="min_c2",
            ),
            _check(
                "benefits_benefittype_either_needs_both",
                Q(either_rule=False) | (~Q(min_key_status="") & ~Q(min_stage="")),
                "“Either rule” needs both a minimum key status and a minimum stage.",
                field="either_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("benefits:catalog") + f"#type-{self.pk}"


def _period(start: str, end: str) -> Func:
    # Least/Greatest: validation may test an inverted period before the check refuses it; daterange() would raise.
    return Func(
        Least(start, end), Greatest(start, end), Value("[]"), function="DATERANGE", output_field=DateRangeField()
    )


class BenefitBudget(models.Model):
    """What a category of benefits may cost in a period: ``committed`` by approved grants (their estimated cost
    over their validity), ``consumed`` by the costs recorded. One budget per category and period."""

    category = models.CharField(max_length=16, choices=BenefitCategory)
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal(0))])
    committed = models.DecimalField(**MONEY, default=Decimal(0), editable=False)
    consumed = models.DecimalField(**MONEY, default=Decimal(0), editable=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "category", "id"]
        constraints = [
            _check(
                "benefits_benefitbudget_category_valid", Q(category__in=BenefitCategory.values), "Unknown category."
            ),
            _check(
                "benefits_benefitbudget_period_end_after_start",
                Q(period_end__gte=F("period_start")),
                "The period may not end before it starts.",
                field="period_end",
            ),
            _check("benefits_benefitbudget_amount_non_negative", Q(amount__gte=0), "The amount may not be negative."),
            _check(
                "benefits_benefitbudget_committed_within_amount",
                Q(committed__gte=0, committed__lte=F("amount")),
                "The approved grants would cost more than the budget.",
                field="amount",
            ),
            _check(
                "benefits_benefitbudget_consumed_non_negative",
                Q(consumed__gte=0),
                "Consumed may not be negative.",
                field="consumed",
            ),
            ExclusionConstraint(
                name="benefits_benefitbudget_one_per_period",
                expressions=[
                    ("category", RangeOperators.EQUAL),
                    (_period("period_start", "period_end"), RangeOperators.OVERLAPS),
                ],
                violation_error_code="benefits_benefitbudget_one_per_period:period_start",
                violation_error_message="Another budget of this category overlaps this period.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} budget {self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("benefits:budgets") + f"#budget-{self.pk}"

    @property
    def available(self) -> Decimal:
        return self.amount - self.committed


class BenefitGrant(models.Model):
    """A benefit granted to an account for a period, from its request to its end. Approval is four-eyes (a
    director who did not request it) and commits ``committed_cost`` against the budget of its category."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="benefit_grants")
    benefit_type = models.ForeignKey(BenefitType, on_delete=models.PROTECT, related_name="grants")
    value = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal(0))], help_text="In the type's unit.")
    valid_from = models.DateField()
    valid_to = models.DateField()
    justification = models.TextField(help_text="Why this account should have it, in at least a sentence.")
    estimated_annual_cost = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal(0))])
    status = models.CharField(max_length=16, choices=GrantStatus, default=GrantStatus.REQUESTED)
    committed_cost = models.DecimalField(
        **MONEY, default=Decimal(0), editable=False, help_text="Committed at approval: the cost over the validity."
    )
    budget = models.ForeignKey(
        BenefitBudget, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="grants"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            _check("benefits_benefitgrant_status_valid", Q(status__in=GrantStatus.values), "Unknown status."),
            _check("benefits_benefitgrant_value_non_negative", Q(value__gte=0), "The value may not be negative."),
            _check(
                "benefits_benefitgrant_valid_to_after_from",
                Q(valid_to__gte=F("valid_from")),
                "The grant may not end before it starts.",
                field="valid_to",
            ),
            _check(
                "benefits_benefitgrant_cost_non_negative",
                Q(estimated_annual_cost__gte=0, committed_cost__gte=0),
                "Costs may not be negative.",
                field="estimated_annual_cost",
            ),
            _check(
                "benefits_benefitgrant_justified",
                Q(justification__regex=r"\S.{9,}"),
                "Justify the grant in at least a sentence.",
                field="justification",
            ),
            _check(
                "benefits_benefitgrant_four_eyes",
                Q(decided_by__isnull=True) | Q(requested_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                "A grant is decided by a director who did not request it.",
                field="status",
            ),
            _check(
                "benefits_benefitgrant_decided_iff_not_requested",
                Q(status=GrantStatus.REQUESTED, decided_at__isnull=True)
                | (~Q(status=GrantStatus.REQUESTED) & Q(decided_at__isnull=False)),
                "A decided grant records when it was decided, and only a decided one.",
                field="status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_from"], name="grant_status_from_idx"),
            models.Index(fields=["account", "status"], name="grant_account_status_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["created_at", "id"], name="grant_created_idx"),
            models.Index(fields=["valid_from", "id"], name="grant_valid_from_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_type} for {self.account}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + f"#grant-{self.pk}"


class BenefitGrantEvent(models.Model):
    """One transition of a grant, with who made it (empty: the daily job) and why. Append-only."""

    grant = models.ForeignKey(BenefitGrant, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=GrantStatus, blank=True)
    to_status = models.CharField(max_length=16, choices=GrantStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            _check(
                "benefits_benefitgrantevent_status_valid",
                (Q(from_status="") | Q(from_status__in=GrantStatus.values)) & Q(to_status__in=GrantStatus.values),
                "Unknown status.",
            ),
        ]
        indexes = [models.Index(fields=["grant", "at"], name="grantevent_grant_at_idx")]

    def __str__(self) -> str:
        return f"{self.grant}: {self.from_status or 'new'} → {self.to_status}"

    def get_absolute_url(self) -> str:
        return self.grant.get_absolute_url()


class BenefitCost(models.Model):
    """A cost actually incurred by a grant (an invoice for the club membership, the discount given on an order
    run…); it counts as consumed in the budget the grant was committed against."""

    grant = models.ForeignKey(BenefitGrant, on_delete=models.CASCADE, related_name="costs")
    incurred_on = models.DateField()
    amount = models.DecimalField(
        **MONEY, validators=[MinValueValidator(Decimal("0.01"), "A cost is positive.")], help_text="Positive."
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-incurred_on", "-id"]
        constraints = [_check("benefits_benefitcost_amount_positive", Q(amount__gt=0), "A cost is positive.")]
        indexes = [
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["incurred_on", "id"], name="cost_incurred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.incurred_on:%Y-%m-%d} for {self.grant}"

    def get_absolute_url(self) -> str:
        return self.grant.get_absolute_url()
