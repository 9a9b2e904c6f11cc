"""Reads of the relationship records, scoped by the account visibility of ``accounts.selectors``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import BooleanField, ExpressionWrapper, Model, Q, QuerySet
from django.http import Http404

from accounts.models import Account
from accounts.selectors import accounts_visible_to, assignable_users, rows_on_visible_accounts
from kam.roles import KAM_DIRECTOR, sees_all_accounts
from relationships.choices import (
    ACTION_PENDING,
    OBJECTIVE_PENDING,
    ActionStatus,
    ObjectiveStatus,
    PlanStatus,
    SwotKind,
)
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
