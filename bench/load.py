"""Open-loop load test of KAM as it is served (issue 10: p95 ≤ 100 ms and no errors at 50 requests/s).

``bench/scoring.py`` calls ``load_measure`` after the dashboard, in the ``kam_bench`` database (100,000 accounts,
20 managers owning them round-robin, a director: see ``bench/dashboard.py``). It serves KAM with gunicorn as in
production — ``gthread`` workers (2 × 4 threads on the 2-core reference machine), persistent database connections
(``DJANGO_CONN_MAX_AGE=60``), ``DEBUG`` off — on a free port of 127.0.0.1, and sends it one mixed load of 50
requests/s for 60 s after a 10 s warm-up:

=====================  =================================  ==========  ==============================
endpoint               path                               requests/s  as
=====================  =================================  ==========  ==============================
account list API       ``/api/v1/accounts/``              10          the busiest manager, API token
account detail API     ``/api/v1/accounts/<id>/``         10          the same, a random account of theirs
portfolio page         ``/accounts/``                     10          the same, session cookie
account page           ``/accounts/<id>/``                10          the same, a random account of theirs
dashboard (manager)    ``/``                              5           the same (live over their accounts)
dashboard (director)   ``/``                              5           the director (from the summary)
=====================  =================================  ==========  ==============================

Open loop: request *i* is due at *start + i / rate* whatever the earlier answers did, and it is handed to a pool of
threads big enough that none waits for a free one (rate × timeout of them); its latency is measured
**from when it was due** to its last byte, so a server that stalls is charged for every request it held up (no
coordinated omission). The dispatcher's lag behind the schedule is reported too: it shows the offered rate really
was 50/s. This is why the generator is ours rather than locust's: a locust user waits for its answer before its
next request (``constant_throughput`` only paces each user), which slows the arrivals exactly when the server is
slow — a closed loop.

Requests keep their HTTP/1.1 connections alive and reuse the most recently used one; a connection idle for longer
than ``IDLE_MAX`` is closed rather than reused, since gunicorn drops idle ones after 2 s and a request sent on a
connection the server is closing would fail for the client's reason, not the server's. An error is an answer
outside 2xx/3xx, a connection failure, or no answer within ``TIMEOUT`` (10 s) of when the request was due — which
also bounds the run when the server cannot keep up. The percentiles are over every request: one that got no
answer counts as slower than any answer, and a percentile that falls on one is reported as null (``> 10 s`` in
the table). Errors are counted apart, and so is what the server got done (requests answered in time without an
error, per second).

Before the warm-up each endpoint is requested five times one at a time (``unloaded_measure``): every answer must
be a 200 (a session that did not take would otherwise count as a fast 302), and the median is what the endpoint
costs without queueing, to read the loaded figures against. Then 10 s of a closed loop with as many clients as
gunicorn has threads (``capacity_measure``) give the server's capacity for the mix, in requests per second: when
it is below the offered 50/s, the open loop's queue grows until requests time out.

``tests/bench/test_load.py`` exercises the pieces: the percentiles, the schedule, the open loop against a slow
server, and gunicorn serving a test database under a short load.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RATE = 50.0
SECONDS = 60.0
WARMUP_SECONDS = 10.0
TARGET_P95_MS = 100.0
TARGET_ERRORS = 0
WORKERS = 2
THREADS = 4
CONN_MAX_AGE = 60
IDLE_MAX = 1.0  # seconds: gunicorn closes a kept-alive connection after --keep-alive (2 s)
# A request not answered this many seconds after it was due is an error (a user has given up by then), and the run
# ends at most this long after its schedule: an overloaded server cannot stretch make bench past its budget.
TIMEOUT = 10.0
PERCENTILES = (50, 95, 99)
UNLOADED_SAMPLES = 5
CAPACITY_SECONDS = 10.0


@dataclass(frozen=True)
class Target:
    """One line of the load: what is requested (one path, or one of several picked at random), as whom, and how
    many requests it gets for every ``weight`` of the others."""

    name: str
    label: str
    persona: str
    paths: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()
    weight: int = 1


@dataclass(frozen=True)
class Planned:
    """A request of the schedule: due ``at`` seconds after the start."""

    at: float
    target: str
    path: str


@dataclass(frozen=True)
class Outcome:
    """What became of one request; times from ``time.perf_counter``."""

    target: str
    due: float
    sent: float
    done: float
    status: int | None  # None: no answer (connection failure, timeout)
    error: str = ""

    @property
    def latency_ms(self) -> float:
        """From when the request was due to its answer's last byte."""
        return (self.done - self.due) * 1000

    @property
    def failed(self) -> bool:
        """No answer, an answer outside 2xx/3xx, or one later than the timeout (``error`` says which)."""
        return bool(self.error)


# --- the schedule -------------------------------------------------------------------------------------------------


def weighted_cycle(*, weights: Sequence[int], count: int) -> list[int]:
    """Indexes into ``weights`` for ``count`` picks, index k coming up exactly ``weights[k]`` times in every
    ``sum(weights)`` consecutive picks and spread out rather than in runs (smooth weighted round robin, as nginx
    balances): each endpoint gets its share of every second, not a burst of its own."""
    if not weights or any(weight < 1 for weight in weights):
        raise ValueError("weights must be whole numbers ≥ 1")
    total = sum(weights)
    current = [0] * len(weights)
    picks = []
    for _ in range(count):
        for index, weight in enumerate(weights):
            current[index] += weight
        chosen = max(range(len(weights)), key=current.__getitem__)
        current[chosen] -= total
        picks.append(chosen)
    return picks


def plan_make(*, targets: Sequence[Target], rate: float, seconds: float, seed: int = 10) -> list[Planned]:
    """The fixed schedule of an open-loop run: ``round(rate × seconds)`` requests, request i due at i / rate,
    spread over the targets by weight; a target with several paths gets one at random (seeded: two runs send
    the same requests)."""
    if rate <= 0 or seconds <= 0:
        raise ValueError("rate and seconds must be positive")
    rng = random.Random(seed)  # noqa: S311 — a reproducible choice of accounts, not a secret
    picks = weighted_cycle(weights=[target.weight for target in targets], count=round(rate * seconds))
    return [
        Planned(at=index / rate, target=targets[pick].name, path=rng.choice(targets[pick].paths))
        for index, pick in enumerate(picks)
    ]


# --- running it ---------------------------------------------------------------------------------------------------


class _Connections:
    """Kept-alive connections to one server, the most recently used handed out first, so that a light load keeps
    a few connections warm instead of cycling through many that the server has meanwhile closed."""

    def __init__(self, *, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._lock = threading.Lock()

    def take(self) -> http.client.HTTPConnection:
        now = time.monotonic()
        with self._lock:
            if self._idle and now - self._idle[-1][1] < IDLE_MAX:
                return self._idle.pop()[0]
            stale, self._idle = self._idle, []  # the newest is too old: so is every older one
        for connection, _since in stale:
            connection.close()
        return http.client.HTTPConnection(self._host, self._port)

    def give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append((connection, time.monotonic()))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection, _since in idle:
            connection.close()


def _fetch(
    *, connections: _Connections, planned: Planned, headers: Mapping[str, str], due: float, timeout: float
) -> Outcome:
    """Send one request and read its answer, giving up ``timeout`` seconds after it was due."""
    sent = time.perf_counter()
    left = due + timeout - sent
    if left <= 0:  # it waited that long for a free thread of the generator
        return Outcome(planned.target, due, sent, sent, None, f"timeout: not sent within {timeout:g} s")
    connection = connections.take()
    try:
        connection.timeout = left  # for connecting; each read below gets what is left
        if connection.sock is not None:
            connection.sock.settimeout(left)
        connection.request("GET", planned.path, headers=dict(headers))
        response = connection.getresponse()
        response.read()
    except TimeoutError:
        connection.close()
        return Outcome(planned.target, due, sent, time.perf_counter(), None, f"timeout: no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        return Outcome(planned.target, due, sent, time.perf_counter(), None, f"{type(exc).__name__}: {exc}"[:200])
    done = time.perf_counter()
    connections.give_back(connection)
    if done - due > timeout:
        error = f"timeout: answered after more than {timeout:g} s"
    else:
        error = "" if 200 <= response.status < 400 else f"HTTP {response.status}"
    return Outcome(planned.target, due, sent, done, response.status, error)


def load_run(
    *,
    base_url: str,
    targets: Sequence[Target],
    plan: Sequence[Planned],
    concurrency: int | None = None,
    timeout: float = TIMEOUT,
) -> list[Outcome]:
    """Send ``plan`` to the server at ``base_url`` on its schedule (open loop: every request leaves when it is due,
    whatever the earlier ones are doing) and return every request's outcome. A request not answered within
    ``timeout`` seconds of when it was due is an error, so a server that cannot keep up ends the run ``timeout``
    seconds after the schedule, not whenever it has worked through its backlog. ``concurrency`` (threads, hence
    requests in flight at most) is by default what the plan's rate can have in flight within the timeout, so that
    the generator itself never holds a request back."""
    if concurrency is None:
        rate = (len(plan) - 1) / (plan[-1].at - plan[0].at) if len(plan) > 1 else 1.0
        concurrency = math.ceil(rate * timeout) + 16
    address = urlsplit(base_url)
    if address.hostname is None or address.port is None:
        raise ValueError(f"{base_url!r}: a URL with a host and a port is needed")
    headers = {target.name: dict(target.headers) for target in targets}
    connections = _Connections(host=address.hostname, port=address.port)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load")
    try:
        start = time.perf_counter() + 0.05
        futures = []
        for planned in plan:
            due = start + planned.at
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(
                pool.submit(
                    _fetch,
                    connections=connections,
                    planned=planned,
                    headers=headers[planned.target],
                    due=due,
                    timeout=timeout,
                )
            )
        return [future.result() for future in futures]
    finally:
        # Interrupted (Ctrl-C), requests not yet sent are dropped; those in flight end within their timeout.
        pool.shutdown(wait=False, cancel_futures=True)
        connections.close()


# --- the figures --------------------------------------------------------------------------------------------------


def percentile(*, samples: Sequence[float], q: float) -> float:
    """The nearest-rank q-th percentile: the smallest sample that at least q % of the samples do not exceed. No
    interpolation, so it is always a latency that was measured; with 100 samples p99 is the second largest."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    ordered = sorted(samples)
    rank = math.ceil(Fraction(str(q)) * len(ordered) / 100)
    return ordered[rank - 1]


def _latencies(outcomes: Sequence[Outcome]) -> dict[str, float | int | None]:
    """Percentiles and maximum over every request: one that got no answer (timed out, or no connection) is slower
    than any answer, and a percentile that falls on such a request is None — "no answer within the timeout"."""
    latencies = [outcome.latency_ms if outcome.status is not None else math.inf for outcome in outcomes]
    figures: dict[str, float | int | None] = {"unanswered": sum(outcome.status is None for outcome in outcomes)}
    for q in PERCENTILES:
        value = percentile(samples=latencies, q=q) if latencies else math.inf
        figures[f"p{q}_ms"] = None if math.isinf(value) else round(value, 1)
    top = max(latencies, default=math.inf)
    figures["max_ms"] = None if math.isinf(top) else round(top, 1)
    return figures


def outcomes_summarise(*, outcomes: Sequence[Outcome], targets: Sequence[Target], seconds: float) -> dict[str, Any]:
    """Per target and in total: requests, their rate over the run's ``seconds``, errors (and what they were), and
    p50/p95/p99 and maximum latency (``_latencies``: an unanswered request is slower than any answer);
    in total also the rate the requests really left at and how far the dispatcher fell behind its schedule."""
    endpoints: dict[str, Any] = {}
    for target in targets:
        mine = [outcome for outcome in outcomes if outcome.target == target.name]
        endpoints[target.name] = {
            "label": target.label,
            "persona": target.persona,
            "requests": len(mine),
            "rate_per_s": round(len(mine) / seconds, 2),
            "errors": sum(outcome.failed for outcome in mine),
            "error_kinds": dict(Counter(outcome.error for outcome in mine if outcome.failed).most_common(5)),
            **_latencies(mine),
        }
    lags = [(outcome.sent - outcome.due) * 1000 for outcome in outcomes]
    sent = sorted(outcome.sent for outcome in outcomes)
    total = {
        "requests": len(outcomes),
        "rate_per_s": round(len(outcomes) / seconds, 2),
        # n requests leave over n − 1 intervals
        "sent_rate_per_s": round((len(sent) - 1) / (sent[-1] - sent[0]), 2) if len(sent) > 1 else None,
        # what the server got done: requests answered in time and without an error, per second
        "succeeded_per_s": round(sum(not outcome.failed for outcome in outcomes) / seconds, 2),
        "errors": sum(outcome.failed for outcome in outcomes),
        "error_kinds": dict(Counter(outcome.error for outcome in outcomes if outcome.failed).most_common(5)),
        **_latencies(outcomes),
        "dispatch_lag_p99_ms": round(percentile(samples=lags, q=99), 2) if lags else None,
        "dispatch_lag_max_ms": round(max(lags), 2) if lags else None,
    }
    return {"seconds": seconds, "endpoints": endpoints, "total": total}


# --- the server ---------------------------------------------------------------------------------------------------


def database_url(*, name: str) -> str:
    """``DATABASE_URL`` with its database replaced by ``name`` (the served process reads only that variable)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _ready(*, base_url: str, process: subprocess.Popen, log_path: Path, wait: float = 60.0) -> None:
    address = urlsplit(base_url)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {wait:g} s:\n{log_path.read_text()[-3000:]}")


@contextlib.contextmanager
def gunicorn_serving(
    *,
    database: str,
    log_path: Path,
    workers: int = WORKERS,
    threads: int = THREADS,
    conn_max_age: int = CONN_MAX_AGE,
    environment: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Serve KAM from ``database`` with gunicorn (``kam.stack.gunicorn_command``, as ``make run`` does) on a free
    port of 127.0.0.1, with persistent database connections and ``DEBUG`` off, under the settings module of this
    process (so sessions made here are valid there: same secret key); yield its base URL once ``/healthz``
    answers, and stop it — its whole process group — on the way out. Its log (access lines included) goes to
    ``log_path``."""
    from kam.stack import gunicorn_command

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))  # a free port, bound here and inherited: no race for it
    listener.listen(1024)
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "kam.settings.local"),
        "DATABASE_URL": database_url(name=database),
        "DJANGO_DEBUG": "0",
        "DJANGO_CONN_MAX_AGE": str(conn_max_age),
        **(environment or {}),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = gunicorn_command(
        bind=f"fd://{listener.fileno()}", workers=workers, threads=threads, access_log=str(log_path)
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            pass_fds=(listener.fileno(),),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    listener.close()  # the server holds its own copy
    base_url = f"http://127.0.0.1:{port}"
    try:
        _ready(base_url=base_url, process=process, log_path=log_path)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- KAM's endpoints ----------------------------------------------------------------------------------------------


def load_targets(
    *, account_ids: Sequence[int], api_key: str, manager_cookie: str, director_cookie: str
) -> list[Target]:
    """The five endpoints of issue 10 as a manager sees them (API by token, pages by session), the dashboard also
    as the director; weights give each endpoint a fifth of the load, the dashboard's fifth split between both."""
    from django.conf import settings

    if not account_ids:
        raise ValueError("the manager needs at least one account")
    api = (("Authorization", f"Token {api_key}"), ("Accept", "application/json"))
    cookie = settings.SESSION_COOKIE_NAME
    manager_page = (("Cookie", f"{cookie}={manager_cookie}"), ("Accept", "text/html"))
    director_page = (("Cookie", f"{cookie}={director_cookie}"), ("Accept", "text/html"))
    return [
        Target("api_account_list", "account list API", "manager", ("/api/v1/accounts/",), api, 2),
        Target(
            "api_account_detail",
            "account detail API",
            "manager",
            tuple(f"/api/v1/accounts/{pk}/" for pk in account_ids),
            api,
            2,
        ),
        Target("portfolio_page", "portfolio page", "manager", ("/accounts/",), manager_page, 2),
        Target(
            "account_page", "account page", "manager", tuple(f"/accounts/{pk}/" for pk in account_ids), manager_page, 2
        ),
        Target("dashboard_manager", "dashboard (manager)", "manager", ("/",), manager_page, 1),
        Target("dashboard_director", "dashboard (director)", "director", ("/",), director_page, 1),
    ]


def session_open(*, user: Any) -> str:
    """A signed-in session of ``user``, made here as the login form would make it; its key is the cookie."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def session_close(*, key: str) -> None:
    """Sign that session out (delete it), so benchmarks leave no live sessions behind."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).delete()


def unloaded_measure(*, base_url: str, targets: Sequence[Target], samples: int = UNLOADED_SAMPLES) -> dict[str, float]:
    """Each target requested ``samples`` times one after the other, nothing else in flight: the median latency of
    each, what the endpoint costs without any queueing — to read the loaded figures against. Every answer must be
    a 200: a session that did not take is a redirect to the login page, which the load would count as a fast
    success."""
    medians = {}
    for target in targets:
        latencies = []
        for planned in plan_make(targets=[target], rate=1000, seconds=samples / 1000, seed=12):
            # a first request loads the view's code and templates into a cold worker: give it time
            (outcome,) = load_run(base_url=base_url, targets=targets, plan=[planned], timeout=120)
            if outcome.status != 200:
                raise RuntimeError(f"{planned.target} {planned.path}: {outcome.status} {outcome.error}")
            latencies.append(outcome.latency_ms)
        medians[target.name] = round(statistics.median(latencies), 1)
    return medians


def capacity_measure(
    *, base_url: str, targets: Sequence[Target], clients: int = WORKERS * THREADS, seconds: float = CAPACITY_SECONDS
) -> dict[str, Any]:
    """Closed loop: ``clients`` threads each send the next request of the mix as soon as their previous one is
    answered, for ``seconds``. With as many clients as the server has threads it is never idle and queues nothing
    beyond them: the requests it completes per second are its capacity for this mix — above that rate an open
    loop's queue can only grow, whatever the percentiles of a shorter run say."""
    address = urlsplit(base_url)
    if address.hostname is None or address.port is None:
        raise ValueError(f"{base_url!r}: a URL with a host and a port is needed")
    headers = {target.name: dict(target.headers) for target in targets}
    connections = _Connections(host=address.hostname, port=address.port)
    requests = iter(plan_make(targets=targets, rate=1000, seconds=seconds, seed=13))
    taking = threading.Lock()
    outcomes: list[Outcome] = []
    end = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < end:
            with taking:
                planned = next(requests, None)
            if planned is None:
                return
            outcome = _fetch(
                connections=connections,
                planned=planned,
                headers=headers[planned.target],
                due=time.perf_counter(),
                timeout=TIMEOUT,
            )
            if outcome.done <= end:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client, name=f"capacity-{n}", daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connections.close()
    succeeded = [outcome for outcome in outcomes if not outcome.failed]
    return {
        "clients": clients,
        "seconds": seconds,
        "completed_per_s": round(len(succeeded) / seconds, 2),
        "errors": len(outcomes) - len(succeeded),
        "p50_ms": round(percentile(samples=[o.latency_ms for o in succeeded], q=50), 1) if succeeded else None,
    }


def load_measure(
    *, rate: float = RATE, seconds: float = SECONDS, warmup_seconds: float = WARMUP_SECONDS
) -> dict[str, Any]:
    """In the bench's database: a token and sessions for the busiest manager and the director, gunicorn serving
    it, a warm-up, then the measured run; the figures (``load``) for ``bench/results.json``."""
    import dashboard as dashboard_bench  # bench/dashboard.py
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.selectors import accounts_visible_to
    from kam.api_tokens import api_token_create

    manager = dashboard_bench.manager_busiest()
    director = get_user_model()._default_manager.get(username=dashboard_bench.DIRECTOR)
    account_ids = list(accounts_visible_to(manager).order_by("pk").values_list("pk", flat=True))
    token, key = api_token_create(user=manager, name="bench load")
    manager_session, director_session = session_open(user=manager), session_open(user=director)
    targets = load_targets(
        account_ids=account_ids, api_key=key, manager_cookie=manager_session, director_cookie=director_session
    )
    log_path = ROOT / "var" / "bench" / "load-gunicorn.log"
    print(
        f"load: gunicorn gthread {WORKERS}×{THREADS} on {connection.settings_dict['NAME']}, conn_max_age"
        f" {CONN_MAX_AGE} s; {rate:g} requests/s for {seconds:g} s after {warmup_seconds:g} s of warm-up, as"
        f" {manager.username} ({len(account_ids):,} accounts) and {director.username}",
        flush=True,
    )
    try:
        # The API's rate limit (600 reads a minute per token) would answer most of 20 API reads/s with 429: it is
        # raised, not switched off, so that every API request still pays for its check in Redis.
        with gunicorn_serving(
            database=connection.settings_dict["NAME"],
            log_path=log_path,
            environment={"KAM_API_RATE_READS_PER_MINUTE": "1000000"},
        ) as base_url:
            unloaded = unloaded_measure(base_url=base_url, targets=targets)
            print(f"load: one request at a time, median ms: {unloaded}", flush=True)
            capacity = capacity_measure(base_url=base_url, targets=targets)
            print(f"load: capacity, closed loop: {capacity}", flush=True)
            load_run(
                base_url=base_url, targets=targets, plan=plan_make(targets=targets, rate=rate, seconds=warmup_seconds)
            )
            outcomes = load_run(
                base_url=base_url, targets=targets, plan=plan_make(targets=targets, rate=rate, seconds=seconds, seed=11)
            )
    finally:
        token.delete()
        session_close(key=manager_session)
        session_close(key=director_session)
    summary = outcomes_summarise(outcomes=outcomes, targets=targets, seconds=seconds)
    for name, median in unloaded.items():
        summary["endpoints"][name]["unloaded_p50_ms"] = median
    for name, figures in [*summary["endpoints"].items(), ("total", summary["total"])]:
        print(f"load: {name}: {figures}", flush=True)
    return {
        "load": {
            "rate_per_s": rate,
            "warmup_seconds": warmup_seconds,
            "server": {
                "command": "gunicorn (kam.stack.gunicorn_command)",
                "worker_class": "gthread",
                "workers": WORKERS,
                "threads": THREADS,
                "conn_max_age_s": CONN_MAX_AGE,
                "debug": False,
                "settings": os.environ.get("DJANGO_SETTINGS_MODULE", "kam.settings.local"),
            },
            "personas": {
                "manager": {"username": manager.username, "accounts": len(account_ids)},
                "director": {"username": director.username},
            },
            "generator": {"kind": "open loop (bench/load.py)", "timeout_s": TIMEOUT, "idle_max_s": IDLE_MAX},
            "capacity": capacity,
            **summary,
        }
    }


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="The load test alone, against the kam_bench of make bench.")
    parser.add_argument("--rate", type=float, default=RATE, help=f"requests per second (default {RATE:g})")
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"measured seconds (default {SECONDS:g})")
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS, help=f"default {WARMUP_SECONDS:g}")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["NAME"] = "kam_bench"
    connection.close()
    figures = load_measure(rate=options.rate, seconds=options.seconds, warmup_seconds=options.warmup)
    print(json.dumps(figures, indent=2))
