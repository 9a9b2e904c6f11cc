"""The account plan services: who may write, and every rule of plans, objectives, SWOT items and actions."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.constraints import errors_by_field
from relationships import services
from relationships.choices import ActionStatus, ObjectiveStatus, PlanStatus, SwotKind
from relationships.models import AccountPlan, ActionItem, PlanObjective, SwotItem
from tests.factories import (
    AccountFactory,
    AccountPlanFactory,
    ActionItemFactory,
    PlanObjectiveFactory,
    SwotItemFactory,
    integration_factory,
    manager_factory,
)

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)
ONE_DAY = datetime.timedelta(days=1)


def fields_of(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return errors_by_field(caught.value)


def plan_values(**overrides) -> dict:
    return {"title": "FY 2026", "period_start": START, "period_end": END, "summary": "Grow services", **overrides}


@pytest.fixture
def plan(account):
    return AccountPlanFactory(account=account, period_start=START, period_end=END, status=PlanStatus.ACTIVE)


# --- plans ------------------------------------------------------------------------------------------------


def test_a_new_plan_is_a_draft_that_records_who_created_it(manager, account):
    # given the owner / when they plan a period
    plan = services.account_plan_create(actor=manager, account=account, values=plan_values())
    # then it is a draft of theirs for that period
    plan.refresh_from_db()
    assert (plan.status, plan.created_by, plan.period_start, plan.period_end) == (PlanStatus.DRAFT, manager, START, END)


@pytest.mark.parametrize(
    ("persona", "may_edit", "may_delete"),
    [
        ("manager", True, True),
        ("colleague", True, False),  # the team keeps the plan, and closes it rather than deleting it
        ("director", True, True),
        ("integration", False, False),  # reads every plan, writes none
        ("outsider", False, False),
    ],
)
def test_who_creates_changes_and_deletes_plans(request, account, persona, may_edit, may_delete):
    user = request.getfixturevalue(persona)
    existing = AccountPlanFactory(account=account, period_start=START, period_end=END)

    def create():
        values = plan_values(period_start=START.replace(year=2027), period_end=END.replace(year=2027))
        return services.account_plan_create(actor=user, account=account, values=values)

    def update():
        return services.account_plan_update(actor=user, plan=existing, values={"summary": "Changed"})

    def delete():
        services.account_plan_delete(actor=user, plan=existing)

    for write, allowed in ((create, may_edit), (update, may_edit), (delete, may_delete)):
        if allowed:
            write()
        else:
            with pytest.raises(PermissionDenied):
                write()
    assert AccountPlan.objects.filter(pk=existing.pk).exists() is not may_delete


def test_the_period_may_not_end_before_it_starts(manager, account):
    with pytest.raises(ValidationError) as caught:
        services.account_plan_create(actor=manager, account=account, values=plan_values(period_end=START - ONE_DAY))
    assert fields_of(caught) == {"period_end": ["The period may not end before it starts."]}


def test_two_plans_of_an_account_cannot_start_on_the_same_day(manager, account, plan):
    with pytest.raises(ValidationError) as caught:
        services.account_plan_create(actor=manager, account=account, values=plan_values(period_end=END - ONE_DAY))
    assert fields_of(caught) == {"period_start": ["This account already has a plan starting on this day."]}


def test_another_account_may_plan_the_same_period(manager, account, plan):
    other = AccountFactory(owner=manager)
    assert services.account_plan_create(actor=manager, account=other, values=plan_values(status="active")).pk


def test_only_one_plan_of_an_account_is_active_on_any_day(manager, account, plan):
    # given an active plan for 2026
    # when a second plan overlapping it by one day is made active
    values = plan_values(period_start=END, period_end=END.replace(year=2027), status=PlanStatus.ACTIVE)
    with pytest.raises(ValidationError) as caught:
        services.account_plan_create(actor=manager, account=account, values=values)
    # then it is refused on ``status``
    assert list(fields_of(caught)) == ["status"]
    assert "Another active plan of this account overlaps this period" in fields_of(caught)["status"][0]
    # while a draft for the same period, and an active plan right after 2026, are fine
    services.account_plan_create(actor=manager, account=account, values={**values, "status": PlanStatus.DRAFT})
    services.account_plan_create(
        actor=manager,
        account=account,
        values={**values, "period_start": END + ONE_DAY, "title": "FY 2027"},
    )
    assert AccountPlan.objects.filter(account=account).count() == 3


def test_closing_the_current_plan_lets_another_become_active(manager, account, plan):
    draft = AccountPlanFactory(account=account, period_start=START.replace(month=7), period_end=END, status="draft")
    services.account_plan_update(actor=manager, plan=plan, values={"status": PlanStatus.CLOSED})
    services.account_plan_update(actor=manager, plan=draft, values={"status": PlanStatus.ACTIVE})
    draft.refresh_from_db()
    assert draft.status == PlanStatus.ACTIVE


def test_a_plan_stays_with_its_account(director, account, plan):
    other = AccountFactory()
    with pytest.raises(ValidationError) as caught:
        services.account_plan_update(actor=director, plan=plan, values={}, account=other)
    assert list(fields_of(caught)) == ["account"]


def test_created_by_and_unknown_fields_cannot_be_set(manager, account):
    with pytest.raises(ValidationError) as caught:
        services.account_plan_create(actor=manager, account=account, values=plan_values(created_by=manager))
    assert fields_of(caught) == {"created_by": ["This field cannot be set."]}


def test_deleting_a_plan_deletes_its_parts(manager, plan):
    objective = PlanObjectiveFactory(plan=plan)
    SwotItemFactory(plan=plan)
    ActionItemFactory(plan=plan, objective=objective, owner=manager)
    services.account_plan_delete(actor=manager, plan=plan)
    assert not (PlanObjective.objects.exists() or SwotItem.objects.exists() or ActionItem.objects.exists())


# --- objectives -------------------------------------------------------------------------------------------


def test_colleague_adds_and_updates_an_objective(colleague, plan):
    # given a team member / when they add an objective and later mark it at risk
    values = {"title": "Grow revenue", "target": "Revenue 2.5 M EUR", "due": END}
    values |= {"target_value": Decimal("2500000"), "target_unit": "EUR"}
    objective = services.plan_objective_create(actor=colleague, plan=plan, values=values)
    services.plan_objective_update(actor=colleague, objective=objective, values={"status": ObjectiveStatus.AT_RISK})
    # then it is stored with its target, open at first and now at risk
    objective.refresh_from_db()
    assert (objective.target_value, objective.target_unit, objective.status) == (
        Decimal("2500000.00"),
        "EUR",
        ObjectiveStatus.AT_RISK,
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"target": ""}, "target"),
        ({"title": ""}, "title"),
        ({"target_value": None, "target_unit": "EUR"}, "target_value"),
        ({"status": "done"}, "status"),
        ({"due": None}, "due"),
    ],
)
def test_objective_rules_name_their_field(manager, plan, values, field):
    base = {"title": "Grow", "target": "Revenue 2.5 M EUR", "due": END}
    with pytest.raises(ValidationError) as caught:
        services.plan_objective_create(actor=manager, plan=plan, values={**base, **values})
    assert field in fields_of(caught)
    assert not PlanObjective.objects.exists()


def test_integration_cannot_write_objectives(integration, plan):
    with pytest.raises(PermissionDenied):
        services.plan_objective_create(
            actor=integration, plan=plan, values={"title": "Grow", "target": "More", "due": END}
        )


def test_an_objective_stays_in_its_plan(manager, account, plan):
    objective = PlanObjectiveFactory(plan=plan)
    other = AccountPlanFactory(account=account, period_start=END + ONE_DAY, period_end=END.replace(year=2027))
    with pytest.raises(ValidationError) as caught:
        services.plan_objective_update(actor=manager, objective=objective, values={}, plan=other)
    assert list(fields_of(caught)) == ["plan"]


def test_deleting_an_objective_keeps_its_actions(manager, plan):
    objective = PlanObjectiveFactory(plan=plan)
    action = ActionItemFactory(plan=plan, objective=objective)
    services.plan_objective_delete(actor=manager, objective=objective)
    action.refresh_from_db()
    assert action.objective is None


# --- SWOT -------------------------------------------------------------------------------------------------


def test_swot_items_are_kept_by_the_team(colleague, plan):
    item = services.swot_item_create(actor=colleague, plan=plan, values={"kind": SwotKind.THREAT, "text": "A rival"})
    services.swot_item_update(actor=colleague, item=item, values={"text": "A rival with lower prices"})
    item.refresh_from_db()
    assert (item.kind, item.text) == (SwotKind.THREAT, "A rival with lower prices")
    services.swot_item_delete(actor=colleague, item=item)
    assert not SwotItem.objects.exists()


@pytest.mark.parametrize(("values", "field"), [({"text": ""}, "text"), ({"kind": "risk"}, "kind")])
def test_swot_rules_name_their_field(manager, plan, values, field):
    with pytest.raises(ValidationError) as caught:
        services.swot_item_create(actor=manager, plan=plan, values={"kind": "strength", "text": "x", **values})
    assert field in fields_of(caught)


# --- actions ----------------------------------------------------------------------------------------------


def test_an_action_is_given_to_someone_on_the_account(manager, colleague, plan):
    action = services.action_item_create(
        actor=manager, plan=plan, values={"title": "Book the QBR", "owner": colleague, "due": END}
    )
    assert action.owner == colleague and action.status == ActionStatus.OPEN and action.completed_at is None


@pytest.mark.parametrize("persona", ["director", "manager", "colleague"])
def test_the_team_and_directors_may_own_actions(request, manager, plan, persona):
    owner = request.getfixturevalue(persona)
    action = services.action_item_create(actor=manager, plan=plan, values={"title": "Call", "owner": owner})
    assert action.owner == owner


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("outsider", "outsider does not work on this account."),
        ("integration", "erp is not an active account manager or director."),
    ],
)
def test_an_action_cannot_be_given_to_someone_off_the_account(request, manager, plan, persona, message):
    owner = request.getfixturevalue(persona)
    with pytest.raises(ValidationError) as caught:
        services.action_item_create(actor=manager, plan=plan, values={"title": "Call", "owner": owner})
    assert fields_of(caught) == {"owner": [message]}
    assert not ActionItem.objects.exists()


def test_an_owner_who_left_the_team_keeps_their_actions(manager, colleague, account, plan):
    # given an action of the colleague, who then leaves the team
    action = ActionItemFactory(plan=plan, owner=colleague)
    account.team.clear()
    # when the owner changes its due date / then that is fine, and the colleague still has it
    services.action_item_update(actor=manager, action=action, values={"due": END, "owner": colleague})
    action.refresh_from_db()
    assert action.owner == colleague and action.due == END


def test_an_action_works_towards_an_objective_of_its_own_plan(manager, account, plan):
    # given an objective of another plan of the same account
    other = AccountPlanFactory(account=account, period_start=END + ONE_DAY, period_end=END.replace(year=2027))
    foreign = PlanObjectiveFactory(plan=other)
    mine = PlanObjectiveFactory(plan=plan)
    # when an action names it / then it is refused on ``objective``; one of its own plan is fine
    with pytest.raises(ValidationError) as caught:
        services.action_item_create(actor=manager, plan=plan, values={"title": "Call", "objective": foreign})
    assert fields_of(caught) == {"objective": ["This objective belongs to another plan."]}
    action = services.action_item_create(actor=manager, plan=plan, values={"title": "Call", "objective": mine})
    with pytest.raises(ValidationError):
        services.action_item_update(actor=manager, action=action, values={"objective": foreign})


def test_done_records_when_and_reopening_forgets_it(manager, plan):
    # given an open action
    action = ActionItemFactory(plan=plan)
    # when it is marked done / then it records when
    services.action_item_update(actor=manager, action=action, values={"status": ActionStatus.DONE})
    action.refresh_from_db()
    done_at = action.completed_at
    assert done_at is not None
    # when something else changes / then the completion time stays
    services.action_item_update(actor=manager, action=action, values={"notes": "Went well"})
    action.refresh_from_db()
    assert action.completed_at == done_at
    # when it is reopened / then it has no completion time
    services.action_item_update(actor=manager, action=action, values={"status": ActionStatus.IN_PROGRESS})
    action.refresh_from_db()
    assert action.completed_at is None


def test_completed_at_is_not_set_by_hand(manager, plan):
    with pytest.raises(ValidationError) as caught:
        services.action_item_create(
            actor=manager, plan=plan, values={"title": "Call", "completed_at": datetime.datetime(2026, 1, 1)}
        )
    assert list(fields_of(caught)) == ["completed_at"]


@pytest.mark.parametrize(("values", "field"), [({"title": ""}, "title"), ({"status": "later"}, "status")])
def test_action_rules_name_their_field(manager, plan, values, field):
    with pytest.raises(ValidationError) as caught:
        services.action_item_create(actor=manager, plan=plan, values={"title": "Call", **values})
    assert field in fields_of(caught)


def test_an_action_stays_in_its_plan(manager, account, plan):
    action = ActionItemFactory(plan=plan)
    other = AccountPlanFactory(account=account, period_start=END + ONE_DAY, period_end=END.replace(year=2027))
    with pytest.raises(ValidationError) as caught:
        services.action_item_update(actor=manager, action=action, values={}, plan=other)
    assert list(fields_of(caught)) == ["plan"]


def test_inactive_users_cannot_be_given_actions(manager, account, plan):
    gone = manager_factory(username="gone", is_active=False)
    account.team.add(gone)
    with pytest.raises(ValidationError) as caught:
        services.action_item_create(actor=manager, plan=plan, values={"title": "Call", "owner": gone})
    assert list(fields_of(caught)) == ["owner"]


@pytest.mark.parametrize("write", ["create", "update", "delete"])
def test_integrations_never_write_actions(plan, write):
    erp = integration_factory(username="erp2")
    action = ActionItemFactory(plan=plan)
    with pytest.raises(PermissionDenied):
        if write == "create":
            services.action_item_create(actor=erp, plan=plan, values={"title": "x"})
        elif write == "update":
            services.action_item_update(actor=erp, action=action, values={"title": "x"})
        else:
            services.action_item_delete(actor=erp, action=action)
