"""What would make an account key (DESIGN §5, §11): read off a score's explanation, with no query.

The explanation already holds everything the key status depends on (KAS, thresholds, both gates, the criteria
with their weights), so the advice is plain arithmetic on it and cannot drift from how the run decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accounts.choices import KeyStatus

# How many criteria the advice names: the ones where a better score moves KAS the most.
ADVICE_CRITERIA = 3
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _points(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP)}"


def _weight(value: Any) -> str:
    return f"{(Decimal(value) * HUNDRED).normalize():f}%"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def criterion_room(criterion: Mapping[str, Any]) -> Decimal:
    """KAS points the criterion could still add: weight × (100 − score); a criterion without data counts 0."""
    score = Decimal(criterion["score"]) if criterion.get("score") is not None else Decimal(0)
    return Decimal(criterion["weight"]) * (HUNDRED - score)


def _criteria_advice(criteria: list[Mapping[str, Any]]) -> list[str]:
    ranked = sorted((c for c in criteria if criterion_room(c) > 0), key=lambda c: (-criterion_room(c), c["criterion"]))
    lines = []
    for criterion in ranked[:ADVICE_CRITERIA]:
        room = _points(criterion_room(criterion))
        if criterion.get("score") is None:
            reason = (criterion.get("missing_reason") or "").strip()
            if reason and not reason.endswith("."):
                reason += "."
            lines.append(
                f"{criterion['label'].capitalize()} has no data{' — ' + reason if reason else '.'} With data it "
                f"could add up to {room} KAS points."
            )
        else:
            lines.append(
                f"{criterion['label'].capitalize()} scores {criterion['score']} at weight "
                f"{_weight(criterion['weight'])}: up to {room} KAS points of room."
            )
    return lines


def key_advice(explanation: Mapping[str, Any]) -> list[str]:
    """Plain-language steps towards key status: the KAS points missing to the key threshold, the gates that
    fail (orders in 365 days, write-off) and the criteria with the most room (weight × (100 − score)).
    For an account that is key already, what keeps it key and what would make it strategic."""
    decision = explanation["key_status"]
    thresholds = decision["thresholds"]
    kas = Decimal(explanation["kas"])
    key = Decimal(thresholds["key"])
    lines: list[str] = []
    if decision["status"] == KeyStatus.STRATEGIC:
        lines.append(f"Already strategic: KAS {kas} is at least {thresholds['strategic']}.")
        return lines
    if decision["status"] == KeyStatus.KEY:
        if decision.get("retained"):
            lines.append(
                f"Key by hysteresis: KAS {kas} is below {key}, and it stays key while KAS is at least "
                f"{thresholds['retain']} and no invoice is written off."
            )
        strategic = Decimal(thresholds["strategic"])
        lines.append(f"{_points(strategic - kas)} KAS points more would make it strategic ({strategic}).")
        return lines + _criteria_advice(explanation["criteria"])
    if kas < key:
        lines.append(f"{_points(key - kas)} KAS points to the key threshold of {key} (KAS is {kas}).")
    else:
        lines.append(f"KAS {kas} already reaches the key threshold of {key}.")
    if not decision["orders_gate"]:
        needed = int(thresholds["min_orders_w365"])
        orders = int(decision.get("orders_w365") or 0)
        lines.append(
            f"{_plural(needed - orders, 'more order')} in 365 days: it has {orders} and key accounts need at least "
            f"{needed}."
        )
    if not decision["writeoff_gate"]:
        lines.append(
            "An invoice due in the last three years was written off; the account cannot be key until that "
            "invoice is more than three years past due."
        )
    if kas < key:
        lines.extend(_criteria_advice(explanation["criteria"]))
    return lines
