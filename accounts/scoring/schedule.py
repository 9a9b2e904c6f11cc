"""When the nightly scoring run comes next, read from its django-celery-beat entry (editable in the admin)."""

from __future__ import annotations

from datetime import datetime

from celery.schedules import crontab
from django_celery_beat.models import PeriodicTask

NIGHTLY_TASK = "accounts.scoring_run_nightly"


def scoring_nightly_next(*, now: datetime) -> datetime | None:
    """The next time beat sends the nightly scoring run after ``now``, or None when no enabled entry has it."""
    entry = (
        PeriodicTask.objects.filter(task=NIGHTLY_TASK, enabled=True)
        .select_related("crontab", "interval", "solar", "clocked")
        .order_by("pk")
        .first()
    )
    if entry is None:
        return None
    schedule = entry.schedule
    if isinstance(schedule, crontab):
        # The slot itself (start + delta), not now + the wait celery measures against its own clock.
        start, delta, _ = schedule.remaining_delta(now)
        return start + delta
    return now + schedule.remaining_estimate(now)
