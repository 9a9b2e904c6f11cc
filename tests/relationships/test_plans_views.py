"""The account plan pages: the "Account plan" section of the account page, the plan's page with its inline
(htmx) forms for objectives, SWOT items and actions, and the plain pages that create, edit and delete them —
who sees and may do what, outsiders 404 on every URL, errors next to their fields, constant query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relationships.choices import ActionStatus, ObjectiveStatus, PlanStatus, SwotKind
from relationships.models import AccountPlan, ActionItem, PlanObjective, SwotItem
from tests.factories import AccountPlanFactory, ActionItemFactory, PlanObjectiveFactory, SwotItemFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def detail_url(account) -> str:
    return reverse("accounts:account_detail", args=[account.pk])


def plan_url(plan, name: str = "account_plan_detail") -> str:
    return reverse(f"relationships:{name}", args=[plan.account_id, plan.pk])


def part_url(plan, name: str, pk: int | None = None) -> str:
    args = [plan.account_id, plan.pk] + ([pk] if pk is not None else [])
    return reverse(f"relationships:{name}", args=args)


def new_plan_url(account) -> str:
    return reverse("relationships:account_plan_create", args=[account.pk])


@pytest.fixture
def plan(account, manager, colleague):
    """This year's active plan with an objective, two SWOT items and two actions, one of them overdue."""
    plan = AccountPlanFactory(
        account=account,
        title="Acme plan this year",
        period_start=today().replace(month=1, day=1),
        period_end=today().replace(month=12, day=31),
        summary="Become their preferred service partner.",
        created_by=manager,
    )
    objective = PlanObjectiveFactory(plan=plan, title="Grow services", target="Services revenue 400 k EUR")
    SwotItemFactory(plan=plan, kind=SwotKind.STRENGTH, text="Trusted by the CTO")
    SwotItemFactory(plan=plan, kind=SwotKind.THREAT, text="A rival undercuts us")
    ActionItemFactory(plan=plan, title="Send the renewal offer", owner=colleague, due=days(-3), objective=objective)
    ActionItemFactory(plan=plan, title="Book the QBR", owner=manager, due=days(20))
    return plan


def next_year_plan(plan, **kwargs) -> AccountPlan:
    start = plan.period_end + datetime.timedelta(days=1)
    return AccountPlanFactory(
        account=plan.account, period_start=start, period_end=start.replace(month=12, day=31), **kwargs
    )


def objective_data(**overrides) -> dict:
    data = {"title": "Win the Lyon plant", "target": "One signed order", "due": days(60).isoformat(), "status": "open"}
    return {key: value for key, value in {**data, **overrides}.items() if value is not None}


def action_data(**overrides) -> dict:
    data = {"title": "Visit the plant", "due": days(10).isoformat(), "status": "open"}
    return {key: value for key, value in {**data, **overrides}.items() if value is not None}


# --- the account page's section ---------------------------------------------------------------------------


def test_account_page_shows_the_current_plan(client, manager, account, plan):
    # given this year's plan and a draft for next year
    next_year_plan(plan, title="Next year", status=PlanStatus.DRAFT)
    client.force_login(manager)
    # when the owner opens the account
    content = client.get(detail_url(account)).content.decode()
    section = content[content.index('id="plan"') :]
    section = section[: section.index("</section>")]
    # then the section shows this year's plan: period, objectives with status and due date, the SWOT grid,
    # actions with owner, due date and status, the overdue one highlighted; and links to the other plan
    assert "Acme plan this year" in section and plan_url(plan) in section
    assert "Become their preferred service partner." in section
    assert "Grow services" in section and "kam-objective-status-on_track" in section
    assert "Strengths" in section and "Trusted by the CTO" in section
    assert "Threats" in section and "A rival undercuts us" in section
    assert "Weaknesses" in section and "Opportunities" in section
    assert "Send the renewal offer" in section and "Colin Colleague" in section
    assert '<tr class="table-danger">' in section and "Overdue" in section
    assert "Next year" in section
    assert "1 overdue" in section


@pytest.mark.parametrize(
    ("persona", "may_create"), [("manager", True), ("colleague", True), ("director", True), ("integration", False)]
)
def test_without_a_plan_the_section_offers_to_create_one(request, client, account, persona, may_create):
    client.force_login(request.getfixturevalue(persona))
    content = client.get(detail_url(account)).content.decode()
    assert "No account plan yet." in content
    assert ("Create a plan" in content) is may_create
    assert (new_plan_url(account) in content) is may_create


def _plan_with_parts(account, owner, n: int) -> AccountPlan:
    plan = AccountPlanFactory(account=account)
    _add_parts(plan, owner, n)
    return plan


def _add_parts(plan, owner, n: int) -> None:
    for _ in range(n):
        objective = PlanObjectiveFactory(plan=plan)
        SwotItemFactory(plan=plan, kind=SwotKind.OPPORTUNITY)
        ActionItemFactory(plan=plan, owner=owner, objective=objective)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["manager", "colleague"])
def test_account_page_query_count_does_not_grow_with_the_plan(request, client, account, persona):
    # given a plan with one objective, SWOT item and action, measured
    user = request.getfixturevalue(persona)
    plan = _plan_with_parts(account, user, 1)
    client.force_login(user)
    with_one = count_queries(client, detail_url(account))
    # when it has ten of each
    _add_parts(plan, user, 9)
    with_ten = count_queries(client, detail_url(account))
    # then the page costs the same: the plan adds the plans, objectives, SWOT items and actions (owner and
    # objective joined) to the page without a plan (see tests/accounts/test_views.py)
    assert with_ten == with_one


# --- the plan page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "may_edit", "may_delete"),
    [("manager", True, True), ("colleague", True, False), ("director", True, True), ("integration", False, False)],
)
def test_plan_page_shows_the_plan_to_who_sees_the_account(request, client, plan, persona, may_edit, may_delete):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(plan_url(plan))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Acme plan this year · Acme Industries · KAM</title>" in content
    assert "Services revenue 400 k EUR" in content and "Trusted by the CTO" in content
    assert "Send the renewal offer" in content and "Overdue · 3 d" in content
    assert (part_url(plan, "plan_objective_create") in content) is may_edit
    assert (part_url(plan, "swot_item_create") in content) is may_edit
    assert (part_url(plan, "action_item_create") in content) is may_edit
    assert (plan_url(plan, "account_plan_update") in content) is may_edit
    assert (plan_url(plan, "account_plan_delete") in content) is may_delete


def _every_url(plan) -> list[str]:
    objective, swot, action = plan.objectives.first(), plan.swot_items.first(), plan.action_items.first()
    return [
        new_plan_url(plan.account),
        plan_url(plan),
        plan_url(plan, "account_plan_update"),
        plan_url(plan, "account_plan_delete"),
        part_url(plan, "plan_objective_create"),
        part_url(plan, "plan_objective_update", objective.pk),
        part_url(plan, "plan_objective_delete", objective.pk),
        part_url(plan, "swot_item_create"),
        part_url(plan, "swot_item_update", swot.pk),
        part_url(plan, "swot_item_delete", swot.pk),
        part_url(plan, "action_item_create"),
        part_url(plan, "action_item_update", action.pk),
        part_url(plan, "action_item_delete", action.pk),
        part_url(plan, "action_item_done", action.pk),
    ]


@pytest.mark.parametrize("persona", ["outsider", "roleless"])
def test_every_plan_url_is_404_for_who_may_not_see_the_account(request, client, plan, persona):
    # given someone who may not see the account / when they open or post to any plan URL
    client.force_login(request.getfixturevalue(persona))
    for url in _every_url(plan):
        # then it does not exist for them (a method the URL never takes is a 405 to anyone), and nothing changed
        answers = {client.get(url).status_code, client.post(url, {"title": "x", "text": "x"}).status_code}
        assert answers in ({404}, {404, 405}), url
    assert AccountPlan.objects.count() == 1 and ActionItem.objects.count() == 2
    assert PlanObjective.objects.count() == 1 and SwotItem.objects.count() == 2


def test_a_plan_is_404_under_another_account(client, director, plan, outsider_account):
    client.force_login(director)
    wrong = reverse("relationships:account_plan_detail", args=[outsider_account.pk, plan.pk])
    assert client.get(wrong).status_code == 404


def test_a_part_is_404_under_another_plan(client, manager, account, plan):
    other = next_year_plan(plan)
    client.force_login(manager)
    assert client.get(part_url(other, "action_item_update", plan.action_items.first().pk)).status_code == 404


def test_integration_reads_but_may_not_write(client, integration, account, plan):
    client.force_login(integration)
    for url in _every_url(plan):
        if url in (plan_url(plan),):
            continue
        assert client.post(url, {"title": "x"}).status_code == 403, url
    assert client.get(new_plan_url(account)).status_code == 403


@pytest.mark.parametrize("persona", ["manager", "colleague"])
def test_plan_page_query_count_does_not_grow_with_its_parts(request, client, account, persona):
    user = request.getfixturevalue(persona)
    plan = _plan_with_parts(account, user, 1)
    client.force_login(user)
    with_one = count_queries(client, plan_url(plan))
    _add_parts(plan, user, 9)
    # session, user, roles, the account, the plan, the account's plans, objectives, SWOT items, actions (owner
    # and objective joined), the action form's owner and objective choices, the navbar's unread notifications;
    # a colleague asks "on the team" once
    assert count_queries(client, plan_url(plan)) == with_one == (12 if persona == "manager" else 13)


# --- creating, editing and deleting a plan ---------------------------------------------------------------


def test_a_new_plan_is_offered_the_next_free_year(client, manager, account, plan):
    client.force_login(manager)
    form = client.get(new_plan_url(account)).context["form"]
    next_year = today().year + 1
    assert form.initial["period_start"] == datetime.date(next_year, 1, 1)
    assert form.initial["title"] == f"Account plan {next_year}"


def test_colleague_creates_a_plan_and_lands_on_it(client, colleague, account):
    client.force_login(colleague)
    data = {"title": "FY plan", "status": "active", "period_start": "2030-01-01", "period_end": "2030-12-31"}
    response = client.post(new_plan_url(account), data)
    plan = AccountPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan_url(plan)
    assert (plan.created_by, plan.status) == (colleague, PlanStatus.ACTIVE)
    page = client.get(response["Location"]).content.decode()
    assert "Plan “FY plan” created." in page


YEAR = datetime.date.today().year


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"period_end": "2029-12-31"}, "period_end", "The period may not end before it starts."),
        ({"title": ""}, "title", "This field is required."),
        (
            {"period_start": f"{YEAR}-01-01", "status": "draft"},
            "period_start",
            "This account already has a plan starting on this day.",
        ),
        # active, overlapping this year's active plan
        ({"period_start": f"{YEAR}-06-01", "period_end": f"{YEAR}-06-30"}, "status", None),
    ],
)
def test_plan_form_shows_errors_next_to_their_fields(client, manager, account, plan, overrides, field, message):
    client.force_login(manager)
    data = {"title": "Plan", "status": "active", "period_start": "2030-01-01", "period_end": "2030-12-31", **overrides}
    response = client.post(new_plan_url(account), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert AccountPlan.objects.count() == 1


def test_closing_a_plan(client, colleague, plan):
    client.force_login(colleague)
    data = {"title": plan.title, "status": "closed", "summary": "Done"}
    data |= {"period_start": plan.period_start.isoformat(), "period_end": plan.period_end.isoformat()}
    response = client.post(plan_url(plan, "account_plan_update"), data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED


def test_only_the_owner_and_directors_delete_a_plan(client, manager, colleague, account, plan):
    # given a team member / when they try to delete the plan / then they may not
    client.force_login(colleague)
    assert client.get(plan_url(plan, "account_plan_delete")).status_code == 403
    assert client.post(plan_url(plan, "account_plan_delete")).status_code == 403
    # given the owner / when they confirm / then the plan and its parts are gone, back to the account page
    client.force_login(manager)
    assert client.get(plan_url(plan, "account_plan_delete")).status_code == 200
    response = client.post(plan_url(plan, "account_plan_delete"))
    assert response.status_code == 302 and response["Location"] == f"{detail_url(account)}#plan"
    assert not AccountPlan.objects.exists() and not ActionItem.objects.exists()


# --- objectives -------------------------------------------------------------------------------------------


def test_adding_an_objective_with_htmx_returns_the_section_and_refreshes_the_actions(client, manager, plan):
    client.force_login(manager)
    response = client.post(part_url(plan, "plan_objective_create"), objective_data(), **HTMX)
    assert response.status_code == 200
    objective = PlanObjective.objects.get(title="Win the Lyon plant")
    content = response.content.decode()
    assert f'id="objective-{objective.pk}"' in content
    assert "Objective “Win the Lyon plant” added." in content
    assert '<div id="messages" class="kam-messages" hx-swap-oob="true">' in content
    # the actions section comes along out of band, so its objective choices include the new one
    assert 'id="plan-actions"' in content and 'hx-swap-oob="true"' in content
    assert f'<option value="{objective.pk}">Win the Lyon plant</option>' in content
    assert "<html" not in content


def test_adding_an_objective_without_javascript_redirects_to_it(client, manager, plan):
    client.force_login(manager)
    response = client.post(part_url(plan, "plan_objective_create"), objective_data())
    objective = PlanObjective.objects.get(title="Win the Lyon plant")
    assert response["Location"] == f"{plan_url(plan)}#objective-{objective.pk}"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"target_unit": "EUR"}, "target_value", "A unit needs the target value it measures."),
        ({"target": ""}, "target", "This field is required."),
        ({"due": "soon"}, "due", None),
        ({"status": "finished"}, "status", None),
    ],
)
def test_objective_errors_show_in_the_open_inline_form(client, manager, plan, overrides, field, message):
    client.force_login(manager)
    response = client.post(part_url(plan, "plan_objective_create"), objective_data(**overrides), **HTMX)
    assert response.status_code == 200
    errors = response.context["objective_form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    content = response.content.decode()
    assert 'id="add-objective" open' in content and f'id="id_{field}_error"' in content
    assert PlanObjective.objects.count() == 1


def test_form_errors_without_javascript_render_a_full_page(client, manager, plan):
    client.force_login(manager)
    response = client.post(part_url(plan, "plan_objective_create"), objective_data(title=""))
    assert response.status_code == 200
    assert "<title>Add objective · Acme plan this year · KAM</title>" in response.content.decode()


def test_editing_an_objective(client, manager, plan):
    objective = plan.objectives.get()
    client.force_login(manager)
    url = part_url(plan, "plan_objective_update", objective.pk)
    assert client.get(url).context["form"].initial["title"] == "Grow services"
    # an invalid change shows the error and keeps the stored objective
    bad = client.post(url, objective_data(title="Grow services", target_unit="%"))
    assert bad.context["form"].errors["target_value"] == ["A unit needs the target value it measures."]
    objective.refresh_from_db()
    assert objective.target_unit == "EUR"
    # a valid one saves and goes back to it
    response = client.post(url, objective_data(title="Grow services", status=ObjectiveStatus.ACHIEVED))
    assert response["Location"] == f"{plan_url(plan)}#objective-{objective.pk}"
    objective.refresh_from_db()
    assert objective.status == ObjectiveStatus.ACHIEVED


def test_deleting_an_objective_with_htmx_keeps_its_actions(client, manager, plan):
    objective = plan.objectives.get()
    client.force_login(manager)
    url = part_url(plan, "plan_objective_delete", objective.pk)
    assert client.get(url).status_code == 200  # the confirmation page, without JavaScript
    response = client.post(url, **HTMX)
    assert response.status_code == 200
    assert "Objective “Grow services” deleted." in response.content.decode()
    assert not PlanObjective.objects.exists()
    assert ActionItem.objects.count() == 2


# --- SWOT -------------------------------------------------------------------------------------------------


def test_adding_a_swot_item_lands_in_its_quadrant(client, colleague, plan):
    client.force_login(colleague)
    response = client.post(part_url(plan, "swot_item_create"), {"kind": "opportunity", "text": "New plant"}, **HTMX)
    assert response.status_code == 200
    item = SwotItem.objects.get(text="New plant")
    content = response.content.decode()
    quadrant = content[content.index('class="h-100 rounded border border-primary-subtle') :]
    assert f'id="swot-{item.pk}"' in quadrant[: quadrant.index("</details>")]


def test_a_blank_swot_item_shows_the_error_in_its_quadrant_only(client, manager, plan):
    client.force_login(manager)
    response = client.post(part_url(plan, "swot_item_create"), {"kind": "weakness", "text": ""}, **HTMX)
    content = response.content.decode()
    assert 'id="add-swot-weakness" open' in content
    assert 'id="add-swot-strength" open' not in content
    assert content.count("This field is required.") == 1
    assert SwotItem.objects.count() == 2


def test_editing_and_deleting_a_swot_item(client, manager, plan):
    item = plan.swot_items.get(kind=SwotKind.THREAT)
    client.force_login(manager)
    response = client.post(part_url(plan, "swot_item_update", item.pk), {"kind": "threat", "text": "Two rivals"})
    assert response["Location"] == f"{plan_url(plan)}#swot-{item.pk}"
    response = client.post(part_url(plan, "swot_item_delete", item.pk))
    assert response["Location"] == f"{plan_url(plan)}#plan-swot"
    assert not SwotItem.objects.filter(pk=item.pk).exists()


# --- actions ----------------------------------------------------------------------------------------------


def test_adding_an_action_for_a_colleague(client, manager, colleague, plan):
    client.force_login(manager)
    objective = plan.objectives.get()
    data = action_data(owner=colleague.pk, objective=objective.pk)
    response = client.post(part_url(plan, "action_item_create"), data, **HTMX)
    assert response.status_code == 200
    action = ActionItem.objects.get(title="Visit the plant")
    assert (action.owner, action.objective) == (colleague, objective)
    assert f'id="action-{action.pk}"' in response.content.decode()


def test_the_action_form_offers_the_people_on_the_account(client, manager, colleague, director, outsider, plan):
    client.force_login(manager)
    form = client.get(plan_url(plan)).context["action_form"]
    assert set(form.fields["owner"].queryset) == {manager, colleague, director}
    assert form.initial["owner"] == manager.pk
    # and an outsider posted anyway is refused on ``owner``
    response = client.post(part_url(plan, "action_item_create"), action_data(owner=outsider.pk), **HTMX)
    assert "owner" in response.context["action_form"].errors
    assert not ActionItem.objects.filter(title="Visit the plant").exists()


def test_an_action_cannot_serve_an_objective_of_another_plan(client, manager, account, plan):
    other = next_year_plan(plan)
    foreign = PlanObjectiveFactory(plan=other)
    client.force_login(manager)
    response = client.post(part_url(plan, "action_item_create"), action_data(objective=foreign.pk), **HTMX)
    assert "objective" in response.context["action_form"].errors
    assert 'id="add-action" open' in response.content.decode()


def test_ticking_an_action_off(client, colleague, plan):
    action = plan.action_items.get(title="Send the renewal offer")
    client.force_login(colleague)
    response = client.post(part_url(plan, "action_item_done", action.pk), **HTMX)
    assert response.status_code == 200
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.completed_at is not None
    assert "Action “Send the renewal offer” done." in response.content.decode()
    # and the GET of that URL is not allowed
    assert client.get(part_url(plan, "action_item_done", action.pk)).status_code == 405


def test_an_owner_who_left_the_team_still_shows_on_the_edit_form(client, manager, colleague, account, plan):
    action = plan.action_items.get(owner=colleague)
    account.team.clear()
    client.force_login(manager)
    url = part_url(plan, "action_item_update", action.pk)
    form = client.get(url).context["form"]
    assert colleague in form.fields["owner"].queryset
    data = action_data(title=action.title, owner=colleague.pk, status="in_progress")
    assert client.post(url, data).status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS


def test_deleting_an_action_with_htmx(client, manager, plan):
    action = plan.action_items.get(title="Book the QBR")
    client.force_login(manager)
    response = client.post(part_url(plan, "action_item_delete", action.pk), **HTMX)
    assert response.status_code == 200 and 'id="plan-actions"' in response.content.decode()
    assert not ActionItem.objects.filter(pk=action.pk).exists()
