"""``manage.py seed_volume [--accounts N] [--orders M] [--invoices K] [--feedback F] [--seed S] [--replace]``."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.volume import DEFAULT_ACCOUNTS, DEFAULT_ORDERS, DEFAULT_SEED, VolumeExistsError, volume_seed


class Command(BaseCommand):
    help = (
        "Load a synthetic portfolio at volume with PostgreSQL COPY, for benchmarks: accounts, contacts, ~3 years "
        "of orders ending today, invoices, NPS answers and advocacy, every external_id prefixed VOL-. "
        "Deterministic for a seed (and day). Refuses when VOL- accounts exist; --replace deletes them first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS, help=f"default {DEFAULT_ACCOUNTS}")
        parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS, help=f"default {DEFAULT_ORDERS}")
        parser.add_argument("--invoices", type=int, default=None, help="default: half the orders")
        parser.add_argument("--feedback", type=int, default=None, help="NPS answers; default: 2 per account")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        parser.add_argument("--replace", action="store_true", help="delete the previous VOL- portfolio first")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = {name: options[name] for name in ("accounts", "orders", "invoices", "feedback")}
        if any(value is not None and value < 0 for value in counts.values()):
            raise CommandError("Counts cannot be negative.")
        started = time.monotonic()

        def progress(table: str, done: int, total: int, seconds: float) -> None:
            state = "done" if done >= total else "…"
            self.stdout.write(f"  {table:<9} {done:>11,} / {total:,} rows  {seconds:6.1f} s  {state}")

        def step(message: str) -> None:
            self.stdout.write(f"  {message} ({time.monotonic() - started:.1f} s)")

        try:
            summary = volume_seed(
                **counts, seed=options["seed"], replace=options["replace"], progress=progress, step=step
            )
        except VolumeExistsError as error:
            raise CommandError(f"{error} Run with --replace to replace them.") from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write("Volume portfolio loaded:\n" + "\n".join(f"  {line}" for line in summary.lines()))
