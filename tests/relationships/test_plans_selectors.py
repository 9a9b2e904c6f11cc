"""Reading account plans: visibility follows the account for every persona, ``plan_get`` fetches and
authorizes, the account page's current plan, overdue flags, the SWOT grid, and who may own an action."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts import permissions
from relationships import selectors
from relationships.choices import ActionStatus, ObjectiveStatus, PlanStatus, SwotKind
from relationships.models import AccountPlan
from tests.factories import (
    AccountPlanFactory,
    ActionItemFactory,
    PlanObjectiveFactory,
    SwotItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def day(month: int, dd: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, dd)


@pytest.fixture
def plans(account, outsider_account):
    """One plan with one part of each kind on ``account`` and on the outsider's account."""
    made = {}
    for name, owner_account in (("mine", account), ("theirs", outsider_account)):
        plan = AccountPlanFactory(account=owner_account)
        made[name] = {
            "plan": plan,
            "objective": PlanObjectiveFactory(plan=plan),
            "swot": SwotItemFactory(plan=plan),
            "action": ActionItemFactory(plan=plan),
        }
    return made


VISIBLE = {
    "account_plans_visible_to": "plan",
    "plan_objectives_visible_to": "objective",
    "swot_items_visible_to": "swot",
    "action_items_visible_to": "action",
}


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("manager", {"mine"}),
        ("colleague", {"mine"}),
        ("outsider", {"theirs"}),
        ("director", {"mine", "theirs"}),
        ("integration", {"mine", "theirs"}),
        ("roleless", set()),
    ],
)
@pytest.mark.parametrize("selector", list(VISIBLE))
def test_plans_and_their_parts_are_visible_exactly_when_the_account_is(request, plans, persona, sees, selector):
    # given a plan with parts on each of two accounts / when a persona lists them
    user = request.getfixturevalue(persona)
    rows = set(getattr(selectors, selector)(user))
    # then they see those of the accounts they see, and nothing else
    assert rows == {plans[name][VISIBLE[selector]] for name in sees}


def test_anonymous_and_deactivated_users_see_no_plans(plans, manager):
    manager.is_active = False
    assert not selectors.account_plans_visible_to(AnonymousUser()).exists()
    assert not selectors.action_items_visible_to(manager).exists()


@pytest.mark.parametrize("persona", ["manager", "colleague", "director", "integration"])
def test_plan_get_finds_a_visible_plan(request, plans, persona):
    plan = plans["mine"]["plan"]
    assert selectors.plan_get(user=request.getfixturevalue(persona), pk=plan.pk) == plan


@pytest.mark.parametrize("pk", ["theirs", "missing", "nonsense"])
def test_plan_get_is_404_for_what_the_user_may_not_see(manager, plans, pk):
    value = {"theirs": plans["theirs"]["plan"].pk, "missing": 987654, "nonsense": "x"}[pk]
    with pytest.raises(Http404):
        selectors.plan_get(user=manager, pk=value)


def test_a_plan_of_another_account_is_404_under_this_account(account, plans):
    with pytest.raises(Http404):
        selectors.account_plan_get(account=account, pk=plans["theirs"]["plan"].pk)
    plan = selectors.account_plan_get(account=account, pk=plans["mine"]["plan"].pk)
    assert plan.account is account


def test_parts_of_another_plan_are_404_under_this_plan(plans):
    mine, theirs = plans["mine"], plans["theirs"]
    for getter, part in (
        (selectors.plan_objective_get, "objective"),
        (selectors.swot_item_get, "swot"),
        (selectors.action_item_get, "action"),
    ):
        with pytest.raises(Http404):
            getter(plan=mine["plan"], pk=theirs[part].pk)
        assert getter(plan=mine["plan"], pk=mine[part].pk) == mine[part]


# --- the account page's current plan ----------------------------------------------------------------------


def plan(start, end, status, pk) -> AccountPlan:
    return AccountPlan(pk=pk, period_start=start, period_end=end, status=status)


LAST_YEAR = plan(day(1, 1, 2025), day(12, 31, 2025), PlanStatus.CLOSED, 1)
THIS_YEAR = plan(day(1, 1), day(12, 31), PlanStatus.ACTIVE, 2)
THIS_YEAR_DRAFT = plan(day(7, 1), day(12, 31), PlanStatus.DRAFT, 3)
NEXT_YEAR = plan(day(1, 1, 2027), day(12, 31, 2027), PlanStatus.DRAFT, 4)
CLOSED_EARLY = plan(day(1, 1), day(3, 31), PlanStatus.CLOSED, 5)
DRAFT_FOR_TODAY = plan(day(1, 1), day(12, 31), PlanStatus.DRAFT, 6)


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([LAST_YEAR, THIS_YEAR, THIS_YEAR_DRAFT, NEXT_YEAR], THIS_YEAR),  # the active one in force today
        ([LAST_YEAR, NEXT_YEAR], NEXT_YEAR),  # nothing covers today: the one to come
        ([LAST_YEAR, CLOSED_EARLY], CLOSED_EARLY),  # only history: the latest
        ([NEXT_YEAR, DRAFT_FOR_TODAY], DRAFT_FOR_TODAY),  # a draft covering today comes before one to come
        ([CLOSED_EARLY, NEXT_YEAR], NEXT_YEAR),  # a plan closed early does not hide the next one
        ([], None),
    ],
)
def test_the_current_plan_is_the_one_in_force_today(candidates, expected):
    assert selectors.current_plan(candidates, today=TODAY) is expected


# --- the plan page's lists --------------------------------------------------------------------------------


def test_objectives_and_actions_know_when_they_are_overdue():
    # given objectives and actions due yesterday, today and tomorrow, pending or finished
    subject = AccountPlanFactory()
    yesterday, tomorrow = TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=1)
    late = PlanObjectiveFactory(plan=subject, due=yesterday, status=ObjectiveStatus.AT_RISK)
    PlanObjectiveFactory(plan=subject, due=yesterday, status=ObjectiveStatus.ACHIEVED)
    PlanObjectiveFactory(plan=subject, due=TODAY, status=ObjectiveStatus.OPEN)
    slow = ActionItemFactory(plan=subject, due=yesterday, status=ActionStatus.IN_PROGRESS)
    ActionItemFactory(plan=subject, due=yesterday, status=ActionStatus.DONE)
    ActionItemFactory(plan=subject, due=yesterday, status=ActionStatus.CANCELLED)
    ActionItemFactory(plan=subject, due=tomorrow)
    ActionItemFactory(plan=subject, due=None)
    # when they are read as of today / then only the pending ones past their due date are overdue
    objectives = selectors.plan_objectives(plan=subject, today=TODAY)
    actions = list(selectors.plan_action_items(plan=subject, today=TODAY))
    assert [row for row in objectives if row.is_overdue] == [late]
    assert [row for row in actions if row.is_overdue] == [slow]
    # and actions come by due date, those without one last
    assert actions[-1].due is None


def test_the_swot_grid_has_every_kind_in_reading_order():
    subject = AccountPlanFactory()
    threat = SwotItemFactory(plan=subject, kind=SwotKind.THREAT, text="New rival")
    strength = SwotItemFactory(plan=subject, kind=SwotKind.STRENGTH, text="Trusted")
    grid = selectors.plan_swot(plan=subject)
    assert list(grid) == ["strength", "weakness", "opportunity", "threat"]
    assert grid == {"strength": [strength], "weakness": [], "opportunity": [], "threat": [threat]}


# --- who may own an action --------------------------------------------------------------------------------


def test_actions_may_be_given_to_the_owner_the_team_and_directors(account, manager, colleague, director, outsider):
    # given an integration and a deactivated director, who may not own actions
    integration = UserFactory(username="erp-x", role="integration")
    UserFactory(username="retired", role="kam_director", is_active=False)
    # when the choices for the account's actions are read / then they are the people working on it
    choices = set(selectors.plan_action_owner_choices(account=account))
    assert choices == {manager, colleague, director}
    assert outsider not in choices and integration not in choices


# --- permissions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "edit", "delete", "own_actions"),
    [
        ("manager", True, True, True),
        ("colleague", True, False, True),
        ("director", True, True, True),
        ("integration", False, False, False),
        ("outsider", False, False, False),
        ("roleless", False, False, False),
    ],
)
def test_plan_permissions_per_persona(request, account, persona, edit, delete, own_actions):
    user = request.getfixturevalue(persona)
    assert permissions.can_edit_plan(user, account) is edit
    assert permissions.can_delete_plan(user, account) is delete
    assert permissions.can_own_plan_action(user, account) is own_actions
