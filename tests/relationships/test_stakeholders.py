"""The stakeholder map on the account page: contacts by buying role with influence, attitude and when each was last
in a completed interaction; the warnings (hangs on one person, deciders not reached, a blocker without a champion);
three queries whatever the number of contacts; who sees it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import BuyingRole, KeyStatus
from relationships.cadence import contact_cadence_check
from relationships.choices import InteractionStatus
from relationships.selectors import account_stakeholder_map
from tests.factories import ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(TODAY - datetime.timedelta(days=days), datetime.time(12)))


def met(account, contacts, days: int, *, status=InteractionStatus.COMPLETED):
    return InteractionFactory(account=account, contacts=list(contacts), occurred_at=days_ago(days), status=status)


def stakeholder_map(account):
    return account_stakeholder_map(account=account, today=TODAY)


def codes(account) -> list[str]:
    return [warning.code for warning in stakeholder_map(account).warnings]


def person(account, role=BuyingRole.INFLUENCER, **fields):
    return ContactFactory(account=account, buying_role=role, **fields)


# --- the map ----------------------------------------------------------------------------------------------------


def test_contacts_are_grouped_by_role_in_role_order_most_influential_first(account):
    # given contacts in several roles, one inactive
    champion = person(account, BuyingRole.CHAMPION, name="Cleo Champion", influence=3)
    buyer = person(account, BuyingRole.ECONOMIC_BUYER, name="Erin Buyer", influence=5)
    low = person(account, BuyingRole.INFLUENCER, name="Ian Low", influence=2)
    high = person(account, BuyingRole.INFLUENCER, name="Ivy High", influence=5)
    person(account, BuyingRole.BLOCKER, name="Bob Gone", is_active=False)
    # when the map is built
    result = stakeholder_map(account)
    # then the roles follow the buying-role order, each most influential first, inactive contacts left out
    assert [(role.code, [s.contact for s in role.stakeholders]) for role in result.roles] == [
        (BuyingRole.ECONOMIC_BUYER, [buyer]),
        (BuyingRole.INFLUENCER, [high, low]),
        (BuyingRole.CHAMPION, [champion]),
    ]
    assert result.active_contacts == 4
    assert result.inactive_contacts == 1
    assert "Decision maker" in result.unmapped_roles and "Blocker" in result.unmapped_roles


def test_each_contact_shows_when_a_completed_interaction_last_listed_them(account):
    # given Ada in a meeting 40 days ago and one 5 days ago, and in a planned one tomorrow; Bea only in a planned one
    ada = person(account, name="Ada")
    bea = person(account, name="Bea")
    met(account, [ada], 40)
    met(account, [ada, bea], -1, status=InteractionStatus.PLANNED)
    met(account, [ada], 5)
    met(account, [bea], 2, status=InteractionStatus.CANCELLED)
    # when the map is built
    by_name = {s.contact.name: s for role in stakeholder_map(account).roles for s in role.stakeholders}
    # then Ada was last contacted 5 days ago (in 2 completed interactions this year), Bea never
    assert (by_name["Ada"].last_contacted_at, by_name["Ada"].days_since_contact) == (days_ago(5), 5)
    assert by_name["Ada"].interactions_12m == 2
    assert (by_name["Bea"].last_contacted_at, by_name["Bea"].days_since_contact) == (None, None)


def test_a_completed_interaction_after_today_does_not_count_yet(account):
    ada = person(account, name="Ada")
    met(account, [ada], -2)
    assert stakeholder_map(account).roles[0].stakeholders[0].last_contacted_at is None


def test_the_account_cadence_is_part_of_the_map(account):
    # given a strategic account last contacted 41 days ago (no contact listed), checked
    type(account).objects.filter(pk=account.pk).update(key_status=KeyStatus.STRATEGIC)
    account.refresh_from_db()
    met(account, [], 41)
    contact_cadence_check(today=TODAY)
    result = stakeholder_map(account)
    assert (result.allowed_days, result.tier) == (30, "strategic")
    assert (result.last_contact_at, result.days_since_contact) == (days_ago(41), 41)
    assert result.interactions_12m == 1
    assert result.overdue_since == TODAY - datetime.timedelta(days=10)


# --- warnings ---------------------------------------------------------------------------------------------------


def test_no_active_contact_at_all(account):
    person(account, is_active=False)
    assert codes(account) == ["no_contacts"]


def test_one_active_contact_is_a_single_thread(account):
    dora = person(account, BuyingRole.DECISION_MAKER, name="Dora")
    met(account, [dora], 10)
    result = stakeholder_map(account)
    assert [w.code for w in result.warnings] == ["single_contact"]
    assert "Dora is the only active contact" in result.warnings[0].message


@pytest.mark.parametrize(
    ("with_ada", "total", "warned"),
    [
        (4, 5, True),  # 80 %: hangs on Ada
        (3, 4, False),  # 75 %
        (3, 3, True),  # 100 % of three
        (2, 2, False),  # two interactions say nothing yet
    ],
)
def test_one_person_in_most_interactions_of_the_year(account, with_ada, total, warned):
    # given Ada and Dora, the year's completed interactions (`with_ada` of them with Ada), and an older one with Dora
    ada = person(account, name="Ada")
    dora = person(account, BuyingRole.DECISION_MAKER, name="Dora")
    for n in range(total):
        met(account, [ada] if n < with_ada else [], 10 + n)
    met(account, [dora], 400)  # more than a year ago: not counted
    # when the map is built / then the warning appears from 80 % of at least three interactions
    ada_row = next(s for role in stakeholder_map(account).roles for s in role.stakeholders if s.contact == ada)
    assert ada_row.interactions_12m == with_ada
    assert ("concentrated" in codes(account)) is warned


def test_the_concentration_message_says_who_and_how_much(account):
    ada = person(account, name="Ada")
    person(account, BuyingRole.DECISION_MAKER, name="Dora")
    for n in range(5):
        met(account, [ada], 10 + n)
    warning = next(w for w in stakeholder_map(account).warnings if w.code == "concentrated")
    assert warning.message == (
        "The relationship hangs on one person: Ada took part in 5 of the 5 completed interactions of the last 12 "
        "months (100 %)."
    )


def test_no_decider_mapped(account):
    person(account, name="Ada")
    person(account, name="Ivo")
    assert codes(account) == ["no_decision_maker"]


@pytest.mark.parametrize(("days", "warned"), [(89, False), (90, True)])
def test_deciders_must_be_reached_within_90_days(account, days, warned):
    # given an economic buyer last in a completed interaction `days` ago, and a decision maker never
    erin = person(account, BuyingRole.ECONOMIC_BUYER, name="Erin")
    person(account, BuyingRole.DECISION_MAKER, name="Dora")
    met(account, [erin], days)
    result = stakeholder_map(account)
    assert ("decision_maker_not_contacted" in [w.code for w in result.warnings]) is warned
    if warned:
        message = next(w.message for w in result.warnings if w.code == "decision_maker_not_contacted")
        assert message == (
            "No decision maker or economic buyer contacted in the last 90 days (last: Erin, 90 days ago)."
        )


def test_deciders_never_reached(account):
    person(account, BuyingRole.DECISION_MAKER, name="Dora")
    person(account, name="Ada")
    message = stakeholder_map(account).warnings[0].message
    assert message.endswith("(none of them was ever in a completed interaction).")


def test_a_planned_meeting_with_the_decider_does_not_count(account):
    dora = person(account, BuyingRole.DECISION_MAKER, name="Dora")
    person(account, name="Ada")
    met(account, [dora], 3, status=InteractionStatus.PLANNED)
    assert "decision_maker_not_contacted" in codes(account)


@pytest.mark.parametrize(
    ("influence", "with_champion", "warned"), [(4, False, True), (5, False, True), (3, False, False), (5, True, False)]
)
def test_an_influential_blocker_without_a_champion(account, influence, with_champion, warned):
    dora = person(account, BuyingRole.DECISION_MAKER, name="Dora")
    met(account, [dora], 1)
    person(account, BuyingRole.BLOCKER, name="Bruno", influence=influence)
    if with_champion:
        person(account, BuyingRole.CHAMPION, name="Cleo")
    assert ("blocker_without_champion" in codes(account)) is warned


def test_an_inactive_champion_does_not_counter_a_blocker(account):
    dora = person(account, BuyingRole.DECISION_MAKER, name="Dora")
    met(account, [dora], 1)
    person(account, BuyingRole.BLOCKER, name="Bruno", influence=5)
    person(account, BuyingRole.CHAMPION, name="Cleo", is_active=False)
    warning = next(w for w in stakeholder_map(account).warnings if w.code == "blocker_without_champion")
    assert warning.message == "Bruno blocks with influence 5 of 5, and no champion counters them."


def test_a_healthy_buying_centre_has_no_warning(account):
    erin = person(account, BuyingRole.ECONOMIC_BUYER, name="Erin")
    cleo = person(account, BuyingRole.CHAMPION, name="Cleo")
    person(account, BuyingRole.BLOCKER, name="Bruno", influence=5)
    met(account, [erin, cleo], 10)
    met(account, [cleo], 20)
    met(account, [erin], 30)
    assert codes(account) == []


# --- cost ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contacts", [1, 10])
def test_the_map_is_three_queries_whatever_the_number_of_contacts(account, contacts, django_assert_num_queries):
    # given `contacts` contacts, each in two completed interactions and a planned one
    for n in range(contacts):
        contact = person(account, role=BuyingRole.values[n % len(BuyingRole.values)], name=f"Person {n}")
        met(account, [contact], 5 + n)
        met(account, [contact], 100 + n)
        met(account, [contact], -3, status=InteractionStatus.PLANNED)
    account.refresh_from_db()
    # when the map is built / then three queries: contacts with their aggregates, the account's totals, its flag
    with django_assert_num_queries(3):
        result = stakeholder_map(account)
    assert result.active_contacts == contacts


# --- the page ----------------------------------------------------------------------------------------------------


def detail_url(account) -> str:
    return reverse("accounts:account_detail", args=[account.pk])


@pytest.mark.parametrize("persona", ["manager", "colleague", "director"])
def test_the_account_page_shows_the_map(request, client, account, persona):
    # given a buying centre with a single thread and an overdue cadence
    erin = person(account, BuyingRole.ECONOMIC_BUYER, name="Erin Buyer", influence=5, attitude=2)
    met(account, [erin], 120)
    contact_cadence_check(today=TODAY)
    client.force_login(request.getfixturevalue(persona))
    # when the account page is opened
    response = client.get(detail_url(account))
    # then it shows the stakeholders section with the role, the person, the warning and the overdue badge
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="stakeholders"' in content
    assert 'data-role="economic_buyer"' in content
    assert "Erin Buyer" in content and "kam-attitude-2" in content
    assert 'data-code="single_contact"' in content
    assert 'data-kam="cadence-overdue"' in content
    assert "Contact at least every 90 days" in content


def test_an_empty_buying_centre_says_so(client, manager, account):
    client.force_login(manager)
    content = client.get(detail_url(account)).content.decode()
    assert "No active contacts: nobody at Acme Industries is on record." in content


@pytest.mark.parametrize("persona", ["outsider", "integration"])
def test_outsiders_get_404_and_see_no_map(request, client, account, persona):
    # integration users see every account (they read, nobody's manager); outsiders see none of another's
    client.force_login(request.getfixturevalue(persona))
    expected = 200 if persona == "integration" else 404
    assert client.get(detail_url(account)).status_code == expected


def test_another_accounts_contacts_never_appear(client, manager, account, outsider_account):
    person(outsider_account, BuyingRole.ECONOMIC_BUYER, name="Secret Buyer")
    client.force_login(manager)
    assert "Secret Buyer" not in client.get(detail_url(account)).content.decode()
