"""FilterSets of the relationship records, shared by the pages and the API (like accounts.filters)."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.choices import LadderStage, ServiceLevel
from accounts.filters import AccountRecordFilterSet, date_range
from kam.filtering import ChoicesFilter, IntegerFilter, IsoDateFilter, NullsLastOrderingFilter, StrictBooleanFilter
from relationships.choices import (
    ACTION_PENDING,
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
)
from relationships.models import (
    AccountPlan,
    ActionItem,
    AdvocacyEvent,
    Contract,
    Feedback,
    Interaction,
    LadderOverride,
    PartnerProposal,
    PlanObjective,
    SwotItem,
)


class FeedbackFilterSet(AccountRecordFilterSet):
    responded_on_after, responded_on_before = date_range("responded_on")
    contact = IntegerFilter(field_name="contact_id")
    score_min = IntegerFilter(field_name="score", lookup_expr="gte", label="Score at least")
    score_max = IntegerFilter(field_name="score", lookup_expr="lte", label="Score at most")
    external_id = django_filters.CharFilter()
    ordering = NullsLastOrderingFilter(
        fields=(("responded_on", "responded_on"), ("score", "score"), ("created_at", "created_at"), ("id", "id"))
    )

    class Meta:
        model = Feedback
        fields = ["account", "account_external_id", "contact", "external_id"]


class AdvocacyEventFilterSet(AccountRecordFilterSet):
    occurred_on_after, occurred_on_before = date_range("occurred_on")
    kind = ChoicesFilter(choices=AdvocacyKind.choices)
    verified = StrictBooleanFilter()
    ordering = NullsLastOrderingFilter(
        fields=(
            ("occurred_on", "occurred_on"),
            ("verified_at", "verified_at"),
            ("created_at", "created_at"),
            ("id", "id"),
        )
    )

    class Meta:
        model = AdvocacyEvent
        fields = ["account", "account_external_id", "kind", "verified"]


class ContractFilterSet(AccountRecordFilterSet):
    starts_on_after, starts_on_before = date_range("starts_on")
    ends_on_after, ends_on_before = date_range("ends_on")
    kind = ChoicesFilter(choices=ContractKind.choices)
    service_level = ChoicesFilter(choices=ServiceLevel.choices)
    auto_renew = StrictBooleanFilter()
    external_id = django_filters.CharFilter()
    ordering = NullsLastOrderingFilter(
        fields=(("starts_on", "starts_on"), ("ends_on", "ends_on"), ("created_at", "created_at"), ("id", "id"))
    )

    class Meta:
        model = Contract
        fields = ["account", "account_external_id", "kind", "service_level", "auto_renew", "external_id"]


class InteractionFilterSet(AccountRecordFilterSet):
    occurred_at_after, occurred_at_before = date_range("occurred_at", on_date_of=True)
    next_step_due_after, next_step_due_before = date_range("next_step_due")
    kind = ChoicesFilter(choices=InteractionKind.choices)
    status = ChoicesFilter(choices=InteractionStatus.choices)
    user = IntegerFilter(field_name="user_id")
    ordering = NullsLastOrderingFilter(
        fields=(
            ("occurred_at", "occurred_at"),
            ("next_step_due", "next_step_due"),
            ("created_at", "created_at"),
            ("id", "id"),
        )
    )

    class Meta:
        model = Interaction
        fields = ["account", "account_external_id", "kind", "status", "user"]


# --- the loyalty ladder ------------------------------------------------------------------------------------


class LadderOverrideFilterSet(AccountRecordFilterSet):
    status = ChoicesFilter(choices=OverrideStatus.choices)
    stage = ChoicesFilter(choices=LadderStage.choices)

    class Meta:
        model = LadderOverride
        fields = ["account", "account_external_id", "status", "stage"]


class PartnerProposalFilterSet(AccountRecordFilterSet):
    status = ChoicesFilter(choices=ProposalStatus.choices)

    class Meta:
        model = PartnerProposal
        fields = ["account", "account_external_id", "status"]


# --- account plans ------------------------------------------------------------------------------------------


class AccountPlanFilterSet(AccountRecordFilterSet):
    status = ChoicesFilter(choices=PlanStatus.choices)
    period_start_after, period_start_before = date_range("period_start")
    in_force_on = IsoDateFilter(method="filter_in_force_on", label="Plans whose period includes this day")
    ordering = NullsLastOrderingFilter(
        fields=(
            ("period_start", "period_start"),
            ("period_end", "period_end"),
            ("updated_at", "updated_at"),
            ("id", "id"),
        )
    )

    class Meta:
        model = AccountPlan
        fields = ["account", "account_external_id", "status"]

    def filter_in_force_on(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(period_start__lte=value, period_end__gte=value)


class PlanPartFilterSet(django_filters.FilterSet):
    """Filters every part of a plan has: the plan, and the plan's account."""

    plan = IntegerFilter(field_name="plan_id")
    account = IntegerFilter(field_name="plan__account_id")


class PlanObjectiveFilterSet(PlanPartFilterSet):
    status = ChoicesFilter(choices=ObjectiveStatus.choices)
    due_after, due_before = date_range("due")
    ordering = NullsLastOrderingFilter(
        fields=(("position", "position"), ("due", "due"), ("updated_at", "updated_at"), ("id", "id"))
    )

    class Meta:
        model = PlanObjective
        fields = ["plan", "account", "status"]


class SwotItemFilterSet(PlanPartFilterSet):
    kind = ChoicesFilter(choices=SwotKind.choices)

    class Meta:
        model = SwotItem
        fields = ["plan", "account", "kind"]


class ActionItemFilterSet(PlanPartFilterSet):
    status = ChoicesFilter(choices=ActionStatus.choices)
    owner = IntegerFilter(field_name="owner_id")
    objective = IntegerFilter(field_name="objective_id")
    due_after, due_before = date_range("due")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Past due and neither done nor cancelled")
    ordering = NullsLastOrderingFilter(
        fields=(("due", "due"), ("completed_at", "completed_at"), ("updated_at", "updated_at"), ("id", "id"))
    )

    class Meta:
        model = ActionItem
        fields = ["plan", "account", "status", "owner", "objective"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        overdue = Q(due__lt=timezone.localdate(), status__in=ACTION_PENDING)
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)
