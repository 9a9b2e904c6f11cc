"""FilterSets of the relationship records, shared by the pages and the API (like accounts.filters)."""

from __future__ import annotations

import django_filters

from accounts.choices import LadderStage, ServiceLevel
from accounts.filters import AccountRecordFilterSet, date_range
from kam.filtering import IntegerFilter, NullsLastOrderingFilter, StrictBooleanFilter
from relationships.choices import (
    AdvocacyKind,
    ContractKind,
    InteractionKind,
    InteractionStatus,
    OverrideStatus,
    ProposalStatus,
)
from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction, LadderOverride, PartnerProposal


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
    kind = django_filters.MultipleChoiceFilter(choices=AdvocacyKind.choices)
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
    kind = django_filters.MultipleChoiceFilter(choices=ContractKind.choices)
    service_level = django_filters.MultipleChoiceFilter(choices=ServiceLevel.choices)
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
    kind = django_filters.MultipleChoiceFilter(choices=InteractionKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=InteractionStatus.choices)
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
    status = django_filters.MultipleChoiceFilter(choices=OverrideStatus.choices)
    stage = django_filters.MultipleChoiceFilter(choices=LadderStage.choices)

    class Meta:
        model = LadderOverride
        fields = ["account", "account_external_id", "status", "stage"]


class PartnerProposalFilterSet(AccountRecordFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ProposalStatus.choices)

    class Meta:
        model = PartnerProposal
        fields = ["account", "account_external_id", "status"]
