"""API viewsets of the relationship records: parse, scope with the selectors, call one service.

Who may write what is decided by the services (PermissionDenied → 403); what the caller may not see is 404.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import EvidencePermission
from relationships import selectors, services
from relationships.api.serializers import (
    AdvocacyEventSerializer,
    ContractSerializer,
    FeedbackSerializer,
    InteractionSerializer,
)
from relationships.filters import AdvocacyEventFilterSet, ContractFilterSet, FeedbackFilterSet, InteractionFilterSet

METHODS = ["get", "post", "patch", "delete", "head", "options"]


class FeedbackViewSet(viewsets.ModelViewSet):
    """NPS answers of the accounts the caller can see; written by integrations (the survey tool) and
    directors."""

    serializer_class = FeedbackSerializer
    permission_classes = [IsAuthenticated, EvidencePermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = FeedbackFilterSet
    http_method_names = METHODS

    def get_queryset(self):
        return selectors.feedback_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        serializer.instance = services.feedback_create(actor=self.request.user, account=account, values=values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        serializer.instance = services.feedback_update(
            actor=self.request.user, feedback=serializer.instance, values=values, account=account
        )

    def perform_destroy(self, instance):
        services.feedback_delete(actor=self.request.user, feedback=instance)


class AdvocacyEventViewSet(viewsets.ModelViewSet):
    """Advocacy events of the accounts the caller can see. They count for the ladder once someone other than
    who logged them verified them (``verify``); changing a verified event's facts withdraws the verification."""

    serializer_class = AdvocacyEventSerializer
    permission_classes = [IsAuthenticated, EvidencePermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AdvocacyEventFilterSet
    http_method_names = METHODS

    def get_queryset(self):
        return selectors.advocacy_event_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        serializer.instance = services.advocacy_event_create(actor=self.request.user, account=account, values=values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        serializer.instance = services.advocacy_event_update(
            actor=self.request.user, event=serializer.instance, values=values, account=account
        )

    def perform_destroy(self, instance):
        services.advocacy_event_delete(actor=self.request.user, event=instance)

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


class ContractViewSet(viewsets.ModelViewSet):
    """Contracts of the accounts the caller can see; written by integrations and directors."""

    serializer_class = ContractSerializer
    permission_classes = [IsAuthenticated, EvidencePermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContractFilterSet
    http_method_names = METHODS

    def get_queryset(self):
        return selectors.contract_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        serializer.instance = services.contract_create(actor=self.request.user, account=account, values=values)

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        serializer.instance = services.contract_update(
            actor=self.request.user, contract=serializer.instance, values=values, account=account
        )

    def perform_destroy(self, instance):
        services.contract_delete(actor=self.request.user, contract=instance)


class InteractionViewSet(viewsets.ModelViewSet):
    """Interactions with the accounts the caller can see, logged by the owner, the team and directors
    (integrations neither log nor change them). ``user`` defaults to the caller."""

    serializer_class = InteractionSerializer
    permission_classes = [IsAuthenticated, EvidencePermission]
    filter_backends = [DjangoFilterBackend]
    filterset_class = InteractionFilterSet
    http_method_names = METHODS

    def get_queryset(self):
        return selectors.interaction_list(user=self.request.user)

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account")
        contacts = values.pop("contacts", ())
        serializer.instance = services.interaction_create(
            actor=self.request.user, account=account, values=values, contacts=contacts
        )

    def perform_update(self, serializer):
        values = dict(serializer.validated_data)
        account = values.pop("account", None)
        contacts = values.pop("contacts", None)
        serializer.instance = services.interaction_update(
            actor=self.request.user, interaction=serializer.instance, values=values, contacts=contacts, account=account
        )

    def perform_destroy(self, instance):
        services.interaction_delete(actor=self.request.user, interaction=instance)
