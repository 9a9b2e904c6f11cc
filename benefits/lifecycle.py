"""The grants' daily lifecycle (DESIGN §7), set-based: activate the approved grants whose first day has come,
expire those past their last day, suspend the active ones whose account no longer meets the type's rules (its
owner is told) and resume the suspended ones whose account meets them again. Each step is one statement that
also logs the transitions; an advisory lock keeps two checks from overlapping, and a second check the same
day finds nothing left to do.

It runs daily (beat entry "Daily benefits lifecycle") and after every scoring run that moved the accounts
(``accounts.scoring.runs``), so a demotion suspends the account's benefits at once. The eligibility here is
the SQL image of ``benefits.eligibility``; tests hold the two together.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction

from accounts.choices import KeyStatus, LadderStage, ScoringRunStatus
from benefits.choices import GrantStatus
from benefits.notify import grants_suspended_announce

# pg_advisory_xact_lock key: "KAM" + 3 (scoring is 1).
LIFECYCLE_LOCK_KEY = 0x4B414D03

# Whether account ``a`` (with its current score ``s`` and the type ``t``) meets the type's rules.
ELIGIBLE_SQL = """
    (CASE WHEN t.either_rule
          THEN (array_position(%(key_statuses)s::text[], a.key_status::text)
                   >= array_position(%(key_statuses)s::text[], t.min_key_status::text))
            OR (array_position(%(stages)s::text[], a.stage::text)
                   >= array_position(%(stages)s::text[], t.min_stage::text))
          ELSE (t.min_key_status = '' OR array_position(%(key_statuses)s::text[], a.key_status::text)
                   >= array_position(%(key_statuses)s::text[], t.min_key_status::text))
           AND (t.min_stage = '' OR array_position(%(stages)s::text[], a.stage::text)
                   >= array_position(%(stages)s::text[], t.min_stage::text))
     END)
    AND (t.min_c2 IS NULL OR coalesce(s.c2 >= t.min_c2, false))
"""

# The grants of one kind of move, locked, with the account's standing; then moved and logged in one statement.
_MOVE = """
WITH chosen AS (
    SELECT g.id, g.status AS from_status, g.account_id
      FROM benefits_benefitgrant g
      JOIN benefits_benefittype t ON t.id = g.benefit_type_id
      JOIN accounts_account a ON a.id = g.account_id
      LEFT JOIN accounts_accountscore s
             ON s.account_id = a.id AND s.run_id = (
                SELECT r.id FROM accounts_scoringrun r WHERE r.status = %(done)s
                 ORDER BY r.as_of DESC, r.finished_at DESC, r.id DESC LIMIT 1)
     WHERE {condition}
     ORDER BY g.id
       FOR UPDATE OF g
), moved AS (
    UPDATE benefits_benefitgrant g SET status = %(to)s, updated_at = now()
      FROM chosen WHERE g.id = chosen.id
    RETURNING g.id, chosen.from_status, chosen.account_id
), logged AS (
    INSERT INTO benefits_benefitgrantevent (grant_id, from_status, to_status, at, reason)
    SELECT id, from_status, %(to)s, now(), %(reason)s FROM moved
)
SELECT moved.id, moved.account_id, a.name, t.name, a.owner_id
  FROM moved
  JOIN benefits_benefitgrant g ON g.id = moved.id
  JOIN benefits_benefittype t ON t.id = g.benefit_type_id
  JOIN accounts_account a ON a.id = moved.account_id
 ORDER BY moved.id
"""

MOVES: tuple[tuple[str, GrantStatus, str, str], ...] = (
    # name, target status, condition, reason logged
    (
        "activated",
        GrantStatus.ACTIVE,
        "g.status = %(approved)s AND g.valid_from <= %(t)s AND g.valid_to >= %(t)s",
        "Its first day has come.",
    ),
    (
        "expired",
        GrantStatus.EXPIRED,
        "g.status IN (%(approved)s, %(active)s, %(suspended)s) AND g.valid_to < %(t)s",
        "Its last day has passed.",
    ),
    (
        "suspended",
        GrantStatus.SUSPENDED,
        f"g.status = %(active)s AND NOT ({ELIGIBLE_SQL})",
        "The account no longer meets the benefit's rules.",
    ),
    (
        "resumed",
        GrantStatus.ACTIVE,
        f"g.status = %(suspended)s AND g.valid_from <= %(t)s AND g.valid_to >= %(t)s AND ({ELIGIBLE_SQL})",
        "The account meets the benefit's rules again.",
    ),
)


def benefits_lifecycle(*, today: date) -> dict[str, Any]:
    """Run the four moves as of ``today`` in one transaction; returns how many grants each moved."""
    params: dict[str, Any] = {
        "t": today,
        "done": ScoringRunStatus.DONE.value,
        "key_statuses": list(KeyStatus.values),
        "stages": list(LadderStage.values),
        **{status.value: status.value for status in GrantStatus},
    }
    counts: dict[str, Any] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LIFECYCLE_LOCK_KEY])
        for name, target, condition, reason in MOVES:
            cursor.execute(_MOVE.format(condition=condition), {**params, "to": target.value, "reason": reason})
            rows = cursor.fetchall()
            counts[name] = len(rows)
            if name == "suspended" and rows:
                grants_suspended_announce(suspended=rows)
    return counts
