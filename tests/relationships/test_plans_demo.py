"""The demo portfolio's account plans: the strongest accounts have this year's plan, written set-based, valid,
and deterministic."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from relationships.choices import PlanStatus
from relationships.models import AccountPlan, ActionItem, PlanObjective, SwotItem
from tests.factories import director_factory, manager_factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    manager_factory(username="alice")
    manager_factory(username="bob")
    director_factory(username="diana")
    out = io.StringIO()
    call_command("seed_demo", "--accounts", "120", stdout=out)
    return out.getvalue()


def test_the_strongest_accounts_have_this_years_plan(seeded):
    # given the seeded demo portfolio / then a handful of accounts have an active plan for this year, some a
    # closed one for last year, each with objectives, a SWOT analysis and actions
    year = timezone.localdate().year
    active = AccountPlan.objects.filter(status=PlanStatus.ACTIVE)
    assert active.count() >= 3
    assert set(active.values_list("period_start__year", flat=True)) == {year}
    assert AccountPlan.objects.filter(status=PlanStatus.CLOSED, period_start__year=year - 1).exists()
    for plan in active:
        assert plan.objectives.exists() and plan.swot_items.exists() and plan.action_items.exists()
    assert f"{AccountPlan.objects.count()} account plans" in seeded


def test_demo_plans_keep_every_rule(seeded):
    # every row passes the validation the services apply (constraints included)
    for model in (AccountPlan, PlanObjective, SwotItem, ActionItem):
        for row in model.objects.all():
            row.full_clean()
    # actions are done by the account's owner or its team
    for action in ActionItem.objects.select_related("plan__account").exclude(owner=None):
        account = action.plan.account
        assert action.owner_id == account.owner_id or account.team.filter(pk=action.owner_id).exists()
