"""Contact cadence (DESIGN §10): an account with no completed interaction for longer than its tier allows is
flagged overdue, and its owner is told once.

The rules, decided here where the specification is silent:

- **Tier** comes from the account's ``key_status``: ``strategic`` and ``key`` have their own allowance, every
  other status (``candidate``, ``standard``) the "others" one — ``KAM_CADENCE_DAYS``, 30/45/90 days by default.
- **What counts** is a *completed* interaction (planned and cancelled ones do not) whose day, in
  ``TIME_ZONE``, is on or before the day checked; one logged with a future time counts from that day on.
- **Due day**: the last contact's day plus the allowance is the last day on time; the account is overdue from
  the day after (strategic: contacted 30 days ago is on time, 31 days ago is overdue). An account that was never
  contacted counts from the day it was created, so a new account is not overdue on day one, and one imported
  years ago without any interaction is overdue at once.
- **Who is checked**: active accounts. An inactive account has no cadence row (it is deleted), so it shows no
  flag; it gets one again at the first check after it is reactivated.
- **Who is told**: the account's owner, once per overdue spell (``notified_at``), by an in-app notification and
  an e-mail (``kam.services.notifications_create``). An account without an active owner is flagged but tells
  nobody until it has one; the next check then tells the new owner. When the flag clears (a completed
  interaction) ``notified_at`` clears with it, so a later spell is told again.

How:

- ``contact_cadence_check`` (the daily beat entry) is a fixed handful of statements for all accounts, whatever
  their number: one ``INSERT … ON CONFLICT DO UPDATE`` computes every active account's last completed
  interaction, tier, due day and flag and writes only the rows whose values changed; one ``DELETE`` drops the
  rows of inactive accounts; one ``UPDATE … RETURNING`` claims the overdue rows nobody was told about yet; one
  ``INSERT`` creates their notifications. It holds an advisory lock inside one transaction, so two checks never
  overlap, and a second run on the same day finds nothing left to claim: it tells nobody twice. The e-mails
  leave after the commit.
- ``contact_cadence_refresh`` runs the same upsert for the accounts of one interaction, inside the
  transaction that logs, changes or deletes it (``relationships.services``): logging a completed interaction
  clears the flag at once. It tells nobody (the daily check does). It takes the same lock shared, so a check
  waits for those transactions to commit and never writes a flag from before them.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.choices import KeyStatus
from kam.services import NotificationDraft, notifications_create
from relationships.choices import InteractionStatus

# pg_advisory_xact_lock key: "KAM" + 2 (scoring runs hold "KAM" + 1).
CADENCE_LOCK_KEY = 0x4B414D02
OVERDUE_KIND = "contact_cadence.overdue"
OTHER_TIER = "other"


@dataclass(frozen=True)
class CadenceCheckResult:
    """What a check did: rows it wrote (only changed ones), rows of inactive accounts it removed, accounts
    overdue after it, and owners it told (notifications created)."""

    today: datetime.date
    rows_written: int
    rows_removed: int
    overdue: int
    notified: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat()}


def cadence_tier(key_status: str) -> str:
    """``strategic``, ``key`` or ``other``: the key for ``KAM_CADENCE_DAYS``."""
    return key_status if key_status in (KeyStatus.STRATEGIC, KeyStatus.KEY) else OTHER_TIER


def cadence_allowed_days(key_status: str) -> int:
    """How many days an account of this key status may go without a completed interaction."""
    return int(settings.KAM_CADENCE_DAYS[cadence_tier(key_status)])


def cadence_due_on(
    *, last_contact_on: datetime.date | None, created_on: datetime.date, allowed_days: int
) -> datetime.date:
    """The last day on time: the last contact's day (never contacted: the creation day) plus the allowance."""
    return (last_contact_on or created_on) + datetime.timedelta(days=allowed_days)


def cadence_overdue_since(*, due_on: datetime.date, today: datetime.date) -> datetime.date | None:
    """The first day late when ``today`` is past the due day, else None. (The SQL below computes the same.)"""
    return due_on + datetime.timedelta(days=1) if today > due_on else None


def _day_end(today: datetime.date) -> datetime.datetime:
    """The first instant after ``today`` in the current time zone: interactions before it count."""
    return timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min))


# One statement for every account (or the given ones): last completed interaction, tier, due day and flag, written
# only where something changed. notified_at survives while the account stays overdue and clears with the flag.
_UPSERT = """
WITH last_contact AS (
    SELECT i.account_id, max(i.occurred_at) AS last_at
      FROM relationships_interaction i
     WHERE i.status = %(completed)s AND i.occurred_at < %(day_end)s::timestamptz {interactions_of}
     GROUP BY i.account_id
), tiered AS (
    SELECT a.id AS account_id, a.created_at,
           CASE a.key_status WHEN 'strategic' THEN %(strategic_days)s::integer
                             WHEN 'key' THEN %(key_days)s::integer
                             ELSE %(other_days)s::integer END AS allowed_days
      FROM accounts_account a
     WHERE a.is_active {accounts_of}
), due AS (
    SELECT t.account_id, t.allowed_days, lc.last_at,
           coalesce((lc.last_at AT TIME ZONE %(tz)s)::date, (t.created_at AT TIME ZONE %(tz)s)::date)
           + t.allowed_days AS due_on
      FROM tiered t
      LEFT JOIN last_contact lc ON lc.account_id = t.account_id
)
INSERT INTO relationships_contactcadence AS c
       (account_id, allowed_days, last_contact_at, due_on, overdue_since, notified_at)
SELECT account_id, allowed_days, last_at, due_on,
       CASE WHEN due_on < %(today)s::date THEN due_on + 1 END, NULL
  FROM due
 ORDER BY account_id
ON CONFLICT (account_id) DO UPDATE
   SET allowed_days = EXCLUDED.allowed_days,
       last_contact_at = EXCLUDED.last_contact_at,
       due_on = EXCLUDED.due_on,
       overdue_since = EXCLUDED.overdue_since,
       notified_at = CASE WHEN EXCLUDED.overdue_since IS NULL THEN NULL ELSE c.notified_at END
 WHERE (c.allowed_days, c.last_contact_at, c.due_on, c.overdue_since)
       IS DISTINCT FROM (EXCLUDED.allowed_days, EXCLUDED.last_contact_at, EXCLUDED.due_on, EXCLUDED.overdue_since)
"""

_REMOVE_INACTIVE = """
DELETE FROM relationships_contactcadence c
 USING accounts_account a
 WHERE a.id = c.account_id AND NOT a.is_active {accounts_of}
"""

# Claim the overdue rows whose active owner was not told yet: whoever claims a row tells its owner, so a second
# check (after this one committed) finds nothing to claim.
_CLAIM_OVERDUE = """
UPDATE relationships_contactcadence c
   SET notified_at = %(now)s
  FROM accounts_account a
  JOIN {users} u ON u.id = a.owner_id AND u.is_active
 WHERE a.id = c.account_id AND a.is_active AND c.overdue_since IS NOT NULL AND c.notified_at IS NULL
RETURNING c.account_id, a.name, a.owner_id, a.key_status, c.allowed_days, c.last_contact_at, c.overdue_since
"""


def _upsert(cursor: CursorWrapper, *, today: datetime.date, account_ids: Collection[int] | None) -> int:
    days = settings.KAM_CADENCE_DAYS
    ids = sorted(account_ids) if account_ids is not None else None
    sql = _UPSERT.format(
        interactions_of="AND i.account_id = ANY(%(ids)s)" if ids is not None else "",
        accounts_of="AND a.id = ANY(%(ids)s)" if ids is not None else "",
    )
    cursor.execute(
        sql,
        {
            "completed": InteractionStatus.COMPLETED.value,
            "day_end": _day_end(today),
            "tz": timezone.get_current_timezone_name(),
            "today": today,
            "strategic_days": days["strategic"],
            "key_days": days["key"],
            "other_days": days[OTHER_TIER],
            "ids": ids,
        },
    )
    return cursor.rowcount


def _remove_inactive(cursor: CursorWrapper, *, account_ids: Collection[int] | None) -> int:
    ids = sorted(account_ids) if account_ids is not None else None
    cursor.execute(
        _REMOVE_INACTIVE.format(accounts_of="AND a.id = ANY(%(ids)s)" if ids is not None else ""),
        {"ids": ids},
    )
    return cursor.rowcount


def _overdue_draft(row: tuple[Any, ...], *, today: datetime.date) -> NotificationDraft:
    account_id, name, owner_id, key_status, allowed_days, last_contact_at, overdue_since = row
    tier = cadence_tier(key_status)
    who = f"{KeyStatus(key_status).label} accounts" if tier != OTHER_TIER else "Accounts that are not key"
    if last_contact_at is None:
        since = "No completed interaction has been logged yet."
    else:
        last_day = timezone.localtime(last_contact_at).date()
        since = (
            f"The last completed interaction was on {date_format(last_day, 'j M Y')}, "
            f"{(today - last_day).days} days ago."
        )
    return NotificationDraft(
        recipient_id=owner_id,
        kind=OVERDUE_KIND,
        account_id=account_id,
        title=f"Contact overdue: {name}",
        body=f"{since} {who} need one at least every {allowed_days} days; this one is overdue since "
        f"{date_format(overdue_since, 'j M Y')}. Logging a completed interaction clears it.",
        url=reverse("accounts:account_detail", args=[account_id]) + "#interactions",
    )


def contact_cadence_check(*, today: datetime.date) -> CadenceCheckResult:
    """The daily check: flag every active account's contact cadence as of ``today`` and tell the owners of
    newly flagged accounts (see the module's docstring). Safe to run twice; never overlaps itself."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CADENCE_LOCK_KEY])
        written = _upsert(cursor, today=today, account_ids=None)
        removed = _remove_inactive(cursor, account_ids=None)
        cursor.execute(_CLAIM_OVERDUE.format(users=get_user_model()._meta.db_table), {"now": timezone.now()})
        claimed = cursor.fetchall()
        notifications_create(drafts=[_overdue_draft(row, today=today) for row in sorted(claimed)])
        cursor.execute("SELECT count(*) FROM relationships_contactcadence WHERE overdue_since IS NOT NULL")
        overdue = cursor.fetchone()[0]
    return CadenceCheckResult(
        today=today, rows_written=written, rows_removed=removed, overdue=overdue, notified=len(claimed)
    )


def contact_cadence_refresh(*, account_ids: Collection[int], today: datetime.date | None = None) -> None:
    """Bring these accounts' cadence up to date now, in the caller's transaction (an interaction of theirs was
    logged, changed or deleted): a completed interaction clears the flag at once. Tells nobody."""
    if not account_ids:
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [CADENCE_LOCK_KEY])
        _upsert(cursor, today=today or timezone.localdate(), account_ids=account_ids)
        _remove_inactive(cursor, account_ids=account_ids)
