"""The inputs a scoring run stores with every score (``AccountScore.inputs``), and how they are read back.

A run keeps, per account, every raw figure its five criteria were computed from, as one ``numeric[]`` in the
order of ``INPUT_FIELDS``: exact (no float, no text round trip), about 300 bytes, and cheap to build in the
same SQL statement that scores. The explanation (sentences, contributions, caps, missing data) is rendered from
them on reading (``explain.explanation_from_stored``), so it can never disagree with the stored numbers.
Changing the layout means a new format: append fields, never reorder, and keep reading the old length.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

# Position → name. ``monthly_revenue`` is M1…M12, oldest first. NULL where the figure does not exist
# (no annual potential, never ordered, no NPS answer, no pin); ``writeoff_w1095`` is 0 or 1.
MONTHS = tuple(f"m{j}" for j in range(1, 13))
INPUT_FIELDS: tuple[str, ...] = (
    *MONTHS,
    "invoices_due_w365",
    "amount_due_w365",
    "late_amount_days",
    "overdue_unpaid",
    "writeoff_w1095",
    "revenue_w365",
    "revenue_previous_w365",
    "size_percent_rank",
    "annual_potential",
    "days_since_first_order",
    "orders_w365",
    "nps_sum",
    "nps_count",
    "verified_advocacy_w730",
    "premium_revenue_w365",
    "enhanced_revenue_w365",
    "discount_weighted_sum",
    "override_id",
)
INTEGER_FIELDS = frozenset(
    {"invoices_due_w365", "days_since_first_order", "orders_w365", "nps_sum", "nps_count", "verified_advocacy_w730"}
)


def inputs_read(inputs: Sequence[Decimal | None], *, previous_key_status: str = "") -> dict[str, Any]:
    """The stored array as named inputs: money and ranks as ``Decimal``, counts as ``int``, the write-off flag
    as ``bool``, plus the previous computed status the hysteresis used."""
    if len(inputs) != len(INPUT_FIELDS):
        raise ValueError(f"expected {len(INPUT_FIELDS)} stored inputs, found {len(inputs)}")
    named: dict[str, Any] = dict(zip(INPUT_FIELDS, inputs, strict=True))
    for name in INTEGER_FIELDS | {"override_id"}:
        if named[name] is not None:
            named[name] = int(named[name])
    named["writeoff_w1095"] = bool(named["writeoff_w1095"])
    named["monthly_revenue"] = [named.pop(month) for month in MONTHS]
    named["previous_key_status"] = previous_key_status or None
    return named
