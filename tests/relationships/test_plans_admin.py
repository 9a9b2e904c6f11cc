"""The admin of account plans: pages render, lists stay at a fixed query count, parts stay in their plan."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relationships.models import AccountPlan, ActionItem, PlanObjective, SwotItem
from tests.factories import (
    AccountFactory,
    AccountPlanFactory,
    ActionItemFactory,
    PlanObjectiveFactory,
    SwotItemFactory,
    UserFactory,
    manager_factory,
)

pytestmark = pytest.mark.django_db

MODELS = [AccountPlan, PlanObjective, SwotItem, ActionItem]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_plans(n: int) -> None:
    """``n`` accounts, each with a plan with one objective, SWOT item and action (owned by the account owner)."""
    for _ in range(n):
        owner = manager_factory()
        plan = AccountPlanFactory(account=AccountFactory(owner=owner), created_by=owner)
        objective = PlanObjectiveFactory(plan=plan)
        SwotItemFactory(plan=plan)
        ActionItemFactory(plan=plan, owner=owner, objective=objective)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_add_and_change_pages_render(admin_client, model):
    make_plans(2)
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "Account"}).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 200
    assert admin_client.get(url(model, "change", model.objects.first().pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    make_plans(1)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(url(model, "changelist")).status_code == 200
    make_plans(9)
    with CaptureQueriesContext(connection) as ten:
        assert admin_client.get(url(model, "changelist")).status_code == 200
    assert len(ten) == len(one), [query["sql"] for query in ten.captured_queries]


def test_a_plan_stays_with_its_account_and_a_part_in_its_plan(admin_client):
    make_plans(1)
    plan, objective = AccountPlan.objects.get(), PlanObjective.objects.get()
    assert "account" in admin_client.get(url(AccountPlan, "change", plan.pk)).context["adminform"].readonly_fields
    assert "plan" in admin_client.get(url(PlanObjective, "change", objective.pk)).context["adminform"].readonly_fields
