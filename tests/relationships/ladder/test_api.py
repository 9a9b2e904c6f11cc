"""The ladder API: accounts/{id}/ladder/, accounts/{id}/ladder/override/, ladder-overrides/ and
partner-proposals/ with their decisions — who may do what, outsiders 404, bad input 400, constant queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import LadderStage
from accounts.models import Account
from relationships import services
from relationships.choices import ContractKind, OverrideStatus, ProposalStatus
from relationships.models import LadderOverride, LadderTransition, PartnerProposal
from tests.factories import AdvocacyEventFactory, ContractFactory, FeedbackFactory, OrderFactory, director_factory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SOON = (TODAY + datetime.timedelta(days=60)).isoformat()
REASON = "The framework renewal is signed; orders follow next quarter."


def ladder_url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/ladder/"


def override_url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/ladder/override/"


def a_client_account(account):
    for days in (20, 120, 220):
        OrderFactory(account=account, order_date=TODAY - datetime.timedelta(days=days))
    FeedbackFactory(account=account, score=8, responded_on=TODAY - datetime.timedelta(days=30))
    services.ladder_evaluate(account_ids=[account.pk])
    return account


def a_partner_proposal(account) -> PartnerProposal:
    FeedbackFactory(account=account, score=10, responded_on=TODAY - datetime.timedelta(days=15))
    verifier = director_factory()
    AdvocacyEventFactory(account=account, verified=True, verified_by=verifier, verified_at=timezone.now())
    for month in range(1, 13):
        OrderFactory(account=account, order_date=TODAY.replace(day=1) - datetime.timedelta(days=30 * month - 10))
    ContractFactory(account=account, kind=ContractKind.JOINT_DEVELOPMENT, starts_on=TODAY - datetime.timedelta(days=9))
    Account.objects.filter(pk=account.pk).update(stage=LadderStage.ADVOCATE)
    services.ladder_evaluate(account_ids=[account.pk])
    return PartnerProposal.objects.get(account=account)


# --- accounts/{id}/ladder/ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "colleague", "director", "integration"])
def test_the_ladder_shows_stage_rule_stage_next_rung_and_moves(request, api, account, persona):
    a_client_account(account)
    response = api(request.getfixturevalue(persona)).get(ladder_url(account))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["rule_stage"], body["since"]) == ("client", "client", TODAY.isoformat())
    assert body["next_stage"] == "supporter"
    assert body["next_needs"] == [
        "Supporter needs an NPS mean of at least 9.0 over the last year and no detractor (an answer of 6 or less) "
        "in the last 180 days: now 8.0 from 1 answer."
    ]
    assert [r["stage"] for r in body["rungs"]] == ["customer", "client", "supporter", "advocate", "partner"]
    assert body["evidence"]["orders_w365"] == 3
    [move] = body["transitions"]
    assert (move["from_stage"], move["to_stage"], move["mode"]) == ("prospect", "client", "automatic")
    assert move["evidence"]["rungs"]["client"]["entry"] is True


def test_outsiders_get_404_on_the_ladder_and_on_overrides(api, outsider, account):
    client = api(outsider)
    assert client.get(ladder_url(account)).status_code == 404
    payload = {"stage": "client", "reason": REASON, "expires_on": SOON}
    assert client.post(override_url(account), payload, format="json").status_code == 404
    assert not LadderOverride.objects.exists()


def test_the_ladder_reads_a_constant_number_of_queries(api, manager, account):
    client = api(manager)
    a_client_account(account)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ladder_url(account)).status_code == 200
        return len(queries)

    count()  # the first request also records the token's use
    one = count()
    for index in range(9):
        LadderTransition.objects.create(
            account=account, from_stage="client", to_stage="customer", rule_stage="customer", mode="automatic",
            as_of=TODAY, evidence={"n": index},
        )  # fmt: skip
    # token, roles, account, state, orders, answers, advocacy, contract, overrides, proposal, transitions
    assert count() == one == 11


# --- requesting an override ----------------------------------------------------------------------------------


def test_a_managers_override_is_requested_and_a_directors_applies_at_once(api, manager, director, account):
    a_client_account(account)
    payload = {"stage": "supporter", "reason": REASON, "expires_on": SOON}
    requested = api(manager).post(override_url(account), payload, format="json")
    assert requested.status_code == 201, requested.content
    assert requested.json()["status"] == "requested"
    assert Account.objects.get(pk=account.pk).stage == LadderStage.CLIENT
    # a second request while one waits is refused
    again = api(director).post(override_url(account), payload, format="json")
    assert again.status_code == 400
    assert "already has a requested or active override" in str(again.json())
    # the director approves the request: the stage moves now
    approved = api(director).post(f"/api/v1/ladder-overrides/{requested.json()['id']}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert Account.objects.get(pk=account.pk).stage == LadderStage.SUPPORTER


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"reason": REASON, "expires_on": SOON}, "stage"),
        ({"stage": "emperor", "reason": REASON, "expires_on": SOON}, "stage"),
        ({"stage": "client", "expires_on": SOON}, "reason"),
        ({"stage": "client", "reason": "Because.", "expires_on": SOON}, "reason"),
        ({"stage": "client", "reason": REASON, "expires_on": TODAY.isoformat()}, "expires_on"),
        ({"stage": "client", "reason": REASON, "expires_on": "2030-02-30"}, "expires_on"),
        ({"stage": "client", "reason": REASON, "expires_on": "2099-01-01"}, "expires_on"),
        ({"stage": "client", "reason": REASON, "expires_on": SOON, "status": "approved"}, "status"),
        ({"stage": "client", "reason": 42, "expires_on": SOON}, "reason"),
    ],
)
def test_bad_override_requests_are_400_naming_the_field(api, manager, account, payload, field):
    response = api(manager).post(override_url(account), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not LadderOverride.objects.exists()


def test_integrations_request_no_override(api, integration, account):
    payload = {"stage": "client", "reason": REASON, "expires_on": SOON}
    assert api(integration).post(override_url(account), payload, format="json").status_code == 403


# --- deciding overrides -------------------------------------------------------------------------------------------


def requested_override(manager, account) -> LadderOverride:
    return services.ladder_override_request(
        actor=manager,
        account=account,
        stage=LadderStage.CLIENT,
        reason=REASON,
        expires_on=TODAY + datetime.timedelta(days=30),
    )


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_only_directors_decide_an_override(api, manager, colleague, outsider, director, account, decision):
    override = requested_override(manager, account)
    url = f"/api/v1/ladder-overrides/{override.pk}/{decision}/"
    assert api(outsider).post(url, {}, format="json").status_code == 404
    assert api(colleague).post(url, {}, format="json").status_code == 403
    assert api(manager).post(url, {}, format="json").status_code == 403
    decided = api(director).post(url, {"note": "Agreed at the Monday review."}, format="json")
    assert decided.status_code == 200
    assert decided.json()["decision_note"] == "Agreed at the Monday review."
    twice = api(director_factory()).post(url, {}, format="json")
    assert twice.status_code == 400 and "already" in twice.json()["status"][0]


def test_a_requester_withdraws_their_request_and_the_list_is_scoped(api, manager, outsider, account):
    override = requested_override(manager, account)
    assert [o["id"] for o in api(manager).get("/api/v1/ladder-overrides/").json()["results"]] == [override.pk]
    assert api(outsider).get("/api/v1/ladder-overrides/").json()["results"] == []
    withdrawn = api(manager).post(f"/api/v1/ladder-overrides/{override.pk}/revoke/", {}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == OverrideStatus.REVOKED


def test_a_decision_note_must_be_text(api, manager, director, account):
    override = requested_override(manager, account)
    url = f"/api/v1/ladder-overrides/{override.pk}/approve/"
    for body, field in (({"note": 5}, "note"), ({"verdict": "yes"}, "verdict")):
        response = api(director).post(url, body, format="json")
        assert response.status_code == 400 and field in response.json()


# --- Partner proposals ------------------------------------------------------------------------------------------


def test_the_partner_queue_is_for_directors(api, manager, outsider, director, account):
    proposal = a_partner_proposal(account)
    assert api(manager).get("/api/v1/partner-proposals/").status_code == 403
    assert api(manager).get(f"/api/v1/partner-proposals/{proposal.pk}/").status_code == 403
    assert api(outsider).get(f"/api/v1/partner-proposals/{proposal.pk}/").status_code == 404
    listed = api(director).get("/api/v1/partner-proposals/", {"status": "open"}).json()["results"]
    assert [(p["id"], p["account_stage"]) for p in listed] == [(proposal.pk, "advocate")]


def test_approving_a_proposal_makes_the_account_partner_and_a_second_decision_is_refused(api, director, account):
    proposal = a_partner_proposal(account)
    url = f"/api/v1/partner-proposals/{proposal.pk}/approve/"
    approved = api(director).post(url, {"note": "Board approved the joint roadmap."}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == ProposalStatus.APPROVED
    assert Account.objects.get(pk=account.pk).stage == LadderStage.PARTNER
    refused = api(director_factory()).post(f"/api/v1/partner-proposals/{proposal.pk}/reject/", {}, format="json")
    assert refused.status_code == 400 and "was approved already" in refused.json()["status"][0]


@pytest.mark.parametrize("persona", ["manager", "colleague", "integration"])
def test_non_directors_cannot_decide_a_proposal(request, api, account, persona):
    proposal = a_partner_proposal(account)
    response = api(request.getfixturevalue(persona)).post(f"/api/v1/partner-proposals/{proposal.pk}/approve/")
    assert response.status_code == 403
    assert PartnerProposal.objects.get().status == ProposalStatus.OPEN
