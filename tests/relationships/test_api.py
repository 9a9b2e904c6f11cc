"""The relationship records' API: feedback, advocacy events (and their verification), contracts and
interactions — visibility, who writes, every rule refused with 400, filters, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relationships.models import AdvocacyEvent, Contract, Feedback, Interaction
from tests.factories import (
    AccountFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
)
from tests.http import if_match

pytestmark = pytest.mark.django_db

FEEDBACK = "/api/v1/feedback/"
ADVOCACY = "/api/v1/advocacy-events/"
CONTRACTS = "/api/v1/contracts/"
INTERACTIONS = "/api/v1/interactions/"

PAYLOADS = {
    FEEDBACK: {"score": 9, "responded_on": "2025-03-01", "comment": "Great support"},
    ADVOCACY: {"kind": "testimonial", "occurred_on": "2025-03-01", "note": "Quote for the website"},
    CONTRACTS: {"kind": "sla", "title": "SLA 2025", "service_level": "premium", "starts_on": "2025-01-01"},
    INTERACTIONS: {"kind": "meeting", "occurred_at": "2025-03-01T10:00:00Z", "subject": "Quarterly review"},
}
FACTORIES = {
    FEEDBACK: FeedbackFactory,
    ADVOCACY: AdvocacyEventFactory,
    CONTRACTS: ContractFactory,
    INTERACTIONS: InteractionFactory,
}
RESOURCES = list(FACTORIES)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def payload(url, account, **overrides) -> dict:
    return {"account": account.pk, **PAYLOADS[url], **overrides}


# --- visibility -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", RESOURCES)
def test_managers_see_records_of_their_accounts_only(api, manager, colleague, outsider, account, outsider_account, url):
    # given a record on manager's account (colleague on its team) and one on the outsider's account
    mine = FACTORIES[url](account=account)
    theirs = FACTORIES[url](account=outsider_account)
    # when each manager lists / then each sees only records of accounts they own or are on the team of
    assert ids(api(manager).get(url)) == {mine.pk}
    assert ids(api(colleague).get(url)) == {mine.pk}
    assert ids(api(outsider).get(url)) == {theirs.pk}


@pytest.mark.parametrize("persona", ["director", "integration"])
@pytest.mark.parametrize("url", RESOURCES)
def test_directors_and_integrations_see_every_record(request, api, persona, account, outsider_account, url):
    records = {FACTORIES[url](account=account).pk, FACTORIES[url](account=outsider_account).pk}
    assert ids(api(request.getfixturevalue(persona)).get(url)) == records


@pytest.mark.parametrize("url", RESOURCES)
def test_user_without_role_sees_no_records(api, roleless, account, url):
    FACTORIES[url](account=account)
    assert ids(api(roleless).get(url)) == set()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("url", RESOURCES)
def test_outsider_gets_404_on_detail(api, outsider, account, method, url):
    # given a record on an account the outsider cannot see
    record = FACTORIES[url](account=account)
    # when the outsider reads, changes or deletes it
    body = {} if method == "get" else {"note": "x"} if url == ADVOCACY else {"comment": "x"}
    response = getattr(api(outsider), method)(f"{url}{record.pk}/", body, format="json")
    # then it does not exist for them, and it is still there
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("url", RESOURCES)
def test_records_cannot_name_an_account_the_caller_cannot_see(api, outsider, account, url):
    # given the outsider, who cannot see ``account``
    client = api(outsider)
    # when they name it by id or by external id
    by_id = client.post(url, payload(url, account), format="json")
    by_external = client.post(url, {**PAYLOADS[url], "account_external_id": "ERP-ACME"}, format="json")
    # then the account "does not exist" for them, and nothing was written
    assert by_id.status_code == 400 and "account" in by_id.json()
    assert by_external.status_code == 400 and "account_external_id" in by_external.json()
    assert not FACTORIES[url]._meta.model.objects.exists()


# --- the role matrix of writes -----------------------------------------------------------------------------

# (url, persona, may write) — from the services: NPS answers and contracts come from integrations and
# directors (those working on the account log an NPS answer they were given, but change none: see below);
# advocacy is logged by whoever works on the account and integrations; interactions by the account's people
# and directors, never by an integration.
WRITERS = [
    (FEEDBACK, "integration", True),
    (FEEDBACK, "director", True),
    (CONTRACTS, "integration", True),
    (CONTRACTS, "director", True),
    (CONTRACTS, "manager", False),
    (CONTRACTS, "colleague", False),
    (ADVOCACY, "integration", True),
    (ADVOCACY, "director", True),
    (ADVOCACY, "manager", True),
    (ADVOCACY, "colleague", True),
    (INTERACTIONS, "integration", False),
    (INTERACTIONS, "director", True),
    (INTERACTIONS, "manager", True),
    (INTERACTIONS, "colleague", True),
]


@pytest.mark.parametrize("url,persona,allowed", WRITERS)
def test_who_creates_changes_and_deletes_records(request, api, account, url, persona, allowed):
    user = request.getfixturevalue(persona)
    client = api(user)
    model = FACTORIES[url]._meta.model
    # given a record this persona would own if they may log it (advocacy: logged by them; interaction: theirs)
    mine = {"logged_by": user} if url == ADVOCACY else {"user": user} if url == INTERACTIONS and allowed else {}
    existing = FACTORIES[url](account=account, **mine)
    # when they create, change and delete
    created = client.post(url, payload(url, account), format="json")
    patched = client.patch(f"{url}{existing.pk}/", {}, format="json", **if_match(client, f"{url}{existing.pk}/"))
    deleted = client.delete(f"{url}{existing.pk}/", **if_match(client, f"{url}{existing.pk}/"))
    # then all succeed, or all are forbidden and nothing changed
    if allowed:
        assert (created.status_code, patched.status_code, deleted.status_code) == (201, 200, 204), created.json()
        assert created.json()["account"] == account.pk
        assert created.json()["account_external_id"] == "ERP-ACME"
        assert model.objects.count() == 1
    else:
        assert (created.status_code, patched.status_code, deleted.status_code) == (403, 403, 403)
        assert list(model.objects.all()) == [existing]


@pytest.mark.parametrize("persona", ["manager", "colleague"])
def test_those_working_on_the_account_log_nps_but_change_or_delete_none(request, api, account, persona):
    client = api(request.getfixturevalue(persona))
    existing = FeedbackFactory(account=account)
    created = client.post(FEEDBACK, payload(FEEDBACK, account), format="json")
    patched = client.patch(
        f"{FEEDBACK}{existing.pk}/", {}, format="json", **if_match(client, f"{FEEDBACK}{existing.pk}/")
    )
    deleted = client.delete(f"{FEEDBACK}{existing.pk}/", **if_match(client, f"{FEEDBACK}{existing.pk}/"))
    assert (created.status_code, patched.status_code, deleted.status_code) == (201, 403, 403)


def test_only_the_logger_directors_and_integrations_change_an_advocacy_event(api, manager, colleague, account):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    response = api(colleague).patch(
        f"{ADVOCACY}{event.pk}/",
        {"note": "edited"},
        format="json",
        **if_match(api(colleague), f"{ADVOCACY}{event.pk}/"),
    )
    assert response.status_code == 403


def test_a_colleague_cannot_change_the_owners_interaction(api, manager, colleague, account):
    # given an interaction the owner had; the colleague neither had it nor owns the account
    interaction = InteractionFactory(account=account, user=manager)
    response = api(colleague).patch(
        f"{INTERACTIONS}{interaction.pk}/",
        {"summary": "edited"},
        format="json",
        **if_match(api(colleague), f"{INTERACTIONS}{interaction.pk}/"),
    )
    assert response.status_code == 403
    # while the owner may change an interaction a colleague had
    theirs = InteractionFactory(account=account, user=colleague)
    assert (
        api(manager)
        .patch(
            f"{INTERACTIONS}{theirs.pk}/",
            {"summary": "ok"},
            format="json",
            **if_match(api(manager), f"{INTERACTIONS}{theirs.pk}/"),
        )
        .status_code
        == 200
    )


# --- feedback ---------------------------------------------------------------------------------------------


def test_feedback_names_a_contact_of_its_account(api, integration, account):
    contact = ContactFactory(account=account)
    response = api(integration).post(FEEDBACK, payload(FEEDBACK, account, contact=contact.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["contact"] == contact.pk and response.json()["score"] == 9


def test_feedback_refuses_a_contact_of_another_account(api, integration, account, outsider_account):
    # given a contact of another account (which the integration can see)
    stranger = ContactFactory(account=outsider_account)
    # when an answer on ``account`` names them, on create and on update
    created = api(integration).post(FEEDBACK, payload(FEEDBACK, account, contact=stranger.pk), format="json")
    answer = FeedbackFactory(account=account)
    patched = api(integration).patch(
        f"{FEEDBACK}{answer.pk}/",
        {"contact": stranger.pk},
        format="json",
        **if_match(api(integration), f"{FEEDBACK}{answer.pk}/"),
    )
    # then both are a 400 on ``contact``
    assert created.status_code == 400
    assert created.json() == {"contact": ["This contact belongs to another account."]}
    assert patched.status_code == 400 and "contact" in patched.json()
    assert Feedback.objects.get().contact is None


def test_feedback_cannot_name_a_contact_the_caller_cannot_see(api, director, outsider, account, outsider_account):
    # the director may see both; a contact id of an invisible account "does not exist"
    answer = FeedbackFactory(account=outsider_account)
    hidden = ContactFactory(account=account)
    # outsider cannot write feedback at all, so check the visibility of ``contact`` through a director's view
    response = api(director).patch(
        f"{FEEDBACK}{answer.pk}/",
        {"contact": hidden.pk},
        format="json",
        **if_match(api(director), f"{FEEDBACK}{answer.pk}/"),
    )
    assert response.status_code == 400 and "contact" in response.json()
    assert (
        api(director)
        .patch(
            f"{FEEDBACK}{answer.pk}/",
            {"contact": 999999},
            format="json",
            **if_match(api(director), f"{FEEDBACK}{answer.pk}/"),
        )
        .status_code
        == 400
    )


@pytest.mark.parametrize(
    "field,value",
    [("score", 11), ("score", -1), ("score", "nine"), ("responded_on", "yesterday"), ("comment", 5)],
)
def test_feedback_rules_are_refused_with_400(api, integration, account, field, value):
    response = api(integration).post(FEEDBACK, payload(FEEDBACK, account, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_duplicate_feedback_external_id_is_refused(api, integration, account):
    FeedbackFactory(account=account, external_id="NPS-1")
    response = api(integration).post(FEEDBACK, payload(FEEDBACK, account, external_id="NPS-1"), format="json")
    assert response.status_code == 400
    assert response.json() == {"external_id": ["Another answer already has this external id."]}


# --- advocacy events and their verification --------------------------------------------------------------


def test_a_manager_logs_an_event_and_a_colleague_verifies_it(api, manager, colleague, account):
    # given the owner logging a testimonial
    created = api(manager).post(ADVOCACY, payload(ADVOCACY, account), format="json")
    assert created.status_code == 201, created.json()
    event = created.json()
    assert event["logged_by"] == manager.pk
    assert (event["verified"], event["verified_by"], event["verified_at"]) == (False, None, None)
    # when a colleague on the team verifies it
    response = api(colleague).post(f"{ADVOCACY}{event['id']}/verify/")
    # then it counts: verified by the colleague, now
    assert response.status_code == 200, response.json()
    assert response.json()["verified"] is True
    assert response.json()["verified_by"] == colleague.pk
    assert response.json()["verified_at"] is not None
    assert AdvocacyEvent.objects.get().verified_by == colleague


def test_self_verification_is_refused_with_400(api, manager, account):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    response = api(manager).post(f"{ADVOCACY}{event.pk}/verify/")
    assert response.status_code == 400
    assert response.json() == {"verified": ["You logged this event: someone else must verify it."]}
    assert not AdvocacyEvent.objects.get().verified


def test_a_director_verifies_an_integrations_event(api, director, integration, account):
    created = api(integration).post(ADVOCACY, payload(ADVOCACY, account), format="json").json()
    response = api(director).post(f"{ADVOCACY}{created['id']}/verify/")
    assert response.status_code == 200
    assert response.json()["verified_by"] == director.pk


def test_integrations_verify_nothing(api, manager, integration, account):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    response = api(integration).post(f"{ADVOCACY}{event.pk}/verify/")
    assert response.status_code == 403
    assert not AdvocacyEvent.objects.get().verified


def test_outsider_gets_404_on_verify(api, manager, outsider, account):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    response = api(outsider).post(f"{ADVOCACY}{event.pk}/verify/")
    assert response.status_code == 404
    assert not AdvocacyEvent.objects.get().verified


def test_changing_a_verified_events_facts_withdraws_the_verification(api, manager, colleague, account):
    # given an event logged by manager and verified by the colleague
    event = AdvocacyEventFactory(
        account=account, logged_by=manager, verified=True, verified_by=colleague, verified_at=timezone.now()
    )
    # when the manager changes what happened
    response = api(manager).patch(
        f"{ADVOCACY}{event.pk}/",
        {"kind": "case_study"},
        format="json",
        **if_match(api(manager), f"{ADVOCACY}{event.pk}/"),
    )
    # then it must be vouched for again
    assert response.status_code == 200, response.json()
    assert (response.json()["verified"], response.json()["verified_by"], response.json()["verified_at"]) == (
        False,
        None,
        None,
    )


@pytest.mark.parametrize(
    "field,value",
    [("verified", True), ("verified_by", 1), ("verified_at", "2025-01-01T00:00:00Z"), ("logged_by", 1)],
)
def test_verification_is_not_a_field(api, director, manager, account, field, value):
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    response = api(director).patch(
        f"{ADVOCACY}{event.pk}/", {field: value}, format="json", **if_match(api(director), f"{ADVOCACY}{event.pk}/")
    )
    assert response.status_code == 400
    assert response.json() == {field: ["This field is read-only."]}


def test_an_account_cannot_refer_itself(api, manager, account):
    created = api(manager).post(ADVOCACY, payload(ADVOCACY, account, referred_account=account.pk), format="json")
    assert created.status_code == 400
    assert created.json() == {"referred_account": ["An account cannot refer itself."]}
    event = AdvocacyEventFactory(account=account, logged_by=manager)
    patched = api(manager).patch(
        f"{ADVOCACY}{event.pk}/",
        {"referred_account": account.pk},
        format="json",
        **if_match(api(manager), f"{ADVOCACY}{event.pk}/"),
    )
    assert patched.status_code == 400 and "referred_account" in patched.json()


def test_a_referral_names_an_account_the_caller_can_see(api, manager, director, account, outsider_account):
    hidden = api(manager).post(
        ADVOCACY, payload(ADVOCACY, account, kind="referral", referred_account=outsider_account.pk), format="json"
    )
    assert hidden.status_code == 400 and "referred_account" in hidden.json()
    seen = api(director).post(
        ADVOCACY, payload(ADVOCACY, account, kind="referral", referred_account=outsider_account.pk), format="json"
    )
    assert seen.status_code == 201 and seen.json()["referred_account"] == outsider_account.pk


@pytest.mark.parametrize("field,value", [("kind", "rumour"), ("occurred_on", "2025-02-30"), ("note", None)])
def test_advocacy_rules_are_refused_with_400(api, manager, account, field, value):
    response = api(manager).post(ADVOCACY, payload(ADVOCACY, account, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


# --- contracts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"ends_on": "2024-12-31"}, "ends_on"),
        ({"kind": "handshake"}, "kind"),
        ({"service_level": "gold"}, "service_level"),
        ({"auto_renew": "yes"}, "auto_renew"),
        ({"starts_on": None}, "starts_on"),
    ],
)
def test_contract_rules_are_refused_with_400(api, integration, account, overrides, field):
    response = api(integration).post(CONTRACTS, payload(CONTRACTS, account, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Contract.objects.exists()


def test_contract_end_before_start_is_refused_on_update(api, integration, account):
    contract = ContractFactory(account=account, starts_on=datetime.date(2025, 1, 1))
    response = api(integration).patch(
        f"{CONTRACTS}{contract.pk}/",
        {"ends_on": "2024-06-30"},
        format="json",
        **if_match(api(integration), f"{CONTRACTS}{contract.pk}/"),
    )
    assert response.status_code == 400
    assert response.json() == {"ends_on": ["The end date may not be before the start date."]}


def test_duplicate_contract_external_id_is_refused(api, integration, account):
    ContractFactory(account=account, external_id="CTR-1")
    response = api(integration).post(CONTRACTS, payload(CONTRACTS, account, external_id="CTR-1"), format="json")
    assert response.status_code == 400
    assert response.json() == {"external_id": ["Another contract already has this external id."]}


def test_an_open_ended_contract(api, integration, account):
    response = api(integration).post(CONTRACTS, payload(CONTRACTS, account, ends_on=None), format="json")
    assert response.status_code == 201
    assert response.json()["ends_on"] is None and response.json()["auto_renew"] is False


# --- interactions -----------------------------------------------------------------------------------------


def test_an_interaction_lists_its_contacts_and_defaults_to_the_caller(api, colleague, account):
    ana, ben = ContactFactory(account=account), ContactFactory(account=account)
    response = api(colleague).post(
        INTERACTIONS, payload(INTERACTIONS, account, contacts=[ana.pk, ben.pk]), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"] == colleague.pk
    assert sorted(response.json()["contacts"]) == sorted([ana.pk, ben.pk])
    # and PATCH replaces the participants
    url = f"{INTERACTIONS}{response.json()['id']}/"
    assert api(colleague).patch(url, {"contacts": [ben.pk]}, format="json", **if_match(api(colleague), url)).json()[
        "contacts"
    ] == [ben.pk]
    assert api(colleague).patch(url, {"subject": "Renamed"}, format="json", **if_match(api(colleague), url)).json()[
        "contacts"
    ] == [ben.pk]


def test_an_interaction_may_name_who_had_it(api, director, manager, account):
    response = api(director).post(INTERACTIONS, payload(INTERACTIONS, account, user=manager.pk), format="json")
    assert response.status_code == 201
    assert response.json()["user"] == manager.pk


@pytest.mark.parametrize("persona", ["integration", "roleless"])
def test_who_had_an_interaction_is_a_manager_or_director(request, api, director, account, persona):
    # an integration neither logs interactions nor may be named as having had one (it could then change it)
    someone = request.getfixturevalue(persona)
    response = api(director).post(INTERACTIONS, payload(INTERACTIONS, account, user=someone.pk), format="json")
    assert response.status_code == 400 and "user" in response.json()


def test_an_interaction_refuses_contacts_of_another_account(api, director, account, outsider_account):
    # given a contact of another account that the director can see
    ours, stranger = ContactFactory(account=account), ContactFactory(account=outsider_account)
    # when an interaction on ``account`` names them
    created = api(director).post(
        INTERACTIONS, payload(INTERACTIONS, account, contacts=[ours.pk, stranger.pk]), format="json"
    )
    interaction = InteractionFactory(account=account, contacts=[ours])
    patched = api(director).patch(
        f"{INTERACTIONS}{interaction.pk}/",
        {"contacts": [stranger.pk]},
        format="json",
        **if_match(api(director), f"{INTERACTIONS}{interaction.pk}/"),
    )
    # then it is a 400 on ``contacts`` and nothing changed
    assert created.status_code == 400
    assert created.json() == {"contacts": ["This contact belongs to another account."]}
    assert patched.status_code == 400 and "contacts" in patched.json()
    assert list(Interaction.objects.get().contacts.all()) == [ours]


def test_an_interaction_cannot_name_contacts_the_caller_cannot_see(api, manager, outsider_account):
    hidden = ContactFactory(account=outsider_account)
    own = AccountFactory(owner=manager)
    response = api(manager).post(INTERACTIONS, payload(INTERACTIONS, own, contacts=[hidden.pk]), format="json")
    assert response.status_code == 400 and "contacts" in response.json()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"next_step_due": "2025-04-01"}, "next_step"),
        ({"next_step": "", "next_step_due": "2025-04-01"}, "next_step"),
        ({"subject": ""}, "subject"),
        ({"kind": "telepathy"}, "kind"),
        ({"status": "maybe"}, "status"),
        ({"occurred_at": "last week"}, "occurred_at"),
        ({"contacts": 5}, "contacts"),
        ({"user": 999999}, "user"),
    ],
)
def test_interaction_rules_are_refused_with_400(api, manager, account, overrides, field):
    response = api(manager).post(INTERACTIONS, payload(INTERACTIONS, account, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Interaction.objects.exists()


# --- filters ----------------------------------------------------------------------------------------------


def test_feedback_filters(api, director, account, outsider_account):
    contact = ContactFactory(account=account)
    march = FeedbackFactory(account=account, responded_on=datetime.date(2025, 3, 1), score=3, contact=contact)
    may = FeedbackFactory(account=account, responded_on=datetime.date(2025, 5, 1), score=10)
    other = FeedbackFactory(account=outsider_account, responded_on=datetime.date(2025, 4, 1), score=7)
    client = api(director)
    assert ids(client.get(FEEDBACK, {"account": account.pk})) == {march.pk, may.pk}
    assert ids(client.get(FEEDBACK, {"account_external_id": "ERP-OUT"})) == {other.pk}
    assert ids(client.get(FEEDBACK, {"responded_on_after": "2025-04-01"})) == {may.pk, other.pk}
    assert ids(client.get(FEEDBACK, {"responded_on_before": "2025-04-01"})) == {march.pk, other.pk}
    assert ids(client.get(FEEDBACK, {"contact": contact.pk})) == {march.pk}
    assert ids(client.get(FEEDBACK, {"score_min": 7, "score_max": 9})) == {other.pk}
    by_score = [row["id"] for row in client.get(FEEDBACK, {"ordering": "-score"}).json()["results"]]
    assert by_score == [may.pk, other.pk, march.pk]


def test_advocacy_filters(api, director, manager, colleague, account, outsider_account):
    verified = AdvocacyEventFactory(
        account=account,
        kind="referral",
        occurred_on=datetime.date(2025, 1, 10),
        logged_by=manager,
        verified=True,
        verified_by=colleague,
        verified_at=timezone.now(),
    )
    pending = AdvocacyEventFactory(account=account, occurred_on=datetime.date(2025, 6, 1), logged_by=manager)
    other = AdvocacyEventFactory(account=outsider_account, kind="review", occurred_on=datetime.date(2025, 3, 1))
    client = api(director)
    assert ids(client.get(ADVOCACY, {"verified": "true"})) == {verified.pk}
    assert ids(client.get(ADVOCACY, {"verified": "false"})) == {pending.pk, other.pk}
    assert ids(client.get(ADVOCACY, {"verified": ""})) == {verified.pk, pending.pk, other.pk}
    assert ids(client.get(ADVOCACY, {"kind": ["referral", "review"]})) == {verified.pk, other.pk}
    assert ids(client.get(ADVOCACY, {"occurred_on_after": "2025-02-01", "occurred_on_before": "2025-05-31"})) == {
        other.pk
    }
    assert ids(client.get(ADVOCACY, {"account": account.pk})) == {verified.pk, pending.pk}
    by_date = [row["id"] for row in client.get(ADVOCACY, {"ordering": "occurred_on"}).json()["results"]]
    assert by_date == [verified.pk, other.pk, pending.pk]


def test_contract_filters(api, director, account, outsider_account):
    old = ContractFactory(account=account, starts_on=datetime.date(2023, 1, 1), ends_on=datetime.date(2023, 12, 31))
    partnership = ContractFactory(account=account, kind="partnership", starts_on=datetime.date(2025, 1, 1))
    other = ContractFactory(account=outsider_account, service_level="premium", starts_on=datetime.date(2024, 6, 1))
    client = api(director)
    assert ids(client.get(CONTRACTS, {"starts_on_after": "2024-01-01"})) == {partnership.pk, other.pk}
    assert ids(client.get(CONTRACTS, {"starts_on_before": "2024-06-01"})) == {old.pk, other.pk}
    assert ids(client.get(CONTRACTS, {"ends_on_before": "2024-01-01"})) == {old.pk}
    assert ids(client.get(CONTRACTS, {"kind": "partnership"})) == {partnership.pk}
    assert ids(client.get(CONTRACTS, {"service_level": "premium"})) == {other.pk}
    assert ids(client.get(CONTRACTS, {"account_external_id": "ERP-ACME"})) == {old.pk, partnership.pk}
    by_end = [row["id"] for row in client.get(CONTRACTS, {"ordering": "ends_on"}).json()["results"]]
    assert by_end[0] == old.pk  # open-ended contracts sort last


def test_interaction_filters(api, director, manager, account, outsider_account):
    at = datetime.datetime(2025, 3, 1, 23, 30, tzinfo=datetime.UTC)
    planned = InteractionFactory(account=account, status="planned", kind="call", occurred_at=at, user=manager)
    done = InteractionFactory(account=account, occurred_at=at - datetime.timedelta(days=30))
    other = InteractionFactory(account=outsider_account, occurred_at=at + datetime.timedelta(days=30))
    client = api(director)
    assert ids(client.get(INTERACTIONS, {"status": "planned"})) == {planned.pk}
    assert ids(client.get(INTERACTIONS, {"kind": "call"})) == {planned.pk}
    assert ids(client.get(INTERACTIONS, {"user": manager.pk})) == {planned.pk}
    day = timezone.localtime(at).date().isoformat()
    assert ids(client.get(INTERACTIONS, {"occurred_at_after": day, "occurred_at_before": day})) == {planned.pk}
    assert ids(client.get(INTERACTIONS, {"occurred_at_after": day})) == {planned.pk, other.pk}
    assert ids(client.get(INTERACTIONS, {"account": outsider_account.pk})) == {other.pk}
    by_time = [row["id"] for row in client.get(INTERACTIONS, {"ordering": "-occurred_at"}).json()["results"]]
    assert by_time == [other.pk, planned.pk, done.pk]


@pytest.mark.parametrize(
    "url,name,value",
    [
        (FEEDBACK, "responded_on_after", "last spring"),
        (FEEDBACK, "responded_on_before", "03/01/2025"),
        (FEEDBACK, "score_min", "high"),
        (FEEDBACK, "score_max", "0.5"),
        (FEEDBACK, "ordering", "comment"),
        (ADVOCACY, "verified", "yes"),
        (ADVOCACY, "kind", "rumour"),
        (ADVOCACY, "occurred_on_after", "2025-02-30"),
        (CONTRACTS, "starts_on_after", "soon"),
        (CONTRACTS, "kind", "handshake"),
        (CONTRACTS, "service_level", "gold"),
        (CONTRACTS, "auto_renew", "1"),
        (INTERACTIONS, "occurred_at_before", "2025-03-01T10:00:00"),
        (INTERACTIONS, "status", "maybe"),
        (INTERACTIONS, "kind", "telepathy"),
        (INTERACTIONS, "account", "acme"),
        (INTERACTIONS, "ordering", "subject"),
    ],
)
def test_bad_filter_value_is_a_400_naming_the_filter(api, director, url, name, value):
    response = api(director).get(url, {name: value})
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
    contacts = ContactFactory.create_batch(2, account=account)
    if url == FEEDBACK:
        return FeedbackFactory(account=account, contact=contacts[0])
    if url == ADVOCACY:
        return AdvocacyEventFactory(
            account=account,
            logged_by=manager,
            verified=True,
            verified_by=colleague,
            verified_at=timezone.now(),
            referred_account=AccountFactory(),
        )
    if url == INTERACTIONS:
        return InteractionFactory(account=account, user=manager, contacts=contacts)
    return ContractFactory(account=account)


# token + user, the user's roles, count, the page of records (account and the other foreign keys joined),
# and for interactions their contacts prefetched
EXPECTED_QUERIES = {FEEDBACK: 4, ADVOCACY: 4, CONTRACTS: 4, INTERACTIONS: 5}


@pytest.mark.parametrize("persona", ["manager", "director"])
@pytest.mark.parametrize("url", RESOURCES)
def test_list_query_count_is_constant(request, api, persona, manager, colleague, url):
    client = api(request.getfixturevalue(persona))
    _make(url, manager, colleague)
    one = _count_queries(client, url)
    for _ in range(9):
        _make(url, manager, colleague)
    assert len(client.get(url, {"page_size": 100}).json()["results"]) == 10
    assert _count_queries(client, url) == one == EXPECTED_QUERIES[url]
