"""PostgreSQL holds every invariant of account plans even when validation is bypassed (``QuerySet.update``,
``bulk_create``), and the API's handler maps each violated constraint to its field."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from kam.api.exceptions import integrity_error_as_fields
from relationships.choices import PlanStatus
from relationships.models import AccountPlan, ActionItem, PlanObjective, SwotItem
from tests.factories import AccountPlanFactory, ActionItemFactory, PlanObjectiveFactory, SwotItemFactory

pytestmark = pytest.mark.django_db

FACTORIES = {
    AccountPlan: AccountPlanFactory,
    PlanObjective: PlanObjectiveFactory,
    SwotItem: SwotItemFactory,
    ActionItem: ActionItemFactory,
}

# (model, values written with QuerySet.update, constraint PostgreSQL must name, field the API names)
UPDATES = [
    (AccountPlan, {"title": ""}, "relationships_accountplan_title_not_blank", "title"),
    (AccountPlan, {"status": "paused"}, "relationships_accountplan_status_valid", "status"),
    (
        AccountPlan,
        {"period_end": F("period_start") - datetime.timedelta(days=1)},
        "relationships_accountplan_period_end_after_start",
        "period_end",
    ),
    (PlanObjective, {"title": ""}, "relationships_planobjective_title_not_blank", "title"),
    (PlanObjective, {"target": ""}, "relationships_planobjective_target_not_blank", "target"),
    (PlanObjective, {"status": "done"}, "relationships_planobjective_status_valid", "status"),
    (
        PlanObjective,
        {"target_value": None, "target_unit": "EUR"},
        "relationships_planobjective_unit_needs_value",
        "target_value",
    ),
    (SwotItem, {"kind": "risk"}, "relationships_swotitem_kind_valid", "kind"),
    (SwotItem, {"text": ""}, "relationships_swotitem_text_not_blank", "text"),
    (ActionItem, {"title": ""}, "relationships_actionitem_title_not_blank", "title"),
    (ActionItem, {"status": "later"}, "relationships_actionitem_status_valid", "status"),
    (ActionItem, {"status": "done"}, "relationships_actionitem_completed_iff_done", "status"),
    (ActionItem, {"completed_at": timezone.now()}, "relationships_actionitem_completed_iff_done", "status"),
]


def _violated(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    return caught.value.__cause__.diag.constraint_name  # type: ignore[union-attr]


@pytest.mark.parametrize("model,values,constraint,field", UPDATES, ids=[case[2] + "-" + case[3] for case in UPDATES])
def test_database_refuses_an_update_that_bypasses_validation(model, values, constraint, field):
    # given a valid record
    row = FACTORIES[model]()
    # when an update skips full_clean()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**values)
    # then PostgreSQL refuses it by the constraint's name, and the API would name the field
    assert _violated(caught) == constraint
    assert field in integrity_error_as_fields(caught.value)


def test_database_refuses_two_plans_of_an_account_starting_on_the_same_day():
    plan = AccountPlanFactory(status=PlanStatus.DRAFT)
    copy = AccountPlanFactory.build(account=plan.account, period_start=plan.period_start, status=PlanStatus.DRAFT)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        AccountPlan.objects.bulk_create([copy])
    assert _violated(caught) == "relationships_accountplan_account_period_start_unique"
    assert integrity_error_as_fields(caught.value) == {
        "period_start": ["This account already has a plan starting on this day."]
    }


def test_database_refuses_two_active_plans_of_an_account_on_the_same_day():
    # given an active plan for this year
    plan = AccountPlanFactory(status=PlanStatus.ACTIVE)
    # when a second active one overlapping by a day is inserted without validation
    overlapping = AccountPlanFactory.build(
        account=plan.account,
        period_start=plan.period_end,
        period_end=plan.period_end + datetime.timedelta(days=365),
        status=PlanStatus.ACTIVE,
    )
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        AccountPlan.objects.bulk_create([overlapping])
    # then the exclusion constraint refuses it, named after ``status``
    assert _violated(caught) == "relationships_accountplan_one_active_per_period"
    assert list(integrity_error_as_fields(caught.value)) == ["status"]
    # while the day after, or as a draft, it is accepted
    overlapping.status = PlanStatus.DRAFT
    following = AccountPlanFactory.build(
        account=plan.account,
        period_start=plan.period_end + datetime.timedelta(days=1),
        period_end=plan.period_end + datetime.timedelta(days=365),
        status=PlanStatus.ACTIVE,
    )
    AccountPlan.objects.bulk_create([overlapping])
    AccountPlan.objects.bulk_create([following])


def test_database_refuses_an_action_serving_an_objective_of_another_plan():
    # given an action and an objective of another plan
    action = ActionItemFactory()
    foreign = PlanObjectiveFactory()
    # when the action is pointed at it without validation
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        ActionItem.objects.filter(pk=action.pk).update(objective=foreign)
        with connection.cursor() as cursor:  # the composite key is deferred to the commit: check it now
            cursor.execute("SET CONSTRAINTS relationships_actionitem_objective_same_plan IMMEDIATE")
    # then the composite foreign key refuses it
    assert _violated(caught) == "relationships_actionitem_objective_same_plan"


def test_deleting_an_objective_unlinks_its_actions_in_the_database_too():
    objective = PlanObjectiveFactory()
    action = ActionItemFactory(plan=objective.plan, objective=objective)
    objective.delete()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    action.refresh_from_db()
    assert action.objective_id is None
