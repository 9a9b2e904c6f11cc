"""``manage.py rescore [--as-of YYYY-MM-DD]``: a scoring run here and now, with its progress, then a summary."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import ScoringRun
from accounts.scoring.runs import scoring_run_perform


class Command(BaseCommand):
    help = (
        "Score every active account now, in this process (no worker needed), as of --as-of (default today; "
        "never in the future), with the active policy. Prints each step, then accounts scored, accounts per key "
        "status, status changes and the duration. Exits non-zero when the run fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help="the as-of date T (default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = self._as_of(options["as_of"])
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"  {message} ({time.monotonic() - started:.1f} s)")

        try:
            run = scoring_run_perform(as_of=as_of, progress=progress)
        except ValidationError as error:
            raise CommandError(self._messages(error)) from None
        if run.status != ScoringRunStatus.DONE:
            raise CommandError(f"Scoring run {run.pk} {run.status}: {run.error or 'no error recorded'}")
        self.stdout.write(self._summary(run))

    def _as_of(self, raw: str | None) -> date | None:
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--as-of: {raw!r} is not a date; give YYYY-MM-DD.") from None

    def _messages(self, error: ValidationError) -> str:
        if not hasattr(error, "error_dict"):
            return "; ".join(error.messages)
        names = {"as_of": "--as-of"}
        return "; ".join(
            f"{names.get(field, field)}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )

    def _summary(self, run: ScoringRun) -> str:
        per_status = run.counts.get("key_status", {})
        duration = (run.finished_at - run.started_at).total_seconds() if run.started_at and run.finished_at else 0.0
        lines = [
            f"Scoring run {run.pk} as of {run.as_of.isoformat()} ({run.policy.version}) done:",
            f"  accounts scored  {run.accounts_scored:,}",
            *(f"    {label.lower():<13} {per_status.get(code, 0):,}" for code, label in KeyStatus.choices),
            f"  status changes   {run.status_changes:,}",
            f"  duration         {duration:.2f} s",
        ]
        if run.counts.get("accounts_updated") is False:
            lines.append("  accounts unchanged: a later as-of date has been scored, this run is kept as history")
        return "\n".join(lines)
