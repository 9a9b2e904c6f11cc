"""Celery tasks of the relationships app: thin wrappers over its services."""

from celery import shared_task

# The check is a handful of set-based statements (seconds at 100,000 accounts) plus the e-mails after it.
LIMITS = {"acks_late": True, "soft_time_limit": 10 * 60, "time_limit": 15 * 60}


@shared_task(name="relationships.contact_cadence_check", **LIMITS)
def contact_cadence_check_task() -> dict:
    """The daily beat entry: flag overdue accounts as of today and tell their owners (once per spell)."""
    from django.utils import timezone

    from relationships.cadence import contact_cadence_check

    return contact_cadence_check(today=timezone.localdate()).as_dict()
