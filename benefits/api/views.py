"""The benefits API (DESIGN §7, §8): ``benefit-types/``, ``grants/`` with ``approve/``, ``reject/`` and
``revoke/``, ``benefit-budgets/`` and ``benefit-costs/``. Views parse, scope with the selectors (404 beyond
what the caller sees) and call one service, which decides who may (403) and what is valid (400)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import can_decide_benefit, can_record_benefit_cost
from benefits import selectors, services
from benefits.api.serializers import (
    BenefitBudgetSerializer,
    BenefitCostSerializer,
    BenefitGrantSerializer,
    BenefitTypeSerializer,
)
from benefits.filters import BenefitBudgetFilterSet, BenefitGrantFilterSet, BenefitTypeFilterSet
from benefits.models import BenefitGrant
from kam.api.safe_writes import SafeWritesMixin
from kam.api.serializers import DecisionSerializer


class _ReadCreate(
    SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """List, read and create; records that change only through their decisions (or never)."""


class _DirectorsWrite(permissions.BasePermission):
    """Everyone reads; directors write (the catalog)."""

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or can_decide_benefit(request.user)


@extend_schema_view(
    list=extend_schema(summary="The benefit catalog"),
    retrieve=extend_schema(summary="A benefit of the catalog"),
    create=extend_schema(summary="Add a benefit to the catalog (directors)"),
    partial_update=extend_schema(summary="Change a benefit of the catalog (directors; its code stays)"),
)
class BenefitTypeViewSet(
    SafeWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalog: monetary, social and structural benefits with their unit, maximum and eligibility."""

    serializer_class = BenefitTypeSerializer
    permission_classes = [permissions.IsAuthenticated, _DirectorsWrite]
    filter_backends = [DjangoFilterBackend]
    filterset_class = BenefitTypeFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.benefit_types()

    def perform_create(self, serializer):
        serializer.instance = services.benefit_type_create(actor=self.request.user, values=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.benefit_type_update(
            actor=self.request.user, benefit_type=serializer.instance, values=serializer.validated_data
        )


def _note(request: Request) -> str:
    parsed = DecisionSerializer(data=request.data)
    parsed.is_valid(raise_exception=True)
    return parsed.validated_data.get("note", "")


_DECIDE = {"request": DecisionSerializer, "responses": {200: BenefitGrantSerializer}}


@extend_schema_view(
    list=extend_schema(summary="Grants of the accounts the caller can see, with their ROI estimate"),
    retrieve=extend_schema(summary="A grant with its transitions and ROI estimate"),
    create=extend_schema(
        summary="Request a benefit for an account",
        description="Those working on the account and directors request; integrations: 403. A request that breaks "
        "one of the type's rules is a 400 on `account` naming the rule (`min_key_status`, `min_stage`, "
        "`key_status_or_stage`, `min_c2`); above the type's maximum, a 400 on `value` (`max_value`).",
    ),
)
class BenefitGrantViewSet(
    SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Benefit grants: requested, then approved or rejected by a director who did not request them (approval
    commits the cost against the budget), active, expired, suspended or revoked; every transition in
    ``events``."""

    serializer_class = BenefitGrantSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = BenefitGrantFilterSet

    def get_queryset(self):
        return selectors.grant_list(user=self.request.user, today=timezone.localdate()).prefetch_related("events")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        account, benefit_type = values.pop("account"), values.pop("benefit_type")
        grant = services.benefit_grant_request(
            actor=self.request.user, account=account, benefit_type=benefit_type, values=values
        )
        serializer.instance = self._reloaded(grant)

    def _reloaded(self, grant: BenefitGrant) -> BenefitGrant:
        # The answer shows the ROI estimate and the events, which only the selector's annotations provide.
        return self.get_queryset().get(pk=grant.pk)

    def _decided(self, request: Request, decide: Any) -> Response:
        grant = decide(actor=request.user, grant=self.get_object(), note=_note(request))
        return Response(self.get_serializer(self._reloaded(grant)).data)

    @extend_schema(summary="Approve a requested grant (a director who did not request it)", **_DECIDE)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._decided(request, services.benefit_grant_approve)

    @extend_schema(summary="Reject a requested grant", **_DECIDE)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        return self._decided(request, services.benefit_grant_reject)

    @extend_schema(summary="Revoke an approved, active or suspended grant", **_DECIDE)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        return self._decided(request, services.benefit_grant_revoke)


class _BudgetReaders(permissions.BasePermission):
    """Budgets span every account: directors write, directors and integrations read, anyone else 403."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return can_decide_benefit(request.user) or can_record_benefit_cost(request.user)
        return can_decide_benefit(request.user)


@extend_schema_view(
    list=extend_schema(summary="Benefit budgets per category and period (directors)"),
    retrieve=extend_schema(summary="A benefit budget"),
    create=extend_schema(summary="Set a budget for a category and period (directors)"),
    partial_update=extend_schema(summary="Change a budget's amount or note (directors)"),
)
class BenefitBudgetViewSet(
    SafeWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Budgets: one per category and period (a 400 on `period_start` when they overlap); approval commits
    grants against them, never beyond their amount."""

    serializer_class = BenefitBudgetSerializer
    permission_classes = [permissions.IsAuthenticated, _BudgetReaders]
    filter_backends = [DjangoFilterBackend]
    filterset_class = BenefitBudgetFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.budget_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.benefit_budget_create(actor=self.request.user, values=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.benefit_budget_update(
            actor=self.request.user, budget=serializer.instance, values=serializer.validated_data
        )


class _CostWriters(permissions.BasePermission):
    """Costs come from the ERP or a director; anyone else 403."""

    def has_permission(self, request, view) -> bool:
        return can_record_benefit_cost(request.user)


@extend_schema_view(
    list=extend_schema(summary="Costs recorded for grants (directors and integrations)"),
    retrieve=extend_schema(summary="A recorded cost"),
    create=extend_schema(summary="Record a cost a grant incurred (directors and integrations)"),
)
class BenefitCostViewSet(
    SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = BenefitCostSerializer
    permission_classes = [permissions.IsAuthenticated, _CostWriters]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.costs_visible_to(self.request.user).order_by("-incurred_on", "-id")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        grant = values.pop("grant")
        serializer.instance = services.benefit_cost_record(actor=self.request.user, grant=grant, values=values)
