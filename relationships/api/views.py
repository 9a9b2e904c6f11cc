"""API viewsets of the relationship records: parse, scope with the selectors, call one service.

Who may write what is decided by the services (PermissionDenied → 403); what the caller may not see is 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.viewsets import AccountRecordViewSet
from relationships import selectors, services
from relationships.api.serializers import (
    AccountPlanSerializer,
    ActionItemSerializer,
    AdvocacyEventSerializer,
    ContractSerializer,
    FeedbackSerializer,
    InteractionSerializer,
    PlanObjectiveSerializer,
    SwotItemSerializer,
)
from relationships.filters import (
    AccountPlanFilterSet,
    ActionItemFilterSet,
    AdvocacyEventFilterSet,
    ContractFilterSet,
    FeedbackFilterSet,
    InteractionFilterSet,
    PlanObjectiveFilterSet,
    SwotItemFilterSet,
)


class FeedbackViewSet(AccountRecordViewSet):
    """NPS answers of the accounts the caller can see; written by integrations (the survey tool) and
    directors."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilterSet
    list_selector = staticmethod(selectors.feedback_list)
    create_service = staticmethod(services.feedback_create)
    update_service = staticmethod(services.feedback_update)
    delete_service = staticmethod(services.feedback_delete)
    record_kwarg = "feedback"


class AdvocacyEventViewSet(AccountRecordViewSet):
    """Advocacy events of the accounts the caller can see. They count for the ladder once someone other than
    who logged them verified them (``verify``); changing a verified event's facts withdraws the verification."""

    serializer_class = AdvocacyEventSerializer
    filterset_class = AdvocacyEventFilterSet
    list_selector = staticmethod(selectors.advocacy_event_list)
    create_service = staticmethod(services.advocacy_event_create)
    update_service = staticmethod(services.advocacy_event_update)
    delete_service = staticmethod(services.advocacy_event_delete)
    record_kwarg = "event"

    @extend_schema(
        request=None,
        responses={200: AdvocacyEventSerializer},
        summary="Verify an advocacy event",
        description="Vouch for the event. Someone other than who logged it (400 on `verified` otherwise): a "
        "director or someone working on the account; integrations verify nothing (403). Verifying a verified "
        "event changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        event = services.advocacy_event_verify(actor=request.user, event=self.get_object())
        return Response(self.get_serializer(event).data)


class ContractViewSet(AccountRecordViewSet):
    """Contracts of the accounts the caller can see; written by integrations and directors."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilterSet
    list_selector = staticmethod(selectors.contract_list)
    create_service = staticmethod(services.contract_create)
    update_service = staticmethod(services.contract_update)
    delete_service = staticmethod(services.contract_delete)
    record_kwarg = "contract"


class InteractionViewSet(AccountRecordViewSet):
    """Interactions with the accounts the caller can see, logged by the owner, the team and directors
    (integrations neither log nor change them). ``user`` defaults to the caller."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilterSet
    list_selector = staticmethod(selectors.interaction_list)
    create_service = staticmethod(services.interaction_create)
    update_service = staticmethod(services.interaction_update)
    delete_service = staticmethod(services.interaction_delete)
    record_kwarg = "interaction"
    separate_fields = ("contacts",)


class AccountPlanViewSet(AccountRecordViewSet):
    """Account plans of the accounts the caller can see. The owner, the team and directors write them (the
    owner and directors delete them); integrations read them."""

    serializer_class = AccountPlanSerializer
    filterset_class = AccountPlanFilterSet
    list_selector = staticmethod(selectors.account_plan_list)
    create_service = staticmethod(services.account_plan_create)
    update_service = staticmethod(services.account_plan_update)
    delete_service = staticmethod(services.account_plan_delete)
    record_kwarg = "plan"


class PlanObjectiveViewSet(AccountRecordViewSet):
    """Objectives of the plans the caller can see; written by whoever may edit the plan."""

    serializer_class = PlanObjectiveSerializer
    filterset_class = PlanObjectiveFilterSet
    list_selector = staticmethod(selectors.plan_objective_list)
    create_service = staticmethod(services.plan_objective_create)
    update_service = staticmethod(services.plan_objective_update)
    delete_service = staticmethod(services.plan_objective_delete)
    record_kwarg = "objective"
    parent_field = "plan"


class SwotItemViewSet(AccountRecordViewSet):
    """SWOT items of the plans the caller can see; written by whoever may edit the plan."""

    serializer_class = SwotItemSerializer
    filterset_class = SwotItemFilterSet
    list_selector = staticmethod(selectors.swot_item_list)
    create_service = staticmethod(services.swot_item_create)
    update_service = staticmethod(services.swot_item_update)
    delete_service = staticmethod(services.swot_item_delete)
    record_kwarg = "item"
    parent_field = "plan"


class ActionItemViewSet(AccountRecordViewSet):
    """Actions of the plans the caller can see; written by whoever may edit the plan. ``overdue=true`` lists
    those past due that are neither done nor cancelled."""

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilterSet
    list_selector = staticmethod(selectors.action_item_list)
    create_service = staticmethod(services.action_item_create)
    update_service = staticmethod(services.action_item_update)
    delete_service = staticmethod(services.action_item_delete)
    record_kwarg = "action"
    parent_field = "plan"
