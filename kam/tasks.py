"""Project-level Celery tasks."""

from celery import shared_task


@shared_task(name="kam.ping", acks_late=True, soft_time_limit=5, time_limit=10)
def ping() -> str:
    """Round trip through the broker and a worker; used by health checks and tests."""
    return "pong"


@shared_task(name="kam.dashboard_refresh", acks_late=True, soft_time_limit=10 * 60, time_limit=15 * 60)
def dashboard_refresh_task() -> dict:
    """Rebuild the directors' dashboard summary as of today (after every scoring run's benefit lifecycle, every
    daily contact-cadence check and every daily benefit lifecycle)."""
    from django.utils import timezone

    from kam.dashboard import dashboard_refresh

    return dashboard_refresh(today=timezone.localdate()).as_dict()
