"""``manage.py import_csv KIND FILE [--user USERNAME]``: import a CSV file here and now, all or nothing, with a
progress bar on stderr, then a summary (or every error found, by line and field)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports import KINDS, import_columns, import_csv
from audit.actor import acting_as

BAR_WIDTH = 30


class ProgressBar:
    """``reading [#####.....]  42%  12.3/29.0 MB`` on one line of a terminal, redrawn at most ten times a second;
    then one line per later phase. Off a terminal, only the phases."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.drawn = 0.0
        self.phase = ""
        self.started = time.monotonic()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase != self.phase:
            if self.phase == "reading" and self.live:
                self.stream.write("\n")
            self.phase = phase
            if phase != "reading":
                self.stream.write(f"{phase}… ({now - self.started:.1f} s)\n")
                self.stream.flush()
                return
        if phase != "reading" or not self.live or (now - self.drawn < 0.1 and done != total):
            return
        self.drawn = now
        mb = f"{done / 1e6:.1f}" + (f"/{total / 1e6:.1f} MB" if total else " MB")
        if total:
            filled = BAR_WIDTH * done // total
            self.stream.write(f"\rreading [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * done // total:3d}%  {mb}")
        else:
            self.stream.write(f"\rreading {mb}")
        self.stream.flush()

    def finish(self) -> None:
        if self.phase == "reading" and self.live:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Import a CSV file of accounts, contacts, orders or invoices, all or nothing: nothing is written when any "
        "row is wrong, and every error is printed with its line and column. Upserts by external_id (contacts: by "
        "account_external_id and email). Exits non-zero when the file is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="what the file holds")
        parser.add_argument("file", help="the CSV file (UTF-8, a header row naming the columns); - for stdin")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="import as this user (a director or an integration), with their rights; default: the operator",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        actor = self._user(options["user"]) if options["user"] else None
        bar = ProgressBar(self.stderr._out)  # the raw stream: the bar redraws its line with \r
        label = f"manage.py import_csv --user {options['user']}" if actor else "manage.py import_csv (operator)"
        with acting_as(user=actor, label=label):
            try:
                if options["file"] == "-":
                    result = import_csv(kind=kind, file=sys.stdin.buffer, actor=actor, progress=bar)
                else:
                    try:
                        handle = open(options["file"], "rb")  # noqa: SIM115 — closed below, after the import
                    except OSError as error:
                        raise CommandError(f"{options['file']}: {error.strerror}") from None
                    with handle:
                        result = import_csv(kind=kind, file=handle, actor=actor, progress=bar)
            except PermissionDenied as refused:
                raise CommandError(str(refused)) from None
            finally:
                bar.finish()
        if not result.ok:
            for error in result.errors:
                self.stdout.write(f"line {error.line}: {error.field or '-'}: {error.message}")
            if result.error_count > len(result.errors):
                self.stdout.write(f"… and {result.error_count - len(result.errors):,} more")
            hint = "" if result.errors[0].line != 1 else f" Columns of {kind}: {', '.join(import_columns(kind))}."
            summary = f"{result.error_count:,} error(s) in {result.rows:,} rows; nothing was written."
            raise CommandError(f"{options['file']}: {summary}{hint}")
        self.stdout.write(
            f"{kind}: {result.rows:,} rows — {result.created:,} created, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged — in {result.seconds:.1f} s"
        )

    def _user(self, username: str) -> Any:
        try:
            return get_user_model()._default_manager.get(**{get_user_model().USERNAME_FIELD: username})
        except get_user_model().DoesNotExist:
            raise CommandError(f"--user: no user {username!r}.") from None
