"""Accounts (key-account candidates: customers and key suppliers) and their contacts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Upper
from django.db.models.lookups import Exact
from django.urls import reverse

from accounts.choices import (
    AccountKind,
    BuyingRole,
    ImportJobStatus,
    ImportKind,
    InvoiceStatus,
    KeyStatus,
    LadderStage,
    OrderStatus,
    ScoringRunStatus,
    ServiceLevel,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
country_code = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter ISO 3166 country code, e.g. DE.")


def _check(name: str, condition: Q, message: str, *, field: str | None = None) -> models.CheckConstraint:
    """A named check constraint whose violation error code is its name (see kam.constraints); ``field`` names
    the field to blame when it is not the first one the condition mentions."""
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_code=f"{name}:{field}" if field else name,
        violation_error_message=message,
    )


def unique_external_id(name: str, message: str) -> models.UniqueConstraint:
    """``external_id`` is the record's key in the ERP: unique when set, NULL when absent."""
    return models.UniqueConstraint(
        fields=["external_id"],
        condition=Q(external_id__isnull=False),
        name=name,
        violation_error_code=name,
        violation_error_message=message,
    )


class Account(models.Model):
    """A customer or key supplier, owned by one dedicated account manager.

    ``stage`` and ``key_status`` are derived columns: the ladder and the scoring run write them (only when they
    change); no form or serializer accepts them. ``kas``, ``kas_previous`` and ``last_scored_at`` are derived
    too, but not stored here: they are the account's score in the current run (the latest finished one), which
    ``accounts.selectors.accounts_with_score`` joins in. A run thus writes each score once, and the account row
    is rewritten only when the key status moves.
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=AccountKind, default=AccountKind.CUSTOMER)
    industry = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[country_code], help_text="ISO 3166 alpha-2")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_accounts",
        help_text="The dedicated account manager.",
    )
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="team_accounts")
    # NULL, not "", when absent: the unique constraint holds only for set values.
    external_id = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, help_text="The account's id in the ERP; unique when set."
    )
    annual_potential = models.DecimalField(**MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(365)], help_text="Agreed payment terms, 0–365 days."
    )
    credit_limit = models.DecimalField(**MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Derived, read-only.
    stage = models.CharField(max_length=16, choices=LadderStage, default=LadderStage.PROSPECT, editable=False)
    key_status = models.CharField(max_length=16, choices=KeyStatus, default=KeyStatus.STANDARD, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            _check("accounts_account_name_not_blank", ~Q(name=""), "The name may not be blank."),
            _check("accounts_account_kind_valid", Q(kind__in=AccountKind.values), "Unknown account kind."),
            _check("accounts_account_stage_valid", Q(stage__in=LadderStage.values), "Unknown ladder stage."),
            _check("accounts_account_key_status_valid", Q(key_status__in=KeyStatus.values), "Unknown key status."),
            _check(
                "accounts_account_country_iso",
                Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                "Use the two-letter ISO 3166 country code, e.g. DE.",
            ),
            _check(
                "accounts_account_external_id_not_blank",
                ~Q(external_id=""),
                "Leave external_id empty (null) rather than blank.",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="accounts_account_external_id_unique",
                violation_error_code="accounts_account_external_id_unique",
                violation_error_message="Another account already has this external id.",
            ),
            _check(
                "accounts_account_annual_potential_non_negative",
                Q(annual_potential__gte=0),
                "The annual potential may not be negative.",
            ),
            _check(
                "accounts_account_credit_limit_non_negative",
                Q(credit_limit__gte=0),
                "The credit limit may not be negative.",
            ),
            _check(
                "accounts_account_payment_terms_range",
                Q(payment_terms_days__gte=0, payment_terms_days__lte=365),
                "Payment terms must be between 0 and 365 days.",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "name"], name="account_kind_name_idx"),
            # (column, id): the portfolio's sorts by these few values read the index in order, ties by id
            models.Index(fields=["stage", "id"], name="account_stage_id_idx"),
            models.Index(fields=["key_status", "id"], name="account_key_status_id_idx"),
            models.Index(fields=["industry", "id"], name="account_industry_id_idx"),
            models.Index(fields=["kind", "id"], name="account_kind_id_idx"),
            models.Index(Lower("name"), name="account_lower_name_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["name", "id"], name="account_name_idx"),
            models.Index(fields=["country", "id"], name="account_country_idx"),
            models.Index(fields=["created_at", "id"], name="account_created_idx"),
            models.Index(fields=["updated_at", "id"], name="account_updated_idx"),
            models.Index(fields=["is_active", "name"], name="account_active_name_idx"),
            models.Index(Upper("external_id"), name="account_upper_ext_id_idx"),
            # search: name or industry containing a text, in any case (a trigram index also answers industry=, any case)
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="account_name_trgm_idx"),
            GinIndex(OpClass(Upper("industry"), name="gin_trgm_ops"), name="account_industry_trgm_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.pk])


class Contact(models.Model):
    """A person at an account, with their part in buying decisions."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    buying_role = models.CharField(max_length=20, choices=BuyingRole, default=BuyingRole.OTHER)
    influence = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 (low) to 5 (high)"
    )
    attitude = models.SmallIntegerField(
        default=0,
        validators=[MinValueValidator(-2), MaxValueValidator(2)],
        help_text="−2 (hostile) to +2 (champion)",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "name", "id"]
        constraints = [
            _check("accounts_contact_name_not_blank", ~Q(name=""), "The name may not be blank."),
            _check("accounts_contact_buying_role_valid", Q(buying_role__in=BuyingRole.values), "Unknown buying role."),
            _check(
                "accounts_contact_influence_range",
                Q(influence__gte=1, influence__lte=5),
                "Influence must be between 1 and 5.",
            ),
            _check(
                "accounts_contact_attitude_range",
                Q(attitude__gte=-2, attitude__lte=2),
                "Attitude must be between -2 and +2.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                "account",
                condition=~Q(email=""),
                name="accounts_contact_email_unique_per_account",
                violation_error_code="accounts_contact_email_unique_per_account",
                violation_error_message="This account already has a contact with this email address.",
            ),
        ]
        indexes = [
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["name", "id"], name="contact_name_idx"),
            models.Index(fields=["influence", "id"], name="contact_influence_idx"),
            models.Index(fields=["buying_role", "account"], name="contact_role_account_idx"),
            models.Index(fields=["is_active", "account"], name="contact_active_account_idx"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="contact_name_trgm_idx"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="contact_email_trgm_idx"),
            GinIndex(OpClass(Upper("job_title"), name="gin_trgm_ops"), name="contact_title_trgm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + f"#contact-{self.pk}"


class Order(models.Model):
    """A customer order (or a purchase from a key supplier): the evidence of revenue and service demand.

    Cancelled orders are kept but never count (DESIGN §5).
    """

    # No single-column index: order_account_date_idx leads with the account (one index fewer per written order).
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders", db_index=False)
    # NULL, not "", when absent: the unique constraint holds only for set values.
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    order_date = models.DateField()
    net_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    discount_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Discount granted on list price, 0–100 %.",
    )
    service_level = models.CharField(max_length=16, choices=ServiceLevel, default=ServiceLevel.STANDARD)
    status = models.CharField(max_length=16, choices=OrderStatus, default=OrderStatus.CONFIRMED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [
            unique_external_id("accounts_order_external_id_unique", "Another order already has this external id."),
            _check("accounts_order_external_id_not_blank", ~Q(external_id=""), "Leave external_id null, not blank."),
            _check(
                "accounts_order_net_amount_non_negative", Q(net_amount__gte=0), "The net amount may not be negative."
            ),
            _check(
                "accounts_order_discount_pct_range",
                Q(discount_pct__gte=0, discount_pct__lte=100),
                "The discount must be between 0 and 100 %%.",
            ),
            _check(
                "accounts_order_service_level_valid",
                Q(service_level__in=ServiceLevel.values),
                "Unknown service level.",
            ),
            _check("accounts_order_status_valid", Q(status__in=OrderStatus.values), "Unknown order status."),
        ]
        indexes = [
            models.Index(fields=["account", "order_date"], name="order_account_date_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["order_date", "id"], name="order_date_idx"),
            models.Index(fields=["net_amount", "id"], name="order_net_amount_idx"),
            models.Index(fields=["discount_pct", "id"], name="order_discount_idx"),
            models.Index(fields=["created_at", "id"], name="order_created_idx"),
            models.Index(fields=["status", "order_date"], name="order_status_date_idx"),
            models.Index(fields=["service_level", "order_date"], name="order_level_date_idx"),
        ]

    def __str__(self) -> str:
        return f"Order {self.external_id or self.pk} of {self.order_date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#orders"


class Invoice(models.Model):
    """An invoice to the account: the evidence of payment behaviour (DESIGN §5, C2)."""

    # No single-column index: invoice_account_due_idx leads with the account.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices", db_index=False)
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    number = models.CharField(max_length=50)
    issue_date = models.DateField()
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    paid_date = models.DateField(null=True, blank=True, help_text="Set exactly when the status is paid.")
    status = models.CharField(max_length=16, choices=InvoiceStatus, default=InvoiceStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            unique_external_id("accounts_invoice_external_id_unique", "Another invoice already has this external id."),
            _check("accounts_invoice_external_id_not_blank", ~Q(external_id=""), "Leave external_id null, not blank."),
            _check("accounts_invoice_number_not_blank", ~Q(number=""), "The invoice number may not be blank."),
            _check("accounts_invoice_amount_positive", Q(amount__gt=0), "The amount must be greater than zero."),
            _check(
                "accounts_invoice_due_after_issue",
                Q(due_date__gte=F("issue_date")),
                "The due date may not be before the issue date.",
            ),
            _check(
                "accounts_invoice_paid_date_iff_paid",
                Q(status=InvoiceStatus.PAID, paid_date__isnull=False)
                | (~Q(status=InvoiceStatus.PAID) & Q(paid_date__isnull=True)),
                "A paid invoice needs its paid date, and only a paid invoice has one.",
                field="paid_date",
            ),
            _check("accounts_invoice_status_valid", Q(status__in=InvoiceStatus.values), "Unknown invoice status."),
        ]
        indexes = [
            models.Index(fields=["account", "due_date"], name="invoice_account_due_idx"),
            # Lists filter and sort by these (tests/kam/test_list_indexes.py, bench/explain.py).
            models.Index(fields=["issue_date", "id"], name="invoice_issue_idx"),
            models.Index(fields=["due_date", "id"], name="invoice_due_idx"),
            models.Index(fields=["paid_date", "id"], name="invoice_paid_idx"),
            # newest payment first, unpaid ones last (an ascending index read backwards puts them first)
            models.Index(F("paid_date").desc(nulls_last=True), "id", name="invoice_paid_desc_idx"),
            models.Index(fields=["amount", "id"], name="invoice_amount_idx"),
            models.Index(fields=["created_at", "id"], name="invoice_created_idx"),
            models.Index(fields=["number"], name="invoice_number_idx"),
            models.Index(fields=["status", "issue_date"], name="invoice_status_issue_idx"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#invoices"


WEIGHT = {"max_digits": 4, "decimal_places": 3, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
SCORE = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


class NumericField(models.Field):
    """PostgreSQL ``numeric`` without precision or scale: exact decimals of any size (sums of money, a
    ``percent_rank``), as a scoring run's stored inputs need. Values are ``Decimal``."""

    description = "Exact decimal number of any precision"

    def db_type(self, connection: Any) -> str:
        return "numeric"

    def to_python(self, value: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


def _score_range(name: str, field: str) -> models.CheckConstraint:
    return _check(name, Q(**{f"{field}__gte": 0, f"{field}__lte": 100}), f"{field} must be between 0 and 100.")


class ScoringPolicy(models.Model):
    """A version of the key-account scoring rules (DESIGN §5): criterion weights and status thresholds.

    Versions are never edited once used: a director saves a new version and activates it. Exactly one is active.
    """

    version = models.CharField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    weight_c1 = models.DecimalField(**WEIGHT, help_text="C1 stable and regular orders")
    weight_c2 = models.DecimalField(**WEIGHT, help_text="C2 low risk of bad debts")
    weight_c3 = models.DecimalField(**WEIGHT, help_text="C3 lifetime potential")
    weight_c4 = models.DecimalField(**WEIGHT, help_text="C4 brand loyalty")
    weight_c5 = models.DecimalField(**WEIGHT, help_text="C5 willingness to pay for service")
    key_threshold = models.DecimalField(**SCORE, default=Decimal("70"))
    retain_threshold = models.DecimalField(**SCORE, default=Decimal("60"), help_text="Hysteresis: stays key from here.")
    strategic_threshold = models.DecimalField(**SCORE, default=Decimal("85"))
    candidate_threshold = models.DecimalField(**SCORE, default=Decimal("55"))
    min_orders_w365 = models.PositiveSmallIntegerField(default=3, help_text="Gate: orders in the last 365 days.")
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "scoring policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="accounts_scoringpolicy_one_active",
                violation_error_code="accounts_scoringpolicy_one_active",
                violation_error_message="Another policy is active: deactivate it first.",
            ),
            models.CheckConstraint(
                condition=Exact(
                    F("weight_c1") + F("weight_c2") + F("weight_c3") + F("weight_c4") + F("weight_c5"), Decimal("1")
                ),
                name="accounts_scoringpolicy_weights_sum_to_one",
                violation_error_code="accounts_scoringpolicy_weights_sum_to_one:weights",
                violation_error_message="The five weights must add up to 1.",
            ),
            *[
                _check(
                    f"accounts_scoringpolicy_{field}_range",
                    Q(**{f"{field}__gte": 0, f"{field}__lte": 1}),
                    f"{field} must be between 0 and 1.",
                )
                for field in ("weight_c1", "weight_c2", "weight_c3", "weight_c4", "weight_c5")
            ],
            *[
                _score_range(f"accounts_scoringpolicy_{field}_range", field)
                for field in ("key_threshold", "retain_threshold", "strategic_threshold", "candidate_threshold")
            ],
            _check(
                "accounts_scoringpolicy_thresholds_ordered",
                Q(candidate_threshold__lte=F("retain_threshold"))
                & Q(retain_threshold__lte=F("key_threshold"))
                & Q(key_threshold__lte=F("strategic_threshold")),
                "Thresholds must be ordered: candidate ≤ retain ≤ key ≤ strategic.",
                field="key_threshold",
            ),
            _check("accounts_scoringpolicy_version_not_blank", ~Q(version=""), "The version needs a name."),
        ]

    def __str__(self) -> str:
        return self.version

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_scoringpolicy_change", args=[self.pk])


class ScoringRun(models.Model):
    """One scoring of the whole active population as of a date (ladder first, then scores; DESIGN §5, §6)."""

    policy = models.ForeignKey(ScoringPolicy, on_delete=models.PROTECT, related_name="runs")
    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=ScoringRunStatus, default=ScoringRunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts_scored = models.PositiveIntegerField(default=0)
    status_changes = models.PositiveIntegerField(default=0, help_text="Accounts whose key status changed.")
    counts = models.JSONField(default=dict, blank=True, help_text="Accounts per key status and other tallies.")
    timings = models.JSONField(default=dict, blank=True, help_text="Milliseconds per step.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            _check("accounts_scoringrun_status_valid", Q(status__in=ScoringRunStatus.values), "Unknown run status."),
            _check(
                "accounts_scoringrun_finished_after_start",
                Q(finished_at__isnull=True) | Q(started_at__isnull=False, finished_at__gte=F("started_at")),
                "A run finishes after it starts.",
                field="finished_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="scoringrun_status_idx"),
            # The current run (accounts show its scores): the latest finished one by as_of.
            models.Index(
                F("as_of").desc(),
                F("finished_at").desc(),
                F("id").desc(),
                condition=Q(status=ScoringRunStatus.DONE),
                name="scoringrun_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Scoring run {self.pk} as of {self.as_of:%Y-%m-%d} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("api:scoringrun-detail", args=[self.pk])


class AccountScore(models.Model):
    """An account's five criteria, KAS and key status in one run, with the explanation behind them."""

    # No single-column FK indexes: the unique (run, account) and the (account, run) index lead with them, and a
    # run inserts one row per account, so every index costs.
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="scores", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="scores", db_index=False)
    c1 = models.DecimalField(**SCORE, null=True, blank=True)
    c2 = models.DecimalField(**SCORE, null=True, blank=True)
    c3 = models.DecimalField(**SCORE, null=True, blank=True)
    c4 = models.DecimalField(**SCORE, null=True, blank=True)
    c5 = models.DecimalField(**SCORE, null=True, blank=True)
    kas = models.DecimalField(**SCORE)
    kas_previous = models.DecimalField(
        **SCORE, null=True, blank=True, help_text="KAS in the run before (the one the hysteresis reads)."
    )
    completeness = models.DecimalField(**WEIGHT, help_text="Σ weights of the criteria that had data.")
    computed_key_status = models.CharField(max_length=16, choices=KeyStatus)
    key_status = models.CharField(max_length=16, choices=KeyStatus, help_text="After a director's pin, if any.")
    previous_key_status = models.CharField(
        max_length=16, choices=KeyStatus, blank=True, help_text="Computed status in the run before (hysteresis)."
    )
    # The key-status gates' inputs, as columns so a policy preview can re-decide every account in one query.
    orders_w365 = models.PositiveIntegerField(default=0)
    writeoff_w1095 = models.BooleanField(default=False)
    # What the run computed the criteria from, positionally (accounts.scoring.inputs.INPUT_FIELDS): the
    # explanation is rendered from these on reading, so it can never disagree with the numbers.
    inputs = ArrayField(NumericField(), default=list, blank=True)

    class Meta:
        ordering = ["-run_id", "account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "account"],
                name="accounts_accountscore_one_per_run",
                violation_error_code="accounts_accountscore_one_per_run",
                violation_error_message="This account is already scored in this run.",
            ),
            *[
                _score_range(f"accounts_accountscore_{field}_range", field)
                for field in ("c1", "c2", "c3", "c4", "c5", "kas", "kas_previous")
            ],
            _check(
                "accounts_accountscore_completeness_range",
                Q(completeness__gte=0, completeness__lte=1),
                "completeness must be between 0 and 1.",
            ),
            _check(
                "accounts_accountscore_key_status_valid",
                Q(key_status__in=KeyStatus.values, computed_key_status__in=KeyStatus.values),
                "Unknown key status.",
            ),
            _check(
                "accounts_accountscore_previous_key_status_valid",
                Q(previous_key_status="") | Q(previous_key_status__in=KeyStatus.values),
                "Unknown key status.",
                field="previous_key_status",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "run"], name="accountscore_account_run_idx"),
            # Accounts ordered or filtered by their current KAS read one run's scores in KAS order.
            models.Index(fields=["run", "kas"], name="accountscore_run_kas_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} in run {self.run_id}: KAS {self.kas}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#score"


class KeyStatusOverride(models.Model):
    """A director's pin of an account's key status, with a reason and an expiry. The computed status is still
    stored beside it on every score."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="key_status_overrides")
    key_status = models.CharField(max_length=16, choices=KeyStatus)
    reason = models.TextField()
    expires_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(revoked_at__isnull=True),
                name="accounts_keystatusoverride_one_open",
                violation_error_code="accounts_keystatusoverride_one_open",
                violation_error_message="This account already has a pinned key status: revoke it first.",
            ),
            _check(
                "accounts_keystatusoverride_key_status_valid", Q(key_status__in=KeyStatus.values), "Unknown key status."
            ),
            _check(
                "accounts_keystatusoverride_reason_given",
                Q(reason__regex=r"\S.{9,}"),
                "Give a reason of at least a sentence.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} pinned {self.key_status} until {self.expires_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.account_id]) + "#score"


# --- CSV imports (issue 8) ---------------------------------------------------------------------------------


class ImportJob(models.Model):
    """A CSV file uploaded (page or API) for a worker to import, all or nothing (``accounts.imports``).

    The file's bytes wait in ``data`` until the worker has read them, then are dropped: the job keeps the
    counts and the first rows' errors (``errors``: ``[{"line", "field", "message"}]``, at most
    ``accounts.imports.ERRORS_KEPT``; ``error_count`` is the total).
    """

    kind = models.CharField(max_length=16, choices=ImportKind)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    data = models.BinaryField(default=bytes, editable=False, help_text="The file, until the worker has read it.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=ImportJobStatus, default=ImportJobStatus.QUEUED)
    phase = models.CharField(max_length=16, blank=True, help_text="reading, validating or writing, while running.")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the file read.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0, help_text="Data rows in the file.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0, help_text="Existing records whose values changed.")
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            _check("accounts_importjob_kind_valid", Q(kind__in=ImportKind.values), "Unknown import kind."),
            _check("accounts_importjob_status_valid", Q(status__in=ImportJobStatus.values), "Unknown job status."),
            _check(
                "accounts_importjob_progress_range",
                Q(progress__gte=0, progress__lte=100),
                "progress must be between 0 and 100.",
            ),
            _check(
                "accounts_importjob_finished_after_start",
                Q(finished_at__isnull=True) | Q(started_at__isnull=False, finished_at__gte=F("started_at")),
                "A job finishes after it starts.",
                field="finished_at",
            ),
        ]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="importjob_requested_by_idx")]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.kind} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])
