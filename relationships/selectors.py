"""Reads of the relationship records, the loyalty ladder, the account plans and the account page's stakeholder
map, scoped by the account visibility of ``accounts.selectors``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Model, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter
from django.http import Http404
from django.utils import timezone

from accounts.choices import BuyingRole, LadderStage, OrderStatus
from accounts.models import Account, Contact, Order
from accounts.scoring.formulas import FeedbackRecord
from accounts.selectors import accounts_visible_to, assignable_users, rows_on_visible_accounts
from kam.roles import KAM_DIRECTOR, is_director, sees_all_accounts
from relationships.cadence import cadence_allowed_days, cadence_tier
from relationships.choices import (
    ACTION_PENDING,
    OBJECTIVE_PENDING,
    ActionStatus,
    InteractionStatus,
    ObjectiveStatus,
    OverrideStatus,
    PlanStatus,
    ProposalStatus,
    SwotKind,
)
from relationships.ladder.rules import (
    PARTNER_CONTRACT_KINDS,
    STAGES,
    LadderEvidence,
    evidence_from_records,
    ladder_view,
    rung,
)
from relationships.models import (
    AccountPlan,
    ActionItem,
    AdvocacyEvent,
    ContactCadence,
    Contract,
    Feedback,
    Interaction,
    LadderOverride,
    LadderState,
    LadderTransition,
    PartnerProposal,
    PlanObjective,
    SwotItem,
)

M = TypeVar("M", bound=Model)


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
    proposal = PartnerProposal.objects.filter(account=account, status=ProposalStatus.OPEN).first()
    if proposal is not None:
        proposal.account = account  # what the proposal shows of its account is this one's: not read again
    return {
        "state": state,
        "stage": account.stage,
        "rule_stage": STAGES[view.rule_stage],
        "evidence": evidence,
        "view": view,
        "override": active,
        "override_pending": pending,
        "proposal": proposal,
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


def ladder_funnel(per_stage: dict[str, int]) -> list[dict[str, Any]]:
    """The funnel from the number of accounts per stage: for each rung, bottom up, the accounts at it, those at
    or above it, and the share of those at or above the rung below that reached it (None at the bottom)."""
    funnel: list[dict[str, Any]] = []
    at_or_above = sum(per_stage.get(stage, 0) for stage in STAGES)
    previous: int | None = None
    for stage in STAGES:
        conversion: float | None = at_or_above / previous if previous else None
        funnel.append(
            {
                "stage": stage,
                "label": LadderStage(stage).label,
                "count": per_stage.get(stage, 0),
                "at_or_above": at_or_above,
                "conversion": conversion,
            }
        )
        previous = at_or_above
        at_or_above -= per_stage.get(stage, 0)
    return funnel


def ladder_board(*, user: Any, today: date) -> dict[str, Any]:
    """The ladder board over the accounts the user sees: accounts per stage, the funnel (accounts at or above
    each rung, and the share that reached it from the rung below), and the moves of the last 90 days."""
    visible = accounts_visible_to(user).filter(is_active=True)
    per_stage = dict.fromkeys(STAGES, 0)
    for stage, count in visible.order_by().values_list("stage").annotate(count=Count("id")):
        per_stage[stage] = count
    funnel = ladder_funnel(per_stage)
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


# --- account plans ------------------------------------------------------------------------------------------
# A plan is visible exactly when its account is; so are its objectives, SWOT items and actions.


def account_plans_visible_to(user: Any) -> QuerySet[AccountPlan]:
    return rows_on_visible_accounts(AccountPlan, user)


def _rows_on_visible_plans(model: type[M], user: Any) -> QuerySet[M]:
    """Rows of ``model`` (which has a ``plan``) on plans of accounts ``user`` can see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return model._default_manager.none()
    if sees_all_accounts(user):
        return model._default_manager.all()
    return model._default_manager.filter(plan__account__in=accounts_visible_to(user))


def plan_objectives_visible_to(user: Any) -> QuerySet[PlanObjective]:
    return _rows_on_visible_plans(PlanObjective, user)


def swot_items_visible_to(user: Any) -> QuerySet[SwotItem]:
    return _rows_on_visible_plans(SwotItem, user)


def action_items_visible_to(user: Any) -> QuerySet[ActionItem]:
    return _rows_on_visible_plans(ActionItem, user)


def account_plan_list(*, user: Any) -> QuerySet[AccountPlan]:
    """Plans the user can see, with their account (whose external id every row shows)."""
    return account_plans_visible_to(user).select_related("account")


# The plan is joined for the ``account`` every row shows, and its account for the services' permission checks.
def plan_objective_list(*, user: Any) -> QuerySet[PlanObjective]:
    return plan_objectives_visible_to(user).select_related("plan__account")


def swot_item_list(*, user: Any) -> QuerySet[SwotItem]:
    return swot_items_visible_to(user).select_related("plan__account")


def action_item_list(*, user: Any) -> QuerySet[ActionItem]:
    return action_items_visible_to(user).select_related("plan__account")


def plan_get(*, user: Any, pk: Any) -> AccountPlan:
    """The plan if ``user`` may see its account; otherwise 404, so its existence is not confirmed."""
    try:
        return account_plans_visible_to(user).select_related("account", "created_by").get(pk=pk)
    except (AccountPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such plan.") from None


# --- one account's plans (the account comes from ``accounts.selectors.account_get``, which authorized it) ----


def account_plans(*, account: Account) -> QuerySet[AccountPlan]:
    """The account's plans, the latest period first."""
    return AccountPlan.objects.filter(account=account).order_by("-period_start", "-id")


def current_plan(plans: Iterable[AccountPlan], *, today: datetime.date) -> AccountPlan | None:
    """The plan the account page shows: the active one in force today; else any plan (a draft) covering today;
    else the next one to come that is not closed; else the latest one. Pure."""
    plans = list(plans)
    covering = [plan for plan in plans if plan.period_start <= today <= plan.period_end]
    for plan in covering:
        if plan.status == PlanStatus.ACTIVE:
            return plan
    if covering:
        return min(covering, key=lambda plan: (plan.status == PlanStatus.CLOSED, -plan.period_start.toordinal()))
    upcoming = [plan for plan in plans if plan.period_start > today and plan.status != PlanStatus.CLOSED]
    if upcoming:
        return min(upcoming, key=lambda plan: (plan.period_start, plan.pk))
    return max(plans, key=lambda plan: (plan.period_end, plan.pk), default=None)


def account_plan_get(*, account: Account, pk: Any) -> AccountPlan:
    """A plan of ``account``; 404 for any other, so a page under one account never reaches another's plans."""
    try:
        plan = AccountPlan.objects.select_related("created_by").get(account=account, pk=pk)
    except (AccountPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such plan.") from None
    plan.account = account  # the permission predicates read it; it is the page's account
    return plan


def _overdue(pending: Iterable[str], today: datetime.date) -> ExpressionWrapper:
    return ExpressionWrapper(Q(due__lt=today, status__in=list(pending)), output_field=BooleanField())


def plan_objectives(*, plan: AccountPlan, today: datetime.date) -> QuerySet[PlanObjective]:
    """The plan's objectives in their order, each with ``is_overdue`` (due before today, not reached or
    missed yet)."""
    return PlanObjective.objects.filter(plan=plan).annotate(is_overdue=_overdue(OBJECTIVE_PENDING, today))


def plan_swot(*, plan: AccountPlan) -> dict[str, list[SwotItem]]:
    """The plan's SWOT items by kind, every kind present (in the grid's order), in one query."""
    grid: dict[str, list[SwotItem]] = {kind: [] for kind in SwotKind.values}
    for item in SwotItem.objects.filter(plan=plan):
        grid.setdefault(item.kind, []).append(item)
    return grid


def plan_action_items(*, plan: AccountPlan, today: datetime.date) -> QuerySet[ActionItem]:
    """The plan's actions, the earliest due first (no due date last), with who does them and the objective
    they serve joined, and ``is_overdue`` (due before today and neither done nor cancelled)."""
    return (
        ActionItem.objects.filter(plan=plan)
        .select_related("owner", "objective")
        .annotate(is_overdue=_overdue(ACTION_PENDING, today))
    )


def _plan_row(model: type[M], plan: AccountPlan, pk: Any, what: str) -> M:
    try:
        row = model._default_manager.get(plan=plan, pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise Http404(f"No such {what}.") from None
    row.plan = plan  # type: ignore[attr-defined]  # carries the page's account for the permission checks
    return row


def plan_objective_get(*, plan: AccountPlan, pk: Any) -> PlanObjective:
    """An objective of ``plan`` (already fetched through ``account_plan_get``); 404 for any other."""
    return _plan_row(PlanObjective, plan, pk, "objective")


def swot_item_get(*, plan: AccountPlan, pk: Any) -> SwotItem:
    return _plan_row(SwotItem, plan, pk, "SWOT item")


def action_item_get(*, plan: AccountPlan, pk: Any) -> ActionItem:
    return _plan_row(ActionItem, plan, pk, "action")


def plan_action_owner_choices(*, account: Account, including: int | None = None) -> QuerySet:
    """Who may be given an action of the account's plan: its owner, its team and the directors (active
    managers and directors only, as ``check_assignable`` demands) — and ``including``, the action's current
    owner, who keeps it after leaving the team."""
    people = Q(pk=account.owner_id) | Q(team_accounts=account) | Q(groups__name=KAM_DIRECTOR)
    if including is not None:
        people |= Q(pk=including)
    return assignable_users().filter(people)


def plan_period_suggestion(
    plans: Iterable[AccountPlan], *, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period a new plan is offered: the first calendar year from today's on that no plan starts in. Pure."""
    years = {plan.period_start.year for plan in plans}
    year = today.year
    while year in years:
        year += 1
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


@dataclass(frozen=True)
class PlanProgress:
    """How far a plan got, counted from its loaded objectives and actions (no query)."""

    objectives: int
    achieved: int
    objectives_overdue: int
    actions: int  # cancelled ones do not count
    done: int
    actions_overdue: int


def plan_progress(*, objectives: Iterable[PlanObjective], actions: Iterable[ActionItem]) -> PlanProgress:
    """Objectives reached and actions done out of those that count, and how many are overdue; the rows come
    from ``plan_objectives`` and ``plan_action_items`` (which annotate ``is_overdue``)."""
    objectives, actions = list(objectives), list(actions)
    counted = [action for action in actions if action.status != ActionStatus.CANCELLED]
    return PlanProgress(
        objectives=len(objectives),
        achieved=sum(objective.status == ObjectiveStatus.ACHIEVED for objective in objectives),
        objectives_overdue=sum(bool(getattr(objective, "is_overdue", False)) for objective in objectives),
        actions=len(counted),
        done=sum(action.status == ActionStatus.DONE for action in counted),
        actions_overdue=sum(bool(getattr(action, "is_overdue", False)) for action in actions),
    )


# --- the account page's stakeholder map -------------------------------------------------------------------

# "The last 12 months" and "the last 90 days" are W(365) and W(90) as the scoring defines them: days d with
# today − n < d ≤ today, in TIME_ZONE.
STAKEHOLDER_WINDOW_DAYS = 365
DECISION_MAKER_WINDOW_DAYS = 90
# One person is in this share of the account's completed interactions of the last 12 months or more…
CONCENTRATION_SHARE = 0.8
# …and there were at least this many (two meetings with the same person say nothing yet).
CONCENTRATION_MIN_INTERACTIONS = 3
# A blocker this influential (of 5) needs a champion to counter them.
BLOCKER_HIGH_INFLUENCE = 4
DECIDING_ROLES = (BuyingRole.ECONOMIC_BUYER, BuyingRole.DECISION_MAKER)


@dataclass(frozen=True)
class Stakeholder:
    """An active contact with when they were last in a completed interaction and how often in 12 months."""

    contact: Contact
    last_contacted_at: datetime.datetime | None
    interactions_12m: int
    days_since_contact: int | None  # None: never in a completed interaction


@dataclass(frozen=True)
class StakeholderRole:
    code: str
    label: str
    stakeholders: list[Stakeholder]


@dataclass(frozen=True)
class StakeholderWarning:
    code: str  # single_contact, no_contacts, concentrated, no_decision_maker, decision_maker_not_contacted,
    # blocker_without_champion
    message: str


@dataclass(frozen=True)
class StakeholderMap:
    """The account's buying centre: its active contacts by buying role (in the roles' order, most influential
    first), what is risky about it, and how its contact cadence stands."""

    roles: list[StakeholderRole]  # the roles somebody holds
    unmapped_roles: list[str]  # labels of the roles nobody active holds
    warnings: list[StakeholderWarning]
    active_contacts: int
    inactive_contacts: int
    interactions_12m: int  # completed interactions of the account in W(365), with or without contacts
    last_contact_at: datetime.datetime | None  # the account's latest completed interaction
    days_since_contact: int | None
    allowed_days: int  # the account's tier's contact cadence (KAM_CADENCE_DAYS)
    tier: str  # strategic, key or other
    overdue_since: datetime.date | None  # the stored flag (relationships.cadence), as the portfolio shows it


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _days_since(moment: datetime.datetime | None, today: datetime.date) -> int | None:
    return None if moment is None else (today - timezone.localtime(moment).date()).days


def stakeholder_warnings(
    *, stakeholders: list[Stakeholder], interactions_12m: int, account_name: str
) -> list[StakeholderWarning]:
    """What is risky about a buying centre (``stakeholders``: the active contacts), most serious first.

    (a) It hangs on one person: no active contact, or only one; or one contact took part in at least 80 % of
        the account's completed interactions of the last 12 months (out of at least three).
    (b) Nobody who decides was reached: no active economic buyer or decision maker, or none of them was in a
        completed interaction in the last 90 days.
    (c) An influential blocker (influence ≥ 4) and no active champion to counter them.
    """
    warnings: list[StakeholderWarning] = []
    if not stakeholders:
        warnings.append(
            StakeholderWarning("no_contacts", f"No active contacts: nobody at {account_name} is on record.")
        )
    elif len(stakeholders) == 1:
        only = stakeholders[0].contact
        warnings.append(
            StakeholderWarning(
                "single_contact",
                f"The relationship hangs on one person: {only.name} is the only active contact.",
            )
        )
    elif interactions_12m >= CONCENTRATION_MIN_INTERACTIONS:
        busiest = max(stakeholders, key=lambda s: (s.interactions_12m, -s.contact.pk))
        if busiest.interactions_12m >= CONCENTRATION_SHARE * interactions_12m:
            share = round(100 * busiest.interactions_12m / interactions_12m)
            warnings.append(
                StakeholderWarning(
                    "concentrated",
                    f"The relationship hangs on one person: {busiest.contact.name} took part in "
                    f"{busiest.interactions_12m} of the {interactions_12m} completed interactions of the last 12 "
                    f"months ({share} %).",
                )
            )
    if stakeholders:
        deciders = [s for s in stakeholders if s.contact.buying_role in DECIDING_ROLES]
        if not deciders:
            warnings.append(
                StakeholderWarning(
                    "no_decision_maker", "No economic buyer or decision maker is mapped among the active contacts."
                )
            )
        elif not any(
            s.days_since_contact is not None and s.days_since_contact < DECISION_MAKER_WINDOW_DAYS for s in deciders
        ):
            latest = max(
                deciders, key=lambda s: s.last_contacted_at or datetime.datetime.min.replace(tzinfo=datetime.UTC)
            )
            last = (
                f"last: {latest.contact.name}, {latest.days_since_contact} days ago"
                if latest.last_contacted_at is not None
                else "none of them was ever in a completed interaction"
            )
            warnings.append(
                StakeholderWarning(
                    "decision_maker_not_contacted",
                    f"No decision maker or economic buyer contacted in the last {DECISION_MAKER_WINDOW_DAYS} days "
                    f"({last}).",
                )
            )
    champions = [s for s in stakeholders if s.contact.buying_role == BuyingRole.CHAMPION]
    blockers = [
        s
        for s in stakeholders
        if s.contact.buying_role == BuyingRole.BLOCKER and s.contact.influence >= BLOCKER_HIGH_INFLUENCE
    ]
    if blockers and not champions:
        strongest = max(blockers, key=lambda s: (s.contact.influence, -s.contact.pk)).contact
        warnings.append(
            StakeholderWarning(
                "blocker_without_champion",
                f"{strongest.name} blocks with influence {strongest.influence} of 5, and no champion counters them.",
            )
        )
    return warnings


def account_stakeholder_map(*, account: Account, today: datetime.date) -> StakeholderMap:
    """The stakeholder map of ``account`` (already fetched through ``account_get``) as of ``today``, in three
    queries whatever the number of contacts and interactions: the contacts with their last completed
    interaction and their count in W(365); the account's own last completed interaction and count; its stored
    contact-cadence flag."""
    day_end = _day_start(today + datetime.timedelta(days=1))
    window_start = _day_start(today - datetime.timedelta(days=STAKEHOLDER_WINDOW_DAYS - 1))
    completed = Q(interactions__status=InteractionStatus.COMPLETED, interactions__occurred_at__lt=day_end)
    contacts = list(
        Contact.objects.filter(account=account)
        .annotate(
            last_contacted_at=Max("interactions__occurred_at", filter=completed),
            interactions_12m=Count(
                "interactions", filter=completed & Q(interactions__occurred_at__gte=window_start), distinct=True
            ),
        )
        .order_by("-influence", "name", "id")
    )
    totals = (
        Interaction.objects.filter(account=account, status=InteractionStatus.COMPLETED, occurred_at__lt=day_end)
        .order_by()
        .aggregate(last_at=Max("occurred_at"), in_window=Count("id", filter=Q(occurred_at__gte=window_start)))
    )
    cadence = ContactCadence.objects.filter(account=account).values_list("overdue_since", flat=True).first()

    stakeholders = [
        Stakeholder(
            contact=contact,
            last_contacted_at=contact.last_contacted_at,
            interactions_12m=contact.interactions_12m,
            days_since_contact=_days_since(contact.last_contacted_at, today),
        )
        for contact in contacts
        if contact.is_active
    ]
    by_role: dict[str, list[Stakeholder]] = {}
    for stakeholder in stakeholders:
        by_role.setdefault(stakeholder.contact.buying_role, []).append(stakeholder)
    return StakeholderMap(
        roles=[
            StakeholderRole(code, str(label), by_role[code]) for code, label in BuyingRole.choices if code in by_role
        ],
        unmapped_roles=[str(label) for code, label in BuyingRole.choices if code not in by_role],
        warnings=stakeholder_warnings(
            stakeholders=stakeholders, interactions_12m=totals["in_window"], account_name=account.name
        ),
        active_contacts=len(stakeholders),
        inactive_contacts=len(contacts) - len(stakeholders),
        interactions_12m=totals["in_window"],
        last_contact_at=totals["last_at"],
        days_since_contact=_days_since(totals["last_at"], today),
        allowed_days=cadence_allowed_days(account.key_status),
        tier=cadence_tier(account.key_status),
        overdue_since=cadence,
    )
