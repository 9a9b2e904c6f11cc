"""The scoring API: requesting runs (who, which dates), following them, an account's latest score with its
explanation and its history (visibility, query counts), and one run through a real Celery worker."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import AccountScore, ScoringRun
from accounts.scoring.runs import scoring_run_perform
from accounts.tasks import scoring_run_execute_task
from tests.factories import AccountFactory, AccountScoreFactory, OrderFactory, ScoringRunFactory, score_current
from tests.http import if_match
from tests.workers import private_worker

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/scoring-runs/"


def score_url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/score/"


def scores_url(account) -> str:
    return f"/api/v1/accounts/{account.pk}/scores/"


def orders_for(account, *, count: int = 4, amount: str = "12000.00") -> None:
    """``count`` orders in the last year, a month apart: enough for the key-status order gate."""
    today = timezone.localdate()
    for month in range(count):
        OrderFactory(
            account=account, order_date=today - datetime.timedelta(days=20 + 30 * month), net_amount=Decimal(amount)
        )


# --- requesting a run ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["director", "integration"])
def test_director_and_integration_request_a_run(request, api, persona):
    # given a director or an integration
    user = request.getfixturevalue(persona)
    as_of = timezone.localdate() - datetime.timedelta(days=3)
    # when they request a run as of three days ago
    response = api(user).post(RUNS, {"as_of": as_of.isoformat()})
    # then it is accepted and queued with the active policy
    assert response.status_code == 202, response.content
    body = response.json()
    run = ScoringRun.objects.get(pk=body["id"])
    assert body["status"] == ScoringRunStatus.QUEUED == run.status
    assert body["as_of"] == as_of.isoformat()
    assert body["policy"] == "kas-v1"
    assert body["requested_by"] == user.pk
    assert body["duration_ms"] is None
    assert response["Location"].endswith(f"{RUNS}{run.pk}/")


def test_run_as_of_defaults_to_today(api, director):
    # given a director
    # when they request a run without a body
    response = api(director).post(RUNS, {})
    # then it is as of today
    assert response.status_code == 202
    assert response.json()["as_of"] == timezone.localdate().isoformat()


def test_account_manager_may_not_request_a_run(api, manager):
    # given an account manager
    # when they request a run
    response = api(manager).post(RUNS, {})
    # then it is forbidden and nothing is queued
    assert response.status_code == 403
    assert not ScoringRun.objects.exists()


def test_anonymous_may_not_request_a_run(api):
    assert api().post(RUNS, {}).status_code == 401


@pytest.mark.parametrize("as_of", ["2026-02-30", "abc", "", "2026-13-01", 20260101, None])
def test_impossible_as_of_is_a_400_naming_as_of(api, director, as_of):
    # given a director
    # when they request a run as of something that is not a date
    response = api(director).post(RUNS, {"as_of": as_of})
    # then it is refused naming as_of, and nothing is queued
    assert response.status_code == 400
    assert list(response.json()) == ["as_of"]
    assert not ScoringRun.objects.exists()


def test_future_as_of_is_a_400_naming_as_of(api, director):
    # given a director
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    # when they request a run as of tomorrow
    response = api(director).post(RUNS, {"as_of": tomorrow.isoformat()})
    # then it is refused: the future has no records yet
    assert response.status_code == 400
    assert "future" in response.json()["as_of"][0]
    assert not ScoringRun.objects.exists()


def test_unknown_fields_are_a_400(api, director):
    # given a director
    # when they send a field a run request does not have
    response = api(director).post(RUNS, {"as_of": "2025-01-01", "policy": "kas-v2"})
    # then it is refused naming the field, not silently dropped
    assert response.status_code == 400
    assert response.json() == {"policy": ["Unknown field."]}
    assert not ScoringRun.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(api, director):
    response = api(director).post(RUNS, ["2025-01-01"])
    assert response.status_code == 400


# --- following runs --------------------------------------------------------------------------------------------


def test_run_detail_after_a_run_shows_it_done_with_counts(api, director, manager):
    # given two active accounts with orders, scored by a run
    for _ in range(2):
        orders_for(AccountFactory(owner=manager))
    run = scoring_run_perform(requested_by=director)
    # when the director reads the run
    response = api(director).get(f"{RUNS}{run.pk}/")
    # then it is done, with what it scored and how long each step took
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == ScoringRunStatus.DONE
    assert body["accounts_scored"] == 2
    assert sum(body["counts"]["key_status"].values()) == 2
    assert set(body["counts"]["key_status"]) == set(KeyStatus.values)
    assert set(body["timings"]) == {"gather inputs", "evaluate the ladder", "score accounts"}
    assert body["duration_ms"] >= 0
    assert body["started_at"] and body["finished_at"]
    assert body["error"] == ""
    assert body["requested_by"] == director.pk


def test_failed_run_shows_its_error(api, integration):
    run = ScoringRunFactory(status=ScoringRunStatus.FAILED, error="ScoringRunBusy: try again later.")
    body = api(integration).get(f"{RUNS}{run.pk}/").json()
    assert body["status"] == "failed"
    assert body["error"] == "ScoringRunBusy: try again later."


@pytest.mark.parametrize("persona", ["director", "integration"])
def test_director_and_integration_list_runs_newest_first(request, api, persona):
    # given two runs
    older, newer = ScoringRunFactory(), ScoringRunFactory()
    # when they list runs
    response = api(request.getfixturevalue(persona)).get(RUNS)
    # then both are there, newest first
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [newer.pk, older.pk]


def test_account_manager_may_not_list_runs(api, manager):
    ScoringRunFactory()
    assert api(manager).get(RUNS).status_code == 403


def test_account_manager_does_not_see_a_run(api, manager):
    # given a run
    run = ScoringRunFactory()
    # when a manager asks for it
    response = api(manager).get(f"{RUNS}{run.pk}/")
    # then it does not exist for them
    assert response.status_code == 404


def test_runs_cannot_be_changed_or_deleted(api, director):
    run = ScoringRunFactory()
    client = api(director)
    assert (
        client.patch(f"{RUNS}{run.pk}/", {"status": "failed"}, **if_match(client, f"{RUNS}{run.pk}/")).status_code
        == 405
    )
    assert client.delete(f"{RUNS}{run.pk}/", **if_match(client, f"{RUNS}{run.pk}/")).status_code == 405


# --- an account's latest score ---------------------------------------------------------------------------------


def test_score_explains_five_criteria_whose_contributions_sum_to_kas(api, manager, account):
    # given the manager's account with orders, scored by a run
    orders_for(account, count=6)
    run = scoring_run_perform()
    # when the manager reads its score
    response = api(manager).get(score_url(account))
    # then it is the run's score with five explained criteria adding up to KAS
    assert response.status_code == 200, response.content
    body = response.json()
    stored = AccountScore.objects.get(run=run, account=account)
    assert body["run"] == run.pk
    assert body["as_of"] == run.as_of.isoformat()
    assert body["policy"] == "kas-v1"
    assert Decimal(body["kas"]) == stored.kas
    assert body["key_status"] == stored.key_status
    assert body["computed_key_status"] == stored.computed_key_status
    for field in ("c1", "c2", "c3", "c4", "c5", "completeness"):
        assert field in body
    criteria = body["explanation"]["criteria"]
    assert [c["criterion"] for c in criteria] == ["c1", "c2", "c3", "c4", "c5"]
    assert all(c["sentence"].strip() for c in criteria)
    assert sum(Decimal(c["contribution"]) for c in criteria) == Decimal(body["kas"])
    assert body["explanation"]["key_status"]["sentence"]


def test_score_is_the_latest_as_of(api, director, account):
    # given the account scored as of a month ago and as of today
    orders_for(account)
    scoring_run_perform(as_of=timezone.localdate())
    scoring_run_perform(as_of=timezone.localdate() - datetime.timedelta(days=30))
    # when its score is read
    body = api(director).get(score_url(account)).json()
    # then it is today's, though the back-dated run finished later
    assert body["as_of"] == timezone.localdate().isoformat()


def test_score_of_an_account_not_scored_yet_is_a_404_saying_so(api, manager, account):
    # given an account no run has scored
    # when its score is read
    response = api(manager).get(score_url(account))
    # then there is none yet, and the answer says so
    assert response.status_code == 404
    assert response.json() == {
        "detail": "This account has no score yet: no scoring run has scored it.",
        "code": "not_scored",
    }


def test_outsider_gets_404_for_score_and_scores(api, outsider, account):
    # given a scored account the outsider has nothing to do with
    AccountScoreFactory(account=account)
    client = api(outsider)
    # when the outsider asks for its score and its history
    score, scores = client.get(score_url(account)), client.get(scores_url(account))
    # then neither exists for them, and the answer is the same as for an account that does not exist
    assert score.status_code == scores.status_code == 404
    assert score.json() == scores.json() == client.get("/api/v1/accounts/999999999/score/").json()


@pytest.mark.parametrize("persona", ["colleague", "director", "integration"])
def test_team_director_and_integration_read_the_score(request, api, persona, account):
    AccountScoreFactory(account=account)
    assert api(request.getfixturevalue(persona)).get(score_url(account)).status_code == 200


def test_scores_of_unfinished_runs_are_not_shown(api, manager, account):
    AccountScoreFactory(account=account, run=ScoringRunFactory(status=ScoringRunStatus.RUNNING, finished_at=None))
    assert api(manager).get(score_url(account)).status_code == 404
    assert api(manager).get(scores_url(account)).json()["results"] == []


# --- an account's history ----------------------------------------------------------------------------------


def test_scores_list_the_history_newest_first_without_explanation(api, manager, account):
    # given the account scored in two runs
    today = timezone.localdate()
    old = AccountScoreFactory(account=account, run=ScoringRunFactory(as_of=today - datetime.timedelta(days=1)))
    new = AccountScoreFactory(account=account, run=ScoringRunFactory(as_of=today), kas=Decimal("72.50"))
    # when the manager lists its scores
    response = api(manager).get(scores_url(account))
    # then both come, newest as_of first, in the list shape, without explanations
    assert response.status_code == 200
    body = response.json()
    assert {"next", "previous", "results"} <= set(body)
    assert [row["run"] for row in body["results"]] == [new.run_id, old.run_id]
    first = body["results"][0]
    assert first["kas"] == "72.50"
    assert first["as_of"] == today.isoformat()
    assert {"c1", "c2", "c3", "c4", "c5", "key_status"} <= set(first)
    assert "explanation" not in first


def _count_queries(client, url) -> int:
    client.get(url)  # the token's first use records last_used_at; count the steady state
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"page_size": 100}).status_code == 200
    return len(queries)


def test_scores_list_query_count_is_constant(api, manager, account):
    client = api(manager)
    AccountScoreFactory(account=account)
    one = _count_queries(client, scores_url(account))
    for _ in range(9):
        AccountScoreFactory(account=account)
    # token + user, the user's roles, the account (visibility), count, the page of scores (run joined)
    assert _count_queries(client, scores_url(account)) == one == 5


# --- the account's own fields -------------------------------------------------------------------------------


def test_account_shows_kas_and_previous_kas_read_only(api, director, account):
    # given a scored account
    score_current(account, kas="71.00", kas_previous=Decimal("64.25"))
    client = api(director)
    # when it is read, and someone tries to write kas_previous
    body = client.get(f"/api/v1/accounts/{account.pk}/").json()
    refused = client.patch(
        f"/api/v1/accounts/{account.pk}/",
        {"kas_previous": "10.00"},
        **if_match(client, f"/api/v1/accounts/{account.pk}/"),
    )
    # then both are shown and kas_previous is not taken
    assert (body["kas"], body["kas_previous"]) == ("71.00", "64.25")
    assert refused.status_code == 400
    assert list(refused.json()) == ["kas_previous"]


def test_accounts_filter_and_order_by_kas(api, director):
    _low, mid, high = (AccountFactory(kas=Decimal(k)) for k in ("40.00", "60.00", "80.00"))
    response = api(director).get("/api/v1/accounts/", {"kas_min": "50", "kas_max": "90", "ordering": "-kas"})
    assert [row["id"] for row in response.json()["results"]] == [high.pk, mid.pk]


# --- through a real worker -------------------------------------------------------------------------------------


@pytest.fixture
def scoring_worker(transactional_db, monkeypatch):
    """A real Celery worker on the real Redis broker and the test database, for scoring runs."""
    with private_worker(monkeypatch, scoring_run_execute_task) as worker:
        yield worker


@pytest.mark.django_db(transaction=True)
def test_requested_run_is_executed_by_a_worker(api, director, manager, scoring_worker):
    # given an account with orders and a worker listening on the broker
    scored = AccountFactory(owner=manager)
    orders_for(scored)
    # when a director requests a run (it is enqueued once the request's transaction commits)
    response = api(director).post(RUNS, {})
    assert response.status_code == 202
    run_id = response.json()["id"]
    # then the worker takes it from queued to done and the account has its score
    deadline = time.monotonic() + 30
    run = ScoringRun.objects.get(pk=run_id)
    while run.status in (ScoringRunStatus.QUEUED, ScoringRunStatus.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.2)
        run.refresh_from_db()
    assert run.status == ScoringRunStatus.DONE, run.error
    assert run.accounts_scored == 1
    assert AccountScore.objects.filter(run=run, account=scored).exists()
    assert api(director).get(score_url(scored)).json()["run"] == run_id
