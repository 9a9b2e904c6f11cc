"""Enqueuing work from a request: queue it after the commit, or say at once that the task queue is unavailable.

Celery's broker is Redis. Work a user asks for (a scoring run, an import, a webhook replay, a dashboard refresh)
is published once the transaction that recorded it commits (DESIGN §10), which is too late to refuse the request:
the answer is on its way. So ``enqueue_on_commit`` first checks that the broker answers — a fresh connection and a
PING, about a millisecond on the local socket, at most the 2 s connect timeout of ``CELERY_BROKER_TRANSPORT_OPTIONS``
when a host does not answer — and raises ``QueueUnavailable`` when it does not, before anything is written: the
caller's transaction rolls back, the API answers 503 ``queue_unavailable`` (``kam.api.exceptions``) and the pages
show ``QueueUnavailable.message``.

Redis may still go down between the check and the commit: the publish then fails after the commit and is logged.
Scoring runs and imports stay ``queued`` and ``kam.recovery`` queues them again; a lost replay or refresh is simply
asked for again.

Writes that merely *follow up* on themselves (a new order's ladder evaluation, the benefits after a run) do not use
this: they must not fail because Redis is down; the nightly run catches up on what they missed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The task queue (Celery's broker, Redis) cannot be reached: nothing was queued."""

    message = (
        "Nothing was queued or saved: the task queue is unavailable (Redis cannot be reached). "
        "Try again in a few minutes."
    )
    code = "queue_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


def queue_check() -> None:
    """Raise ``QueueUnavailable`` unless the broker answers now (a new connection: a pooled one could be stale)."""
    from kam.celery import app

    try:
        with app.connection_for_write() as connection:
            # The Redis transport PINGs when it opens its channel; no retry beyond the publish policy's one.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2)
            connection.default_channel  # noqa: B018  # opening the channel is the round trip
    except (OperationalError, OSError) as error:
        logger.warning("the task queue is unavailable: %s", error)
        raise QueueUnavailable() from error


def enqueue_on_commit(task: Any, *args: Any, **options: Any) -> None:
    """Publish ``task`` with ``args`` once the current transaction commits (at once outside one); raise
    ``QueueUnavailable`` now, before the caller writes anything more, when the broker does not answer.
    ``options`` are ``apply_async``'s (``countdown``, ``kwargs``…)."""
    queue_check()
    name = getattr(task, "name", repr(task))

    def publish() -> None:
        try:
            task.apply_async(args, **options)
        except OperationalError:
            logger.exception("the task queue went away after the check: %s%r was not queued", name, args)

    transaction.on_commit(publish)
