"""Pages of the scoring: the score panel of the account page, the portfolio's KAS trend, the scoring runs."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import Account, KeyStatusOverride, ScoringRun
from accounts.scoring.runs import scoring_run_perform
from tests.factories import AccountFactory, OrderFactory, ScoringRunFactory, score_current

PORTFOLIO = reverse("accounts:account_list")
RUNS = reverse("accounts:scoring_run_list")


def run_url(run: ScoringRun) -> str:
    return reverse("accounts:scoring_run_detail", args=[run.pk])


def run_status_url(run: ScoringRun) -> str:
    return reverse("accounts:scoring_run_status", args=[run.pk])


def detail_url(account: Account) -> str:
    return reverse("accounts:account_detail", args=[account.pk])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def scored_account(account):
    """``account`` with two orders in the last year and no invoice, scored by a real run: too few orders for
    key status, and payment reliability has no data."""
    OrderFactory(account=account, order_date=_days_ago(20), net_amount=Decimal("12000.00"))
    OrderFactory(account=account, order_date=_days_ago(200), net_amount=Decimal("8000.00"))
    scoring_run_perform(as_of=timezone.localdate())
    return account


# --- account page: score panel ------------------------------------------------------------------------------


def test_account_page_explains_the_score(client, manager, scored_account):
    # given an account scored by a run
    client.force_login(manager)
    # when its owner opens it
    response = client.get(detail_url(scored_account))
    # then the panel shows the five criteria as bars with their sentences, the KAS, the missing data and why
    # the account has its key status
    assert response.status_code == 200
    content = response.content.decode()
    explanation = response.context["explanation"]
    assert content.count('class="progress kam-score-progress') == 5
    for criterion in explanation["criteria"]:
        assert criterion["label"].capitalize() in content
        assert escape(criterion["sentence"]) in content
    assert "Completeness 80%" in content  # payment reliability (weight 0.20) had no data
    assert "No data: No invoice (other than cancelled ones) fell due in the last 365 days." in content
    assert escape(explanation["key_status"]["sentence"]) in content
    assert "What would make this account key" in content
    assert "1 more order in 365 days: it has 2 and key accounts need at least 3." in content


def test_a_key_accounts_advice_is_what_would_make_it_strategic(client, manager, account):
    # given a policy under which a year of monthly orders makes an account key but not strategic
    from accounts.models import ScoringPolicy

    ScoringPolicy.objects.filter(is_active=True).update(
        key_threshold=Decimal("1"),
        retain_threshold=Decimal("1"),
        candidate_threshold=Decimal("0"),
        strategic_threshold=Decimal("100"),
        min_orders_w365=1,
    )
    for month in range(12):
        OrderFactory(account=account, order_date=_days_ago(15 + 30 * month), net_amount=Decimal("1000.00"))
    scoring_run_perform(as_of=timezone.localdate())
    client.force_login(manager)
    # when its owner opens it
    response = client.get(detail_url(account))
    # then the advice is headed by what it would take to become strategic, not "… key"
    assert response.context["explanation"]["key_status"]["status"] == KeyStatus.KEY
    content = response.content.decode()
    assert "What would make this account strategic" in content
    assert "What would make this account key" not in content


def test_account_page_shows_the_kas_trend_of_the_last_runs(client, manager, account):
    # given an account scored as of three days
    OrderFactory(account=account, order_date=_days_ago(100))
    for days in (60, 30, 0):
        scoring_run_perform(as_of=_days_ago(days))
    client.force_login(manager)
    # when its owner opens it
    response = client.get(detail_url(account))
    # then the trend lists the three runs, newest first
    trend = response.context["score_trend"]
    assert [score.run.as_of for score in trend] == [_days_ago(0), _days_ago(30), _days_ago(60)]
    assert 'class="table table-sm small mb-0 kam-table kam-score-trend"' in response.content.decode()


def test_account_page_trend_stops_at_twelve_runs(client, manager, account):
    # given an account scored in fourteen runs
    OrderFactory(account=account, order_date=_days_ago(100))
    for days in reversed(range(14)):
        scoring_run_perform(as_of=_days_ago(days))
    client.force_login(manager)
    # when its owner opens it / then the trend shows the latest twelve
    trend = client.get(detail_url(account)).context["score_trend"]
    assert len(trend) == 12
    assert trend[0].run.as_of == _days_ago(0)


def test_account_page_score_query_count_does_not_grow_with_runs(client, manager, account):
    # given an account scored once, measured
    OrderFactory(account=account, order_date=_days_ago(100))
    scoring_run_perform(as_of=_days_ago(5))
    client.force_login(manager)
    with_one = count_queries(client, detail_url(account))
    # when it has been scored five times
    for days in (4, 3, 2, 1):
        scoring_run_perform(as_of=_days_ago(days))
    # then the panel still costs one query: the last scores with their runs and policies
    assert count_queries(client, detail_url(account)) == with_one


def test_account_page_not_scored_yet_says_when_the_nightly_run_comes(client, manager, account):
    # given an account no run has scored
    client.force_login(manager)
    # when its owner opens it
    response = client.get(detail_url(account))
    # then it says so, with the next nightly run (02:30 UTC by default)
    content = response.content.decode()
    assert "Not scored yet" in content
    assert "The nightly scoring run scores it next on" in content
    nightly = response.context["nightly_next"]
    assert nightly > timezone.now()
    assert nightly - timezone.now() <= datetime.timedelta(days=1)
    assert nightly.astimezone(datetime.UTC).strftime("%H:%M") == "02:30"
    assert response.context["score"] is None


def test_account_page_score_is_404_for_an_outsider(client, outsider, scored_account):
    # given a scored account / when another manager opens it / then it does not exist for them
    client.force_login(outsider)
    response = client.get(detail_url(scored_account))
    assert response.status_code == 404
    assert b"Key-account score" not in response.content


# --- portfolio: KAS trend -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kas", "previous", "arrow", "title"),
    [
        ("72.50", "61.00", "▲", "Previous KAS 61.0"),
        ("48.25", "55.75", "▼", "Previous KAS 55.8"),
        ("50.00", "50.00", "–", "Previous KAS 50.0"),
    ],
)
def test_portfolio_shows_the_kas_trend(client, manager, account, kas, previous, arrow, title):
    # given an account whose KAS moved since the run before
    score_current(account, kas=kas, kas_previous=Decimal(previous))
    client.force_login(manager)
    # when the portfolio is shown
    content = client.get(PORTFOLIO).content.decode()
    # then the KAS carries the arrow, with the previous value in its title
    assert f'title="{title}"><span aria-hidden="true">{arrow}</span>' in content


def test_portfolio_first_score_has_no_direction(client, manager, account):
    # given an account scored once / when the portfolio is shown / then the trend says it is the first score
    score_current(account, kas="40.00", kas_previous=None)
    client.force_login(manager)
    assert 'title="First score"' in client.get(PORTFOLIO).content.decode()


def test_portfolio_shows_and_sorts_by_the_revenue_of_the_last_12_months(client, manager, account):
    # given two scored accounts with different revenue in the last year, and one created since the run
    small = AccountFactory(name="Small Trade", owner=manager)
    OrderFactory(account=account, order_date=_days_ago(30), net_amount=Decimal("125000.00"))
    OrderFactory(account=small, order_date=_days_ago(30), net_amount=Decimal("900.00"))
    scoring_run_perform(as_of=timezone.localdate())
    AccountFactory(name="Brand New", owner=manager)
    client.force_login(manager)
    # when the portfolio is sorted by revenue, largest first
    response = client.get(PORTFOLIO, {"ordering": "-revenue_12m"})
    # then the scored accounts follow their revenue, the unscored one last, and the column shows the figures
    assert [row.name for row in response.context["page"].object_list] == [account.name, "Small Trade", "Brand New"]
    content = response.content.decode()
    assert ">125,000</span>" in content and ">900</span>" in content
    assert 'aria-sort="descending"' in content


# --- scoring runs page ----------------------------------------------------------------------------------------


def test_runs_page_lists_runs_for_a_director(client, director):
    # given a finished run and a failed one
    ScoringRunFactory(as_of=datetime.date(2026, 3, 31), accounts_scored=1234, status_changes=17)
    ScoringRunFactory(as_of=datetime.date(2026, 2, 28), status=ScoringRunStatus.FAILED, error="Boom: lock")
    client.force_login(director)
    # when a director opens the runs page
    response = client.get(RUNS)
    # then both are listed with their tallies, and the navigation leads there
    assert response.status_code == 200
    content = response.content.decode()
    assert "31 Mar 2026" in content and "28 Feb 2026" in content
    assert "1,234" in content and "17" in content
    assert "kas-v1" in content
    assert "Boom: lock" in content
    assert "kam-run-status-failed" in content
    assert f'aria-current="page" href="{RUNS}">Scoring runs</a>' in content


def test_director_starts_a_run(client, director, django_capture_on_commit_callbacks):
    # given a director on the runs page
    client.force_login(director)
    yesterday = _days_ago(1)
    # when they start a run as of yesterday
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(RUNS, {"as_of": yesterday.isoformat()})
    # then a queued run is created for them and enqueued after commit, and they are sent to follow it, with a
    # message
    run = ScoringRun.objects.get()
    assert response.status_code == 302 and response.url == run_url(run)
    assert (run.as_of, run.status, run.requested_by) == (yesterday, ScoringRunStatus.QUEUED, director)
    assert len(callbacks) == 1
    page = client.get(run_url(run)).content.decode()
    assert f"Scoring run as of {yesterday:%-d %b %Y} queued." in page
    assert "Waiting for a worker to start it." in page


def test_run_without_a_date_is_as_of_today(client, director, django_capture_on_commit_callbacks):
    # given a director / when they start a run leaving the date empty / then it is as of today
    client.force_login(director)
    with django_capture_on_commit_callbacks():
        client.post(RUNS, {"as_of": ""})
    assert ScoringRun.objects.get().as_of == timezone.localdate()


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ((timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "as_of cannot be in the future"),
        ("31/02/2026", "Enter a valid date."),
    ],
)
def test_bad_date_shows_a_form_error(client, director, as_of, message):
    # given a director / when they start a run with a future or malformed date
    client.force_login(director)
    response = client.post(RUNS, {"as_of": as_of})
    # then the page comes back with the error on the date field, and no run is created
    assert response.status_code == 200
    assert message in response.context["form"].errors["as_of"][0]
    assert 'class="form-control is-invalid"' in response.content.decode()
    assert not ScoringRun.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_runs_page_is_refused_to_a_manager(client, manager, method):
    # given an account manager / when they open the runs page or post a run / then it is refused
    client.force_login(manager)
    response = getattr(client, method)(RUNS, {"as_of": ""} if method == "post" else None)
    assert response.status_code == 403
    assert not ScoringRun.objects.exists()


def test_managers_see_no_runs_link(client, manager):
    # given an account manager / when they open the portfolio / then the navigation has no runs page
    client.force_login(manager)
    assert RUNS not in client.get(PORTFOLIO).content.decode()


def test_runs_page_asks_anonymous_users_to_log_in(client):
    response = client.get(RUNS)
    assert response.status_code == 302 and reverse("login") in response.url


def test_runs_page_query_count_does_not_grow_with_runs(client, director):
    # given a director and one run, measured
    client.force_login(director)
    ScoringRunFactory(requested_by=director)
    with_one = count_queries(client, RUNS)
    # when there are eleven
    for _ in range(10):
        ScoringRunFactory(requested_by=director)
    # then the page costs the same: session, user, the user's roles, the count, the page of runs (policy and
    # requester joined), the navbar's unread notifications
    assert count_queries(client, RUNS) == with_one == 6


def test_runs_page_sorts_by_a_column_and_keeps_the_sort_in_its_links(client, director):
    # given three finished runs that scored different numbers of accounts
    for scored in (10, 30, 20):
        ScoringRunFactory(accounts_scored=scored)
    client.force_login(director)
    # when the director sorts by accounts scored, largest first
    response = client.get(RUNS, {"ordering": "-accounts_scored"})
    # then the runs follow that order, the header says so and links to the other direction
    assert [run.accounts_scored for run in response.context["page"].object_list] == [30, 20, 10]
    content = response.content.decode()
    assert 'aria-sort="descending"' in content and 'href="?ordering=accounts_scored"' in content
    # and the CSV link exports them in the same order
    assert "ordering=-accounts_scored&amp;export=csv" in content


def test_runs_page_refuses_an_unknown_sort_with_a_400(client, director):
    ScoringRunFactory()
    client.force_login(director)
    response = client.get(RUNS, {"ordering": "error"})
    assert response.status_code == 400
    assert "These filters could not be applied" in response.content.decode()
    assert len(response.context["page"].object_list) == 1  # the runs, in their usual order


# --- one scoring run: its page and the progress it polls --------------------------------------------------


def test_a_queued_run_polls_its_progress(client, director):
    # given a run waiting for a worker
    run = ScoringRunFactory(status=ScoringRunStatus.QUEUED, started_at=None, finished_at=None, requested_by=director)
    client.force_login(director)
    # when the director opens its page and the page asks for its status
    page = client.get(run_url(run))
    status = client.get(run_status_url(run), HTTP_HX_REQUEST="true")
    # then both show it waiting, with a bar that cannot measure anything yet, and ask again every 2 seconds
    assert page.status_code == status.status_code == 200
    for content in (page.content.decode(), status.content.decode()):
        assert "Waiting for a worker to start it." in content
        assert f'hx-get="{run_status_url(run)}" hx-trigger="every 2s"' in content
        assert '<progress class="kam-progress" max="3" aria-label="Scoring run progress"' in content
    assert "<html" not in status.content.decode()


def test_a_running_run_shows_the_step_it_is_at(client, director):
    # given a run that has gathered its inputs
    run = ScoringRunFactory(
        status=ScoringRunStatus.RUNNING, finished_at=None, timings={"gather inputs": 1234}, requested_by=director
    )
    client.force_login(director)
    # when its page polls
    content = client.get(run_status_url(run), HTTP_HX_REQUEST="true").content.decode()
    # then it says which step runs, shows one of three done with its time, and keeps polling
    assert "Step 2 of 3: evaluate the ladder…" in content
    assert 'max="3" value="1"' in content and "1 of 3 steps" in content
    assert "1,234 ms" in content
    assert 'class="kam-step kam-step-running" aria-current="step"' in content
    assert 'hx-trigger="every 2s"' in content


def test_a_finished_run_shows_what_it_found_and_stops_polling(client, director):
    # given a run that is done, with its tallies
    run = ScoringRunFactory(
        accounts_scored=214,
        status_changes=15,
        timings={"gather inputs": 61, "evaluate the ladder": 18, "score accounts": 43},
        counts={
            "key_status": {"strategic": 12, "key": 63, "candidate": 41, "standard": 98},
            "ladder": {"evaluated": 214, "moved_up": 8, "moved_down": 5, "proposals_opened": 1},
            "null_criteria": {"c1": 0, "c2": 21, "c3": 0, "c4": 0, "c5": 23},
            "accounts_updated": True,
        },
    )
    client.force_login(director)
    # when the last poll comes
    content = client.get(run_status_url(run), HTTP_HX_REQUEST="true").content.decode()
    # then it has the final counts, every step done, and no trigger left: the polling stops
    assert "214 accounts scored, 15 changed key status." in content
    assert 'max="3" value="3"' in content and content.count("kam-step-done") == 3
    assert "<dt>Strategic</dt><dd" in content and ">63</dd>" in content and "▲ 8" in content
    assert "<dt>Payment reliability</dt>" in content and ">21</dd>" in content
    assert "hx-trigger" not in content


def test_a_failed_run_says_where_it_stopped_and_why(client, director):
    run = ScoringRunFactory(status=ScoringRunStatus.FAILED, timings={"gather inputs": 61}, error="Boom: lock")
    client.force_login(director)
    content = client.get(run_url(run)).content.decode()
    assert "at step 2 of 3 (evaluate the ladder): nothing was written." in content
    assert "Boom: lock" in content and "kam-step-failed" in content and "kam-step-skipped" in content
    assert "hx-trigger" not in content


@pytest.mark.parametrize("persona", ["director", "integration"])
def test_those_who_see_runs_open_a_run(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    run = ScoringRunFactory()
    assert client.get(run_url(run)).status_code == 200
    assert client.get(run_status_url(run)).status_code == 200


@pytest.mark.parametrize("persona", ["manager", "outsider"])
def test_a_run_is_refused_to_managers(db, client, request, persona):
    # runs span every account: the page is not for managers, like the list of runs
    client.force_login(request.getfixturevalue(persona))
    run = ScoringRunFactory()
    assert client.get(run_url(run)).status_code == 403
    assert client.get(run_status_url(run), HTTP_HX_REQUEST="true").status_code == 403


def test_an_unknown_run_is_a_404(client, director):
    client.force_login(director)
    assert client.get(reverse("accounts:scoring_run_detail", args=[999999])).status_code == 404
    assert client.get(reverse("accounts:scoring_run_status", args=[999999])).status_code == 404


def test_the_runs_table_polls_while_a_run_is_unfinished(client, director):
    # given a finished run
    ScoringRunFactory()
    client.force_login(director)
    # then the table does not poll
    assert 'hx-trigger="every' not in client.get(RUNS).content.decode()
    # when another run is queued
    queued = ScoringRunFactory(status=ScoringRunStatus.QUEUED, started_at=None, finished_at=None)
    # then the table asks for itself again, and an htmx request gets the table alone, with a link to follow the run
    assert 'id="scoring-runs"' in client.get(RUNS).content.decode()
    table = client.get(RUNS, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in table and f'hx-get="{RUNS}" hx-trigger="every 2s"' in table
    assert f'href="{run_url(queued)}">Follow' in table


@pytest.mark.django_db(transaction=True)
def test_a_run_reports_each_step_as_it_finishes_before_it_commits(monkeypatch):
    # given a run whose steps are replaced by two that do nothing, the second looking at the run's row from
    # another connection (as the page's request would) while the run's transaction is still open
    from django.db import DEFAULT_DB_ALIAS, connections

    from accounts.scoring import runs

    seen = {}

    def peek(context):
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT timings FROM accounts_scoringrun WHERE id = %s", [context.run.pk])
                seen["timings"] = cursor.fetchone()[0]
        finally:
            other.close()

    monkeypatch.setattr(runs, "SCORING_RUN_STEPS", [("gather inputs", lambda context: None), ("peek", peek)])
    # when the run executes
    run = runs.scoring_run_perform(as_of=timezone.localdate())
    # then the page could see the first step finished while the second ran, and the run ends with both
    assert run.status == ScoringRunStatus.DONE
    timings = json.loads(seen["timings"]) if isinstance(seen["timings"], str) else seen["timings"]
    assert list(timings) == ["gather inputs"]
    assert list(run.timings) == ["gather inputs", "peek"]


def test_account_page_shows_the_directors_pin(client, manager, director, account):
    # given an account a director pinned to key, then scored
    OrderFactory(account=account, order_date=_days_ago(20))
    KeyStatusOverride.objects.create(
        account=account,
        key_status=KeyStatus.KEY,
        reason="Framework agreement signed",
        expires_on=_days_ago(-90),
        created_by=director,
    )
    scoring_run_perform(as_of=timezone.localdate())
    client.force_login(manager)
    # when its owner opens it / then the panel says it is pinned, why and until when
    content = client.get(detail_url(account)).content.decode()
    assert "Pinned by a director" in content
    assert "Framework agreement signed" in content
    assert f"(until {_days_ago(-90).isoformat()})" in content
