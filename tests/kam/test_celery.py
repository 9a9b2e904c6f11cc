"""Celery runs on the real Redis of REDIS_URL: a task goes through the broker to a worker and back."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from kam.celery import app
from kam.tasks import ping


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_task_round_trip_through_redis(celery_worker):
    assert app.conf.broker_url.startswith(("redis://", "redis+socket://", "rediss://"))
    assert ping.delay().get(timeout=20) == "pong"
