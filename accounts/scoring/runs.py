"""Scoring runs (DESIGN §5): request one, execute it as a pipeline of set-based steps, all or nothing.

A run is created ``queued`` (``scoring_run_request`` enqueues it in Celery once the transaction commits),
claimed and marked ``running`` in its own short transaction, then executed in one transaction that holds a
PostgreSQL advisory lock, so two runs never overlap: the second waits (up to ``KAM_SCORING_LOCK_WAIT_SECONDS``)
and fails with a clear error if the first takes longer. Any error rolls the whole run back and marks it
``failed`` with the message.

A worker that dies mid-run (killed, out of memory) leaves nothing of the run: its transaction rolls back with its
connection. The run then still says ``running``; the worker held the run's ownership lock (``kam.work_ownership``),
which went with its connection, so the redelivered message (``acks_late`` + ``reject_on_worker_lost``) or the
recovery sweep (``accounts.recovery``) starts the run again from the beginning, on the same inputs.

The steps are a list (``SCORING_RUN_STEPS``): gather the inputs of the whole population once, evaluate the
loyalty ladder (DESIGN §6) as of the same day, then score (§5). Each step takes the run context and keeps its
tallies in ``counts``. While the run goes on, ``timings`` holds the steps finished so far (written as each ends,
outside the run's transaction), so a page can show its progress.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import ScoringPolicy, ScoringRun
from accounts.scoring import metrics
from audit.actor import acting_as
from kam.progress_writes import ProgressWriter
from kam.queue import enqueue_on_commit
from kam.work_ownership import SCORING_RUN, session_notice_dead_client, work_owned
from relationships.ladder.evaluate import ladder_apply, ladder_compute, ladder_tally

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: "KAM" + 1, one per kind of periodic work.
SCORING_LOCK_KEY = 0x4B414D01
EARLIEST_AS_OF = date(1970, 1, 1)

Progress = Callable[[str], None]


@dataclass
class RunContext:
    """What the steps share: the run, its cursor (inside the run's transaction) and the tallies so far."""

    run: ScoringRun
    cursor: CursorWrapper
    counts: dict[str, Any] = field(default_factory=dict)
    # A later as_of has been scored already: this run is history and leaves accounts and the ladder alone.
    backdated: bool = False


Step = tuple[str, Callable[[RunContext], None]]


class ScoringRunBusy(Exception):
    """Another run held the scoring lock for longer than we were willing to wait."""


def policy_active() -> ScoringPolicy:
    """The active scoring policy; a migration creates kas-v1 active, so a missing one is a broken install."""
    policy = ScoringPolicy.objects.filter(is_active=True).first()
    if policy is None:
        raise ValidationError({"policy": ["No scoring policy is active; a director must activate one."]})
    return policy


def as_of_validate(as_of: date | None) -> date:
    """T defaults to today; a future T would score records that do not exist yet, so it is refused."""
    today = timezone.localdate()
    if as_of is None:
        return today
    if as_of > today:
        raise ValidationError({"as_of": [f"as_of cannot be in the future (today is {today.isoformat()})."]})
    if as_of < EARLIEST_AS_OF:
        raise ValidationError({"as_of": [f"as_of cannot be before {EARLIEST_AS_OF.isoformat()}."]})
    return as_of


def _run_create(*, as_of: date | None, requested_by: Any | None) -> ScoringRun:
    return ScoringRun.objects.create(
        policy=policy_active(),
        as_of=as_of_validate(as_of),
        status=ScoringRunStatus.QUEUED,
        requested_by=requested_by if requested_by is not None and requested_by.is_authenticated else None,
    )


def scoring_run_request(*, as_of: date | None = None, requested_by: Any | None = None) -> ScoringRun:
    """Queue a scoring run as of ``as_of`` (default today) with the active policy; Celery executes it after
    this transaction commits. ``QueueUnavailable`` (nothing written) when the task queue cannot be reached."""
    from accounts.tasks import scoring_run_execute_task

    with transaction.atomic():
        run = _run_create(as_of=as_of, requested_by=requested_by)
        enqueue_on_commit(scoring_run_execute_task, run.pk)  # the queue is down: QueueUnavailable rolls it back
    return run


def scoring_run_perform(
    *, as_of: date | None = None, requested_by: Any | None = None, progress: Progress | None = None
) -> ScoringRun:
    """Create and execute a run here and now (``manage.py rescore``, the benchmark, tests)."""
    run = _run_create(as_of=as_of, requested_by=requested_by)
    return scoring_run_execute(run_id=run.pk, progress=progress)


def scoring_run_nightly() -> ScoringRun:
    """The nightly run, as of today. A nightly task delivered again because its worker died takes up the run
    that worker had started (still ``queued`` or ``running``) instead of creating a second one."""
    today = timezone.localdate()
    unfinished = (
        ScoringRun.objects.filter(
            as_of=today, requested_by=None, status__in=[ScoringRunStatus.QUEUED, ScoringRunStatus.RUNNING]
        )
        .order_by("pk")
        .first()
    )
    run = unfinished or _run_create(as_of=today, requested_by=None)
    return scoring_run_execute(run_id=run.pk)


def scoring_run_execute(*, run_id: int, progress: Progress | None = None) -> ScoringRun:
    """Claim a queued run and execute it, holding its ownership lock throughout. A ``running`` run whose lock is
    free lost its worker: it is started again. A run that is finished (a redelivered task, once the live worker
    let go of the lock) is left alone."""
    with work_owned(kind=SCORING_RUN, pk=run_id, wait_seconds=settings.KAM_SCORING_LOCK_WAIT_SECONDS) as owned:
        if not owned:
            logger.info("scoring run %s: another worker is still executing it", run_id)
            return ScoringRun.objects.select_related("policy").get(pk=run_id)
        return _execute_owned(run_id=run_id, progress=progress)


def _execute_owned(*, run_id: int, progress: Progress | None) -> ScoringRun:
    before = ScoringRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
    # A run started again after its worker died forgets the steps that worker reported.
    claimed = ScoringRun.objects.filter(
        pk=run_id, status__in=[ScoringRunStatus.QUEUED, ScoringRunStatus.RUNNING]
    ).update(status=ScoringRunStatus.RUNNING, started_at=timezone.now(), timings={})
    run = ScoringRun.objects.select_related("policy").get(pk=run_id)
    if not claimed:
        logger.info("scoring run %s is %s: nothing to do", run_id, run.status)
        return run
    if before == ScoringRunStatus.RUNNING:
        logger.warning("scoring run %s lost its worker mid-run: starting it again", run_id)
    say = progress or (lambda message: None)
    timings: dict[str, int] = {}
    steps_reported = _StepsReported(run_id)
    try:
        with acting_as(label=f"system: scoring run {run.pk}"), transaction.atomic(), connection.cursor() as cursor:
            session_notice_dead_client()
            context = RunContext(run=run, cursor=cursor)
            scoring_lock(cursor)
            context.backdated = _later_run_exists(cursor, run)
            for name, step in SCORING_RUN_STEPS:
                say(f"{name}…")
                started = time.perf_counter()
                step(context)
                timings[name] = round((time.perf_counter() - started) * 1000)
                say(f"{name}: {timings[name]} ms")
                steps_reported(timings)
            if not context.backdated:
                # Key statuses and stages moved: the benefits follow at once (suspensions, resumptions).
                transaction.on_commit(_benefits_follow, robust=True)
            run.status = ScoringRunStatus.DONE
            run.finished_at = timezone.now()
            run.counts = context.counts
            run.timings = timings
            run.save(update_fields=["status", "finished_at", "counts", "timings", "accounts_scored", "status_changes"])
    except Exception as exc:
        logger.exception("scoring run %s failed", run_id)
        ScoringRun.objects.filter(pk=run_id).update(
            status=ScoringRunStatus.FAILED, finished_at=timezone.now(), error=_error_text(exc), timings=timings
        )
        run.refresh_from_db()
    finally:
        steps_reported.close()
    return run


class _StepsReported:
    """Writes the timings of the steps finished so far while the run goes on (``kam.progress_writes``): the
    run's transaction commits only at its end, and the runs page shows which step it is at."""

    def __init__(self, run_id: int) -> None:
        self.writer = ProgressWriter(table=ScoringRun._meta.db_table, pk=run_id, running=ScoringRunStatus.RUNNING)

    def __call__(self, timings: dict[str, int]) -> None:
        self.writer.update(timings=json.dumps(timings))

    def close(self) -> None:
        self.writer.close()


def _benefits_follow() -> None:
    from benefits.tasks import benefits_lifecycle_task

    benefits_lifecycle_task.delay()


def _later_run_exists(cursor: CursorWrapper, run: ScoringRun) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM accounts_scoringrun WHERE status = %s AND as_of > %s AND id <> %s)",
        [ScoringRunStatus.DONE.value, run.as_of, run.pk],
    )
    return bool(cursor.fetchone()[0])


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ScoringRunBusy):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:2000]


def scoring_lock(cursor: CursorWrapper) -> None:
    """Take the lock of the scoring run, which any ladder evaluation shares, for the current transaction,
    waiting up to ``KAM_SCORING_LOCK_WAIT_SECONDS``; ``ScoringRunBusy`` when it is still held then."""
    wait = settings.KAM_SCORING_LOCK_WAIT_SECONDS
    cursor.execute("SET LOCAL lock_timeout = %s", [f"{wait}s"])
    try:
        with transaction.atomic():  # a savepoint, so a timeout leaves the outer transaction usable
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCORING_LOCK_KEY])
    except Exception as exc:
        if getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "55P03":  # lock_not_available
            raise ScoringRunBusy(f"Another scoring run was still running after {wait} s; try again later.") from exc
        raise
    cursor.execute("SET LOCAL lock_timeout = 0")


# --- steps -----------------------------------------------------------------------------------------------------


def step_gather(context: RunContext) -> None:
    """Aggregate orders, invoices, NPS answers, advocacy and contracts for the whole population (one pass each):
    what the ladder and the scores read."""
    context.counts["inputs"] = metrics.metrics_gather(context.cursor, as_of=context.run.as_of)


def step_ladder(context: RunContext) -> None:
    """Evaluate the loyalty ladder for every account as of the run's day, before the scores (DESIGN §6)."""
    run, cursor = context.run, context.cursor
    evaluated = ladder_compute(cursor, as_of=run.as_of)
    tallies = ladder_tally(cursor) if context.backdated else ladder_apply(cursor, as_of=run.as_of, run_id=run.pk)
    context.counts["ladder"] = {"evaluated": evaluated, **tallies}


def step_score(context: RunContext) -> None:
    """Five criteria, KAS and key status for every account, computed and written in one statement."""
    run, cursor = context.run, context.cursor
    previous = metrics.previous_run_id(cursor, as_of=run.as_of, exclude_run_id=run.pk)
    scored = metrics.scores_write(
        cursor, run_id=run.pk, as_of=run.as_of, policy=metrics.Thresholds.of(run.policy), previous_run=previous
    )
    cursor.execute(
        """
        SELECT key_status, count(*), count(*) FILTER (WHERE pinned),
               count(*) FILTER (WHERE key_status <> shown_key_status),
               count(*) FILTER (WHERE c1_null), count(*) FILTER (WHERE c2_null), count(*) FILTER (WHERE c3_null),
               count(*) FILTER (WHERE c4_null), count(*) FILTER (WHERE c5_null)
          FROM scoring_result GROUP BY key_status
        """
    )
    per_status = dict.fromkeys(KeyStatus.values, 0)
    overridden = changed = 0
    nulls = dict.fromkeys(("c1", "c2", "c3", "c4", "c5"), 0)
    for code, count, pinned, differs, *null_counts in cursor.fetchall():
        per_status[code] = count
        overridden += pinned
        changed += differs
        for criterion, null_count in zip(nulls, null_counts, strict=True):
            nulls[criterion] += null_count
    run.accounts_scored = scored
    context.counts.update(
        {"key_status": per_status, "overridden": overridden, "null_criteria": nulls, "previous_run": previous}
    )
    # Accounts show the scores of the current run (the latest as_of), joined in on reading: nothing to copy. Only
    # their key status is a column (filtered on everywhere, moved by pins and, later, by benefits), rewritten
    # where it changed. A back-dated run is kept as history and leaves it alone.
    if context.backdated:
        context.counts["accounts_updated"] = False
        run.status_changes = 0
        return
    # Only the accounts whose status moved are candidates (the status they showed was read with the population,
    # under the run's lock); the last condition keeps the write to rows whose value really changes.
    cursor.execute(
        """
        UPDATE accounts_account a SET key_status = r.key_status
          FROM scoring_result r
         WHERE r.key_status <> r.shown_key_status AND a.id = r.account_id AND a.key_status <> r.key_status
        """
    )
    context.counts["accounts_changed"] = cursor.rowcount
    context.counts["accounts_updated"] = True
    run.status_changes = changed


SCORING_RUN_STEPS: list[Step] = [
    ("gather inputs", step_gather),
    ("evaluate the ladder", step_ladder),
    ("score accounts", step_score),
]
