"""key_advice: what would make an account key, read off its explanation (no database)."""

from __future__ import annotations

from typing import Any

from accounts.scoring.advice import criterion_room, key_advice

# As a run stores them (three decimals).
WEIGHTS = {"c1": "0.250", "c2": "0.200", "c3": "0.250", "c4": "0.150", "c5": "0.150"}
LABELS = {
    "c1": "regularity",
    "c2": "payment reliability",
    "c3": "lifetime potential",
    "c4": "brand loyalty",
    "c5": "willingness to pay for service",
}


def explanation(
    *,
    kas: str,
    scores: dict[str, str | None],
    status: str = "standard",
    orders: int = 6,
    orders_gate: bool = True,
    writeoff_gate: bool = True,
    retained: bool = False,
) -> dict[str, Any]:
    return {
        "kas": kas,
        "completeness": "1.000",
        "criteria": [
            {
                "criterion": code,
                "label": LABELS[code],
                "score": scores[code],
                "weight": WEIGHTS[code],
                "missing_reason": "No revenue in the last 365 days." if scores[code] is None else None,
            }
            for code in WEIGHTS
        ],
        "key_status": {
            "status": status,
            "previous": None,
            "orders_w365": orders,
            "orders_gate": orders_gate,
            "writeoff_gate": writeoff_gate,
            "retained": retained,
            "thresholds": {"key": "70", "retain": "60", "strategic": "85", "candidate": "55", "min_orders_w365": 3},
        },
    }


def test_room_is_weight_times_what_the_score_lacks():
    # given a criterion at 40 with weight 0.25, and one without data
    # when / then its room is 0.25 × 60 KAS points, and a missing one has all of its weight as room
    assert criterion_room({"score": "40.00", "weight": "0.250"}) == 15
    assert criterion_room({"score": None, "weight": "0.15"}) == 15


def test_candidate_gets_the_gap_and_the_criteria_with_most_room():
    # given a candidate at KAS 62.5 whose gates pass
    advice = key_advice(
        explanation(kas="62.50", scores={"c1": "90.00", "c2": "80.00", "c3": "40.00", "c4": "50.00", "c5": "70.00"})
    )
    # when / then it needs 7.50 points, and the criteria are ranked by weight × (100 − score)
    assert advice == [
        "7.50 KAS points to the key threshold of 70 (KAS is 62.50).",
        "Lifetime potential scores 40.00 at weight 25%: up to 15.00 KAS points of room.",
        "Brand loyalty scores 50.00 at weight 15%: up to 7.50 KAS points of room.",
        "Willingness to pay for service scores 70.00 at weight 15%: up to 4.50 KAS points of room.",
    ]


def test_failing_gates_are_named_even_when_kas_is_enough():
    # given KAS above the key threshold but one order in a year and a write-off
    advice = key_advice(
        explanation(
            kas="74.00",
            scores={"c1": "90.00", "c2": "20.00", "c3": "90.00", "c4": "80.00", "c5": "90.00"},
            orders=1,
            orders_gate=False,
            writeoff_gate=False,
        )
    )
    # when / then the KAS is enough, and both gates are what stands in the way (no criteria advice)
    assert advice[0] == "KAS 74.00 already reaches the key threshold of 70."
    assert advice[1] == "2 more orders in 365 days: it has 1 and key accounts need at least 3."
    assert advice[2].startswith("An invoice due in the last three years was written off")
    assert len(advice) == 3


def test_missing_data_is_advice_too():
    # given a standard account with no revenue: willingness to pay has no data
    advice = key_advice(
        explanation(kas="20.00", scores={"c1": "0", "c2": "100.00", "c3": "50.00", "c4": "30.00", "c5": None})
    )
    # when / then the criterion without data is named with its reason and its full weight as room
    assert (
        "Willingness to pay for service has no data — No revenue in the last 365 days. With data it could add "
        "up to 15.00 KAS points." in advice
    )
    assert advice[1].startswith("Regularity scores 0 at weight 25%: up to 25.00")


def test_key_account_is_told_the_way_to_strategic():
    # given a key account at 78 / when / then it is 7 points from strategic
    advice = key_advice(
        explanation(
            kas="78.00",
            scores={"c1": "90.00", "c2": "80.00", "c3": "60.00", "c4": "80.00", "c5": "80.00"},
            status="key",
        )
    )
    assert advice[0] == "7.00 KAS points more would make it strategic (85)."
    assert advice[1].startswith("Lifetime potential")


def test_retained_key_account_is_told_what_keeps_it_key():
    advice = key_advice(
        explanation(
            kas="64.00",
            scores={"c1": "60.00", "c2": "60.00", "c3": "60.00", "c4": "80.00", "c5": "80.00"},
            status="key",
            retained=True,
        )
    )
    assert advice[0].startswith("Key by hysteresis: KAS 64.00 is below 70")


def test_strategic_account_needs_nothing():
    advice = key_advice(
        explanation(
            kas="90.00",
            scores={"c1": "90.00", "c2": "90.00", "c3": "90.00", "c4": "90.00", "c5": "90.00"},
            status="strategic",
        )
    )
    assert advice == ["Already strategic: KAS 90.00 is at least 85."]


def test_a_perfect_criterion_has_no_room_and_is_not_named():
    advice = key_advice(
        explanation(kas="50.00", scores={"c1": "100.00", "c2": "100.00", "c3": "0", "c4": "100.00", "c5": "100.00"})
    )
    assert advice[1:] == ["Lifetime potential scores 0 at weight 25%: up to 25.00 KAS points of room."]


def test_room_rounds_half_up_to_cents():
    # given lifetime potential at 37.50 with weight 0.250: 15.625 points of room / then it says 15.63
    advice = key_advice(
        explanation(kas="50.00", scores={"c1": "100.00", "c2": "100.00", "c3": "37.50", "c4": "100.00", "c5": "100.00"})
    )
    assert advice[1] == "Lifetime potential scores 37.50 at weight 25%: up to 15.63 KAS points of room."
