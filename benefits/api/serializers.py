"""Serializers of the benefits API. A grant names its account by ``account`` (id) or ``account_external_id``,
like every record of an account; its ROI estimate is read-only."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from accounts.api.serializers import AccountReferenceSerializer
from benefits.choices import GrantStatus
from benefits.eligibility import rules_described
from benefits.models import BenefitBudget, BenefitCost, BenefitGrant, BenefitGrantEvent, BenefitType
from benefits.selectors import ROI_METHOD, grants_visible_to
from kam.api.serializers import PRESENT, DateWithinField, StrictModelSerializer, needs

MONEY = {"max_digits": 16, "decimal_places": 2, "read_only": True}


class BenefitTypeSerializer(StrictModelSerializer):
    """A benefit of the catalog with its unit, maximum and eligibility (also in words: ``rules``). ``either_rule``
    needs both ``min_key_status`` and ``min_stage``."""

    rules = serializers.SerializerMethodField()
    # constraint benefits_benefittype_either_needs_both
    request_rules = (
        needs(
            "either_rule",
            {"enum": [False]},
            {
                "required": ["min_key_status", "min_stage"],
                "properties": {"min_key_status": PRESENT, "min_stage": PRESENT},
            },
        ),
    )

    class Meta:
        model = BenefitType
        fields = [
            "id",
            "code",
            "name",
            "category",
            "description",
            "unit",
            "max_value",
            "min_key_status",
            "min_stage",
            "either_rule",
            "min_c2",
            "rules",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []
        extra_kwargs = {"code": {"validators": []}}

    def get_fields(self):
        fields = super().get_fields()
        if self.partial:
            # a benefit's code names it in integrations and never changes: a change names it read-only (400)
            fields["code"].read_only = True
        return fields

    def get_rules(self, benefit_type: BenefitType) -> str:
        return rules_described(benefit_type)


class BenefitGrantEventSerializer(serializers.ModelSerializer):
    from_status = serializers.ChoiceField(
        choices=GrantStatus.choices, allow_blank=True, read_only=True, help_text="Empty for the request itself."
    )

    class Meta:
        model = BenefitGrantEvent
        fields = ["from_status", "to_status", "actor", "at", "reason"]
        read_only_fields = fields


class BenefitGrantSerializer(AccountReferenceSerializer):
    """A grant: requested with its value, validity, estimated annual cost and justification; then decided by a
    director who did not request it. ``committed_cost`` is what approval committed against ``budget``; the ROI
    fields are an estimate (``roi_method``)."""

    benefit_type = serializers.PrimaryKeyRelatedField(queryset=BenefitType.objects.all())
    # benefits.services.benefit_grant_request refuses an earlier start
    valid_from = DateWithinField(earliest=timezone.localdate, help_text="Today or later.")
    events = BenefitGrantEventSerializer(many=True, read_only=True)
    revenue_during = serializers.DecimalField(**MONEY, help_text="Revenue from its first day to its last (or today).")
    revenue_before = serializers.DecimalField(**MONEY, help_text="Revenue in as many days just before it.")
    cost = serializers.DecimalField(**MONEY, help_text="Recorded costs, else the committed cost prorated.")
    roi = serializers.DecimalField(**MONEY, help_text="revenue_during − revenue_before − cost")
    roi_method = serializers.SerializerMethodField()

    class Meta:
        model = BenefitGrant
        fields = [
            "id",
            "account",
            "account_external_id",
            "benefit_type",
            "value",
            "valid_from",
            "valid_to",
            "justification",
            "estimated_annual_cost",
            "status",
            "committed_cost",
            "budget",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
            "updated_at",
            "revenue_during",
            "revenue_before",
            "cost",
            "roi",
            "roi_method",
            "events",
        ]
        read_only_fields = [
            "status",
            "committed_cost",
            "budget",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
            "updated_at",
        ]
        # constraint benefits_benefitgrant_justified: a sentence, at least 10 characters
        extra_kwargs = {"valid_to": {"required": True}, "justification": {"min_length": 10}}

    def get_roi_method(self, grant: BenefitGrant) -> str:
        return ROI_METHOD


class BenefitBudgetSerializer(StrictModelSerializer):
    """What a category may cost in a period; ``committed`` (approved grants) and ``consumed`` (recorded costs)
    are kept by the services; ``available`` = amount − committed."""

    available = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = BenefitBudget
        fields = [
            "id",
            "category",
            "period_start",
            "period_end",
            "amount",
            "committed",
            "consumed",
            "available",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["committed", "consumed", "created_at", "updated_at"]


class BenefitCostSerializer(StrictModelSerializer):
    """A cost a grant actually incurred; consumed from the budget the grant was committed against."""

    grant = serializers.PrimaryKeyRelatedField(queryset=BenefitGrant.objects.none())

    class Meta:
        model = BenefitCost
        fields = ["id", "grant", "incurred_on", "amount", "note", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["grant"].queryset = grants_visible_to(request.user if request else None)
        return fields
