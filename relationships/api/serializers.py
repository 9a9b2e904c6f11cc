"""Serializers of the relationship records. Each names its account like every evidence record
(``account`` id or ``account_external_id``); related contacts and accounts are found among those the caller
can see, so an id the caller may not see is "does not exist", never "forbidden"."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers import NAMES_ITS_ACCOUNT, AccountReferenceSerializer
from accounts.models import Account, Contact
from accounts.selectors import accounts_visible_to, assignable_users, contacts_visible_to
from kam.api.serializers import BLANK_PATTERN, NULL_OR_ABSENT, PRESENT, StrictModelSerializer, needs, text_pattern
from relationships.models import (
    AccountPlan,
    ActionItem,
    AdvocacyEvent,
    Contract,
    Feedback,
    Interaction,
    PlanObjective,
    SwotItem,
)
from relationships.selectors import account_plans_visible_to, plan_objectives_visible_to


def _caller(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return request.user if request else None


class FeedbackSerializer(AccountReferenceSerializer):
    """An NPS answer (score 0–10). ``contact``, when given, must be a contact of the same account."""

    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), allow_null=True, required=False)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "contact",
            "score",
            "responded_on",
            "comment",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # external_id is unique *when set*: the service's full_clean() checks it.
        validators: list = []
        extra_kwargs = {"external_id": {"validators": []}}

    def get_fields(self):
        fields = super().get_fields()
        fields["contact"].queryset = contacts_visible_to(_caller(self))
        return fields


class AdvocacyEventSerializer(AccountReferenceSerializer):
    """An advocacy event. Who logged it is the caller; verification is the ``verify`` action, never a field."""

    referred_account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(), allow_null=True, required=False
    )

    class Meta:
        model = AdvocacyEvent
        fields = [
            "id",
            "account",
            "account_external_id",
            "kind",
            "occurred_on",
            "note",
            "referred_account",
            "logged_by",
            "verified",
            "verified_by",
            "verified_at",
            "created_at",
        ]
        read_only_fields = ["logged_by", "verified", "verified_by", "verified_at", "created_at"]
        validators: list = []

    def get_fields(self):
        fields = super().get_fields()
        fields["referred_account"].queryset = accounts_visible_to(_caller(self))
        return fields


class ContractSerializer(AccountReferenceSerializer):
    """An agreement with the account; ``ends_on`` empty means open-ended."""

    class Meta:
        model = Contract
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "kind",
            "title",
            "service_level",
            "starts_on",
            "ends_on",
            "auto_renew",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []
        extra_kwargs = {"external_id": {"validators": []}}


class InteractionSerializer(AccountReferenceSerializer):
    """A meeting, call, visit… ``contacts`` are contact ids of the same account; ``user`` defaults to the
    caller. A ``next_step_due`` needs a ``next_step``."""

    # constraint relationships_interaction_due_needs_step
    request_rules = (
        NAMES_ITS_ACCOUNT,
        needs(
            "next_step_due",
            NULL_OR_ABSENT,
            {"required": ["next_step"], "properties": {"next_step": {"pattern": text_pattern(min_length=1)}}},
        ),
    )

    # Who had it is a person working on accounts (never an integration, which may not log interactions).
    user = serializers.PrimaryKeyRelatedField(queryset=assignable_users(), allow_null=True, required=False)
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), many=True, required=False)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "account",
            "account_external_id",
            "kind",
            "status",
            "occurred_at",
            "user",
            "contacts",
            "subject",
            "summary",
            "next_step",
            "next_step_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []

    def get_fields(self):
        fields = super().get_fields()
        fields["contacts"].child_relation.queryset = contacts_visible_to(_caller(self))
        return fields


# --- account plans ------------------------------------------------------------------------------------------


class AccountPlanSerializer(AccountReferenceSerializer):
    """An account's plan for a period: ``draft`` → ``active`` → ``closed``. At most one plan of an account is
    active on any day, and two plans of an account never start on the same day (400 on ``status`` /
    ``period_start``). Its objectives, SWOT items and actions are resources of their own that name the plan."""

    class Meta:
        model = AccountPlan
        fields = [
            "id",
            "account",
            "account_external_id",
            "title",
            "period_start",
            "period_end",
            "summary",
            "status",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]
        # (account, period_start) is unique: the service's full_clean() says so on ``period_start``.
        validators: list = []


class PlanPartSerializer(StrictModelSerializer):
    """A part of an account plan, named by ``plan`` (an id among the plans the caller can see; a part never
    moves to another plan). ``account`` is the plan's account, read-only, for filtering and display."""

    plan = serializers.PrimaryKeyRelatedField(queryset=AccountPlan.objects.none())
    account = serializers.IntegerField(source="plan.account_id", read_only=True, help_text="The plan's account.")

    def get_fields(self):
        fields = super().get_fields()
        fields["plan"].queryset = account_plans_visible_to(_caller(self))
        return fields


class PlanObjectiveSerializer(PlanPartSerializer):
    """An objective: ``target`` in words ("Revenue 2.5 M EUR"), optionally ``target_value`` (a decimal string)
    with ``target_unit`` (a unit needs a value), ``due`` and ``status``; listed by ``position``, then ``due``."""

    # constraint relationships_planobjective_unit_needs_value
    request_rules = (
        needs(
            "target_unit",
            {"pattern": BLANK_PATTERN},
            {"required": ["target_value"], "properties": {"target_value": PRESENT}},
        ),
    )

    class Meta:
        model = PlanObjective
        fields = [
            "id",
            "plan",
            "account",
            "title",
            "target",
            "target_value",
            "target_unit",
            "due",
            "status",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class SwotItemSerializer(PlanPartSerializer):
    """A strength, weakness, opportunity or threat of the plan."""

    class Meta:
        model = SwotItem
        fields = ["id", "plan", "account", "kind", "text", "position", "created_at"]
        read_only_fields = ["created_at"]


class ActionItemSerializer(PlanPartSerializer):
    """An action of the plan. ``owner``: a user working on the account (its owner or team) or a director;
    ``objective``: one of the same plan's objectives. ``completed_at`` is set when ``status`` becomes ``done``."""

    owner = serializers.PrimaryKeyRelatedField(queryset=assignable_users(), allow_null=True, required=False)
    objective = serializers.PrimaryKeyRelatedField(
        queryset=PlanObjective.objects.none(), allow_null=True, required=False
    )

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "plan",
            "account",
            "title",
            "owner",
            "due",
            "status",
            "objective",
            "notes",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["objective"].queryset = plan_objectives_visible_to(_caller(self))
        return fields
