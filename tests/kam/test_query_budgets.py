"""Query budgets (issue 10): how many queries every GET of the API and every page costs, constant in the number of
rows, pinned here query by query (as NetBox and Healthchecks pin theirs).

Every GET operation of the OpenAPI schema and every named page URL — the lists the authorization matrices build
(``test_authorization_matrix*.py``), so a new one fails here until it has a budget — is asked for by the director
and by the manager in the matrices' world (``tests/kam/conftest.py``: an account with one record of every kind),
then again after ``world_grow`` added five more of everything: accounts in the manager's portfolio (and in another
manager's), and on the world's account contacts, orders, invoices, answers, advocacy, contracts, interactions,
plans and their parts, grants with events and costs, overrides, proposals, ladder moves, scores; tokens,
notifications, webhook subscriptions, deliveries and attempts, imports, budgets, benefit types, team members.
Both counts must be the budget: a query per row (an N+1) shows as a count that grew, a new query as a budget
missed.

Variants are budgets of their own: an API list as CSV (``… (csv)``: ``?format=csv``), a page's CSV export
(``?export=csv``, where the page has one), and a fragment that only htmx asks for (``… (htmx)``: a plain GET of
it sends the browser to the account page). Budgets are ``(director, manager)``; ``None`` where that persona is
refused (403 or 404, as the matrices pin), ``POST_ONLY`` for an action URL (a GET is a 405).

Words in the comments, one query each unless said:

- ``auth``: the API token with its user; ``roles``: the user's groups (what they may see and do), read once;
- ``signed in``: on pages, the session, its user and the user's groups (3 queries);
- ``count`` and ``page``: the paginator's COUNT and the page's rows; ``rows``: a CSV's rows (a server-side
  cursor, one query per 2,000 rows);
- ``bell``: the count of unread notifications in the navigation (pages);
- ``… choices``: a form's choices (owners, contacts, objectives…);
- ``(prefetch)``: one query for the related rows of every row (``prefetch_related``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.models import ApiToken
from tests.kam.query_budget_world import world_grow
from tests.kam.test_authorization_matrix import _resource, operations, schema
from tests.kam.test_authorization_matrix_pages import routes, url_of

pytestmark = pytest.mark.django_db

PERSONAS = ("director", "manager")
GROWTH = 5
POST_ONLY = "POST only"
Budget = tuple[int | None, int | None] | str

#                                              director manager
API_BUDGETS: dict[str, Budget] = {
    "GET /api/v1/account-plans/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/account-plans/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/account-plans/{id}/": (3, 3),  # auth, roles, plan
    "GET /api/v1/accounts/": (5, 5),  # auth, roles, count, page (score, cadence, contacts joined), team (prefetch)
    "GET /api/v1/accounts/ (csv)": (4, 4),  # auth, roles, rows, team (prefetch)
    "GET /api/v1/accounts/{id}/": (4, 4),  # auth, roles, account, team (prefetch)
    # auth, roles, account; ladder state; evidence: orders, NPS answers, advocacy, contracts; the override, the
    # Partner proposal, the moves
    "GET /api/v1/accounts/{id}/ladder/": (11, 11),
    "GET /api/v1/accounts/{id}/score/": (4, 4),  # auth, roles, account, latest score (run, policy joined)
    "GET /api/v1/accounts/{id}/scores/": (5, 5),  # auth, roles, account, count, page
    "GET /api/v1/accounts/{id}/scores/ (csv)": (4, 4),  # auth, roles, account, rows
    "GET /api/v1/action-items/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/action-items/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/action-items/{id}/": (3, 3),  # auth, roles, action
    "GET /api/v1/advocacy-events/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/advocacy-events/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/advocacy-events/{id}/": (3, 3),  # auth, roles, event
    "GET /api/v1/api-tokens/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/api-tokens/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/api-tokens/{id}/": (3, 3),  # auth, roles, token
    "GET /api/v1/benefit-budgets/": (4, None),  # auth, roles, count, page
    "GET /api/v1/benefit-budgets/ (csv)": (3, None),  # auth, roles, rows
    "GET /api/v1/benefit-budgets/{id}/": (3, None),  # auth, roles, budget
    "GET /api/v1/benefit-costs/": (4, None),  # auth, roles, count, page
    "GET /api/v1/benefit-costs/ (csv)": (3, None),  # auth, roles, rows
    "GET /api/v1/benefit-costs/{id}/": (3, None),  # auth, roles, cost
    "GET /api/v1/benefit-types/": (3, 3),  # auth, count, page (everyone reads the catalog: no roles)
    "GET /api/v1/benefit-types/ (csv)": (2, 2),  # auth, rows
    "GET /api/v1/benefit-types/{id}/": (2, 2),  # auth, type
    "GET /api/v1/contacts/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/contacts/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/contacts/{id}/": (3, 3),  # auth, roles, contact
    "GET /api/v1/contracts/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/contracts/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/contracts/{id}/": (3, 3),  # auth, roles, contract
    "GET /api/v1/feedback/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/feedback/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/feedback/{id}/": (3, 3),  # auth, roles, answer
    "GET /api/v1/grants/": (5, 5),  # auth, roles, count, page (ROI joined), events (prefetch)
    "GET /api/v1/grants/ (csv)": (4, 4),  # auth, roles, rows, events (prefetch)
    "GET /api/v1/grants/{id}/": (4, 4),  # auth, roles, grant, events (prefetch)
    "GET /api/v1/imports/{id}/": (3, None),  # auth, roles, job
    "GET /api/v1/interactions/": (5, 5),  # auth, roles, count, page, contacts (prefetch)
    "GET /api/v1/interactions/ (csv)": (4, 4),  # auth, roles, rows, contacts (prefetch)
    "GET /api/v1/interactions/{id}/": (4, 4),  # auth, roles, interaction, contacts (prefetch)
    "GET /api/v1/invoices/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/invoices/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/invoices/{id}/": (3, 3),  # auth, roles, invoice
    "GET /api/v1/ladder-overrides/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/ladder-overrides/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/ladder-overrides/{id}/": (3, 3),  # auth, roles, override
    "GET /api/v1/notifications/": (2, 3),  # auth, count, page (the director has none: no page to read)
    "GET /api/v1/notifications/ (csv)": (2, 2),  # auth, rows
    "GET /api/v1/notifications/{id}/": (None, 2),  # auth, notification (the recipient's alone)
    "GET /api/v1/orders/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/orders/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/orders/{id}/": (3, 3),  # auth, roles, order
    "GET /api/v1/partner-proposals/": (4, None),  # auth, roles, count, page
    "GET /api/v1/partner-proposals/ (csv)": (3, None),  # auth, roles, rows
    "GET /api/v1/partner-proposals/{id}/": (3, None),  # auth, roles, proposal
    "GET /api/v1/plan-objectives/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/plan-objectives/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/plan-objectives/{id}/": (3, 3),  # auth, roles, objective
    "GET /api/v1/scoring-runs/": (4, None),  # auth, roles, count, page
    "GET /api/v1/scoring-runs/ (csv)": (3, None),  # auth, roles, rows
    "GET /api/v1/scoring-runs/{id}/": (3, None),  # auth, roles, run
    "GET /api/v1/swot-items/": (4, 4),  # auth, roles, count, page
    "GET /api/v1/swot-items/ (csv)": (3, 3),  # auth, roles, rows
    "GET /api/v1/swot-items/{id}/": (3, 3),  # auth, roles, item
    # the manager sees no webhooks: auth, then count or rows (nothing to read)
    "GET /api/v1/webhook-deliveries/": (5, 2),  # auth, roles, count, page, attempts (prefetch)
    "GET /api/v1/webhook-deliveries/ (csv)": (4, 2),  # auth, roles, rows, attempts (prefetch)
    "GET /api/v1/webhook-deliveries/{id}/": (4, None),  # auth, roles, delivery, attempts (prefetch)
    "GET /api/v1/webhooks/": (4, 2),  # auth, roles, count, page
    "GET /api/v1/webhooks/ (csv)": (3, 2),  # auth, roles, rows
    "GET /api/v1/webhooks/{id}/": (3, None),  # auth, roles, subscription
}

#                                              director manager
PAGE_BUDGETS: dict[str, Budget] = {
    "accounts:account_create": (6, None),  # signed in, bell, owner choices, team choices
    # signed in, account; timeline, its contacts (prefetch); advocacy; the plan in force, its objectives,
    # actions, SWOT; order totals, revenue per month, invoice totals, NPS answers, contacts; stakeholder map:
    # interactions, cadence; the score trend; ladder: state, evidence (orders, answers, advocacy, contracts),
    # override, proposal, moves, referred accounts; benefits: catalog, grants, their events; history; the team;
    # bell; the forms' choices: interaction contacts, answer contacts (the referred account is typed, with
    # suggestions: no choices); latest orders, latest invoices, contacts, contracts, the owner
    "accounts:account_detail": (42, 42),
    "accounts:account_history": (7, 7),  # signed in, account, entries, their actors, bell
    "accounts:account_list": (7, 7),  # signed in, count, page (score, cadence, contacts joined), bell, owner choices
    "accounts:account_list (csv)": (4, 4),  # signed in, rows
    "accounts:account_list (htmx)": (5, 5),  # signed in, count, page
    "accounts:account_update": (8, 7),  # signed in, account, team, bell, owner choices (director), team choices
    "accounts:contact_create": (5, 5),  # signed in, account, bell
    "accounts:contact_create (htmx)": (5, 5),  # signed in, account, contacts
    "accounts:contact_delete": (6, 6),  # signed in, account, contact, bell
    "accounts:contact_update": (6, 6),  # signed in, account, contact, bell
    "accounts:scoring_policy_activate": POST_ONLY,
    "accounts:scoring_policy_edit": (5, None),  # signed in, policies, bell
    "accounts:scoring_run_detail": (5, None),  # signed in, run, bell
    "accounts:scoring_run_list": (6, None),  # signed in, count, bell, page
    "accounts:scoring_run_list (htmx)": (5, None),  # signed in, count, page (the table polling while a run works)
    "accounts:scoring_run_status": (4, None),  # signed in, run (the panel polling)
    "accounts:scoring_run_list (csv)": (4, None),  # signed in, rows
    "benefits:account_benefits": (4, 4),  # signed in, account (then to the account page)
    "benefits:account_benefits (htmx)": (8, 8),  # signed in, account, its score, catalog, grants, events
    "benefits:approvals": (7, None),  # signed in, requests, their accounts' scores, budgets, bell
    "benefits:approvals (csv)": (6, None),  # signed in, requests, their accounts' scores, budgets
    "benefits:budget_update": (6, None),  # signed in, budget, bell, its grants (count)
    "benefits:budgets": (6, None),  # signed in, budgets, their grants (prefetch), bell
    "benefits:budgets (csv)": (5, None),  # signed in, budgets, their grants (prefetch)
    "benefits:catalog": (5, 5),  # session, user, types, roles, bell
    "benefits:catalog (csv)": (3, 3),  # session, user, types
    "benefits:cost_record": POST_ONLY,
    "benefits:grant_decide": POST_ONLY,
    "benefits:grant_request": POST_ONLY,
    "benefits:roi": (7, 7),  # signed in, count, totals, bell, page
    "benefits:roi (csv)": (4, 4),  # signed in, rows
    "benefits:type_create": (4, None),  # signed in, bell
    "benefits:type_update": (5, None),  # signed in, type, bell
    "dashboard_refresh": POST_ONLY,
    "healthz": (1, 1),  # SELECT 1
    # signed in; the filters' industries and owners; the current run and the one a year back; the
    # summary's cells; the live part (SAVEPOINT, SET LOCAL, the statement, RELEASE); the owner filter's user;
    # the nightly run; bell
    "home": (15, 15),
    "imports:detail": (5, None),  # signed in, job, bell
    "imports:errors_csv": (4, None),  # signed in, job (its errors are a column)
    "imports:list": (5, None),  # signed in, bell, jobs
    "imports:status": (4, None),  # signed in, job
    "ladder:board": (7, 7),  # signed in, accounts per stage, moves per month, latest moves, bell
    "ladder:override_create": POST_ONLY,
    "ladder:override_decide": POST_ONLY,
    "ladder:panel": (4, 4),  # signed in, account (then to the account page)
    # signed in, account; state, evidence (orders, answers, advocacy, contracts), override, proposal,
    # moves
    "ladder:panel (htmx)": (12, 12),
    "ladder:proposal_decide": POST_ONLY,
    "ladder:queue": (6, None),  # signed in, proposals, override requests, bell
    "ladder:queue (csv)": (5, None),  # signed in, proposals, override requests
    "login": (2, 2),  # session, user (signed in already: sent on)
    "logout": POST_ONLY,
    "notification_list": (5, 6),  # session, user, count, roles, bell, page (the director has none)
    "notification_list (csv)": (3, 3),  # session, user, rows
    "notification_read": POST_ONLY,
    "notification_read_all": POST_ONLY,
    "relationships:account_plan_create": (6, 6),  # signed in, account, plans, bell
    "relationships:account_plan_delete": (6, 6),  # signed in, account, plan, bell
    # signed in, account, plan, objectives, SWOT, actions, bell, owner choices, objective choices,
    # other plans
    "relationships:account_plan_detail": (12, 12),
    "relationships:account_plan_update": (6, 6),  # signed in, account, plan, bell
    "relationships:action_item_create": (8, 8),  # signed in, account, plan, bell, owner and objective choices
    "relationships:action_item_create (htmx)": (8, 8),  # signed in, account, plan, actions, owner and objective choices
    "relationships:action_item_delete": (7, 7),  # signed in, account, plan, action, bell
    "relationships:action_item_done": POST_ONLY,
    "relationships:action_item_update": (9, 9),  # signed in, account, plan, action, bell, owner and objective choices
    "relationships:advocacy_event_create": (5, 5),  # signed in, account, bell
    "relationships:advocacy_event_create (htmx)": (5, 5),  # signed in, account, events
    "relationships:advocacy_referral_options": (4, 4),  # signed in, account, the matching accounts (20 at most)
    "relationships:advocacy_event_verify": POST_ONLY,
    "relationships:feedback_create": (6, 6),  # signed in, account, bell, contact choices
    "relationships:feedback_create (htmx)": (7, 7),  # signed in, account, NPS figures, answers, contact choices
    "relationships:interaction_create": (6, 6),  # signed in, account, bell, contact choices
    "relationships:interaction_create (htmx)": (7, 7),  # signed in, account, timeline, contacts (prefetch), choices
    "relationships:plan_objective_create": (6, 6),  # signed in, account, plan, bell
    # signed in, account, plan, objectives, actions, owner and objective choices
    "relationships:plan_objective_create (htmx)": (9, 9),
    "relationships:plan_objective_delete": (7, 7),  # signed in, account, plan, objective, bell
    "relationships:plan_objective_update": (7, 7),  # signed in, account, plan, objective, bell
    "relationships:swot_item_create": (6, 6),  # signed in, account, plan, bell
    "relationships:swot_item_create (htmx)": (6, 6),  # signed in, account, plan, SWOT
    "relationships:swot_item_delete": (7, 7),  # signed in, account, plan, item, bell
    "relationships:swot_item_update": (7, 7),  # signed in, account, plan, item, bell
    "token_revoke": POST_ONLY,
    "tokens": (6, 6),  # signed in, count, page, bell
    "tokens (csv)": (4, 4),  # signed in, rows
    "webhooks:action": POST_ONLY,
    "webhooks:detail": (8, None),  # signed in, subscription, count, bell, deliveries, attempts (prefetch)
    "webhooks:detail (csv)": (6, None),  # signed in, subscription, rows, attempts (prefetch)
    "webhooks:list": (5, None),  # signed in, bell, subscriptions
    "webhooks:list (csv)": (4, None),  # signed in, rows
    "webhooks:replay": POST_ONLY,
}


# --- what to ask for -------------------------------------------------------------------------------------------


def _is_list(path: str) -> bool:
    """The operation answers a page of results (its 200 is a ``Paginated…`` component)."""
    content = schema()["paths"][path]["get"]["responses"].get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1].startswith("Paginated")


def api_targets(world: dict[str, Any]) -> dict[str, str]:
    """Every GET operation's budget name → its URL in the world (a list's CSV too)."""
    found = {}
    for method, path in operations():
        if method != "GET":
            continue
        url = path.replace("{id}", str(world[_resource(path)].pk))
        found[f"GET {path}"] = url
        if _is_list(path):
            found[f"GET {path} (csv)"] = f"{url}?format=csv"
    return found


# --- counting --------------------------------------------------------------------------------------------------


def _is_csv(response) -> bool:
    return response.get("Content-Type", "").startswith("text/csv")


def _ask(client, url: str, **headers: str) -> tuple[Any, list[str]]:
    """The response and the SQL of every query it took (a streamed body read to its end), in a transaction rolled
    back after it, as a request in steady state: the token was used within the minute (so its ``last_used_at``
    is not written again)."""
    ApiToken.objects.update(last_used_at=timezone.now())
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
            if response.streaming:
                b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response, [query["sql"] for query in queries.captured_queries]


def _expected(budget: Budget, persona: str) -> int | str | None:
    return budget if isinstance(budget, str) else budget[PERSONAS.index(persona)]


def _counted(response, sqls: list[str]) -> int | str | None:
    """What a budget says for this response: its number of queries, ``None`` for a refusal, ``POST_ONLY``."""
    if response.status_code == 405:
        return POST_ONLY
    if response.status_code in (403, 404):
        return None
    return len(sqls)


Measured = dict[tuple[str, str], tuple[int | str | None, list[str]]]


def measure_api(clients, world) -> Measured:
    measured: Measured = {}
    for name, url in api_targets(world).items():
        for persona in PERSONAS:
            response, sqls = _ask(clients[persona], url)
            if name.endswith("(csv)") and response.status_code == 200:
                assert _is_csv(response), f"{name}: a list's ?format=csv is not a CSV"
            measured[name, persona] = (_counted(response, sqls), sqls)
    return measured


def _is_whole_page(response) -> bool:
    return response.status_code == 200 and not response.streaming and b"<html" in response.content


def measure_pages(browsers, world) -> Measured:
    """Every page by name; with ``(csv)`` its export where it has one, with ``(htmx)`` the fragment it answers htmx
    where it answers one (a plain GET of a fragment-only URL sends the browser to the account page)."""
    measured: Measured = {}
    account_page = reverse("accounts:account_detail", args=[world["accounts"].pk])
    for name, route in routes().items():
        url = url_of(name, route, world)
        for persona in PERSONAS:
            response, sqls = _ask(browsers[persona], url)
            measured[name, persona] = (_counted(response, sqls), sqls)
            if _is_whole_page(response):
                exported, sqls = _ask(browsers[persona], f"{url}?export=csv")
                if _is_csv(exported):
                    measured[f"{name} (csv)", persona] = (_counted(exported, sqls), sqls)
            to_account = response.status_code == 302 and response["Location"].startswith(account_page)
            if _is_whole_page(response) or to_account:
                fragment, sqls = _ask(browsers[persona], url, HTTP_HX_REQUEST="true")
                if fragment.status_code == 200 and not _is_whole_page(fragment):
                    measured[f"{name} (htmx)", persona] = (_counted(fragment, sqls), sqls)
    # a variant of a page that one persona may not open at all (403 or 404) is refused to them too
    for name, persona in list(measured):
        other = PERSONAS[1 - PERSONAS.index(persona)]
        if (name, other) not in measured:
            measured[name, other] = (None, [])
    return measured


def _missed(budgets: dict[str, Budget], before: Measured, after: Measured) -> list[str]:
    """What differs from the budgets: entries missing or left over, counts that grew with the rows, counts
    other than the budget — each with the queries it took with more rows."""
    problems = []
    names = {name for name, _persona in after}
    for name in sorted(names - set(budgets)):
        counts = tuple(after[name, persona][0] for persona in PERSONAS)
        problems.append(f"{name}: no budget; it costs {counts} — name its queries and add it")
        problems += [f"    {sql[:240]}" for sql in after[name, PERSONAS[0]][1] or after[name, PERSONAS[1]][1]]
    problems += [f"{name}: a budget for nothing that exists" for name in sorted(set(budgets) - names)]
    for (name, persona), (count, sqls) in sorted(after.items()):
        if name not in budgets:
            continue
        expected = _expected(budgets[name], persona)
        first = before.get((name, persona), (None, []))[0]
        if first != count:
            problems.append(f"{name} as {persona}: {first} queries, then {count} with {GROWTH} more of everything")
        elif count != expected:
            problems.append(f"{name} as {persona}: {count} queries, the budget is {expected}")
        else:
            continue
        problems += [f"    {sql[:240]}" for sql in sqls]
    return problems


# --- the tests -------------------------------------------------------------------------------------------------


def test_every_operation_and_page_has_a_budget():
    """A new GET operation or page URL fails here until its queries are counted (its variants — CSV, htmx — are
    found by asking, in the tests below)."""
    operations_ = {f"GET {path}" for method, path in operations() if method == "GET"}
    assert sorted(operations_ - set(API_BUDGETS)) == [], "GET operations without a budget"
    assert sorted(set(routes()) - set(PAGE_BUDGETS)) == [], "pages without a budget"


@pytest.fixture
def users(manager, colleague, director, integration):
    return {"manager": manager, "colleague": colleague, "director": director, "integration": integration}


def test_api_reads_cost_their_budget_whatever_the_rows(clients, world, users):
    # given the world / when every GET is asked for, then again with five more of everything
    before = measure_api(clients, world)
    world_grow(world=world, users=users, times=GROWTH)
    after = measure_api(clients, world)
    # then each costs its budget, both times
    problems = _missed(API_BUDGETS, before, after)
    assert not problems, "\n" + "\n".join(problems)


def test_pages_cost_their_budget_whatever_the_rows(world, users):
    # given the director and the manager signed in
    browsers = {}
    for persona in PERSONAS:
        browsers[persona] = Client()
        browsers[persona].force_login(users[persona])
    # when every page is asked for, then again with five more of everything
    before = measure_pages(browsers, world)
    world_grow(world=world, users=users, times=GROWTH)
    after = measure_pages(browsers, world)
    # then each costs its budget, both times
    problems = _missed(PAGE_BUDGETS, before, after)
    assert not problems, "\n" + "\n".join(problems)
