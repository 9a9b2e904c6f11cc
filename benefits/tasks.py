"""Celery tasks of the benefits app: thin wrappers over its services."""

from celery import shared_task

# A few set-based statements over the grants; the limits leave room to wait behind a running check.
LIMITS = {"acks_late": True, "soft_time_limit": 10 * 60, "time_limit": 15 * 60}


@shared_task(name="benefits.lifecycle", **LIMITS)
def benefits_lifecycle_task() -> dict:
    """Activate, expire, suspend and resume grants as of today (daily, and after every scoring run)."""
    from django.utils import timezone

    from benefits.lifecycle import benefits_lifecycle

    return benefits_lifecycle(today=timezone.localdate())
