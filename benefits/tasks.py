"""Celery tasks of the benefits app: thin wrappers over its services."""

from celery import shared_task

# A few set-based statements over the grants; the limits leave room to wait behind a running check.
LIMITS = {"acks_late": True, "soft_time_limit": 10 * 60, "time_limit": 15 * 60}


@shared_task(name="benefits.lifecycle", **LIMITS)
def benefits_lifecycle_task() -> dict:
    """Activate, expire, suspend and resume grants as of today (daily, and after every scoring run)."""
    from django.utils import timezone

    from benefits.lifecycle import benefits_lifecycle
    from kam.dashboard import dashboard_refresh

    result = benefits_lifecycle(today=timezone.localdate())
    # grants and, after a scoring run, scores moved: the dashboard follows
    dashboard_refresh(today=timezone.localdate())
    return result
