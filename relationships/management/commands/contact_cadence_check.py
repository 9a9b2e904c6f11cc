"""``manage.py contact_cadence_check``: the daily contact-cadence check here and now, then what it did."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from relationships.cadence import contact_cadence_check


class Command(BaseCommand):
    help = (
        "Flag every active account without a completed interaction for longer than its tier allows "
        "(KAM_CADENCE_DAYS) and tell the owners of newly overdue accounts, as the daily beat entry does; in this "
        "process, no worker needed. Running it again the same day tells nobody twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = contact_cadence_check(today=timezone.localdate())
        self.stdout.write(
            f"Contact cadence as of {result.today:%Y-%m-%d}: {result.overdue} account(s) overdue, "
            f"{result.notified} owner notification(s) sent, {result.rows_written} row(s) updated, "
            f"{result.rows_removed} inactive account(s) dropped."
        )
