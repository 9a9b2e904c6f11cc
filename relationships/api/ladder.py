"""The loyalty ladder API (DESIGN §6, §8): an account's ladder with its evidence and moves, override requests,
and the director's decisions on Partner proposals and overrides.

What the caller may not see is a 404; what they see but may not do is a 403 (deciding is for directors).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import LadderStage
from accounts.permissions import can_decide_ladder
from accounts.selectors import account_get
from kam.api.safe_writes import SafeWritesMixin
from kam.api.serializers import DateWithinField, DecisionSerializer, StrictModelSerializer
from relationships import selectors, services
from relationships.filters import LadderOverrideFilterSet, PartnerProposalFilterSet
from relationships.models import LadderOverride, LadderTransition, PartnerProposal

# --- serializers -----------------------------------------------------------------------------------------------


class LadderTransitionSerializer(serializers.ModelSerializer):
    """One move: from, to, the rule stage then, how (``automatic``, ``override``, ``proposal_approved``), the
    evidence that decided it and who made it (null for the automatic evaluation)."""

    class Meta:
        model = LadderTransition
        fields = [
            "id",
            "from_stage",
            "to_stage",
            "rule_stage",
            "mode",
            "as_of",
            "occurred_at",
            "actor",
            "run",
            "note",
            "evidence",
        ]
        read_only_fields = fields


class LadderOverrideSerializer(serializers.ModelSerializer):
    """A pinned stage: ``requested`` → ``approved`` | ``rejected``; an approved one ends as ``expired`` or
    ``revoked``."""

    class Meta:
        model = LadderOverride
        fields = [
            "id",
            "account",
            "stage",
            "reason",
            "expires_on",
            "status",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class LadderOverrideRequestSerializer(StrictModelSerializer):
    """``stage`` to pin, ``reason`` (at least a sentence) and ``expires_on`` (after today, within a year)."""

    # relationships.services refuses an expiry outside these
    expires_on = DateWithinField(
        earliest=lambda: timezone.localdate() + timedelta(days=1),
        latest=lambda: timezone.localdate() + timedelta(days=services.OVERRIDE_MAX_DAYS),
        help_text=f"After today, at most {services.OVERRIDE_MAX_DAYS} days from today.",
    )

    class Meta:
        model = LadderOverride
        fields = ["stage", "reason", "expires_on"]
        # constraint relationships_ladderoverride_reason_given: a sentence, at least 20 characters
        extra_kwargs = {"reason": {"min_length": 20}}


class PartnerProposalSerializer(serializers.ModelSerializer):
    """The rules say Partner; the account waits at Advocate until a director decides."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    account_stage = serializers.CharField(source="account.stage", read_only=True)

    class Meta:
        model = PartnerProposal
        fields = [
            "id",
            "account",
            "account_name",
            "account_stage",
            "status",
            "as_of",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "evidence",
        ]
        read_only_fields = fields


class RungSerializer(serializers.Serializer):
    stage = serializers.CharField()
    entry = serializers.BooleanField(help_text="Its entry rule holds.")
    retain = serializers.BooleanField(help_text="Its retain rule holds.")
    holds = serializers.BooleanField(help_text="Entry, or already at or above it and retained.")
    entry_rule = serializers.CharField()
    retain_rule = serializers.CharField()


class AccountLadderSerializer(serializers.Serializer):
    """An account's ladder: its stage, the rule stage, since when, every rung checked against today's evidence,
    what the next rung needs, the pin, the open Partner proposal and the moves (newest first)."""

    account = serializers.IntegerField()
    policy = serializers.CharField()
    stage = serializers.ChoiceField(choices=LadderStage.choices)
    rule_stage = serializers.ChoiceField(choices=LadderStage.choices)
    since = serializers.DateField(allow_null=True)
    as_of = serializers.DateField()
    evidence = serializers.SerializerMethodField()
    rungs = RungSerializer(many=True)
    next_stage = serializers.CharField(allow_null=True)
    next_needs = serializers.ListField(child=serializers.CharField())
    override = LadderOverrideSerializer(allow_null=True)
    override_requested = LadderOverrideSerializer(allow_null=True)
    partner_proposal = PartnerProposalSerializer(allow_null=True)
    transitions = LadderTransitionSerializer(many=True)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_evidence(self, data: dict[str, Any]) -> dict[str, Any]:
        evidence = data["evidence"]
        return {**evidence.__dict__, "nps_mean_w365": _text(evidence.nps_mean_w365)}


def _text(value: Any) -> str | None:
    return None if value is None else str(round(value, 2))


# --- views -------------------------------------------------------------------------------------------------------


@extend_schema(summary="An account's loyalty ladder: stage, rule stage, evidence, next rung and moves")
class AccountLadderView(SafeWritesMixin, generics.GenericAPIView):
    """``GET accounts/{id}/ladder/``: where the account stands and why, read as of today."""

    serializer_class = AccountLadderSerializer
    filter_backends: list = []
    pagination_class = None

    def get(self, request: Request, pk: int) -> Response:
        account = account_get(user=request.user, pk=pk)
        today = timezone.localdate()
        ladder = selectors.account_ladder(account=account, today=today)
        view = ladder["view"]
        data = {
            "account": account.pk,
            "policy": "ladder-v1",
            "stage": ladder["stage"],
            "rule_stage": ladder["rule_stage"],
            "since": ladder["state"].since if ladder["state"] else None,
            "as_of": today,
            "evidence": ladder["evidence"],
            "rungs": [rung.__dict__ for rung in view.rungs[1:]],
            "next_stage": None if view.next_rung is None else LadderStage.values[view.next_rung],
            "next_needs": view.next_needs,
            "override": ladder["override"],
            "override_requested": ladder["override_pending"],
            "partner_proposal": ladder["proposal"],
            "transitions": ladder["transitions"],
        }
        return Response(self.get_serializer(data).data)


@extend_schema(
    request=LadderOverrideRequestSerializer,
    responses={201: LadderOverrideSerializer},
    summary="Request an override of an account's ladder stage",
    description="Pin `stage` until `expires_on` for a `reason`. Those working on the account request it and a "
    "director approves it (`ladder-overrides/{id}/approve/`); a director's own request applies at once. One "
    "requested or active override per account (400 otherwise). Integrations: 403.",
)
class AccountLadderOverrideView(SafeWritesMixin, generics.GenericAPIView):
    """``POST accounts/{id}/ladder/override/``."""

    serializer_class = LadderOverrideRequestSerializer
    filter_backends: list = []
    pagination_class = None

    def post(self, request: Request, pk: int) -> Response:
        account = account_get(user=request.user, pk=pk)
        parsed = self.get_serializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        override = services.ladder_override_request(actor=request.user, account=account, **parsed.validated_data)
        return Response(LadderOverrideSerializer(override).data, status=status.HTTP_201_CREATED)


class _DirectorsDecide(permissions.BasePermission):
    """Deciding is for directors: anyone else who can see the object gets 403 (404 comes first, from the
    queryset, for what they cannot see)."""

    def has_object_permission(self, request, view, obj) -> bool:
        if getattr(view, "action", None) in ("approve", "reject"):
            return can_decide_ladder(request.user)
        return True


def _decision(request: Request) -> str:
    parsed = DecisionSerializer(data=request.data)
    parsed.is_valid(raise_exception=True)
    return parsed.validated_data.get("note", "")


_DECIDE = {"request": DecisionSerializer, "description": "Optional `note`. Directors only (403 otherwise)."}


@extend_schema_view(
    list=extend_schema(summary="Ladder overrides of the accounts the caller can see"),
    retrieve=extend_schema(summary="A ladder override"),
)
class LadderOverrideViewSet(SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Override requests and pins on the accounts the caller can see; directors approve or reject requests,
    and revoke; a requester may withdraw (revoke) their request while it waits."""

    serializer_class = LadderOverrideSerializer
    permission_classes = [permissions.IsAuthenticated, _DirectorsDecide]
    filterset_class = LadderOverrideFilterSet

    def get_queryset(self):
        return selectors.ladder_override_list(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(summary="Approve an override request", responses={200: LadderOverrideSerializer}, **_DECIDE)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        override = services.ladder_override_approve(
            actor=request.user, override=self.get_object(), note=_decision(request)
        )
        return Response(self.get_serializer(override).data)

    @extend_schema(summary="Reject an override request", responses={200: LadderOverrideSerializer}, **_DECIDE)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        override = services.ladder_override_reject(
            actor=request.user, override=self.get_object(), note=_decision(request)
        )
        return Response(self.get_serializer(override).data)

    @extend_schema(
        summary="End an override (or withdraw a request)",
        request=DecisionSerializer,
        responses={200: LadderOverrideSerializer},
        description="Directors end an active override (the rules decide the stage again at once); the requester "
        "may withdraw a request that waits. Optional `note`.",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        override = services.ladder_override_revoke(
            actor=request.user, override=self.get_object(), note=_decision(request)
        )
        return Response(self.get_serializer(override).data)


class _DirectorsOnly(permissions.BasePermission):
    """The Partner queue is a director's: anyone else gets 403 on the list, and on a proposal of an account they
    can see; 404 on one they cannot see."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) == "list":
            return can_decide_ladder(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return can_decide_ladder(request.user)


@extend_schema_view(
    list=extend_schema(summary="Partner proposals (directors only)"),
    retrieve=extend_schema(summary="A Partner proposal with its evidence (directors only)"),
)
class PartnerProposalViewSet(
    SafeWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Partner proposals: the ladder opens one when the rules say Partner; a director approves (the account
    becomes Partner at once) or rejects it. Two directors deciding at once: the second is refused with 400."""

    serializer_class = PartnerProposalSerializer
    permission_classes = [permissions.IsAuthenticated, _DirectorsOnly]
    filterset_class = PartnerProposalFilterSet

    def get_queryset(self):
        # Scoped by what the caller sees (404 beyond it); the permission then says 403 to non-directors.
        return (
            selectors.partner_proposals_on_visible_accounts(user=self.request.user)
            .select_related("account")
            .order_by("-created_at", "-id")
        )

    @extend_schema(summary="Approve a Partner proposal", responses={200: PartnerProposalSerializer}, **_DECIDE)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        proposal = services.partner_proposal_approve(
            actor=request.user, proposal=self.get_object(), note=_decision(request)
        )
        return Response(self.get_serializer(proposal).data)

    @extend_schema(summary="Reject a Partner proposal", responses={200: PartnerProposalSerializer}, **_DECIDE)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        proposal = services.partner_proposal_reject(
            actor=request.user, proposal=self.get_object(), note=_decision(request)
        )
        return Response(self.get_serializer(proposal).data)
