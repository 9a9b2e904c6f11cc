"""The accounts and contacts API: visibility, writes, bad input, pagination, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import KeyStatus, LadderStage
from accounts.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory
from tests.http import if_match

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
CONTACTS = "/api/v1/contacts/"


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


# --- visibility -------------------------------------------------------------------------------------------


def test_manager_lists_owned_and_team_accounts_only(api, manager, colleague, account, outsider_account):
    # given an account owned by manager (colleague on its team) and one of an outsider
    team_account = AccountFactory(name="Team Only", owner=colleague, team=[manager])
    # when each manager lists accounts
    mine = api(manager).get(ACCOUNTS)
    theirs = api(colleague).get(ACCOUNTS)
    # then each sees what they own or are on the team of
    assert mine.status_code == 200
    assert names(mine) == {"Acme Industries", team_account.name}
    assert names(theirs) == {"Acme Industries", team_account.name}


@pytest.mark.parametrize("persona", ["director", "integration"])
def test_director_and_integration_see_every_account(request, api, persona, account, outsider_account):
    user = request.getfixturevalue(persona)
    response = api(user).get(ACCOUNTS)
    assert names(response) == {"Acme Industries", "Outsider Holdings"}


def test_user_without_role_sees_nothing(api, roleless, account):
    assert api(roleless).get(ACCOUNTS).json()["results"] == []


def test_anonymous_is_refused(api, account):
    response = api().get(ACCOUNTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_outsider_gets_404_on_account_detail(api, outsider, account, method):
    response = getattr(api(outsider), method)(f"{ACCOUNTS}{account.pk}/", {}, format="json")
    assert response.status_code == 404
    assert Account.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_outsider_gets_404_on_contact_detail(api, outsider, account, method):
    contact = ContactFactory(account=account)
    response = getattr(api(outsider), method)(f"{CONTACTS}{contact.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 404
    assert Contact.objects.get(pk=contact.pk).name == contact.name


def test_outsider_cannot_attach_a_contact_to_an_account_they_cannot_see(api, outsider, account):
    by_id = api(outsider).post(CONTACTS, {"account": account.pk, "name": "Spy"}, format="json")
    by_external = api(outsider).post(CONTACTS, {"account_external_id": "ERP-ACME", "name": "Spy"}, format="json")
    assert by_id.status_code == 400 and "account" in by_id.json()
    assert by_external.status_code == 400 and "account_external_id" in by_external.json()
    assert not Contact.objects.exists()


# --- writes and roles ------------------------------------------------------------------------------------


def test_director_creates_an_account_with_owner_and_team(api, director, manager, colleague):
    payload = {
        "name": "Globex",
        "kind": "supplier",
        "industry": "Manufacturing",
        "country": "FR",
        "owner": manager.pk,
        "team": [colleague.pk],
        "external_id": "ERP-GLOBEX",
        "annual_potential": "250000.00",
        "payment_terms_days": 45,
    }
    response = api(director).post(ACCOUNTS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["country"] == "FR"
    assert body["owner"] == manager.pk and body["team"] == [colleague.pk]
    assert body["stage"] == LadderStage.PROSPECT and body["key_status"] == KeyStatus.STANDARD
    assert body["kas"] is None
    assert body["annual_potential"] == "250000.00"


@pytest.mark.parametrize("persona", ["manager", "colleague", "roleless"])
def test_managers_do_not_create_accounts(request, api, persona):
    response = api(request.getfixturevalue(persona)).post(ACCOUNTS, {"name": "Nope"}, format="json")
    assert response.status_code == 403
    assert not Account.objects.filter(name="Nope").exists()


def test_integration_syncs_accounts_from_the_erp_unassigned(api, integration, manager):
    # given the ERP's service user
    client = api(integration)
    # when it creates an account and later updates its master data
    created = client.post(ACCOUNTS, {"name": "Umbrella plc", "external_id": "ERP-UMB", "country": "GB"}, format="json")
    assert created.status_code == 201, created.json()
    changed = client.patch(
        f"{ACCOUNTS}{created.json()['id']}/",
        {"payment_terms_days": 60},
        format="json",
        **if_match(client, f"{ACCOUNTS}{created.json()['id']}/"),
    )
    # then it is saved unassigned, for a director to staff
    assert changed.status_code == 200 and changed.json()["payment_terms_days"] == 60
    assert changed.json()["owner"] is None
    # and it may neither assign an owner or a team nor delete
    owner = client.patch(
        f"{ACCOUNTS}{created.json()['id']}/",
        {"owner": manager.pk},
        format="json",
        **if_match(client, f"{ACCOUNTS}{created.json()['id']}/"),
    )
    assert owner.status_code == 400 and "owner" in owner.json()
    team = client.post(ACCOUNTS, {"name": "Team", "team": [manager.pk]}, format="json")
    assert team.status_code == 400 and "team" in team.json()
    assert (
        client.delete(
            f"{ACCOUNTS}{created.json()['id']}/", **if_match(client, f"{ACCOUNTS}{created.json()['id']}/")
        ).status_code
        == 403
    )


def test_owner_edits_their_account(api, manager, account):
    response = api(manager).patch(
        f"{ACCOUNTS}{account.pk}/",
        {"industry": "Banking"},
        format="json",
        **if_match(api(manager), f"{ACCOUNTS}{account.pk}/"),
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.industry == "Banking"


@pytest.mark.parametrize("persona", ["colleague"])
def test_team_members_cannot_edit_the_account(request, api, persona, account):
    response = api(request.getfixturevalue(persona)).patch(
        f"{ACCOUNTS}{account.pk}/",
        {"name": "X"},
        format="json",
        **if_match(api(request.getfixturevalue(persona)), f"{ACCOUNTS}{account.pk}/"),
    )
    assert response.status_code == 403


def test_manager_cannot_assign_the_owner(api, manager, outsider, account):
    response = api(manager).patch(
        f"{ACCOUNTS}{account.pk}/",
        {"owner": outsider.pk},
        format="json",
        **if_match(api(manager), f"{ACCOUNTS}{account.pk}/"),
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    account.refresh_from_db()
    assert account.owner == manager


def test_director_reassigns_the_owner(api, director, outsider, account):
    response = api(director).patch(
        f"{ACCOUNTS}{account.pk}/",
        {"owner": outsider.pk},
        format="json",
        **if_match(api(director), f"{ACCOUNTS}{account.pk}/"),
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.owner == outsider


def test_owner_must_be_a_manager_or_director(api, director, integration, account):
    response = api(director).patch(
        f"{ACCOUNTS}{account.pk}/",
        {"owner": integration.pk},
        format="json",
        **if_match(api(director), f"{ACCOUNTS}{account.pk}/"),
    )
    assert response.status_code == 400
    assert "owner" in response.json()


@pytest.mark.parametrize("field,value", [("kas", "99.00"), ("stage", "partner"), ("key_status", "strategic")])
def test_derived_fields_are_refused_not_silently_dropped(api, director, account, field, value):
    response = api(director).patch(
        f"{ACCOUNTS}{account.pk}/", {field: value}, format="json", **if_match(api(director), f"{ACCOUNTS}{account.pk}/")
    )
    assert response.status_code == 400
    assert response.json() == {field: ["This field is read-only."]}


def test_unknown_fields_are_refused(api, director, account):
    response = api(director).patch(
        f"{ACCOUNTS}{account.pk}/",
        {"colour": "blue"},
        format="json",
        **if_match(api(director), f"{ACCOUNTS}{account.pk}/"),
    )
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."]}


def test_only_directors_delete_accounts(api, manager, director, account):
    assert (
        api(manager)
        .delete(f"{ACCOUNTS}{account.pk}/", **if_match(api(manager), f"{ACCOUNTS}{account.pk}/"))
        .status_code
        == 403
    )
    assert (
        api(director)
        .delete(f"{ACCOUNTS}{account.pk}/", **if_match(api(director), f"{ACCOUNTS}{account.pk}/"))
        .status_code
        == 204
    )
    assert not Account.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize("persona", ["manager", "colleague", "integration", "director"])
def test_contact_writers(request, api, persona, account):
    # given any persona allowed to keep the account's contacts
    client = api(request.getfixturevalue(persona))
    # when they create, change and delete a contact (named by the account's external id)
    created = client.post(
        CONTACTS, {"account_external_id": "ERP-ACME", "name": "Ana Buyer", "influence": 5}, format="json"
    )
    assert created.status_code == 201, created.json()
    url = f"{CONTACTS}{created.json()['id']}/"
    assert client.patch(url, {"attitude": 2}, format="json", **if_match(client, url)).json()["attitude"] == 2
    # then the contact belongs to the account and can be removed
    assert created.json()["account"] == account.pk
    assert created.json()["account_external_id"] == "ERP-ACME"
    assert client.delete(url, **if_match(client, url)).status_code == 204


def test_contact_needs_an_account(api, integration):
    response = api(integration).post(CONTACTS, {"name": "Nobody"}, format="json")
    assert response.status_code == 400
    assert "account" in response.json()


# --- every constraint is refused with 400 naming the field -----------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", ""),
        ("kind", "partner"),
        ("country", "Germany"),
        ("country", "de"),
        ("annual_potential", "-1.00"),
        ("credit_limit", "-0.01"),
        ("payment_terms_days", 366),
        ("payment_terms_days", -1),
        ("annual_potential", "123456789012345.00"),
    ],
)
def test_account_constraints_are_refused_with_400(api, director, account, field, value):
    response = api(director).patch(
        f"{ACCOUNTS}{account.pk}/", {field: value}, format="json", **if_match(api(director), f"{ACCOUNTS}{account.pk}/")
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_duplicate_external_id_is_refused_with_400(api, director, account):
    response = api(director).post(ACCOUNTS, {"name": "Copy", "external_id": "ERP-ACME"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"external_id": ["Another account already has this external id."]}


def test_blank_external_id_is_stored_as_absent(api, director):
    # given two accounts without an ERP id: "" means "no id", so they do not collide
    first = api(director).post(ACCOUNTS, {"name": "One", "external_id": ""}, format="json")
    second = api(director).post(ACCOUNTS, {"name": "Two", "external_id": "  "}, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["external_id"] is None


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", ""),
        ("buying_role", "chief"),
        ("influence", 0),
        ("influence", 6),
        ("attitude", -3),
        ("attitude", 3),
        ("email", "not-an-email"),
    ],
)
def test_contact_constraints_are_refused_with_400(api, manager, account, field, value):
    response = api(manager).post(CONTACTS, {"account": account.pk, "name": "Ana", field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_duplicate_contact_email_on_one_account_is_refused(api, manager, account):
    ContactFactory(account=account, email="ana@acme.example")
    response = api(manager).post(
        CONTACTS, {"account": account.pk, "name": "Ana", "email": "ANA@acme.example"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"email": ["This account already has a contact with this email address."]}


def test_same_contact_email_on_two_accounts_is_fine(api, director, account, outsider_account):
    ContactFactory(account=account, email="ana@shared.example")
    response = api(director).post(
        CONTACTS, {"account": outsider_account.pk, "name": "Ana", "email": "ana@shared.example"}, format="json"
    )
    assert response.status_code == 201


# --- lists: filters, pagination, query counts -------------------------------------------------------------


def test_filters_shared_with_the_pages(api, director, manager, account, outsider_account):
    AccountFactory(name="Supplier One", kind="supplier", owner=manager)
    client = api(director)
    assert names(client.get(ACCOUNTS, {"kind": "supplier"})) == {"Supplier One"}
    assert names(client.get(ACCOUNTS, {"owner": manager.pk})) == {"Acme Industries", "Supplier One"}
    assert names(client.get(ACCOUNTS, {"search": "acme"})) == {"Acme Industries"}
    assert names(client.get(ACCOUNTS, {"search": "ERP-OUT"})) == {"Outsider Holdings"}
    assert len(names(client.get(ACCOUNTS, {"stage": "prospect", "key_status": "standard"}))) == 3
    ordered = [row["name"] for row in client.get(ACCOUNTS, {"ordering": "-name"}).json()["results"]]
    assert ordered == sorted(ordered, reverse=True)


def test_bad_filter_value_is_a_400_naming_the_filter(api, director):
    response = api(director).get(ACCOUNTS, {"kind": "bogus"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_pagination_follows_next(api, director):
    AccountFactory.create_batch(5)
    client = api(director)
    first = client.get(ACCOUNTS, {"page_size": 2}).json()
    assert set(first) >= {"count", "next", "previous", "results"}
    assert first["count"] == 5 and len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})


@pytest.mark.parametrize("size", ["501", "0", "many"])
def test_page_size_out_of_range_is_a_400(api, director, size):
    response = api(director).get(ACCOUNTS, {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def _count_queries(client, url) -> int:
    client.get(url)  # the token's first use records last_used_at; count the steady state
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"page_size": 100}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["manager", "director"])
def test_account_list_query_count_is_constant(request, api, persona, manager, colleague):
    client = api(request.getfixturevalue(persona))
    AccountFactory(owner=manager, team=[colleague])
    one = _count_queries(client, ACCOUNTS)
    for _ in range(9):
        ContactFactory(account=AccountFactory(owner=manager, team=[colleague]))
    # token + user, the user's roles, count, the page of accounts (owner joined), the teams prefetched
    assert _count_queries(client, ACCOUNTS) == one == 5


def test_contact_list_query_count_is_constant(api, manager, account):
    client = api(manager)
    ContactFactory(account=account)
    one = _count_queries(client, CONTACTS)
    ContactFactory.create_batch(9, account=account)
    # token + user, the user's roles, count, the page of contacts (account joined)
    assert _count_queries(client, CONTACTS) == one == 4


# --- strict JSON: the schema's types, nothing coerced silently -------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("annual_potential", 1000),
        ("is_active", 0),
        ("is_active", "yes"),
        ("external_id", 42),
        ("name", True),
        ("team", {}),
    ],
)
def test_values_of_the_wrong_json_type_are_refused(api, director, account, field, value):
    response = api(director).patch(
        f"{ACCOUNTS}{account.pk}/", {field: value}, format="json", **if_match(api(director), f"{ACCOUNTS}{account.pk}/")
    )
    assert response.status_code == 400
    assert field in response.json()


def test_form_encoded_bodies_are_refused_with_415(api, director):
    response = api(director).post(ACCOUNTS, {"name": "Form"}, format="multipart")
    assert response.status_code == 415


def test_unknown_api_paths_answer_json_404(api, director):
    for path in ("/api/v1/accounts/1.5/", "/api/v1/nothing-here/", f"{ACCOUNTS}999999/"):
        response = api(director).get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found.", "code": "not_found"}, path


def test_unscored_accounts_sort_last_either_way(api, director):
    # given one scored and one unscored account (kas is derived: the current run's score)
    AccountFactory(name="Scored", kas="72.50")
    AccountFactory(name="Unscored")
    client = api(director)
    # when sorting by KAS either way / then the account without a score comes last
    for ordering in ("kas", "-kas"):
        order = [row["name"] for row in client.get(ACCOUNTS, {"ordering": ordering}).json()["results"]]
        assert order == ["Scored", "Unscored"], ordering


@pytest.mark.parametrize(
    "url",
    [
        f"{ACCOUNTS}?ordering=-updated_at,stage,-updated_at,,last_scored_at,updated_at",
        f"{CONTACTS}?ordering=id,,id,,,",
        f"{ACCOUNTS}?ordering=name,-name",
    ],
)
def test_ordering_with_empty_or_repeated_terms_is_harmless(api, director, account, url):
    # found by schemathesis: these were 500s
    response = api(director).get(url)
    assert response.status_code == 200


def test_null_characters_in_a_search_are_a_400(api, director):
    response = api(director).get(ACCOUNTS, {"search": "a\x00b"})
    assert response.status_code == 400
    assert "search" in response.json()


@pytest.mark.parametrize(
    "url", [f"{CONTACTS}?account=1.5", "/api/v1/orders/?account=abc", "/api/v1/feedback/?contact=1.0"]
)
def test_id_filters_take_whole_numbers_only(api, director, url):
    response = api(director).get(url)
    assert response.status_code == 400
    assert url.split("?")[1].split("=")[0] in response.json()
