"""A real Celery worker for tests: a thread of the test process, on the real Redis broker and the test database.

Tasks go through a queue of the test's own: the embedded Redis is shared by every ``kam.stack`` process, and a
``make run`` worker must not take a task of the test database and execute it against its own.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from kam.celery import app


@contextlib.contextmanager
def private_worker(monkeypatch: pytest.MonkeyPatch, *tasks: Any) -> Iterator[Any]:
    """Route ``tasks`` to a private queue and run one solo worker on it for the ``with`` block."""
    queue = f"test-{uuid.uuid4().hex}"
    for task in tasks:
        task = task._get_current_object()
        monkeypatch.setattr(task, "queue", queue, raising=False)
        monkeypatch.setattr(task, "_exec_options", None)  # Celery caches the options a task is sent with
    # The worker narrows the app's queues to ours; put them back for the workers of later tests.
    monkeypatch.setattr(app.amqp.queues, "_consume_from", app.amqp.queues._consume_from)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]) as worker:
            yield worker
    finally:
        app.amqp.queues.pop(queue, None)
