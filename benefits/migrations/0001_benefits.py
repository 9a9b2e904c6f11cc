"""Schema: the benefit catalog, grants with their events and costs, and budgets (issue 6)."""

from decimal import Decimal

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.core.validators
import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0010_scoring_current_scores"),
        ("relationships", "0006_contact_cadence_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BenefitBudget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "category",
                    models.CharField(
                        choices=[("monetary", "Monetary"), ("social", "Social"), ("structural", "Structural")],
                        max_length=16,
                    ),
                ),
                ("period_start", models.DateField()),
                ("period_end", models.DateField()),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                    ),
                ),
                (
                    "committed",
                    models.DecimalField(decimal_places=2, default=Decimal("0"), editable=False, max_digits=14),
                ),
                (
                    "consumed",
                    models.DecimalField(decimal_places=2, default=Decimal("0"), editable=False, max_digits=14),
                ),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-period_start", "category", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("category__in", ["monetary", "social", "structural"])),
                        name="benefits_benefitbudget_category_valid",
                        violation_error_code="benefits_benefitbudget_category_valid",
                        violation_error_message="Unknown category.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("period_end__gte", models.F("period_start"))),
                        name="benefits_benefitbudget_period_end_after_start",
                        violation_error_code="benefits_benefitbudget_period_end_after_start:period_end",
                        violation_error_message="The period may not end before it starts.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)),
                        name="benefits_benefitbudget_amount_non_negative",
                        violation_error_code="benefits_benefitbudget_amount_non_negative",
                        violation_error_message="The amount may not be negative.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("committed__gte", 0), ("committed__lte", models.F("amount"))),
                        name="benefits_benefitbudget_committed_within_amount",
                        violation_error_code="benefits_benefitbudget_committed_within_amount:amount",
                        violation_error_message="The approved grants would cost more than the budget.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("consumed__gte", 0)),
                        name="benefits_benefitbudget_consumed_non_negative",
                        violation_error_code="benefits_benefitbudget_consumed_non_negative:consumed",
                        violation_error_message="Consumed may not be negative.",
                    ),
                    django.contrib.postgres.constraints.ExclusionConstraint(
                        expressions=[
                            ("category", "="),
                            (
                                models.Func(
                                    django.db.models.functions.comparison.Least("period_start", "period_end"),
                                    django.db.models.functions.comparison.Greatest("period_start", "period_end"),
                                    models.Value("[]"),
                                    function="DATERANGE",
                                    output_field=django.contrib.postgres.fields.ranges.DateRangeField(),
                                ),
                                "&&",
                            ),
                        ],
                        name="benefits_benefitbudget_one_per_period",
                        violation_error_code="benefits_benefitbudget_one_per_period:period_start",
                        violation_error_message="Another budget of this category overlaps this period.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="BenefitType",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(unique=True)),
                ("name", models.CharField(max_length=200)),
                (
                    "category",
                    models.CharField(
                        choices=[("monetary", "Monetary"), ("social", "Social"), ("structural", "Structural")],
                        max_length=16,
                    ),
                ),
                ("description", models.TextField(blank=True)),
                ("unit", models.CharField(help_text="What the value counts: %, days, EUR, seats, …", max_length=30)),
                (
                    "max_value",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="The largest value a grant may have; empty: no maximum.",
                        max_digits=14,
                        null=True,
                    ),
                ),
                (
                    "min_key_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("standard", "Standard"),
                            ("candidate", "Candidate"),
                            ("key", "Key"),
                            ("strategic", "Strategic"),
                        ],
                        help_text="Key status the account needs at least.",
                        max_length=16,
                    ),
                ),
                (
                    "min_stage",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("prospect", "Prospect"),
                            ("customer", "Customer"),
                            ("client", "Client"),
                            ("supporter", "Supporter"),
                            ("advocate", "Advocate"),
                            ("partner", "Partner"),
                        ],
                        help_text="Ladder stage the account needs at least.",
                        max_length=16,
                    ),
                ),
                (
                    "either_rule",
                    models.BooleanField(
                        default=False,
                        help_text="Either the key-status rule or the stage rule suffices (both must be set).",
                    ),
                ),
                (
                    "min_c2",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Payment reliability (C2) the account needs at least in its current score.",
                        max_digits=5,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(100),
                        ],
                    ),
                ),
                ("is_active", models.BooleanField(default=True, help_text="Offered for new requests.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["category", "name", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("code", ""), _negated=True),
                        name="benefits_benefittype_code_not_blank",
                        violation_error_code="benefits_benefittype_code_not_blank",
                        violation_error_message="The code may not be blank.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="benefits_benefittype_name_not_blank",
                        violation_error_code="benefits_benefittype_name_not_blank",
                        violation_error_message="The name may not be blank.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("unit", ""), _negated=True),
                        name="benefits_benefittype_unit_not_blank",
                        violation_error_code="benefits_benefittype_unit_not_blank:unit",
                        violation_error_message="Name the unit.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("category__in", ["monetary", "social", "structural"])),
                        name="benefits_benefittype_category_valid",
                        violation_error_code="benefits_benefittype_category_valid",
                        violation_error_message="Unknown category.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("min_key_status", ""),
                            ("min_key_status__in", ["standard", "candidate", "key", "strategic"]),
                            _connector="OR",
                        ),
                        name="benefits_benefittype_min_key_status_valid",
                        violation_error_code="benefits_benefittype_min_key_status_valid:min_key_status",
                        violation_error_message="Unknown key status.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("min_stage", ""),
                            ("min_stage__in", ["prospect", "customer", "client", "supporter", "advocate", "partner"]),
                            _connector="OR",
                        ),
                        name="benefits_benefittype_min_stage_valid",
                        violation_error_code="benefits_benefittype_min_stage_valid:min_stage",
                        violation_error_message="Unknown ladder stage.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("max_value__isnull", True), ("max_value__gt", 0), _connector="OR"),
                        name="benefits_benefittype_max_value_positive",
                        violation_error_code="benefits_benefittype_max_value_positive:max_value",
                        violation_error_message="The maximum must be positive (or empty: no maximum).",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("min_c2__isnull", True),
                            models.Q(("min_c2__gte", 0), ("min_c2__lte", 100)),
                            _connector="OR",
                        ),
                        name="benefits_benefittype_min_c2_range",
                        violation_error_code="benefits_benefittype_min_c2_range:min_c2",
                        violation_error_message="C2 is between 0 and 100.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("either_rule", False),
                            models.Q(
                                models.Q(("min_key_status", ""), _negated=True),
                                models.Q(("min_stage", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="benefits_benefittype_either_needs_both",
                        violation_error_code="benefits_benefittype_either_needs_both:either_rule",
                        violation_error_message="“Either rule” needs both a minimum key status and a minimum stage.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="BenefitGrant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "value",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="In the type's unit.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                    ),
                ),
                ("valid_from", models.DateField()),
                ("valid_to", models.DateField()),
                (
                    "justification",
                    models.TextField(help_text="Why this account should have it, in at least a sentence."),
                ),
                (
                    "estimated_annual_cost",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("requested", "Requested"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("active", "Active"),
                            ("expired", "Expired"),
                            ("suspended", "Suspended"),
                            ("revoked", "Revoked"),
                        ],
                        default="requested",
                        max_length=16,
                    ),
                ),
                (
                    "committed_cost",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        editable=False,
                        help_text="Committed at approval: the cost over the validity.",
                        max_digits=14,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="benefit_grants",
                        to="accounts.account",
                    ),
                ),
                (
                    "budget",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="grants",
                        to="benefits.benefitbudget",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "benefit_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="grants", to="benefits.benefittype"
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="BenefitCost",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("incurred_on", models.DateField()),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "grant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="costs", to="benefits.benefitgrant"
                    ),
                ),
            ],
            options={
                "ordering": ["-incurred_on", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("amount__gt", 0)),
                        name="benefits_benefitcost_amount_positive",
                        violation_error_code="benefits_benefitcost_amount_positive",
                        violation_error_message="A cost is positive.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="BenefitGrantEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("requested", "Requested"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("active", "Active"),
                            ("expired", "Expired"),
                            ("suspended", "Suspended"),
                            ("revoked", "Revoked"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("requested", "Requested"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("active", "Active"),
                            ("expired", "Expired"),
                            ("suspended", "Suspended"),
                            ("revoked", "Revoked"),
                        ],
                        max_length=16,
                    ),
                ),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("reason", models.TextField(blank=True)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "grant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="events", to="benefits.benefitgrant"
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["grant", "at"], name="grantevent_grant_at_idx")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("from_status", ""),
                                (
                                    "from_status__in",
                                    ["requested", "approved", "rejected", "active", "expired", "suspended", "revoked"],
                                ),
                                _connector="OR",
                            ),
                            (
                                "to_status__in",
                                ["requested", "approved", "rejected", "active", "expired", "suspended", "revoked"],
                            ),
                        ),
                        name="benefits_benefitgrantevent_status_valid",
                        violation_error_code="benefits_benefitgrantevent_status_valid",
                        violation_error_message="Unknown status.",
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="benefitgrant",
            index=models.Index(fields=["status", "valid_from"], name="grant_status_from_idx"),
        ),
        migrations.AddIndex(
            model_name="benefitgrant",
            index=models.Index(fields=["account", "status"], name="grant_account_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["requested", "approved", "rejected", "active", "expired", "suspended", "revoked"])
                ),
                name="benefits_benefitgrant_status_valid",
                violation_error_code="benefits_benefitgrant_status_valid",
                violation_error_message="Unknown status.",
            ),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(("value__gte", 0)),
                name="benefits_benefitgrant_value_non_negative",
                violation_error_code="benefits_benefitgrant_value_non_negative",
                violation_error_message="The value may not be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(("valid_to__gte", models.F("valid_from"))),
                name="benefits_benefitgrant_valid_to_after_from",
                violation_error_code="benefits_benefitgrant_valid_to_after_from:valid_to",
                violation_error_message="The grant may not end before it starts.",
            ),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(("committed_cost__gte", 0), ("estimated_annual_cost__gte", 0)),
                name="benefits_benefitgrant_cost_non_negative",
                violation_error_code="benefits_benefitgrant_cost_non_negative:estimated_annual_cost",
                violation_error_message="Costs may not be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(("justification__regex", "\\S.{9,}")),
                name="benefits_benefitgrant_justified",
                violation_error_code="benefits_benefitgrant_justified:justification",
                violation_error_message="Justify the grant in at least a sentence.",
            ),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("decided_by__isnull", True),
                    ("requested_by__isnull", True),
                    models.Q(("decided_by", models.F("requested_by")), _negated=True),
                    _connector="OR",
                ),
                name="benefits_benefitgrant_four_eyes",
                violation_error_code="benefits_benefitgrant_four_eyes:status",
                violation_error_message="A grant is decided by a director who did not request it.",
            ),
        ),
        migrations.AddConstraint(
            model_name="benefitgrant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("decided_at__isnull", True), ("status", "requested")),
                    models.Q(models.Q(("status", "requested"), _negated=True), ("decided_at__isnull", False)),
                    _connector="OR",
                ),
                name="benefits_benefitgrant_decided_iff_not_requested",
                violation_error_code="benefits_benefitgrant_decided_iff_not_requested:status",
                violation_error_message="A decided grant records when it was decided, and only a decided one.",
            ),
        ),
    ]
