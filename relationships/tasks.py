"""Celery tasks of the relationships app: thin wrappers over its services."""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task
from django.db import transaction

# One account's evaluation takes milliseconds; the limits leave room to wait behind a nightly run's lock.
LIMITS = {"acks_late": True, "soft_time_limit": 15 * 60, "time_limit": 20 * 60}
# The cadence check is a handful of set-based statements (seconds at 100,000 accounts) plus the e-mails after it.
CADENCE_LIMITS = {"acks_late": True, "soft_time_limit": 10 * 60, "time_limit": 15 * 60}
# Evidence for many accounts at once (a bulk import) is evaluated in batches of this many accounts.
BATCH = 5000


@shared_task(name="relationships.ladder_evaluate_accounts", **LIMITS)
def ladder_evaluate_accounts_task(account_ids: list[int]) -> dict:
    """Evaluate the ladder of these accounts as of today (new evidence for them has just committed)."""
    from relationships.services import ladder_evaluate

    return ladder_evaluate(account_ids=account_ids)


def ladder_evaluate_on_commit(account_ids: Iterable[int]) -> None:
    """Enqueue the evaluation of these accounts once the current transaction commits (never for a rolled-back
    one); outside a transaction, at once."""
    ids = sorted({int(pk) for pk in account_ids})
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        # robust: a broker that is down must not fail a write that committed (the nightly run catches up).
        transaction.on_commit(lambda batch=batch: ladder_evaluate_accounts_task.delay(batch), robust=True)


@shared_task(name="relationships.contact_cadence_check", **CADENCE_LIMITS)
def contact_cadence_check_task() -> dict:
    """The daily beat entry: flag overdue accounts as of today and tell their owners (once per spell)."""
    from django.utils import timezone

    from kam.dashboard import dashboard_refresh
    from relationships.cadence import contact_cadence_check

    result = contact_cadence_check(today=timezone.localdate()).as_dict()
    dashboard_refresh(today=timezone.localdate())  # overdue contacts moved: the dashboard follows
    return result
