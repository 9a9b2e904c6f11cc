"""The ladder pages: the account page's ladder panel (next rung, override requests, decisions, refreshing after
new evidence), logging an NPS answer, the Ladder board and the director's queue."""

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
from relationships.models import Feedback, LadderOverride, PartnerProposal
from tests.factories import (
    AccountFactory,
    AdvocacyEventFactory,
    ContractFactory,
    FeedbackFactory,
    OrderFactory,
    director_factory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HTMX = {"HTTP_HX_REQUEST": "true"}
REASON = "The framework renewal is signed; orders follow next quarter."


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def a_client(account) -> Account:
    for n in (20, 120, 220):
        OrderFactory(account=account, order_date=days_ago(n))
    FeedbackFactory(account=account, score=8, responded_on=days_ago(30))
    services.ladder_evaluate(account_ids=[account.pk])
    return account


def a_proposal(account) -> PartnerProposal:
    FeedbackFactory(account=account, score=10, responded_on=days_ago(15))
    AdvocacyEventFactory(account=account, verified=True, verified_by=director_factory(), verified_at=timezone.now())
    for month in range(1, 13):
        OrderFactory(account=account, order_date=TODAY.replace(day=1) - datetime.timedelta(days=30 * month - 10))
    ContractFactory(account=account, kind=ContractKind.PARTNERSHIP, starts_on=days_ago(40))
    services.ladder_evaluate(account_ids=[account.pk])
    return PartnerProposal.objects.get(account=account)


def count_queries(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **extra).status_code == 200
    return len(queries)


# --- the panel on the account page -----------------------------------------------------------------------------


def test_the_account_page_shows_the_ladder_and_what_the_next_rung_needs(client, manager, account):
    a_client(account)
    client.force_login(manager)
    content = client.get(account.get_absolute_url()).content.decode()
    assert 'id="ladder"' in content and 'aria-current="step"' in content
    assert "Next: Supporter" in content
    assert "Supporter needs an NPS mean of at least 9.0 over the last year" in content
    assert "now 8.0 from 1 answer" in content
    assert "Request an override" in content


def test_the_panel_alone_for_htmx_and_outsiders_get_404_everywhere(client, manager, outsider, director, account):
    a_client(account)
    override = services.ladder_override_request(
        actor=manager, account=account, stage="supporter", reason=REASON, expires_on=TODAY + datetime.timedelta(days=9)
    )
    client.force_login(manager)
    panel = client.get(f"/accounts/{account.pk}/ladder/", **HTMX)
    assert panel.status_code == 200 and panel.content.decode().count('id="ladder"') == 1
    assert client.get(f"/accounts/{account.pk}/ladder/").status_code == 302  # the page itself, without htmx
    client.force_login(outsider)
    for url, method in [
        (f"/accounts/{account.pk}/ladder/", "get"),
        (f"/accounts/{account.pk}/ladder/override/", "post"),
        (f"/accounts/{account.pk}/ladder/overrides/{override.pk}/approve/", "post"),
        (f"/accounts/{account.pk}/ladder/proposals/1/approve/", "post"),
    ]:
        assert getattr(client, method)(url, **HTMX).status_code == 404, url


def test_the_panel_keeps_asking_until_the_ladder_moves(client, manager, account):
    a_client(account)
    client.force_login(manager)
    version = client.get(f"/accounts/{account.pk}/ladder/", **HTMX).content.decode()
    version = version.split('data-ladder-version="', 1)[1].split('"', 1)[0]
    # while nothing moved, the panel asks again (fewer tries left)
    waiting = client.get(f"/accounts/{account.pk}/ladder/", {"version": version, "tries": "5"}, **HTMX).content
    assert b'hx-trigger="every 2s"' in waiting and b"tries=4" in waiting
    # once the evaluation moved the account, it stops
    FeedbackFactory(account=account, score=10, responded_on=TODAY)
    services.ladder_evaluate(account_ids=[account.pk])
    moved = client.get(f"/accounts/{account.pk}/ladder/", {"version": version, "tries": "4"}, **HTMX).content
    assert b"hx-trigger" not in moved and b'data-stage="supporter" aria-current="step"' in moved


def test_a_manager_requests_an_override_from_the_page_and_errors_show_at_their_field(client, manager, account):
    a_client(account)
    client.force_login(manager)
    url = f"/accounts/{account.pk}/ladder/override/"
    refused = client.post(url, {"stage": "supporter", "reason": "Short.", "expires_on": "2000-01-01"}, **HTMX)
    content = refused.content.decode()
    assert refused.status_code == 200
    assert 'id="id_expires_on_error"' in content and "must expire after today" in content
    short = client.post(url, {"stage": "supporter", "reason": "Short.", "expires_on": "2099-01-01"}, **HTMX)
    assert 'id="id_expires_on_error"' in short.content.decode()  # at most a year
    later = (TODAY + datetime.timedelta(days=30)).isoformat()
    brief = client.post(url, {"stage": "supporter", "reason": "Short.", "expires_on": later}, **HTMX)
    assert 'id="id_reason_error"' in brief.content.decode()
    assert not LadderOverride.objects.exists()
    expires = (TODAY + datetime.timedelta(days=30)).isoformat()
    sent = client.post(url, {"stage": "supporter", "reason": REASON, "expires_on": expires}, **HTMX)
    assert "Override requested" in sent.content.decode()
    assert LadderOverride.objects.get().status == OverrideStatus.REQUESTED


def test_a_director_decides_a_proposal_on_the_panel_and_a_manager_cannot(client, manager, director, account):
    proposal = a_proposal(account)
    url = f"/accounts/{account.pk}/ladder/proposals/{proposal.pk}/approve/"
    client.force_login(manager)
    assert client.post(url, **HTMX).status_code == 403
    client.force_login(director)
    shown = client.get(account.get_absolute_url()).content.decode()
    assert "Approve Partner" in shown
    approved = client.post(url, {"note": "Roadmap signed."}, **HTMX).content.decode()
    assert "is now a Partner" in approved
    assert Account.objects.get(pk=account.pk).stage == LadderStage.PARTNER


# --- logging an NPS answer ---------------------------------------------------------------------------------------


def test_a_manager_logs_an_nps_answer_and_the_ladder_panel_starts_refreshing(client, manager, account):
    a_client(account)
    client.force_login(manager)
    response = client.post(
        f"/accounts/{account.pk}/feedback/new/", {"score": "10", "responded_on": TODAY.isoformat()}, **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert Feedback.objects.filter(account=account, score=10).exists()
    assert 'id="feedback"' in content and 'hx-swap-oob="outerHTML"' in content and "Re-evaluating" in content


@pytest.mark.parametrize("score", ["11", "-1", "ten", ""])
def test_a_bad_nps_answer_shows_the_error_at_the_score(client, manager, account, score):
    client.force_login(manager)
    response = client.post(
        f"/accounts/{account.pk}/feedback/new/", {"score": score, "responded_on": "2026-01-01"}, **HTMX
    )
    assert response.status_code == 200 and 'id="id_score_error"' in response.content.decode()
    assert not Feedback.objects.exists()


def test_outsiders_log_no_nps_answer(client, outsider, account):
    client.force_login(outsider)
    url = f"/accounts/{account.pk}/feedback/new/"
    assert client.post(url, {"score": "9", "responded_on": TODAY.isoformat()}).status_code == 404


# --- the board and the queue -----------------------------------------------------------------------------------


def test_the_board_counts_only_the_accounts_the_user_sees(client, manager, outsider, account, outsider_account):
    a_client(account)
    a_client(outsider_account)
    client.force_login(manager)
    content = client.get("/ladder/").content.decode()
    assert 'data-stage="client"' in content
    assert "where the 1 active account you see stand" in content
    assert 'data-kam="moves-up">▲ 1 up' in content


def test_the_board_costs_the_same_whatever_the_number_of_accounts(client, director):
    a_client(AccountFactory())
    client.force_login(director)
    one = count_queries(client, "/ladder/")
    for _ in range(5):
        a_client(AccountFactory())
    assert count_queries(client, "/ladder/") == one


def test_the_queue_is_for_directors_and_costs_the_same_for_more_items(client, manager, director, account):
    a_proposal(account)
    services.ladder_override_request(
        actor=manager, account=account, stage="advocate", reason=REASON, expires_on=TODAY + datetime.timedelta(days=9)
    )
    client.force_login(manager)
    assert client.get("/ladder/queue/").status_code == 403
    client.force_login(director)
    content = client.get("/ladder/queue/").content.decode()
    assert content.count('data-kam="proposal"') == 1 and content.count('data-kam="override-request"') == 1
    one = count_queries(client, "/ladder/queue/")
    for _ in range(3):
        other = AccountFactory(owner=manager)
        a_proposal(other)
    assert count_queries(client, "/ladder/queue/") == one


def test_a_director_approves_from_the_queue_and_lands_back_on_it(client, director, account):
    proposal = a_proposal(account)
    client.force_login(director)
    response = client.post(
        f"/accounts/{account.pk}/ladder/proposals/{proposal.pk}/approve/", {"next": "queue", "note": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/ladder/queue/"
    assert PartnerProposal.objects.get().status == ProposalStatus.APPROVED
