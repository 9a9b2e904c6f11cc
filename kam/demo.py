"""The demo installation that ``make run`` sets up: one login per role, an API token, a demo portfolio.

``demo_setup`` runs on every start, so it is idempotent and cheap once done (a few queries): it creates only
the demo users that are missing, never changes a user that exists (a demo username taken by a user with other
roles is reported, not clobbered), and loads the portfolio only into an empty database.

Only the SHA-256 of an API key is stored, so the integration user's key is written, together with the logins,
to a credentials file (``var/demo-credentials.txt`` by default; ``var/`` is not in git) when the token is
made; later starts print that file again.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.demo_data import PortfolioSummary, portfolio_seed
from accounts.models import Account
from kam.api_tokens import api_token_create
from kam.roles import ACCOUNT_MANAGER, INTEGRATION, KAM_DIRECTOR
from relationships.cadence import contact_cadence_check

# A published password, on purpose: these are demo logins on a developer's machine.
DEMO_PASSWORD = "kam-demo-2026"  # noqa: S105
DEMO_KEY_NAME = "demo"  # the ApiToken.name of the integration user's key
SUPERUSER = "superuser"  # how the table names the superuser's role; it has no KAM group
# Two concurrent `make run`s must not both create the users: they take turns on this advisory lock.
_ADVISORY_LOCK = 0x4B414D0001  # "KAM" 0001
# The demo portfolio is scored as of the same day of each of the last twelve months, then today
# (demo_history_score): the dashboard's year-on-year retention starts from the run of a year ago.
DEMO_HISTORY_MONTHS = 12


@dataclass(frozen=True)
class DemoUser:
    """A demo login. ``role`` is a KAM group name, or ``SUPERUSER`` for the admin (no group)."""

    username: str
    role: str
    first_name: str
    last_name: str

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def is_superuser(self) -> bool:
        return self.role == SUPERUSER

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


DEMO_USERS = (
    DemoUser("diana", KAM_DIRECTOR, "Diana", "Richter"),
    DemoUser("alice", ACCOUNT_MANAGER, "Alice", "Moreau"),
    DemoUser("bob", ACCOUNT_MANAGER, "Bob", "Lindqvist"),
    DemoUser("erp", INTEGRATION, "ERP", "Integration"),
    DemoUser("admin", SUPERUSER, "Ada", "Admin"),
)
INTEGRATION_USERNAME = "erp"


def demo_allowed() -> bool:
    """Demo logins share a published password: never with production settings."""
    return not str(settings.SETTINGS_MODULE).endswith(".production")


def demo_credentials_default_path() -> Path:
    return Path(settings.BASE_DIR) / "var" / "demo-credentials.txt"


@dataclass
class DemoUsersResult:
    """What ``demo_users_ensure`` found and did, by username."""

    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)  # username → why it was left alone
    users: dict[str, AbstractUser] = field(default_factory=dict)  # demo users usable in their demo role


@dataclass
class DemoSetupResult:
    """What ``demo_setup`` did, for the command to print."""

    users: DemoUsersResult
    credentials_file: Path
    logins: str  # the logins table: the credentials file's text, or a rebuilt table without the token
    token_created: bool = False
    portfolio: PortfolioSummary | None = None
    portfolio_skipped: str | None = None
    history_runs: int = 0  # scoring runs (ladder, then scores) made over the demo's last months
    benefit_grants: int = 0  # benefit grants requested for the demo's key accounts (most approved)


def _roles_of(user: AbstractUser) -> str:
    names = sorted(group.name for group in user.groups.all())
    if user.is_superuser:
        names.insert(0, SUPERUSER)
    return ", ".join(names) or "no role"


def _conflict(spec: DemoUser, user: AbstractUser) -> str | None:
    """Why an existing user cannot serve as ``spec`` (None: it can)."""
    if not user.is_active:
        return "exists but is inactive"
    groups = {group.name for group in user.groups.all()}
    expected = set() if spec.is_superuser else {spec.role}
    if groups != expected or user.is_superuser != spec.is_superuser:
        return f"exists with other roles ({_roles_of(user)}) instead of {spec.role}"
    return None


def demo_users_ensure(*, password: str = DEMO_PASSWORD) -> DemoUsersResult:
    """Create the missing demo users; leave existing ones exactly as they are.

    Set-based and cheap: one read of the five usernames, and on first start one insert of users and one of
    group memberships. The password is hashed once for all of them (hashing is deliberately slow).
    """
    User = get_user_model()
    result = DemoUsersResult()
    existing = {
        user.get_username(): user
        for user in User._default_manager.filter(username__in=[spec.username for spec in DEMO_USERS]).prefetch_related(
            "groups"
        )
    }
    missing = []
    for spec in DEMO_USERS:
        user = existing.get(spec.username)
        if user is None:
            missing.append(spec)
        elif reason := _conflict(spec, user):
            result.conflicts[spec.username] = reason
        else:
            result.present.append(spec.username)
            result.users[spec.username] = user
    if not missing:
        return result

    password_hash = make_password(password)
    new_users = User._default_manager.bulk_create(
        [
            User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=spec.email,
                password=password_hash,
                is_staff=spec.is_superuser,
                is_superuser=spec.is_superuser,
                date_joined=timezone.now(),
            )
            for spec in missing
        ]
    )
    roles = {spec.role for spec in missing if not spec.is_superuser}
    groups = {group.name: group for group in Group.objects.filter(name__in=roles)}
    if roles - set(groups):
        raise RuntimeError(f"Role groups {sorted(roles - set(groups))} are missing: run `manage.py migrate` first.")
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [
            Membership(user_id=user.pk, group_id=groups[spec.role].pk)
            for spec, user in zip(missing, new_users, strict=True)
            if not spec.is_superuser
        ]
    )
    for spec, user in zip(missing, new_users, strict=True):
        result.created.append(spec.username)
        result.users[spec.username] = user
    return result


def demo_logins_render(*, token_key: str | None) -> str:
    """The logins table; with the integration user's API key when it is known."""
    rows = [("username", "password", "role", "name")]
    rows += [(spec.username, DEMO_PASSWORD, spec.role, spec.full_name) for spec in DEMO_USERS]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["KAM demo logins"]
    lines += [
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.append("")
    if token_key:
        lines.append(f"API token of {INTEGRATION_USERNAME} (header `Authorization: Token <key>`):")
        lines.append(f"  {token_key}")
    else:
        lines.append(
            f"The API token of {INTEGRATION_USERNAME} is not on record (only its hash is stored); make a new one with"
        )
        lines.append(f'  make manage ARGS="create_api_token {INTEGRATION_USERNAME}"')
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only: it holds an API key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)  # O_CREAT's mode does not apply to a file that already existed


def _demo_managers(users: DemoUsersResult) -> Sequence[AbstractUser] | None:
    """The demo account managers that may own demo accounts; None lets the seeder pick any managers."""
    managers = [users.users[s.username] for s in DEMO_USERS if s.role == ACCOUNT_MANAGER and s.username in users.users]
    return managers or None


@transaction.atomic
def demo_setup(*, credentials_file: Path, load_portfolio: bool) -> DemoSetupResult:
    """Make sure the demo users, the integration token and (optionally) the demo portfolio exist.

    The token is made only together with a newly created integration user, and the credentials file is
    written only then: an existing token cannot be shown again, and an existing file stays as it was. The
    portfolio is loaded only when there are no accounts at all, so it never mixes with real data and a
    restart does not add a second one.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
    users = demo_users_ensure()

    token_created = False
    if INTEGRATION_USERNAME in users.created:
        _token, key = api_token_create(user=users.users[INTEGRATION_USERNAME], name=DEMO_KEY_NAME)
        _write_private(credentials_file, demo_logins_render(token_key=key))
        token_created = True

    if credentials_file.exists():
        logins = credentials_file.read_text(encoding="utf-8")
    else:
        logins = demo_logins_render(token_key=None)

    result = DemoSetupResult(users=users, credentials_file=credentials_file, logins=logins, token_created=token_created)
    if not load_portfolio:
        result.portfolio_skipped = "skipped, not requested (KAM_DEMO_DATA=0 or --no-demo-data)"
    elif Account.objects.exists():
        result.portfolio_skipped = "skipped, accounts exist already"
    else:
        result.portfolio = portfolio_seed(managers=_demo_managers(users))
        result.history_runs = demo_history_score(today=result.portfolio.today)
        result.benefit_grants = demo_benefits_seed(today=result.portfolio.today, users=users.users)
        from kam.dashboard import dashboard_refresh

        dashboard_refresh(today=result.portfolio.today)  # the directors' dashboard reads its summary
        # The daily contact-cadence check, now that key statuses are known: the demo opens with its overdue
        # accounts flagged and their owners told.
        contact_cadence_check(today=timezone.localdate())
    return result


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months before ``day`` (the month's last day where it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - datetime.timedelta(days=1)).day))


def demo_history_score(*, today: datetime.date, months: int = DEMO_HISTORY_MONTHS) -> int:
    """Score the demo portfolio as of the same day of each of the last ``months`` months, oldest first, then
    today: the ladder then has moves behind it, Partner proposals wait, and every KAS has a trend. Each run is
    the latest when it runs, so each evaluates the ladder for real. Returns the number of runs."""
    from accounts.scoring.runs import scoring_run_perform

    days = [_months_before(today, back) for back in range(months, 0, -1)] + [today]
    for as_of in days:
        scoring_run_perform(as_of=as_of)
    return len(days)


DEMO_BUDGETS = {"monetary": "250000.00", "social": "60000.00", "structural": "120000.00"}


def demo_benefits_seed(*, today: datetime.date, users: dict[str, Any]) -> int:
    """This year's budgets, and benefits for the demo's key accounts the way people would make them: the owner
    (alice or bob) requests, diana approves two in three (the rest wait in her Approvals), one starts next
    month. Through the services, so every rule, commitment and log applies. Returns the grants made."""
    from decimal import Decimal

    from accounts.choices import KeyStatus
    from benefits.choices import BenefitCategory
    from benefits.models import BenefitBudget, BenefitType
    from benefits.services import benefit_grant_approve, benefit_grant_request

    director = users.get("diana")
    if director is None:
        return 0
    year_start, year_end = today.replace(month=1, day=1), today.replace(month=12, day=31)
    for category, amount in DEMO_BUDGETS.items():
        BenefitBudget.objects.get_or_create(
            category=BenefitCategory(category),
            period_start=year_start,
            defaults={"period_end": year_end, "amount": Decimal(amount), "note": "Demo budget for the year."},
        )
    catalog = {t.code: t for t in BenefitType.objects.all()}
    plans = [
        ("volume_discount", Decimal("5.00"), Decimal("12000.00")),
        ("consolidated_invoicing", Decimal("1"), Decimal("2500.00")),
        ("club_membership", Decimal("2"), Decimal("4800.00")),
    ]
    accounts = (
        Account.objects.filter(
            key_status__in=[KeyStatus.KEY, KeyStatus.STRATEGIC], owner__username__in=["alice", "bob"]
        )
        .select_related("owner")
        .order_by("name")[:12]
    )
    made = 0
    for index, account in enumerate(accounts):
        code, value, cost = plans[index % len(plans)]
        starts = today if index % 5 else today + datetime.timedelta(days=30)
        values = {
            "value": value,
            "valid_from": starts,
            "valid_to": min(year_end, starts + datetime.timedelta(days=364)) if starts <= year_end else starts,
            "estimated_annual_cost": cost,
            "justification": f"{account.name} is one of our key accounts; this keeps the relationship growing.",
        }
        try:
            grant = benefit_grant_request(
                actor=account.owner, account=account, benefit_type=catalog[code], values=values
            )
        except ValidationError:
            continue  # not eligible (the rules decide, as for anyone)
        made += 1
        if index % 3 != 2:
            with contextlib.suppress(ValidationError):  # a budget ran out: it waits in the queue
                benefit_grant_approve(actor=director, grant=grant, note="Approved for the demo.")
    return made
