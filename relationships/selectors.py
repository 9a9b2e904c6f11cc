"""Reads of the relationship records and of the loyalty ladder, scoped by the account visibility of
``accounts.selectors``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter

from accounts.choices import LadderStage, OrderStatus
from accounts.models import Account, Order
from accounts.scoring.formulas import FeedbackRecord
from accounts.selectors import accounts_visible_to, rows_on_visible_accounts
from kam.roles import is_director
from relationships.choices import OverrideStatus, ProposalStatus
from relationships.ladder.rules import (
    PARTNER_CONTRACT_KINDS,
    STAGES,
    LadderEvidence,
    evidence_from_records,
    ladder_view,
    rung,
)
from relationships.models import (
    AdvocacyEvent,
    Contract,
    Feedback,
    Interaction,
    LadderOverride,
    LadderState,
    LadderTransition,
    PartnerProposal,
)


def feedback_visible_to(user: Any) -> QuerySet[Feedback]:
    return rows_on_visible_accounts(Feedback, user)


def advocacy_events_visible_to(user: Any) -> QuerySet[AdvocacyEvent]:
    return rows_on_visible_accounts(AdvocacyEvent, user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    return rows_on_visible_accounts(Contract, user)


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    return rows_on_visible_accounts(Interaction, user)


def feedback_list(*, user: Any) -> QuerySet[Feedback]:
    return feedback_visible_to(user).select_related("account", "contact")


def advocacy_event_list(*, user: Any) -> QuerySet[AdvocacyEvent]:
    return advocacy_events_visible_to(user).select_related("account", "logged_by", "verified_by", "referred_account")


def contract_list(*, user: Any) -> QuerySet[Contract]:
    return contracts_visible_to(user).select_related("account")


def interaction_list(*, user: Any) -> QuerySet[Interaction]:
    return interactions_visible_to(user).select_related("account", "user").prefetch_related("contacts")


# --- the loyalty ladder ---------------------------------------------------------------------------------------

TRANSITIONS_SHOWN = 20
BOARD_MOVES_DAYS = 90
BOARD_MOVES_SHOWN = 25


def account_ladder_evidence(*, account: Account, as_of: date) -> LadderEvidence:
    """The ladder's evidence of one account as of T, read with four aggregate queries (the set-based
    evaluation reads the same for everyone at once; tests hold the two to the same answers)."""
    t365, t730 = as_of - timedelta(days=365), as_of - timedelta(days=730)
    month_start = as_of.replace(day=1)
    m1_start = date(month_start.year - 1, month_start.month, 1)
    orders = (
        Order.objects.filter(account=account, order_date__lte=as_of)
        .exclude(status=OrderStatus.CANCELLED)
        .aggregate(
            ever=Count("id"),
            w730=Count("id", filter=Q(order_date__gt=t730)),
            w365=Count("id", filter=Q(order_date__gt=t365)),
            quarters=Count(TruncQuarter("order_date"), filter=Q(order_date__gt=t365), distinct=True),
            months=Count(
                TruncMonth("order_date"), filter=Q(order_date__gte=m1_start, order_date__lt=month_start), distinct=True
            ),
        )
    )
    answers = [
        FeedbackRecord(responded_on=day, score=score, contact_id=contact, id=pk)
        for pk, day, score, contact in Feedback.objects.filter(
            account=account, responded_on__gt=as_of - timedelta(days=545), responded_on__lte=as_of
        ).values_list("pk", "responded_on", "score", "contact_id")
    ]
    advocacy = AdvocacyEvent.objects.filter(
        account=account, verified=True, occurred_on__gt=as_of - timedelta(days=1095), occurred_on__lte=as_of
    ).aggregate(w730=Count("id", filter=Q(occurred_on__gt=t730)), w1095=Count("id"))
    partner_contract = Contract.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=as_of) | Q(auto_renew=True),
        account=account,
        kind__in=PARTNER_CONTRACT_KINDS,
        starts_on__lte=as_of,
    ).exists()
    from_answers = evidence_from_records(as_of=as_of, answers=answers)
    return replace(
        from_answers,
        orders_ever=orders["ever"],
        orders_w730=orders["w730"],
        orders_w365=orders["w365"],
        quarters_w365=orders["quarters"],
        months_with_orders=orders["months"],
        verified_advocacy_w730=advocacy["w730"],
        verified_advocacy_w1095=advocacy["w1095"],
        partner_contract_active=partner_contract,
    )


def ladder_override_active(*, account: Account, today: date) -> LadderOverride | None:
    """The approved override pinning the account's stage today, if any."""
    return (
        LadderOverride.objects.filter(account=account, status=OverrideStatus.APPROVED, expires_on__gte=today)
        .select_related("requested_by", "decided_by")
        .first()
    )


def account_ladder(*, account: Account, today: date) -> dict[str, Any]:
    """The ladder panel of an account: its state, every rung checked against today's evidence, what the next
    rung needs, the pin or the pending request, the open Partner proposal and the latest moves."""
    state = LadderState.objects.filter(account=account).first()
    evidence = account_ladder_evidence(account=account, as_of=today)
    overrides = list(
        LadderOverride.objects.filter(
            account=account, status__in=[OverrideStatus.REQUESTED, OverrideStatus.APPROVED]
        ).select_related("requested_by", "decided_by")
    )
    active = next((o for o in overrides if o.status == OverrideStatus.APPROVED and o.expires_on >= today), None)
    pending = next((o for o in overrides if o.status == OverrideStatus.REQUESTED), None)
    current = rung(account.stage)
    view = ladder_view(evidence, current=current, pinned=rung(active.stage) if active else None)
    return {
        "state": state,
        "stage": account.stage,
        "rule_stage": STAGES[view.rule_stage],
        "evidence": evidence,
        "view": view,
        "override": active,
        "override_pending": pending,
        "proposal": PartnerProposal.objects.filter(account=account, status=ProposalStatus.OPEN).first(),
        "transitions": list(ladder_transitions(account=account)[:TRANSITIONS_SHOWN]),
    }


def ladder_transitions(*, account: Account) -> QuerySet[LadderTransition]:
    """The account's moves on the ladder, newest first, with who made them."""
    return LadderTransition.objects.filter(account=account).select_related("actor").order_by("-occurred_at", "-id")


def partner_proposals_visible_to(user: Any) -> QuerySet[PartnerProposal]:
    """Partner proposals are a director's queue: directors see them all, nobody else any."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not is_director(user):
        return PartnerProposal.objects.none()
    return PartnerProposal.objects.all()


def partner_proposals_on_visible_accounts(*, user: Any) -> QuerySet[PartnerProposal]:
    """Proposals of the accounts the user can see: what the API finds before it tells a non-director 403."""
    return rows_on_visible_accounts(PartnerProposal, user)


def partner_proposal_list(*, user: Any) -> QuerySet[PartnerProposal]:
    return partner_proposals_visible_to(user).select_related("account", "account__owner", "decided_by")


def ladder_overrides_visible_to(user: Any) -> QuerySet[LadderOverride]:
    """Overrides of the accounts the user can see."""
    return rows_on_visible_accounts(LadderOverride, user)


def ladder_override_list(*, user: Any) -> QuerySet[LadderOverride]:
    return ladder_overrides_visible_to(user).select_related("account", "requested_by", "decided_by")


def ladder_queue(*, user: Any) -> dict[str, Any]:
    """A director's queue: open Partner proposals (with each account's current rule stage) and override
    requests, oldest first."""
    proposals = (
        partner_proposal_list(user=user)
        .filter(status=ProposalStatus.OPEN)
        .select_related("account__ladder_state")
        .order_by("created_at", "id")
    )
    requests = (
        ladder_override_list(user=user)
        .filter(status=OverrideStatus.REQUESTED)
        .select_related("account__ladder_state")
        .order_by("created_at", "id")
    )
    return {"proposals": list(proposals), "override_requests": list(requests)}


def ladder_board(*, user: Any, today: date) -> dict[str, Any]:
    """The ladder board over the accounts the user sees: accounts per stage, the funnel (accounts at or above
    each rung, and the share that reached it from the rung below), and the moves of the last 90 days."""
    visible = accounts_visible_to(user).filter(is_active=True)
    per_stage = dict.fromkeys(STAGES, 0)
    for stage, count in visible.order_by().values_list("stage").annotate(count=Count("id")):
        per_stage[stage] = count
    funnel: list[dict[str, Any]] = []
    at_or_above = sum(per_stage.values())
    previous: int | None = None
    for stage in STAGES:
        conversion: float | None = at_or_above / previous if previous else None
        funnel.append(
            {
                "stage": stage,
                "label": LadderStage(stage).label,
                "count": per_stage[stage],
                "at_or_above": at_or_above,
                "conversion": conversion,
            }
        )
        previous = at_or_above
        at_or_above -= per_stage[stage]
    since = today - timedelta(days=BOARD_MOVES_DAYS)
    moves = LadderTransition.objects.filter(account__in=visible, as_of__gt=since)
    up = down = 0
    flows: dict[tuple[str, str], int] = {}
    for from_stage, to_stage, count in (
        moves.order_by().values_list("from_stage", "to_stage").annotate(count=Count("id"))
    ):
        flows[(from_stage, to_stage)] = count
        if rung(to_stage) > rung(from_stage):
            up += count
        else:
            down += count
    latest = moves.select_related("account", "actor").order_by("-occurred_at", "-id")[:BOARD_MOVES_SHOWN]
    return {
        "per_stage": per_stage,
        "total": sum(per_stage.values()),
        "funnel": funnel,
        "moves_days": BOARD_MOVES_DAYS,
        "moves_up": up,
        "moves_down": down,
        "flows": sorted(flows.items(), key=lambda item: -item[1]),
        "latest_moves": list(latest),
    }
