"""``manage.py seed_demo [--accounts N] [--seed S] [--force]`` — the demo portfolio, without the demo users."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo_data import DEFAULT_ACCOUNTS, DEFAULT_SEED, PortfolioExistsError, portfolio_seed


class Command(BaseCommand):
    help = (
        "Create a realistic, deterministic demo portfolio: accounts with contacts, three years of orders and "
        "invoices, NPS answers, advocacy, contracts and interactions, owned by the active account managers "
        "(unassigned when there are none). Refuses when accounts exist, so demo data never mixes into "
        "a real portfolio by accident; --force adds it anyway. `make run` loads it once via setup_demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--accounts", type=int, default=DEFAULT_ACCOUNTS, help=f"How many accounts (default {DEFAULT_ACCOUNTS})."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same portfolio (default {DEFAULT_SEED}).",
        )
        parser.add_argument("--force", action="store_true", help="Add the portfolio even though accounts exist.")

    def handle(self, *args: Any, accounts: int, seed: int, force: bool, **options: Any) -> None:
        if accounts < 0:
            raise CommandError("--accounts cannot be negative.")
        started = time.monotonic()
        try:
            summary = portfolio_seed(accounts=accounts, seed=seed, force=force)
        except PortfolioExistsError as error:
            raise CommandError(f"{error} Run with --force to add the demo portfolio anyway.") from None
        self.stdout.write("Demo portfolio created: " + "\n".join(summary.lines()))
        self.stdout.write(f"Seeded in {time.monotonic() - started:.1f} s.")
