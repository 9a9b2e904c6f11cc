"""Scoring policy versions (DESIGN §5): directors save a new version and activate it; an old one is never edited.

``scoring_policy_preview`` answers "which accounts would change key status under these weights and thresholds"
before anything is saved: one SQL statement re-weighs the latest finished run's stored criteria and re-decides
each account's status with the same gates and the same previous status that run used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from accounts.choices import KeyStatus, ScoringRunStatus
from accounts.models import ScoringPolicy, ScoringRun
from accounts.scoring.formulas import Policy
from accounts.scoring.metrics import policy_params
from kam.roles import is_director

POLICY_FIELDS = (
    "version",
    "description",
    "weight_c1",
    "weight_c2",
    "weight_c3",
    "weight_c4",
    "weight_c5",
    "key_threshold",
    "retain_threshold",
    "strategic_threshold",
    "candidate_threshold",
    "min_orders_w365",
)

# Accounts listed by name in a preview; the counts always cover everyone.
PREVIEW_LIMIT = 200


def scoring_policy_candidate(*, values: Mapping[str, Any]) -> Policy:
    """The pure policy that ``values`` (a new version's form) describe, for a preview before anything is saved;
    weights that do not add up to 1 or thresholds out of order are a ValidationError."""
    fields = {name: values[name] for name in Policy.__dataclass_fields__ if name != "version" and name in values}
    try:
        return Policy(version=values.get("version") or "preview", **fields)
    except (TypeError, ValueError) as error:
        raise ValidationError(str(error).capitalize() + ".") from error


def _require_director(actor: Any) -> None:
    if not is_director(actor):
        raise PermissionDenied("Only a KAM director may change the scoring policy.")


def scoring_policy_create(*, actor: Any, values: Mapping[str, Any], activate: bool = False) -> ScoringPolicy:
    """Save a new policy version (validated like every model: weights add up to 1, thresholds ordered) and,
    with ``activate``, make it the active one in the same transaction."""
    _require_director(actor)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    policy = ScoringPolicy(**values, created_by=actor, is_active=False)
    policy.full_clean()
    with transaction.atomic():
        policy.save()
        if activate:
            _activate(policy)
    return policy


def scoring_policy_activate(*, actor: Any, policy: ScoringPolicy) -> ScoringPolicy:
    """Make ``policy`` the active version; the next run uses it (runs already made keep theirs)."""
    _require_director(actor)
    with transaction.atomic():
        _activate(policy)
    return policy


def _activate(policy: ScoringPolicy) -> None:
    # Lock every policy row in pk order, so two directors activating at once serialise instead of deadlocking.
    list(ScoringPolicy.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    ScoringPolicy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
    ScoringPolicy.objects.filter(pk=policy.pk).update(is_active=True)
    policy.is_active = True


@dataclass(frozen=True)
class PreviewChange:
    account_id: int
    account_name: str
    kas_now: Decimal
    kas_then: Decimal
    status_now: str
    status_then: str


@dataclass(frozen=True)
class PolicyPreview:
    """What a policy would do to the latest finished run's accounts."""

    run_id: int | None
    as_of: date | None
    accounts: int
    changed: int
    counts_now: dict[str, int]
    counts_then: dict[str, int]
    changes: list[PreviewChange]  # the first PREVIEW_LIMIT, biggest KAS moves first


def scoring_policy_preview(*, policy: Policy) -> PolicyPreview:
    """Re-decide the key status of every account of the latest finished run under ``policy`` (computed status,
    before any director's pin), in one statement."""
    run = ScoringRun.objects.filter(status=ScoringRunStatus.DONE).order_by("-as_of", "-finished_at", "-pk").first()
    empty = dict.fromkeys(KeyStatus.values, 0)
    if run is None:
        return PolicyPreview(None, None, 0, 0, dict(empty), dict(empty), [])
    params: dict[str, Any] = {
        "run": run.pk,
        **policy_params(policy),
        "key": KeyStatus.KEY.value,
        "strategic": KeyStatus.STRATEGIC.value,
        "candidate": KeyStatus.CANDIDATE.value,
        "standard": KeyStatus.STANDARD.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{_DECIDED_SQL}
            SELECT status_now, status_then, count(*) FROM decided GROUP BY status_now, status_then
            """,  # noqa: S608 (a constant)
            params,
        )
        counts_now, counts_then = dict(empty), dict(empty)
        accounts = changed = 0
        for status_now, status_then, count in cursor.fetchall():
            counts_now[status_now] += count
            counts_then[status_then] += count
            accounts += count
            changed += count if status_now != status_then else 0
        cursor.execute(
            f"""{_DECIDED_SQL}
            SELECT d.account_id, a.name, d.kas_now, d.kas_then, d.status_now, d.status_then
              FROM decided d JOIN accounts_account a ON a.id = d.account_id
             WHERE d.status_now <> d.status_then
             ORDER BY abs(d.kas_then - d.kas_now) DESC, a.name, d.account_id
             LIMIT %(limit)s
            """,  # noqa: S608 (a constant)
            params | {"limit": PREVIEW_LIMIT},
        )
        changes = [PreviewChange(*row) for row in cursor.fetchall()]
    return PolicyPreview(run.pk, run.as_of, accounts, changed, counts_now, counts_then, changes)


_DECIDED_SQL = """
    WITH reweighed AS (
        SELECT s.account_id, s.kas AS kas_now, s.computed_key_status AS status_now,
               s.orders_w365, s.writeoff_w1095, s.previous_key_status,
               round(%(w1)s * coalesce(s.c1, 0) + %(w2)s * coalesce(s.c2, 0) + %(w3)s * coalesce(s.c3, 0)
                     + %(w4)s * coalesce(s.c4, 0) + %(w5)s * coalesce(s.c5, 0), 2) AS kas_then
          FROM accounts_accountscore s
         WHERE s.run_id = %(run)s
    ), decided AS (
        SELECT r.*,
               CASE WHEN (kas_then >= %(key_t)s AND orders_w365 >= %(min_orders)s AND NOT writeoff_w1095)
                      OR (previous_key_status IN (%(key)s, %(strategic)s) AND kas_then >= %(retain_t)s
                          AND NOT writeoff_w1095)
                    THEN CASE WHEN kas_then >= %(strategic_t)s THEN %(strategic)s ELSE %(key)s END
                    WHEN kas_then >= %(candidate_t)s THEN %(candidate)s
                    ELSE %(standard)s
               END AS status_then
          FROM reweighed r
    )
"""
