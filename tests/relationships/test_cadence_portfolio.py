"""The contact cadence in the portfolio and the accounts API: the "Last contact" column with its "Overdue" badge,
the ``contact_overdue`` filter (one FilterSet for page and API), ``last_contact_at`` / ``contact_overdue_since``
read-only in the API, and query counts that stay constant."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import KeyStatus
from relationships.cadence import contact_cadence_check
from tests.factories import AccountFactory, ContactFactory, InteractionFactory
from tests.http import if_match

pytestmark = pytest.mark.django_db

PORTFOLIO = reverse("accounts:account_list")
ACCOUNTS = "/api/v1/accounts/"


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def checked(manager, outsider):
    """The manager's accounts after a check: Acme (strategic, contacted 41 days ago: overdue), Bolt (contacted 3
    days ago: on time), Cargo (never contacted, created today: on time); and the outsider's overdue account."""
    acme = AccountFactory(name="Acme Industries", owner=manager, key_status=KeyStatus.STRATEGIC)
    InteractionFactory(account=acme, occurred_at=days_ago(41))
    bolt = AccountFactory(name="Bolt Supplies", owner=manager)
    InteractionFactory(account=bolt, occurred_at=days_ago(3))
    cargo = AccountFactory(name="Cargo Bank", owner=manager)
    other = AccountFactory(name="Outsider Retail", owner=outsider, key_status=KeyStatus.STRATEGIC)
    InteractionFactory(account=other, occurred_at=days_ago(100))
    contact_cadence_check(today=timezone.localdate())
    return {"acme": acme, "bolt": bolt, "cargo": cargo, "other": other}


def names(response) -> list[str]:
    assert response.status_code == 200
    return [account.name for account in response.context["page"].object_list]


def test_the_portfolio_shows_the_last_contact_and_the_overdue_badge(client, manager, checked):
    client.force_login(manager)
    response = client.get(PORTFOLIO)
    rows = {account.name: account for account in response.context["page"].object_list}
    assert rows["Acme Industries"].contact_overdue_since == timezone.localdate() - datetime.timedelta(days=10)
    assert rows["Bolt Supplies"].contact_overdue_since is None
    assert rows["Cargo Bank"].last_contact_at is None
    content = response.content.decode()
    assert "Overdue · 41 d" in content
    assert content.count("kam-contact-overdue") == 1


def test_an_account_never_contacted_and_overdue_says_so(client, manager):
    account = AccountFactory(owner=manager)
    type(account).objects.filter(pk=account.pk).update(created_at=days_ago(200))
    contact_cadence_check(today=timezone.localdate())
    client.force_login(manager)
    assert "Overdue · never contacted" in client.get(PORTFOLIO).content.decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", ["Acme Industries"]),
        ("false", ["Bolt Supplies", "Cargo Bank"]),
        ("", ["Acme Industries", "Bolt Supplies", "Cargo Bank"]),
    ],
)
def test_the_portfolio_filters_by_contact_overdue(client, manager, checked, value, expected):
    client.force_login(manager)
    assert names(client.get(PORTFOLIO, {"contact_overdue": value})) == expected


def test_an_account_not_checked_yet_is_not_overdue(client, manager, checked):
    AccountFactory(name="Delta Pharma", owner=manager)  # created after the check
    client.force_login(manager)
    assert "Delta Pharma" in names(client.get(PORTFOLIO, {"contact_overdue": "false"}))


def test_the_filter_bar_offers_it(client, manager, checked):
    client.force_login(manager)
    response = client.get(PORTFOLIO)
    assert list(response.context["form"].fields["contact_overdue"].choices) == [
        ("", "Any"),
        ("true", "Overdue"),
        ("false", "On time"),
    ]
    assert b'name="contact_overdue"' in response.content


def test_a_malformed_filter_value_is_shown_not_a_crash(client, manager, checked):
    client.force_login(manager)
    response = client.get(PORTFOLIO, {"contact_overdue": "maybe"})
    assert "contact_overdue" in response.context["form"].errors
    assert b"These filters could not be applied" in response.content


def completed_call() -> dict[str, str]:
    """The account page's interaction form, filled in for a call just made."""
    return {
        "kind": "call",
        "status": "completed",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "subject": "Catching up",
    }


def test_logging_a_completed_interaction_on_the_page_clears_the_badge(client, manager, checked):
    # given the overdue Acme
    client.force_login(manager)
    acme = checked["acme"]
    # when its owner logs a completed call on the account page
    response = client.post(
        reverse("relationships:interaction_create", args=[acme.pk]),
        completed_call(),
    )
    assert response.status_code == 302
    # then the portfolio no longer lists it as overdue
    assert names(client.get(PORTFOLIO, {"contact_overdue": "true"})) == []


def test_logging_with_htmx_also_refreshes_the_stakeholders_cadence(client, manager, checked):
    # given the overdue Acme's page says its last contact was 41 days ago
    client.force_login(manager)
    acme = checked["acme"]
    assert "41 days ago" in client.get(acme.get_absolute_url()).content.decode()
    # when its owner logs a completed call in the inline form (htmx)
    response = client.post(
        reverse("relationships:interaction_create", args=[acme.pk]),
        completed_call(),
        HTTP_HX_REQUEST="true",
    )
    # then the answer carries the stakeholders card out of band, with the cadence as it now is
    content = response.content.decode()
    assert response.status_code == 200
    assert (
        '<section id="stakeholders" class="card shadow-sm border-0 mb-4" aria-labelledby="stakeholders-heading" '
        'hx-swap-oob="outerHTML">' in content
    )
    cadence = content.split('data-kam="cadence"', 1)[1].split("</div>", 1)[0]
    assert "0 days ago" in cadence and "41 days ago" not in cadence
    assert "overdue" not in cadence.lower()


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"contact_overdue": "true"}])
def test_portfolio_query_count_does_not_grow(client, manager, params):
    def add_overdue_account():
        account = AccountFactory(owner=manager)
        ContactFactory(account=account)
        InteractionFactory(account=account, occurred_at=days_ago(120))

    add_overdue_account()
    contact_cadence_check(today=timezone.localdate())
    client.force_login(manager)
    with_one = _count(client, PORTFOLIO, params)
    for _ in range(9):
        add_overdue_account()
    contact_cadence_check(today=timezone.localdate())
    # session, user, roles, count, the page of rows (cadence looked up per row of the page, in the same query),
    # the owner choices, the navbar's unread notifications
    assert _count(client, PORTFOLIO, params) == with_one == 7


# --- API ---------------------------------------------------------------------------------------------------------


def test_the_api_shows_the_cadence_read_only(api, manager, checked):
    client = api(manager)
    acme = checked["acme"]
    body = client.get(f"{ACCOUNTS}{acme.pk}/").json()
    assert body["contact_overdue_since"] == (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    assert body["last_contact_at"] is not None
    refused = client.patch(
        f"{ACCOUNTS}{acme.pk}/",
        {"contact_overdue_since": None},
        format="json",
        **if_match(client, f"{ACCOUNTS}{acme.pk}/"),
    )
    assert refused.status_code == 400
    assert list(refused.json()) == ["contact_overdue_since"]


@pytest.mark.parametrize(
    ("value", "expected"), [("true", {"Acme Industries"}), ("false", {"Bolt Supplies", "Cargo Bank"})]
)
def test_the_api_filters_by_contact_overdue(api, manager, checked, value, expected):
    response = api(manager).get(ACCOUNTS, {"contact_overdue": value})
    assert {row["name"] for row in response.json()["results"]} == expected


def test_the_api_refuses_a_malformed_filter(api, manager):
    response = api(manager).get(ACCOUNTS, {"contact_overdue": "yes"})
    assert response.status_code == 400
    assert "contact_overdue" in response.json()


def test_directors_see_every_overdue_account(api, director, checked):
    response = api(director).get(ACCOUNTS, {"contact_overdue": "true"})
    assert {row["name"] for row in response.json()["results"]} == {"Acme Industries", "Outsider Retail"}


def test_the_api_list_query_count_is_constant(api, manager, colleague):
    client = api(manager)

    def add():
        account = AccountFactory(owner=manager, team=[colleague])
        InteractionFactory(account=account, occurred_at=days_ago(120))

    add()
    contact_cadence_check(today=timezone.localdate())
    client.get(ACCOUNTS)
    with CaptureQueriesContext(connection) as one:
        client.get(ACCOUNTS, {"contact_overdue": "true"})
    for _ in range(9):
        add()
    contact_cadence_check(today=timezone.localdate())
    with CaptureQueriesContext(connection) as ten:
        response = client.get(ACCOUNTS, {"contact_overdue": "true"})
    assert response.json()["count"] == 10
    # token + user, roles, count, the page of accounts, the teams prefetched
    assert len(one) == len(ten) == 5
