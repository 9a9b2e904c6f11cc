"""Take up scoring runs and import jobs that their worker or their message lost (beat, every few minutes).

``acks_late`` with ``reject_on_worker_lost`` gives a task's message back to the queue when the pool process
running it dies, and Redis gives an unacknowledged message to another worker after its visibility timeout (an
hour) when a whole worker died. This sweep does not wait that long, and also catches what no message will bring
back (a publish lost when Redis went down between the request's check and its commit):

- a ``running`` row whose ownership lock nobody holds (``kam.work_ownership``) lost its worker: it is ``queued``
  again and its task sent again — the work is all or nothing, so it starts afresh on the same inputs;
- a ``queued`` row older than ``QUEUED_LOST_AFTER`` that nobody is executing has its task sent again (a copy of a
  message still in the queue is harmless: the second delivery finds the row finished and leaves it);
- a row still unfinished ``GIVE_UP_AFTER`` after it was requested, with nobody executing it, has failed for good
  (say its run keeps hitting the hard time limit): it is marked ``failed`` with the reason, so it is not retried
  forever.

Each statement claims its rows with a conditional ``UPDATE … RETURNING``, so two sweeps at once are harmless.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import ImportJobStatus, ScoringRunStatus
from kam.work_ownership import IMPORT_JOB, SCORING_RUN, work_owner_alive_sql

logger = logging.getLogger(__name__)

QUEUED_LOST_AFTER = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=3)
GIVE_UP_MESSAGE = "Given up: no worker finished it within {hours} hours of the request (workers lost or time limits)."


@dataclass(frozen=True)
class RecoveryResult:
    scoring_runs_requeued: list[int]
    scoring_runs_given_up: list[int]
    import_jobs_requeued: list[int]
    import_jobs_given_up: list[int]

    def as_dict(self) -> dict[str, list[int]]:
        return asdict(self)


def _sweep(
    cursor,
    *,
    table: str,
    kind: int,
    queued: str,
    running: str,
    failed: str,
    give_up_set: str,
    give_up_values: dict[str, Any],
    now: datetime,
) -> tuple[list[int], list[int]]:
    alive = work_owner_alive_sql(kind=kind, id_column="t.id")
    cursor.execute(
        f"""
        UPDATE {table} t SET status = %(failed)s, started_at = coalesce(t.started_at, %(now)s),
               finished_at = greatest(t.started_at, %(now)s), {give_up_set}
         WHERE t.status IN (%(queued)s, %(running)s) AND t.created_at < %(give_up)s AND NOT {alive}
        RETURNING t.id
        """,  # noqa: S608  (table and columns are constants of this module)
        {
            "failed": failed,
            "queued": queued,
            "running": running,
            "now": now,
            "give_up": now - GIVE_UP_AFTER,
            **give_up_values,
        },
    )
    given_up = sorted(row[0] for row in cursor.fetchall())
    cursor.execute(
        f"""
        UPDATE {table} t SET status = %(queued)s
         WHERE (t.status = %(running)s OR (t.status = %(queued)s AND t.created_at < %(lost)s)) AND NOT {alive}
        RETURNING t.id
        """,  # noqa: S608
        {"queued": queued, "running": running, "lost": now - QUEUED_LOST_AFTER},
    )
    requeued = sorted(row[0] for row in cursor.fetchall())
    return requeued, given_up


def work_recover(*, now: datetime | None = None) -> RecoveryResult:
    """Queue again the scoring runs and import jobs whose worker or message was lost; give up the hopeless ones."""
    from accounts.tasks import import_job_execute_task, scoring_run_execute_task

    now = now or timezone.now()
    reason = GIVE_UP_MESSAGE.format(hours=int(GIVE_UP_AFTER.total_seconds() // 3600))
    with transaction.atomic(), connection.cursor() as cursor:
        runs, runs_given_up = _sweep(
            cursor,
            table="accounts_scoringrun",
            kind=SCORING_RUN,
            queued=ScoringRunStatus.QUEUED.value,
            running=ScoringRunStatus.RUNNING.value,
            failed=ScoringRunStatus.FAILED.value,
            give_up_set="error = %(error)s",
            give_up_values={"error": reason},
            now=now,
        )
        jobs, jobs_given_up = _sweep(
            cursor,
            table="accounts_importjob",
            kind=IMPORT_JOB,
            queued=ImportJobStatus.QUEUED.value,
            running=ImportJobStatus.RUNNING.value,
            failed=ImportJobStatus.FAILED.value,
            give_up_set="phase = '', data = ''::bytea, error_count = 1, errors = %(errors)s::jsonb",
            give_up_values={"errors": json.dumps([{"line": 0, "field": "", "message": reason}])},
            now=now,
        )
        for pk in runs:
            transaction.on_commit(lambda pk=pk: scoring_run_execute_task.delay(pk))
        for pk in jobs:
            transaction.on_commit(lambda pk=pk: import_job_execute_task.delay(pk))
    result = RecoveryResult(runs, runs_given_up, jobs, jobs_given_up)
    if any((runs, runs_given_up, jobs, jobs_given_up)):
        logger.warning("recovered lost work: %s", result.as_dict())
    return result
