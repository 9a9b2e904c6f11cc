"""The authorization matrix of the pages (issue 9): every page URL × every persona, with its outcome.

The same world and personas as the API's matrix (``test_authorization_matrix.py``). A page is asked for with GET;
one that only takes POST (an action button: delete, verify, decide, revoke, refresh…) answers GET with 405 and is
then POSTed, as its button does. Outcomes: ``200``, ``login`` (a redirect to the login page), ``302`` (done, and
sent back to a page), ``400``, ``403``, ``404``; the integration user is a persona for API tokens, and pages treat
it as any signed-in user without a manager's or director's role. A new URL without an entry fails the test.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import active_policy
from tests.kam.test_authorization_matrix import PERSONAS, _row

pytestmark = pytest.mark.django_db

# The object each URL keyword names, by the URL's name (default: by keyword).
_KWARGS = {
    "pk": "accounts",
    "account_pk": "accounts",
    "contact_pk": "contacts",
    "plan_pk": "account-plans",
}
_PK_BY_NAME = {
    "webhooks:detail": "webhooks",
    "webhooks:action": "webhooks",
    "webhooks:replay": "webhook-deliveries",
    "imports:detail": "imports",
    "imports:status": "imports",
    "imports:errors_csv": "imports",
    "accounts:scoring_run_detail": "scoring-runs",
    "accounts:scoring_run_status": "scoring-runs",
    "notification_read": "notifications",
    "token_revoke": "api-tokens",
    "relationships:advocacy_event_verify": "advocacy-events",
    "relationships:account_plan_detail": "account-plans",
    "relationships:account_plan_update": "account-plans",
    "relationships:account_plan_delete": "account-plans",
    "relationships:action_item_done": "action-items",
    "relationships:plan_objective_update": "plan-objectives",
    "relationships:plan_objective_delete": "plan-objectives",
    "relationships:swot_item_update": "swot-items",
    "relationships:swot_item_delete": "swot-items",
    "relationships:action_item_update": "action-items",
    "relationships:action_item_delete": "action-items",
    "ladder:override_decide": "ladder-overrides",
    "ladder:proposal_decide": "partner-proposals",
    "benefits:type_update": "benefit-types",
    "benefits:budget_update": "benefit-budgets",
    "benefits:cost_record": "active-grant",
    "benefits:grant_decide": "grants",
}
_STRINGS = {"action": "pause", "decision": "approve"}

#                                                   anon manager colleague outsider director integration
EXPECTED: dict[str, dict[str, str]] = {
    "accounts:account_create": _row("login 403 403 403 200 200"),
    "accounts:account_detail": _row("login 200 200 404 200 200"),
    "accounts:account_history": _row("login 200 200 404 200 200"),
    "accounts:account_list": _row("login 200 200 200 200 200"),
    "accounts:account_update": _row("login 200 403 404 200 200"),
    "accounts:contact_create": _row("login 200 200 404 200 200"),
    "accounts:contact_delete": _row("login 200 200 404 200 200"),
    "accounts:contact_update": _row("login 200 200 404 200 200"),
    "accounts:scoring_policy_activate": _row("login 403 403 403 302 403"),
    "accounts:scoring_policy_edit": _row("login 403 403 403 200 403"),
    "accounts:scoring_run_detail": _row("login 403 403 403 200 200"),
    "accounts:scoring_run_list": _row("login 403 403 403 200 200"),
    "accounts:scoring_run_status": _row("login 403 403 403 200 200"),
    "benefits:account_benefits": _row("login 302 302 404 302 302"),
    "benefits:approvals": _row("login 403 403 403 200 403"),
    "benefits:budget_update": _row("login 403 403 403 200 403"),
    "benefits:budgets": _row("login 403 403 403 200 200"),
    "benefits:catalog": _row("login 200 200 200 200 200"),
    "benefits:cost_record": _row("login 403 403 404 302 302"),
    "benefits:grant_decide": _row("login 403 403 404 302 403"),
    "benefits:grant_request": _row("login 302 302 404 302 403"),
    "benefits:roi": _row("login 200 200 200 200 200"),
    "benefits:type_create": _row("login 403 403 403 200 403"),
    "benefits:type_update": _row("login 403 403 403 200 403"),
    "dashboard_refresh": _row("login 403 403 403 302 403"),
    "healthz": _row("200 200 200 200 200 200"),
    "home": _row("login 200 200 200 200 200"),
    "imports:detail": _row("login 403 403 403 200 403"),
    "imports:errors_csv": _row("login 403 403 403 200 403"),
    "imports:list": _row("login 403 403 403 200 403"),
    "imports:status": _row("login 403 403 403 200 403"),
    "ladder:board": _row("login 200 200 200 200 200"),
    "ladder:override_create": _row("login 302 302 404 302 403"),
    "ladder:override_decide": _row("login 403 403 404 302 403"),
    "ladder:panel": _row("login 302 302 404 302 302"),
    "ladder:proposal_decide": _row("login 403 403 404 302 403"),
    "ladder:queue": _row("login 403 403 403 200 403"),
    "login": _row("200 302 302 302 302 302"),
    "logout": _row("login login login login login login"),
    "notification_list": _row("login 200 200 200 200 200"),
    "notification_read": _row("login 302 404 404 404 404"),
    "notification_read_all": _row("login 302 302 302 302 302"),
    "relationships:account_plan_create": _row("login 200 200 404 200 403"),
    "relationships:account_plan_delete": _row("login 200 403 404 200 403"),
    "relationships:account_plan_detail": _row("login 200 200 404 200 200"),
    "relationships:account_plan_update": _row("login 200 200 404 200 403"),
    "relationships:action_item_create": _row("login 200 200 404 200 403"),
    "relationships:action_item_delete": _row("login 200 200 404 200 403"),
    "relationships:action_item_done": _row("login 302 302 404 302 403"),
    "relationships:action_item_update": _row("login 200 200 404 200 403"),
    "relationships:advocacy_event_create": _row("login 200 200 404 200 200"),
    "relationships:advocacy_referral_options": _row("login 200 200 404 200 200"),
    "relationships:advocacy_event_verify": _row("login 302 302 404 302 403"),
    "relationships:feedback_create": _row("login 200 200 404 200 200"),
    "relationships:interaction_create": _row("login 200 200 404 200 403"),
    "relationships:plan_objective_create": _row("login 200 200 404 200 403"),
    "relationships:plan_objective_delete": _row("login 200 200 404 200 403"),
    "relationships:plan_objective_update": _row("login 200 200 404 200 403"),
    "relationships:swot_item_create": _row("login 200 200 404 200 403"),
    "relationships:swot_item_delete": _row("login 200 200 404 200 403"),
    "relationships:swot_item_update": _row("login 200 200 404 200 403"),
    "token_revoke": _row("login 302 404 404 302 404"),
    "tokens": _row("login 200 200 200 200 200"),
    "webhooks:action": _row("login 404 404 404 302 404"),
    "webhooks:detail": _row("login 404 404 404 200 404"),
    "webhooks:list": _row("login 403 403 403 200 403"),
    "webhooks:replay": _row("login 404 404 404 302 404"),
}


def routes() -> dict[str, str]:
    """Every named page URL (not the API's, not the admin's): name → route, e.g. ``accounts/<int:pk>/``."""
    found: dict[str, str] = {}

    def walk(resolver, prefix="", namespace=""):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(("api/", "admin/")):
                continue
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                walk(pattern, route, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = route

    walk(get_resolver())
    return found


def url_of(name: str, route: str, world) -> str:
    kwargs: dict[str, object] = {}
    for converter, keyword in re.findall(r"<(\w+):(\w+)>", route):
        if converter == "str":
            kwargs[keyword] = _STRINGS[keyword]
        elif keyword == "pk" and name == "accounts:scoring_policy_activate":
            kwargs[keyword] = active_policy().pk
        elif keyword == "pk" and name in _PK_BY_NAME:
            kwargs[keyword] = world[_PK_BY_NAME[name]].pk
        else:
            kwargs[keyword] = world[_KWARGS[keyword]].pk
    return reverse(name, kwargs=kwargs)


def outcome(response) -> str:
    if response.status_code == 302:
        return "login" if response["Location"].startswith(reverse("login")) else "302"
    return str(response.status_code)


@pytest.fixture
def people(world, manager, colleague, outsider, director, integration):
    return {
        "anon": None,
        "manager": manager,
        "colleague": colleague,
        "outsider": outsider,
        "director": director,
        "integration": integration,
    }


def actual_row(people, world, name: str) -> dict[str, str]:
    url = url_of(name, routes()[name], world)
    row = {}
    for persona in PERSONAS:
        with transaction.atomic():
            browser = Client()
            if people[persona] is not None:
                browser.force_login(people[persona])  # in the transaction: a logout of the call before is undone
            response = browser.get(url)
            if response.status_code == 405:
                response = browser.post(url, {"note": "Agreed."})
            row[persona] = outcome(response)
            transaction.set_rollback(True)
    return row


def test_every_page_has_an_entry():
    """A new page URL fails here until someone decides who may open it."""
    assert sorted(set(routes()) - set(EXPECTED)) == [], "page URLs without an entry in EXPECTED"
    assert sorted(set(EXPECTED) - set(routes())) == [], "entries for page URLs that no longer exist"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_persona_gets_its_outcome(people, world, name):
    assert actual_row(people, world, name) == EXPECTED[name]
