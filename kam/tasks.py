"""Project-level Celery tasks."""

from celery import shared_task


@shared_task(name="kam.ping", acks_late=True, soft_time_limit=5, time_limit=10)
def ping() -> str:
    """Round trip through the broker and a worker; used by health checks and tests."""
    return "pong"
