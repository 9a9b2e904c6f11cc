"""The load test of ``make bench`` (bench/load.py): its percentiles and schedule, its open loop against a slow
server, and the whole thing for real — gunicorn serving the test database, the five endpoints requested as a
manager and a director for two seconds, no errors."""

from __future__ import annotations

import importlib
import itertools
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from kam.api_tokens import api_token_create
from tests.factories import AccountFactory, director_factory, manager_factory

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def load():
    """bench/load.py (the bench folder is not a package)."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("load")
    finally:
        sys.path.remove(str(BENCH))


# --- percentiles --------------------------------------------------------------------------------------------------


def test_percentile_is_the_nearest_rank(load):
    # given the latencies 1…100 ms, shuffled
    samples = [float(n) for n in range(100, 0, -1)]
    # then each percentile is the sample of its rank, never an interpolation
    assert load.percentile(samples=samples, q=50) == 50
    assert load.percentile(samples=samples, q=95) == 95
    assert load.percentile(samples=samples, q=99) == 99
    assert load.percentile(samples=samples, q=100) == 100
    assert load.percentile(samples=samples, q=99.5) == 100
    # and with fewer samples than 1/(1 − q) the top percentiles are the maximum
    assert load.percentile(samples=[3.0, 1.0, 2.0], q=95) == 3
    assert load.percentile(samples=[7.0], q=50) == 7


def test_percentile_refuses_what_has_none(load):
    with pytest.raises(ValueError, match="no samples"):
        load.percentile(samples=[], q=95)
    with pytest.raises(ValueError, match="q must be"):
        load.percentile(samples=[1.0], q=0)


@given(
    samples=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=300),
    q=st.sampled_from([1, 25, 50, 90, 95, 99, 99.9, 100]),
)
def test_percentile_has_at_least_q_percent_at_or_below_it_and_fewer_below(load, samples, q):
    value = load.percentile(samples=samples, q=q)
    assert value in samples
    assert sum(x <= value for x in samples) * 100 >= q * len(samples)
    assert sum(x < value for x in samples) * 100 < q * len(samples)


def test_a_request_without_an_answer_is_slower_than_any_answer(load):
    # given 10 requests: 8 answered in 10 ms, one a 500 in 5 ms, one never answered
    targets = [load.Target("t", "t", "anyone", ("/",))]
    answered = [load.Outcome("t", due=n, sent=n, done=n + 0.010, status=200) for n in range(8)]
    failed = [
        load.Outcome("t", due=8, sent=8, done=8.005, status=500, error="HTTP 500"),
        load.Outcome("t", due=9, sent=9, done=19, status=None, error="timeout: no answer within 10 s"),
    ]
    # when they are summed up
    figures = load.outcomes_summarise(outcomes=answered + failed, targets=targets, seconds=10)["endpoints"]["t"]
    # then both failures are errors, the 500 counts with its latency, and p95 falls on the one without an answer
    assert figures["errors"] == 2 and figures["unanswered"] == 1
    assert figures["p50_ms"] == pytest.approx(10)
    assert figures["p95_ms"] is None and figures["max_ms"] is None


# --- the schedule -------------------------------------------------------------------------------------------------


def test_weighted_cycle_gives_each_its_share_in_every_round_spread_out(load):
    # given the bench's weights: four endpoints at 2, the dashboard's two personas at 1
    weights = [2, 2, 2, 2, 1, 1]
    # when 500 picks are made
    picks = load.weighted_cycle(weights=weights, count=500)
    # then every round of 10 holds each index exactly its weight's times
    for start in range(0, 500, 10):
        assert Counter(picks[start : start + 10]) == dict(enumerate(weights))
    # and no index comes twice in a row
    assert all(a != b for a, b in itertools.pairwise(picks))


def test_weighted_cycle_refuses_a_weight_below_one(load):
    with pytest.raises(ValueError, match="weights"):
        load.weighted_cycle(weights=[1, 0], count=3)


def test_the_plan_is_a_fixed_schedule_at_the_rate(load):
    # given two targets, one with several paths, the second twice as often
    targets = [
        load.Target("a", "A", "manager", ("/a/",), weight=1),
        load.Target("b", "B", "manager", ("/b/1/", "/b/2/", "/b/3/"), weight=2),
    ]
    # when 3 seconds at 30 requests/s are planned
    plan = load.plan_make(targets=targets, rate=30, seconds=3)
    # then there are 90 requests, one every 1/30 s from 0, whatever the answers will be
    assert len(plan) == 90
    assert [round(p.at * 30, 9) for p in plan] == list(range(90))
    # and a third go to "a", two thirds to "b" over its paths, the same ones each time (seeded)
    assert Counter(p.target for p in plan) == {"a": 30, "b": 60}
    assert {p.path for p in plan if p.target == "b"} == {"/b/1/", "/b/2/", "/b/3/"}
    assert plan == load.plan_make(targets=targets, rate=30, seconds=3)


# --- the open loop, against a slow server --------------------------------------------------------------------------


class _SlowHandler(BaseHTTPRequestHandler):
    """Answers after 300 ms; ``/fail`` with a 500."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(0.3)
        body = b"ok"
        self.send_response(500 if self.path == "/fail" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_requests_leave_on_schedule_however_slow_the_answers(load, slow_server):
    # given a server that takes 300 ms per answer, and 20 requests/s for 1 s
    targets = [load.Target("slow", "slow", "anyone", ("/",))]
    plan = load.plan_make(targets=targets, rate=20, seconds=1)
    # when they are sent
    started = time.perf_counter()
    outcomes = load.load_run(base_url=slow_server, targets=targets, plan=plan)
    elapsed = time.perf_counter() - started
    # then each left when it was due, not after the answer before it (a closed loop would need 20 × 0.3 = 6 s)
    assert len(outcomes) == 20
    assert max(o.sent - o.due for o in outcomes) < 0.2
    assert elapsed < 3
    # and each latency, measured from when it was due, holds the server's 300 ms
    assert all(300 <= o.latency_ms < 2000 for o in outcomes)
    summary = load.outcomes_summarise(outcomes=outcomes, targets=targets, seconds=1)
    assert summary["endpoints"]["slow"]["requests"] == 20
    assert summary["endpoints"]["slow"]["errors"] == 0
    assert summary["total"]["sent_rate_per_s"] == pytest.approx(20, rel=0.25)


def test_capacity_is_what_a_closed_loop_gets_done(load, slow_server):
    # given a server that takes 300 ms per answer, and two clients that wait for each answer before the next request
    targets = [load.Target("slow", "slow", "anyone", ("/",))]
    # when they run for 1.5 s
    capacity = load.capacity_measure(base_url=slow_server, targets=targets, clients=2, seconds=1.5)
    # then they got 2 / 0.3 s ≈ 6.7 requests a second done (only those answered within the 1.5 s count)
    assert capacity["clients"] == 2 and capacity["errors"] == 0
    assert 4 <= capacity["completed_per_s"] <= 7
    assert capacity["p50_ms"] >= 300


def test_server_errors_and_refused_connections_are_errors(load, slow_server):
    # given a path the server answers with 500, and a port nobody listens on
    failing = [load.Target("fail", "fail", "anyone", ("/fail",))]
    plan = load.plan_make(targets=failing, rate=10, seconds=0.3)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    # when both are loaded
    answered = load.load_run(base_url=slow_server, targets=failing, plan=plan)
    refused = load.load_run(base_url=f"http://127.0.0.1:{closed_port}", targets=failing, plan=plan)
    # then every request is an error, with its reason
    served = load.outcomes_summarise(outcomes=answered, targets=failing, seconds=0.3)["endpoints"]["fail"]
    assert served["errors"] == 3 and served["error_kinds"] == {"HTTP 500": 3}
    unserved = load.outcomes_summarise(outcomes=refused, targets=failing, seconds=0.3)
    assert unserved["endpoints"]["fail"]["errors"] == 3
    assert unserved["endpoints"]["fail"]["p95_ms"] is None  # no answer, no latency
    assert all(kind.startswith("ConnectionRefusedError") for kind in unserved["total"]["error_kinds"])


def test_a_request_not_answered_within_the_timeout_is_an_error_and_the_run_does_not_wait_for_it(load, slow_server):
    # given a server that takes 300 ms, and a timeout of 100 ms
    targets = [load.Target("slow", "slow", "anyone", ("/",))]
    plan = load.plan_make(targets=targets, rate=10, seconds=0.5)
    # when the requests are sent
    started = time.perf_counter()
    outcomes = load.load_run(base_url=slow_server, targets=targets, plan=plan, timeout=0.1)
    # then the run ends with the schedule plus the timeout, and every request is an error for that reason
    assert time.perf_counter() - started < 0.5 + 0.25
    summary = load.outcomes_summarise(outcomes=outcomes, targets=targets, seconds=0.5)
    assert summary["total"]["errors"] == 5
    assert summary["total"]["error_kinds"] == {"timeout: no answer within 0.1 s": 5}


# --- for real: gunicorn serving the test database -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_five_endpoints_under_load_without_errors(load, tmp_path):
    # given a manager with accounts, a director, a token and signed-in sessions, committed (gunicorn reads them)
    manager = manager_factory(username="mara")
    director = director_factory(username="dina")
    accounts = AccountFactory.create_batch(3, owner=manager)
    AccountFactory(owner=director_factory(username="other"))  # not the manager's: never requested
    _token, key = api_token_create(user=manager, name="load test")
    targets = load.load_targets(
        account_ids=[account.pk for account in accounts],
        api_key=key,
        manager_cookie=load.session_open(user=manager),
        director_cookie=load.session_open(user=director),
    )
    # when gunicorn serves the test database and gets 10 requests/s for 2 s
    with load.gunicorn_serving(
        database=connection.settings_dict["NAME"], log_path=tmp_path / "gunicorn.log", workers=1, threads=2
    ) as base_url:
        unloaded = load.unloaded_measure(base_url=base_url, targets=targets, samples=1)
        capacity = load.capacity_measure(base_url=base_url, targets=targets, clients=2, seconds=1)
        outcomes = load.load_run(
            base_url=base_url, targets=targets, plan=load.plan_make(targets=targets, rate=10, seconds=2)
        )
    summary = load.outcomes_summarise(outcomes=outcomes, targets=targets, seconds=2)
    # then every endpoint was requested, as whom it should be, and answered without an error
    assert set(summary["endpoints"]) == {
        "api_account_list",
        "api_account_detail",
        "portfolio_page",
        "account_page",
        "dashboard_manager",
        "dashboard_director",
    }
    assert set(unloaded) == set(summary["endpoints"]) and all(ms > 0 for ms in unloaded.values())
    assert capacity["errors"] == 0 and capacity["completed_per_s"] > 0
    assert summary["endpoints"]["dashboard_director"]["persona"] == "director"
    assert summary["total"]["requests"] == 20
    assert summary["total"]["errors"] == 0, summary
    assert all(figures["requests"] >= 2 and figures["errors"] == 0 for figures in summary["endpoints"].values())
    assert all(figures["p50_ms"] > 0 for figures in summary["endpoints"].values())
    # and gunicorn answered them (its access log), and is gone once the block is left
    log = (tmp_path / "gunicorn.log").read_text()
    assert log.count('"GET /api/v1/accounts/ HTTP/1.1" 200') >= 4
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", int(base_url.rsplit(":", 1)[1]))),
    ):
        pass
