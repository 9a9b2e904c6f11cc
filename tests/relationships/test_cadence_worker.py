"""The contact-cadence check for real: through a Celery worker on the real Redis broker, and two checks at once
(they take turns on the advisory lock, so the owner is told once)."""

from __future__ import annotations

import datetime
import threading
import time
import uuid

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from kam.celery import app
from kam.models import Notification
from relationships.cadence import CADENCE_LOCK_KEY, contact_cadence_check
from relationships.models import ContactCadence
from relationships.tasks import contact_cadence_check_task
from tests.factories import AccountFactory, InteractionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def overdue_account(manager):
    account = AccountFactory(owner=manager, name="Acme Industries")
    InteractionFactory(account=account, occurred_at=timezone.now() - datetime.timedelta(days=120))
    return account


@pytest.fixture
def cadence_worker(transactional_db, monkeypatch):
    """A real Celery worker (a thread of this process) on the real Redis broker and the test database, on a queue
    of this test's own: a ``make run`` worker on the shared embedded Redis must not take the task."""
    queue = f"test-cadence-{uuid.uuid4().hex}"
    # The worker narrows the app's queues to ours; put them back for the workers of later tests.
    monkeypatch.setattr(app.amqp.queues, "_consume_from", app.amqp.queues._consume_from)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]):
            yield queue
    finally:
        app.amqp.queues.pop(queue, None)


def test_the_daily_task_runs_in_a_worker_and_tells_the_owner_once(manager, overdue_account, cadence_worker):
    # given an overdue account and a worker listening on the broker
    # when beat sends the daily task (twice, as a redelivery would)
    first = contact_cadence_check_task.apply_async(queue=cadence_worker, ignore_result=False).get(timeout=30)
    second = contact_cadence_check_task.apply_async(queue=cadence_worker, ignore_result=False).get(timeout=30)
    # then the worker flagged the account and told its owner once, in the app and by e-mail
    assert (first["overdue"], first["notified"]) == (1, 1)
    assert (second["overdue"], second["notified"]) == (1, 0)
    assert ContactCadence.objects.get(account=overdue_account).overdue_since is not None
    assert Notification.objects.get().recipient == manager
    assert [message.to for message in mail.outbox] == [[manager.email]]


def _in_thread(results: list, today: datetime.date) -> threading.Thread:
    def run() -> None:
        try:
            results.append(contact_cadence_check(today=today))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _other_session():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=False)


@pytest.mark.parametrize("lock", ["pg_advisory_xact_lock", "pg_advisory_xact_lock_shared"])
def test_a_check_waits_for_a_running_check_and_for_interactions_being_logged(overdue_account, lock):
    # given another session holding the cadence lock: a check (exclusive), or a transaction logging an interaction
    # (shared)
    results: list = []
    with _other_session() as other:
        other.execute(f"SELECT {lock}(%s)", [CADENCE_LOCK_KEY])
        # when a check starts
        thread = _in_thread(results, timezone.localdate())
        time.sleep(0.5)
        # then it waits
        assert thread.is_alive()
        assert results == []
        other.rollback()
    # and goes through once the lock is free
    thread.join(timeout=30)
    assert len(results) == 1
    assert results[0].notified == 1


def test_two_checks_at_once_tell_the_owner_once(manager, overdue_account):
    # given two checks started together
    results: list = []
    threads = [_in_thread(results, timezone.localdate()) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=30)
    # then one told the owner and the other found nothing left to tell
    assert sorted(result.notified for result in results) == [0, 1]
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
