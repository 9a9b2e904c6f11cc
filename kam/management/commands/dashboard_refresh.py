"""``manage.py dashboard_refresh`` — rebuild the directors' dashboard summary now (the workers do it after every
scoring run and every daily check)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kam.dashboard import dashboard_refresh


class Command(BaseCommand):
    help = "Rebuild the directors' dashboard summary from the current scoring run, as of today."

    def handle(self, *args: Any, **options: Any) -> None:
        result = dashboard_refresh(today=timezone.localdate())
        if result.run_id is None:
            self.stdout.write("No scoring run has finished yet: the summary is empty.")
        else:
            self.stdout.write(
                f"Dashboard summary of scoring run {result.run_id}: {result.cells:,} cells in {result.seconds:.2f} s."
            )
