"""Project-level Celery tasks."""

from celery import shared_task


# ping keeps its result (the others are ignored: CELERY_TASK_IGNORE_RESULT): its caller waits for "pong".
@shared_task(name="kam.ping", acks_late=True, soft_time_limit=5, time_limit=10, ignore_result=False)
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


@shared_task(name="kam.webhooks_dispatch", acks_late=True, soft_time_limit=60, time_limit=120)
def webhooks_dispatch_task() -> dict:
    """Every 10 seconds (beat): new events become deliveries; lost deliveries are sent again."""
    from kam.webhooks import webhooks_dispatch

    return webhooks_dispatch().as_dict()


@shared_task(name="kam.webhook_deliver", acks_late=True, soft_time_limit=60, time_limit=90)
def webhook_deliver_task(delivery_id: int, replay: bool = False, attempt: int | None = None) -> dict | None:
    """One attempt at a delivery; a failed one is sent again later, by the backoff schedule (a retry's message
    names its attempt, so a duplicate of it sends nothing)."""
    from kam.webhooks import _enqueue, webhook_deliver

    outcome = webhook_deliver(delivery_id=delivery_id, replay=replay, attempt=attempt)
    if outcome is None:
        return None
    if outcome.retry_in is not None:
        _enqueue(delivery_id, outcome.retry_in, attempt=outcome.attempts)
    return {"status": outcome.status, "status_code": outcome.status_code, "retry_in": outcome.retry_in}


@shared_task(name="kam.idempotency_purge", acks_late=True, soft_time_limit=60, time_limit=120)
def idempotency_purge_task() -> int:
    """Forget the API's idempotency keys older than KAM_IDEMPOTENCY_KEY_HOURS (hourly beat entry)."""
    from kam.api.safe_writes import idempotency_purge

    return idempotency_purge()
