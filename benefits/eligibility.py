"""Who may have a benefit (DESIGN §7): the rules of a benefit type checked against an account's standing, pure.

A type may ask for a minimum key status, a minimum ladder stage (both, or either one when ``either_rule``) and
a minimum payment reliability (C2 of the account's current score). Each failed rule is reported with its name —
``min_key_status``, ``min_stage``, ``key_status_or_stage``, ``min_c2`` — and a sentence that says what the
account has. The daily job applies the same rules in SQL (``benefits.lifecycle``); tests hold the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.choices import KeyStatus, LadderStage

KEY_STATUSES: tuple[str, ...] = tuple(KeyStatus.values)  # lowest first
STAGES: tuple[str, ...] = tuple(LadderStage.values)  # rung order


@dataclass(frozen=True)
class Standing:
    """What the rules read of an account: its key status, its ladder stage and its current C2 (None: no
    score, or no invoice fell due)."""

    key_status: str
    stage: str
    c2: Decimal | None


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    message: str


def _at_least(order: tuple[str, ...], value: str, minimum: str) -> bool:
    return order.index(value) >= order.index(minimum)


def eligibility_failures(benefit_type: Any, standing: Standing) -> list[RuleFailure]:
    """The rules of ``benefit_type`` that ``standing`` breaks (empty: eligible)."""
    failures: list[RuleFailure] = []
    key_label = KeyStatus(standing.key_status).label.lower()
    stage_label = LadderStage(standing.stage).label.lower()
    needs_key = benefit_type.min_key_status
    needs_stage = benefit_type.min_stage
    key_ok = not needs_key or _at_least(KEY_STATUSES, standing.key_status, needs_key)
    stage_ok = not needs_stage or _at_least(STAGES, standing.stage, needs_stage)
    if benefit_type.either_rule and needs_key and needs_stage:
        if not (key_ok or stage_ok):
            failures.append(
                RuleFailure(
                    "key_status_or_stage",
                    f"{benefit_type.name} needs the ladder stage {LadderStage(needs_stage).label} or higher, or the "
                    f"key status {KeyStatus(needs_key).label.lower()}: the account is a {stage_label} with key "
                    f"status {key_label}.",
                )
            )
    else:
        if not key_ok:
            failures.append(
                RuleFailure(
                    "min_key_status",
                    f"{benefit_type.name} needs the key status {KeyStatus(needs_key).label.lower()} or higher: the "
                    f"account is {key_label}.",
                )
            )
        if not stage_ok:
            failures.append(
                RuleFailure(
                    "min_stage",
                    f"{benefit_type.name} needs the ladder stage {LadderStage(needs_stage).label} or higher: the "
                    f"account is a {stage_label}.",
                )
            )
    if benefit_type.min_c2 is not None and (standing.c2 is None or standing.c2 < benefit_type.min_c2):
        now = "it has no payment record scored yet" if standing.c2 is None else f"it is {standing.c2}"
        failures.append(
            RuleFailure(
                "min_c2",
                f"{benefit_type.name} needs a payment reliability (C2) of at least {benefit_type.min_c2}: {now}.",
            )
        )
    return failures


def value_failure(benefit_type: Any, value: Decimal) -> RuleFailure | None:
    """The type's maximum, when ``value`` exceeds it."""
    if benefit_type.max_value is not None and value > benefit_type.max_value:
        return RuleFailure(
            "max_value",
            f"{benefit_type.name} is at most {benefit_type.max_value} {benefit_type.unit}: {value} asked.",
        )
    return None


def rules_described(benefit_type: Any) -> str:
    """The type's eligibility in words, for the catalog and the request form."""
    parts = []
    key = KeyStatus(benefit_type.min_key_status).label.lower() if benefit_type.min_key_status else None
    stage = LadderStage(benefit_type.min_stage).label if benefit_type.min_stage else None
    if benefit_type.either_rule and key and stage:
        parts.append(f"stage {stage} or higher, or key status {key}")
    else:
        if key:
            parts.append(f"key status {key} or higher")
        if stage:
            parts.append(f"stage {stage} or higher")
    if benefit_type.min_c2 is not None:
        parts.append(f"payment reliability (C2) ≥ {benefit_type.min_c2}")
    return "; ".join(parts) if parts else "every account"
