"""The account plan API: account-plans, plan-objectives, swot-items and action-items — visibility per persona,
who writes, every rule refused with a 400 that names the field, filters, and constant query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relationships.choices import ActionStatus, PlanStatus
from relationships.models import AccountPlan, ActionItem, PlanObjective, SwotItem
from tests.factories import (
    AccountFactory,
    AccountPlanFactory,
    ActionItemFactory,
    PlanObjectiveFactory,
    SwotItemFactory,
)
from tests.http import if_match

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/account-plans/"
OBJECTIVES = "/api/v1/plan-objectives/"
SWOT = "/api/v1/swot-items/"
ACTIONS = "/api/v1/action-items/"
RESOURCES = [PLANS, OBJECTIVES, SWOT, ACTIONS]
PARTS = [OBJECTIVES, SWOT, ACTIONS]
MODELS = {PLANS: AccountPlan, OBJECTIVES: PlanObjective, SWOT: SwotItem, ACTIONS: ActionItem}

YEAR = 2026
START, END = datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31)


def record(url, account, **kwargs):
    """One record of ``url`` on ``account`` (a part gets a plan of its own unless ``plan`` is given)."""
    if url == PLANS:
        return AccountPlanFactory(account=account, **kwargs)
    plan = kwargs.pop("plan", None) or AccountPlanFactory(account=account)
    factory = {OBJECTIVES: PlanObjectiveFactory, SWOT: SwotItemFactory, ACTIONS: ActionItemFactory}[url]
    return factory(plan=plan, **kwargs)


def payload(url, parent, **overrides) -> dict:
    """A valid body; ``parent`` is the account (plans) or the plan (parts)."""
    base = {
        PLANS: {"account": parent.pk, "title": "FY 2027", "period_start": "2027-01-01", "period_end": "2027-12-31"},
        OBJECTIVES: {"plan": parent.pk, "title": "Grow", "target": "Revenue 2.5 M EUR", "due": "2026-12-31"},
        SWOT: {"plan": parent.pk, "kind": "opportunity", "text": "Their new plant in Lyon"},
        ACTIONS: {"plan": parent.pk, "title": "Book the QBR", "due": "2026-09-30"},
    }[url]
    return {**base, **overrides}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def plan(account):
    return AccountPlanFactory(account=account, period_start=START, period_end=END)


def next_year_plan(account) -> AccountPlan:
    return AccountPlanFactory(
        account=account, period_start=END + datetime.timedelta(days=1), period_end=END.replace(year=YEAR + 1)
    )


# --- visibility -------------------------------------------------------------------------------------------


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
@pytest.mark.parametrize("url", RESOURCES)
def test_records_are_listed_for_who_sees_their_account(request, api, account, outsider_account, persona, sees, url):
    # given a record on manager's account (colleague on its team) and one on the outsider's account
    made = {"mine": record(url, account), "theirs": record(url, outsider_account)}
    # when a persona lists them / then they see those of the accounts they see
    assert ids(api(request.getfixturevalue(persona)).get(url)) == {made[name].pk for name in sees}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("url", RESOURCES)
def test_outsider_gets_404_on_detail(api, outsider, account, method, url):
    # given a record on an account the outsider cannot see
    row = record(url, account)
    # when the outsider reads, changes or deletes it
    response = getattr(api(outsider), method)(f"{url}{row.pk}/", {}, format="json")
    # then it does not exist for them, and it is still there
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert type(row).objects.filter(pk=row.pk).exists()


def test_a_plan_cannot_name_an_account_the_caller_cannot_see(api, outsider, account):
    by_id = api(outsider).post(PLANS, payload(PLANS, account), format="json")
    body = {**payload(PLANS, account), "account_external_id": "ERP-ACME"}
    del body["account"]
    by_external = api(outsider).post(PLANS, body, format="json")
    assert by_id.status_code == 400 and "account" in by_id.json()
    assert by_external.status_code == 400 and "account_external_id" in by_external.json()
    assert not AccountPlan.objects.exists()


@pytest.mark.parametrize("url", PARTS)
def test_a_part_cannot_name_a_plan_the_caller_cannot_see(api, outsider, plan, url):
    # given a plan of an account the outsider cannot see / when they add a part to it
    response = api(outsider).post(url, payload(url, plan), format="json")
    # then the plan "does not exist" for them, and nothing was written
    assert response.status_code == 400
    assert "plan" in response.json()
    assert not MODELS[url].objects.exists()


# --- the role matrix of writes -----------------------------------------------------------------------------

# (persona, may create and change, may delete a plan): the owner, the team and directors keep plans; a team
# member closes a plan rather than deleting it; integrations only read.
WRITERS = [
    ("manager", True, True),
    ("colleague", True, False),
    ("director", True, True),
    ("integration", False, False),
]


@pytest.mark.parametrize(("persona", "may_write", "may_delete_plan"), WRITERS)
@pytest.mark.parametrize("url", RESOURCES)
def test_who_creates_changes_and_deletes(request, api, account, plan, persona, may_write, may_delete_plan, url):
    client = api(request.getfixturevalue(persona))
    existing = plan if url == PLANS else record(url, account, plan=plan)
    model = type(existing)
    # when they create, change and delete
    created = client.post(url, payload(url, account if url == PLANS else plan), format="json")
    patched = client.patch(f"{url}{existing.pk}/", {}, format="json", **if_match(client, f"{url}{existing.pk}/"))
    deleted = client.delete(f"{url}{existing.pk}/", **if_match(client, f"{url}{existing.pk}/"))
    # then what their role allows succeeds, the rest is forbidden
    may_delete = may_delete_plan if url == PLANS else may_write
    expected_create, expected_patch = (201, 200) if may_write else (403, 403)
    assert (created.status_code, patched.status_code) == (expected_create, expected_patch), created.json()
    assert deleted.status_code == (204 if may_delete else 403)
    assert model.objects.filter(pk=existing.pk).exists() is not may_delete
    if may_write:
        assert created.json()["account"] == account.pk


def test_a_new_plan_is_a_draft_of_its_creator(api, manager, account):
    response = api(manager).post(PLANS, payload(PLANS, account), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["created_by"], body["account_external_id"]) == ("draft", manager.pk, "ERP-ACME")


def test_parts_carry_their_plan_and_account(api, colleague, account, plan):
    body = payload(OBJECTIVES, plan, target_value="2500000.00", target_unit="EUR")
    response = api(colleague).post(OBJECTIVES, body, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["plan"], body["account"], body["status"], body["target_value"]) == (
        plan.pk,
        account.pk,
        "open",
        "2500000.00",
    )


# --- every rule is a 400 naming its field ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", None),  # relationships_accountplan_title_not_blank
        ({"status": "paused"}, "status", None),  # relationships_accountplan_status_valid
        (
            {"period_end": "2026-12-31"},  # relationships_accountplan_period_end_after_start
            "period_end",
            "The period may not end before it starts.",
        ),
        ({"period_start": "2027-13-01"}, "period_start", None),
        ({"created_by": 1}, "created_by", "This field is read-only."),
        ({"completed": True}, "completed", "Unknown field."),
        ({"summary": 5}, "summary", "Must be a string."),
    ],
)
def test_plan_rules_are_refused_with_400(api, manager, account, overrides, field, message):
    response = api(manager).post(PLANS, payload(PLANS, account, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    if message:
        assert response.json()[field] == [message]
    assert not AccountPlan.objects.exists()


def test_two_plans_of_an_account_cannot_start_on_the_same_day(api, manager, account, plan):
    # relationships_accountplan_account_period_start_unique
    body = payload(PLANS, account, period_start="2026-01-01", period_end="2026-06-30")
    response = api(manager).post(PLANS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"period_start": ["This account already has a plan starting on this day."]}


def test_one_active_plan_per_account_and_day(api, manager, account, plan):
    # relationships_accountplan_one_active_per_period: 2026 is active; a 2026-07 → 2027-06 plan overlaps it
    body = payload(PLANS, account, period_start="2026-07-01", period_end="2027-06-30", status="active")
    response = api(manager).post(PLANS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    # as a draft it is fine, and activating it later is refused the same way until 2026 is closed
    draft = api(manager).post(PLANS, {**body, "status": "draft"}, format="json")
    assert draft.status_code == 201
    url = f"{PLANS}{draft.json()['id']}/"
    assert (
        api(manager).patch(url, {"status": "active"}, format="json", **if_match(api(manager), url)).status_code == 400
    )
    assert (
        api(manager)
        .patch(
            f"{PLANS}{plan.pk}/", {"status": "closed"}, format="json", **if_match(api(manager), f"{PLANS}{plan.pk}/")
        )
        .status_code
        == 200
    )
    assert (
        api(manager).patch(url, {"status": "active"}, format="json", **if_match(api(manager), url)).json()["status"]
        == "active"
    )


def test_a_plan_stays_with_its_account(api, director, plan):
    other = AccountFactory()
    response = api(director).patch(
        f"{PLANS}{plan.pk}/", {"account": other.pk}, format="json", **if_match(api(director), f"{PLANS}{plan.pk}/")
    )
    assert response.status_code == 400 and list(response.json()) == ["account"]
    assert AccountPlan.objects.get().account_id == plan.account_id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", None),  # relationships_planobjective_title_not_blank
        ({"target": ""}, "target", None),  # relationships_planobjective_target_not_blank
        ({"status": "done"}, "status", None),  # relationships_planobjective_status_valid
        (
            {"target_unit": "EUR"},  # relationships_planobjective_unit_needs_value
            "target_value",
            "A unit needs the target value it measures.",
        ),
        ({"target_value": 2500000}, "target_value", 'Send a decimal string such as "1250.00", not a number.'),
        ({"position": -1}, "position", None),
        ({"due": None}, "due", None),
    ],
)
def test_objective_rules_are_refused_with_400(api, manager, plan, overrides, field, message):
    response = api(manager).post(OBJECTIVES, payload(OBJECTIVES, plan, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    if message:
        assert response.json()[field] == [message]
    assert not PlanObjective.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "risk"}, "kind"),  # relationships_swotitem_kind_valid
        ({"text": ""}, "text"),  # relationships_swotitem_text_not_blank
        ({"text": "   "}, "text"),
    ],
)
def test_swot_rules_are_refused_with_400(api, manager, plan, overrides, field):
    response = api(manager).post(SWOT, payload(SWOT, plan, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not SwotItem.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),  # relationships_actionitem_title_not_blank
        ({"status": "later"}, "status"),  # relationships_actionitem_status_valid
        ({"completed_at": "2026-01-01T00:00:00Z"}, "completed_at"),  # relationships_actionitem_completed_iff_done
        ({"owner": 987654}, "owner"),
        ({"due": "soon"}, "due"),
    ],
)
def test_action_rules_are_refused_with_400(api, manager, plan, overrides, field):
    response = api(manager).post(ACTIONS, payload(ACTIONS, plan, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not ActionItem.objects.exists()


def test_an_action_serves_an_objective_of_its_own_plan(api, manager, account, plan):
    # relationships_actionitem_objective_same_plan: an objective of another plan of the account is refused
    other = next_year_plan(account)
    foreign = PlanObjectiveFactory(plan=other)
    response = api(manager).post(ACTIONS, payload(ACTIONS, plan, objective=foreign.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"objective": ["This objective belongs to another plan."]}
    mine = PlanObjectiveFactory(plan=plan)
    assert api(manager).post(ACTIONS, payload(ACTIONS, plan, objective=mine.pk), format="json").status_code == 201


def test_an_action_cannot_name_an_objective_the_caller_cannot_see(api, manager, plan, outsider_account):
    hidden = PlanObjectiveFactory(plan=AccountPlanFactory(account=outsider_account))
    response = api(manager).post(ACTIONS, payload(ACTIONS, plan, objective=hidden.pk), format="json")
    assert response.status_code == 400 and "objective" in response.json()


@pytest.mark.parametrize("persona", ["outsider", "integration"])
def test_an_action_goes_to_someone_working_on_the_account(request, api, manager, plan, persona):
    owner = request.getfixturevalue(persona)
    response = api(manager).post(ACTIONS, payload(ACTIONS, plan, owner=owner.pk), format="json")
    assert response.status_code == 400 and list(response.json()) == ["owner"]


def test_marking_an_action_done_records_when(api, colleague, manager, plan):
    action = ActionItemFactory(plan=plan, owner=manager)
    response = api(colleague).patch(
        f"{ACTIONS}{action.pk}/",
        {"status": "done"},
        format="json",
        **if_match(api(colleague), f"{ACTIONS}{action.pk}/"),
    )
    assert response.status_code == 200
    assert response.json()["completed_at"] is not None
    reopened = api(colleague).patch(
        f"{ACTIONS}{action.pk}/",
        {"status": "open"},
        format="json",
        **if_match(api(colleague), f"{ACTIONS}{action.pk}/"),
    )
    assert reopened.json()["completed_at"] is None


@pytest.mark.parametrize("url", PARTS)
def test_a_part_stays_in_its_plan(api, manager, account, plan, url):
    row = record(url, account, plan=plan)
    other = next_year_plan(account)
    response = api(manager).patch(
        f"{url}{row.pk}/", {"plan": other.pk}, format="json", **if_match(api(manager), f"{url}{row.pk}/")
    )
    assert response.status_code == 400 and list(response.json()) == ["plan"]
    response = api(manager).patch(
        f"{url}{row.pk}/", {"account": other.account_id}, format="json", **if_match(api(manager), f"{url}{row.pk}/")
    )
    assert response.status_code == 400 and response.json() == {"account": ["This field is read-only."]}


# --- filters ----------------------------------------------------------------------------------------------


def test_plans_filter_by_account_status_and_day(api, director, account, outsider_account, plan):
    old = AccountPlanFactory(
        account=account,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        status=PlanStatus.CLOSED,
    )
    theirs = AccountPlanFactory(account=outsider_account, status=PlanStatus.DRAFT)
    client = api(director)
    assert ids(client.get(PLANS, {"account": account.pk})) == {plan.pk, old.pk}
    assert ids(client.get(PLANS, {"account_external_id": "ERP-OUT"})) == {theirs.pk}
    assert ids(client.get(PLANS, {"status": ["closed", "draft"]})) == {old.pk, theirs.pk}
    assert ids(client.get(PLANS, {"in_force_on": "2025-06-30"})) == {old.pk}
    oldest_first = client.get(PLANS, {"account": account.pk, "ordering": "period_start"}).json()["results"]
    assert [row["id"] for row in oldest_first] == [old.pk, plan.pk]


def test_parts_filter_by_plan_account_and_status(api, manager, colleague, account, plan):
    today = timezone.localdate()
    other_plan = AccountPlanFactory(account=AccountFactory(owner=manager))
    objective = PlanObjectiveFactory(plan=plan, status="at_risk")
    PlanObjectiveFactory(plan=other_plan, status="achieved")
    threat = SwotItemFactory(plan=plan, kind="threat")
    SwotItemFactory(plan=plan, kind="strength")
    late = ActionItemFactory(plan=plan, owner=colleague, due=today - datetime.timedelta(days=2), objective=objective)
    ActionItemFactory(plan=plan, owner=manager, due=today - datetime.timedelta(days=2), status=ActionStatus.DONE)
    ActionItemFactory(plan=other_plan, owner=manager)
    client = api(manager)
    assert ids(client.get(OBJECTIVES, {"status": "at_risk"})) == {objective.pk}
    assert ids(client.get(OBJECTIVES, {"account": other_plan.account_id})) == {other_plan.objectives.get().pk}
    assert ids(client.get(SWOT, {"plan": plan.pk, "kind": "threat"})) == {threat.pk}
    assert ids(client.get(ACTIONS, {"overdue": "true"})) == {late.pk}
    assert ids(client.get(ACTIONS, {"owner": colleague.pk})) == {late.pk}
    assert ids(client.get(ACTIONS, {"objective": objective.pk})) == {late.pk}
    assert len(ids(client.get(ACTIONS, {"overdue": "false"}))) == 2


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        (PLANS, "status", "paused"),
        (PLANS, "in_force_on", "today"),
        (ACTIONS, "overdue", "yes"),
        (ACTIONS, "owner", "bob"),
        (SWOT, "kind", "risk"),
        (OBJECTIVES, "due_after", "2026-02-30"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(api, manager, url, name, value):
    response = api(manager).get(url, {name: value})
    assert response.status_code == 400
    assert name in response.json(), response.json()


# --- query counts -----------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    client.get(url)  # the token's first use records last_used_at; count the steady state
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"page_size": 100}).status_code == 200
    return len(queries)


def _make(url, manager, colleague):
    account = AccountFactory(owner=manager, team=[colleague])
    plan = AccountPlanFactory(account=account)
    if url == PLANS:
        return plan
    objective = PlanObjectiveFactory(plan=plan)
    if url == OBJECTIVES:
        return objective
    if url == SWOT:
        return SwotItemFactory(plan=plan)
    return ActionItemFactory(plan=plan, owner=colleague, objective=objective)


@pytest.mark.parametrize("persona", ["manager", "director"])
@pytest.mark.parametrize("url", RESOURCES)
def test_list_query_count_is_constant(request, api, persona, manager, colleague, url):
    # given one record, measured
    client = api(request.getfixturevalue(persona))
    _make(url, manager, colleague)
    one = _count_queries(client, url)
    # when there are ten
    for _ in range(9):
        _make(url, manager, colleague)
    assert len(client.get(url, {"page_size": 100}).json()["results"]) == 10
    # then the list costs the same: token + user, the user's roles, the count, the page of records (a plan
    # with its account joined; a part with its plan and the plan's account joined)
    assert _count_queries(client, url) == one == 4
