"""Reliability of the background work: every task is acknowledged late and time-limited; a worker killed in the
middle of a scoring run leaves nothing behind and the run is done again, identically; with Redis down the pages
work and every operation that needs a worker answers 503 ``queue_unavailable`` at once, writing nothing."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from accounts.choices import ScoringRunStatus
from accounts.models import Account, AccountScore, ImportJob, ScoringRun
from accounts.recovery import GIVE_UP_AFTER, QUEUED_LOST_AFTER, work_recover
from accounts.scoring.runs import scoring_run_perform, scoring_run_request
from accounts.tasks import scoring_run_execute_task
from accounts.volume import volume_seed
from kam import webhooks
from kam.api.safe_writes import IDEMPOTENCY_HEADER
from kam.celery import app
from kam.models import IdempotencyRecord, WebhookAttempt, WebhookDelivery, WebhookEvent
from kam.work_ownership import SCORING_RUN, work_owned
from relationships.models import LadderState, LadderTransition
from tests.factories import PASSWORD, AccountFactory, ScoringRunFactory

ROOT = Path(__file__).resolve().parents[2]
PROJECT_TASKS = {
    "accounts.scoring_run_execute",
    "accounts.scoring_run_nightly",
    "accounts.import_job_execute",
    "accounts.work_recover",
    "benefits.lifecycle",
    "kam.ping",
    "kam.dashboard_refresh",
    "kam.webhooks_dispatch",
    "kam.webhook_deliver",
    "kam.idempotency_purge",
    "relationships.ladder_evaluate_accounts",
    "relationships.contact_cadence_check",
}


# --- every task: acks_late, reject_on_worker_lost, soft and hard time limits ----------------------------------


def project_tasks() -> dict:
    app.loader.import_default_modules()  # autodiscovery is lazy: register every app's tasks now
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_is_acknowledged_late_and_time_limited():
    tasks = project_tasks()
    assert set(tasks) >= PROJECT_TASKS, "a task is missing: has autodiscovery failed?"
    for name, task in tasks.items():
        assert task.acks_late is True, f"{name}: acks_late"
        assert task.reject_on_worker_lost is True, f"{name}: reject_on_worker_lost"
        assert task.soft_time_limit and task.time_limit, f"{name}: soft_time_limit and time_limit on the decorator"
        assert 0 < task.soft_time_limit < task.time_limit, f"{name}: the soft limit comes before the hard one"


def test_results_are_not_stored_except_for_ping():
    # Storing results made every enqueue wait on the result store (19 s with Redis down): nobody reads them.
    assert {name for name, task in project_tasks().items() if not task.ignore_result} == {"kam.ping"}


# --- a worker killed in the middle of a scoring run ---------------------------------------------------------------

AS_OF = datetime.date(2026, 6, 30)


def _scores(run: ScoringRun) -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in AccountScore.objects.filter(run=run).values_list(
            "account_id", "c1", "c2", "c3", "c4", "c5", "kas", "completeness", "computed_key_status", "key_status"
        )
    }


def _accounts() -> dict[int, str]:
    return dict(Account.objects.values_list("pk", "key_status"))


def _ladder() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in LadderState.objects.values_list("account_id", "stage", "rule_stage")}


class _Rollback(Exception):
    pass


def _control() -> tuple[dict, dict, dict]:
    """What an uninterrupted run as of AS_OF writes, computed here and rolled back."""
    try:
        with transaction.atomic():
            run = scoring_run_perform(as_of=AS_OF)
            assert run.status == ScoringRunStatus.DONE, run.error
            outcome = (_scores(run), _accounts(), _ladder())
            raise _Rollback
    except _Rollback:
        pass
    return outcome


def _test_database_env() -> dict[str, str]:
    env = dict(os.environ)
    url = urlsplit(env["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))
    env["DJANGO_SETTINGS_MODULE"] = "kam.settings.test"
    return env


def _wait_for(what: str, check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _inserting_scores_backend() -> int | None:
    """The backend blocked on the INSERT of the scores (behind the test's table lock), if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE %s",
            ["%INSERT INTO accounts_accountscore%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)", [pid])
        return cursor.fetchone()[0]


@pytest.fixture
def worker_process(monkeypatch):
    """A real Celery worker in a process of its own (prefork, one pool process) on a private queue."""
    queue = f"test-reliability-{uuid.uuid4().hex}"
    task = scoring_run_execute_task._get_current_object()
    monkeypatch.setattr(task, "queue", queue, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)
    log = open(ROOT / "var" / f"{queue}.log", "w+")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool", "prefork", "--concurrency", "1",
         "-Q", queue, "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "INFO",
         "--hostname", f"{queue}@%h"],
        env=_test_database_env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        for child in psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []:
            child.kill()
        process.kill()
        process.wait(timeout=30)
        log.seek(0)
        output = log.read()
        log.close()
        Path(log.name).unlink(missing_ok=True)
        app.amqp.queues.pop(queue, None)
        print(output[-5000:])  # shown when the test fails


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_nothing_and_the_redelivered_run_matches_an_uninterrupted_one(
    worker_process,
):
    # given a portfolio, and what an uninterrupted run as of AS_OF gives (computed, then rolled back)
    volume_seed(accounts=120, orders=2400, today=AS_OF)
    control_scores, control_accounts, control_ladder = _control()
    assert len(control_scores) >= 100
    assert control_accounts != _accounts(), "the run must move some key statuses for the test to mean anything"
    before_accounts, before_ladder = _accounts(), _ladder()
    before_transitions = LadderTransition.objects.count()
    # and a lock on the scores table, so the run stops at its INSERT of the scores, inside its transaction
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    try:
        with holder.cursor() as cursor:
            cursor.execute("LOCK TABLE accounts_accountscore IN SHARE MODE")
        # when a run is requested and its worker is killed while it writes the scores
        run = scoring_run_request(as_of=AS_OF)
        first_backend = _wait_for("the run to reach its INSERT of the scores", _inserting_scores_backend)
        run.refresh_from_db()
        assert run.status == ScoringRunStatus.RUNNING
        [pool_process] = _wait_for("the pool process", lambda: psutil.Process(worker_process.pid).children())
        os.kill(pool_process.pid, signal.SIGKILL)
        # then its PostgreSQL session goes (the dead client is noticed within seconds), the message comes back
        # (acks_late + reject_on_worker_lost) and a new pool process starts the run again: it is back at the INSERT
        _wait_for("the dead worker's session to end", lambda: not _backend_alive(first_backend))
        second_backend = _wait_for(
            "the run started again",
            lambda: (pid := _inserting_scores_backend()) is not None and pid != first_backend and pid,
        )
        assert second_backend != first_backend
        # and nothing of the killed attempt was committed
        run.refresh_from_db()
        assert run.status == ScoringRunStatus.RUNNING
        assert not AccountScore.objects.filter(run=run).exists()
        assert _accounts() == before_accounts
        assert _ladder() == before_ladder
        assert LadderTransition.objects.count() == before_transitions
    finally:
        holder.rollback()
        holder.close()
    # when the lock goes, the run started again finishes
    _wait_for("the run to finish", lambda: ScoringRun.objects.get(pk=run.pk).status != ScoringRunStatus.RUNNING)
    run.refresh_from_db()
    assert run.status == ScoringRunStatus.DONE, run.error
    # then it wrote exactly what the uninterrupted run did
    assert _scores(run) == control_scores
    assert _accounts() == control_accounts
    assert _ladder() == control_ladder


# --- the recovery sweep -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_queues_again_runs_whose_worker_died_and_leaves_live_ones(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given a run whose worker died (running, nobody holds its lock), one a live worker executes, a queued one
    # whose message was lost, a fresh queued one and a hopeless one
    now = datetime.datetime.now(datetime.UTC)
    orphan, live, hopeless = ScoringRunFactory.create_batch(3, status=ScoringRunStatus.RUNNING, finished_at=None)
    lost, fresh = ScoringRunFactory.create_batch(2, status=ScoringRunStatus.QUEUED, started_at=None, finished_at=None)
    ScoringRun.objects.filter(pk=lost.pk).update(created_at=now - QUEUED_LOST_AFTER - datetime.timedelta(seconds=1))
    ScoringRun.objects.filter(pk=hopeless.pk).update(created_at=now - GIVE_UP_AFTER - datetime.timedelta(seconds=1))
    sent: list[int] = []
    monkeypatch.setattr(scoring_run_execute_task, "delay", sent.append)
    # when the sweep runs while a worker holds the live run's lock
    with work_owned(kind=SCORING_RUN, pk=live.pk, wait_seconds=1), django_capture_on_commit_callbacks(execute=True):
        result = work_recover(now=now)
    # then the orphan and the lost one are queued (again), the live and fresh ones are left, the hopeless one failed
    assert result.scoring_runs_requeued == sorted([orphan.pk, lost.pk])
    assert result.scoring_runs_given_up == [hopeless.pk]
    assert sorted(sent) == sorted([orphan.pk, lost.pk])
    statuses = dict(ScoringRun.objects.values_list("pk", "status"))
    assert statuses[orphan.pk] == statuses[lost.pk] == statuses[fresh.pk] == ScoringRunStatus.QUEUED
    assert statuses[live.pk] == ScoringRunStatus.RUNNING
    assert statuses[hopeless.pk] == ScoringRunStatus.FAILED
    assert "Given up" in ScoringRun.objects.get(pk=hopeless.pk).error


@pytest.mark.django_db
def test_a_run_left_running_by_a_dead_worker_is_done_again_and_a_finished_one_is_left_alone():
    # given a run that a dead worker left running (its transaction rolled back: no scores)
    AccountFactory.create_batch(3)
    run = ScoringRunFactory(status=ScoringRunStatus.RUNNING, finished_at=None)
    # when its message is delivered again
    from accounts.scoring.runs import scoring_run_execute

    done = scoring_run_execute(run_id=run.pk)
    # then it is done, once
    assert done.status == ScoringRunStatus.DONE, done.error
    assert AccountScore.objects.filter(run=run).count() == 3
    again = scoring_run_execute(run_id=run.pk)
    assert again.status == ScoringRunStatus.DONE
    assert AccountScore.objects.filter(run=run).count() == 3


# --- Redis down -----------------------------------------------------------------------------------------------------


@pytest.fixture
def queue_down(monkeypatch, tmp_path):
    """Celery's broker points at a unix socket where nothing listens (pooled connections forgotten)."""
    monkeypatch.setattr(app.conf, "broker_url", f"redis+socket://{tmp_path / 'nobody-listens.sock'}")
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield
    pool = app._pool
    if pool is not None:
        pool.force_close_all()


def _assert_queue_unavailable(response, started: float) -> None:
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "queue_unavailable"
    assert "the task queue is unavailable" in body["detail"]
    assert elapsed < 2.0, f"enqueuing must fail fast, took {elapsed:.2f} s"


@pytest.mark.django_db
def test_requesting_a_scoring_run_with_redis_down_is_a_503_that_writes_nothing(queue_down, api, director):
    client = api(director)
    started = time.monotonic()
    response = client.post("/api/v1/scoring-runs/", {"as_of": "2026-01-31"}, format="json")
    _assert_queue_unavailable(response, started)
    assert not ScoringRun.objects.exists()
    # an Idempotency-Key is not spent on a refusal: the retry, once Redis is back, is a new request
    response = client.post("/api/v1/scoring-runs/", {}, format="json", headers={IDEMPOTENCY_HEADER: str(uuid.uuid4())})
    assert response.status_code == 503
    assert not ScoringRun.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    # a bad date is still a 400
    assert client.post("/api/v1/scoring-runs/", {"as_of": "2999-01-01"}, format="json").status_code == 400


@pytest.mark.django_db
def test_uploading_an_import_with_redis_down_is_a_503_that_writes_nothing(queue_down, api, integration, account):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(
        "o.csv",
        b"account_external_id,external_id,order_date,net_amount\nERP-ACME,SO-1,2025-03-01,10.00\n",
        content_type="text/csv",
    )
    started = time.monotonic()
    response = api(integration).post("/api/v1/imports/", {"kind": "orders", "file": file}, format="multipart")
    _assert_queue_unavailable(response, started)
    assert not ImportJob.objects.exists()


def _delivery(director) -> int:
    webhooks.webhook_subscription_create(
        actor=director,
        values={"name": "ERP", "url": "http://127.0.0.1:9/", "events": [WebhookEvent.ACCOUNT_KEY_STATUS_CHANGED]},
    )
    account = AccountFactory()
    Account.objects.filter(pk=account.pk).update(key_status="key")
    webhooks.webhooks_dispatch(enqueue=lambda pk, countdown: None)
    return WebhookDelivery.objects.get().pk


@pytest.mark.django_db
def test_replaying_a_webhook_with_redis_down_is_a_503(queue_down, api, director):
    delivery_id = _delivery(director)
    started = time.monotonic()
    response = api(director).post(reverse("api:webhook-delivery-replay", args=[delivery_id]))
    _assert_queue_unavailable(response, started)
    assert not WebhookAttempt.objects.exists()


@pytest.mark.django_db
def test_evidence_is_still_written_with_redis_down(
    queue_down, api, integration, account, django_capture_on_commit_callbacks
):
    # an order's ladder evaluation follows it through the queue; with Redis down the order is kept (the nightly
    # run catches up) and the answer comes at once
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(integration).post(
            "/api/v1/orders/",
            {"account": account.pk, "external_id": "SO-9", "order_date": "2026-01-05", "net_amount": "10.00"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 2.0


@pytest.mark.django_db
def test_the_pages_work_and_their_buttons_say_the_queue_is_unavailable(queue_down, client, director, account):
    # log in, portfolio, account page, dashboard
    response = client.post(reverse("login"), {"username": director.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    for url in ("/", reverse("accounts:account_list"), account.get_absolute_url(), "/accounts/scoring/runs/"):
        assert client.get(url).status_code == 200, url
    # start a scoring run
    response = client.post("/accounts/scoring/runs/", {"as_of": "2026-01-31"})
    assert response.status_code == 503
    assert "the task queue is unavailable" in response.content.decode()
    assert not ScoringRun.objects.exists()
    # refresh the dashboard
    response = client.post(reverse("dashboard_refresh"), follow=True)
    assert response.status_code == 200
    assert "the task queue is unavailable" in response.content.decode()
    # upload an import
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("o.csv", b"account_external_id,external_id,order_date,net_amount\n", "text/csv")
    response = client.post("/imports/", {"kind": "orders", "file": file})
    assert response.status_code == 503
    assert "the task queue is unavailable" in response.content.decode()
    assert not ImportJob.objects.exists()
    # replay a webhook delivery
    delivery_id = _delivery(director)
    response = client.post(reverse("webhooks:replay", args=[delivery_id]), follow=True)
    assert response.status_code == 200
    assert "the task queue is unavailable" in response.content.decode()


def test_the_schema_documents_the_503_of_the_operations_that_queue_work():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path, method in (
        ("/api/v1/scoring-runs/", "post"),
        ("/api/v1/imports/", "post"),
        ("/api/v1/webhook-deliveries/{id}/replay/", "post"),
    ):
        assert "503" in paths[path][method]["responses"], path
