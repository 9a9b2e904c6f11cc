"""``manage.py setup_demo`` — demo logins, an integration token and a demo portfolio; run by ``make run``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.demo import DEMO_USERS, demo_allowed, demo_credentials_default_path, demo_setup
from kam.settings.environment import env_bool


class Command(BaseCommand):
    help = (
        "Create the demo users (one per role, shared demo password) and an API token for the integration "
        "user, then load the demo portfolio into an empty database. Safe to run on every start: what exists is "
        "left alone. KAM_DEMO_DATA=0 or --no-demo-data skips the portfolio."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-demo-data", action="store_true", help="Do not load the demo portfolio (same as KAM_DEMO_DATA=0)."
        )
        parser.add_argument(
            "--credentials-file",
            type=Path,
            default=None,
            help=f"Where the logins and the API key are written (default: {demo_credentials_default_path()}).",
        )

    def handle(self, *args: Any, no_demo_data: bool, credentials_file: Path | None, **options: Any) -> None:
        if not demo_allowed():
            self.stdout.write("setup_demo: production settings, so no demo users or data.")
            return
        try:
            # A switch of this command rather than a setting: read here, with the settings' strict parser.
            load_portfolio = env_bool("KAM_DEMO_DATA", True) and not no_demo_data
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        result = demo_setup(
            credentials_file=credentials_file or demo_credentials_default_path(), load_portfolio=load_portfolio
        )

        users = result.users
        if users.created:
            self.stdout.write(f"Demo users created: {', '.join(users.created)}.")
        else:
            self.stdout.write(f"Demo users: {len(users.present)} of {len(DEMO_USERS)} present, none created.")
        for username, reason in users.conflicts.items():
            self.stdout.write(
                self.style.WARNING(
                    f"Demo user {username!r} {reason}: left unchanged, so the demo password may not work for it."
                )
            )
        if result.token_created:
            self.stdout.write(f"API token created; logins and key written to {result.credentials_file}.")
        self.stdout.write("")
        self.stdout.write(result.logins.rstrip("\n"))
        self.stdout.write("")
        if result.portfolio is not None:
            self.stdout.write("Demo portfolio loaded: " + "\n".join(result.portfolio.lines()))
            self.stdout.write(
                f"Scored as of each of the last {result.history_runs - 1} months and today: "
                "ladder moves, Partner proposals and KAS trends to look at."
            )
            self.stdout.write(f"Benefits: this year's budgets and {result.benefit_grants} grants (some waiting).")
        else:
            self.stdout.write(f"Demo portfolio: {result.portfolio_skipped}.")
