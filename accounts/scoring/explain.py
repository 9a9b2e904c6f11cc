"""The explanation stored with every AccountScore (DESIGN §5): per criterion its score, weight, contribution,
inputs with raw value and unit, caps, missing-data reasons and one plain-language sentence; plus why the account
has its key status. JSON-serialisable: Decimals are strings, dates ISO 8601."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accounts.choices import KeyStatus
from accounts.scoring.formulas import (
    MONEY,
    Component,
    CriterionResult,
    Input,
    KasResult,
    KeyStatusDecision,
    LoyaltyInputs,
    PaymentInputs,
    Policy,
    PotentialInputs,
    RegularityInputs,
    ServiceInputs,
    key_status_decision,
    score_all,
)
from accounts.scoring.formulas import kas as formula_kas

LABELS: dict[str, str] = {
    "c1": "regularity",
    "c2": "payment reliability",
    "c3": "lifetime potential",
    "c4": "brand loyalty",
    "c5": "willingness to pay for service",
}

JsonValue = str | int | bool | None


def _json(value: Decimal | int | bool | None) -> JsonValue:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _money(value: Any, currency: str) -> str:
    return f"{Decimal(value):,.2f} {currency}"


def _percent(fraction: Any) -> str:
    return f"{(Decimal(fraction) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def _score(result: CriterionResult) -> str:
    return f"{LABELS[result.criterion]} {result.score}"


def _variation(cv: Decimal) -> str:
    if cv < Decimal("0.3"):
        return "little"
    if cv < 1:
        return "moderately"
    return "strongly"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _component_score(result: CriterionResult, name: str) -> Decimal | None:
    return next(c.score for c in result.components if c.name == name)


def _sentence_c1(r: CriterionResult, currency: str) -> str:
    months = r.input_value("active_months")
    cv = r.input_value("cv")
    if not isinstance(cv, Decimal):
        return f"No revenue in the last 12 complete months: {_score(r)}."
    # cv, the coefficient of variation, in words a reader can check: the months' spread as a share of their mean
    spread = (cv * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return (
        f"Orders came in {months} of the last 12 months and varied {_variation(cv)} (monthly revenue spread "
        f"{spread} % of its average): {_score(r)}."
    )


def _sentence_c2(r: CriterionResult, currency: str) -> str:
    if r.score is None:
        return f"No invoice fell due in the last 365 days, so {LABELS['c2']} is not scored."
    count = r.input_value("invoices_due_w365")
    assert isinstance(count, int)
    sentence = (
        f"{_plural(count, 'invoice')} of {_money(r.input_value('amount_due_w365'), currency)} fell due in the last "
        f"365 days, on average {r.input_value('average_days_late')} days late (weighted by amount)"
    )
    overdue = r.input_value("overdue_unpaid")
    if overdue:
        sentence += (
            f", and {_money(overdue, currency)} is overdue and unpaid "
            f"({_percent(r.input_value('overdue_ratio'))} of that amount)"
        )
    if r.caps:
        sentence += "; an invoice due in the last three years was written off, which caps it at 20"
    elif r.input_value("writeoff_w1095"):
        sentence += "; an invoice due in the last three years was written off"
    return f"{sentence}: {_score(r)}."


def _sentence_c3(r: CriterionResult, currency: str) -> str:
    r12 = r.input_value("revenue_w365")
    r12p = r.input_value("revenue_previous_w365")
    rank = r.input_value("size_percent_rank")
    parts = [f"Revenue in the last 365 days was {_money(r12, currency)} (above {_percent(rank)} of its peers)"]
    if isinstance(r12p, Decimal) and r12p > 0 and isinstance(r12, Decimal):
        change = (r12 - r12p) / r12p
        parts.append(f"{'+' if change >= 0 else ''}{_percent(change)} on the year before")
    elif isinstance(r12, Decimal) and r12 > 0:
        parts.append("new revenue against none the year before")
    else:
        parts.append("none the year before either")
    headroom = _component_score(r, "headroom")
    if headroom is None:
        parts.append("no annual potential is recorded, so size and growth carry its weight")
    else:
        parts.append(f"{headroom.quantize(Decimal(1), rounding=ROUND_HALF_UP)}% of the annual potential is still open")
    return f"{', '.join(parts)}: {_score(r)}."


def _sentence_c4(r: CriterionResult, currency: str) -> str:
    days = r.input_value("days_since_first_order")
    if days is None:
        return f"No order yet: {_score(r)}."
    assert isinstance(days, int)
    orders = r.input_value("orders_w365")
    advocacy = r.input_value("verified_advocacy_w730")
    assert isinstance(orders, int) and isinstance(advocacy, int)
    years = (Decimal(days) / Decimal("365")).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    nps = r.input_value("nps_mean")
    nps_part = "no NPS answer in the last 365 days (left out)" if nps is None else f"an NPS mean of {nps}"
    return (
        f"A customer for {years} years with {_plural(orders, 'order')} in the last 365 days, {nps_part} and "
        f"{_plural(advocacy, 'verified advocacy event')} in two years: {_score(r)}."
    )


def _sentence_c5(r: CriterionResult, currency: str) -> str:
    if r.score is None:
        return f"No revenue in the last 365 days, so {LABELS['c5']} is not scored."
    return (
        f"{_percent(r.input_value('service_share'))} of last year's revenue bought premium service (enhanced "
        f"counts half), at a mean discount of {r.input_value('mean_discount_pct')}%: {_score(r)}."
    )


_SENTENCES = {"c1": _sentence_c1, "c2": _sentence_c2, "c3": _sentence_c3, "c4": _sentence_c4, "c5": _sentence_c5}


def criterion_sentence(result: CriterionResult, *, currency: str = "EUR") -> str:
    """One plain-language sentence that says what the criterion saw and what it scored."""
    return _SENTENCES[result.criterion](result, currency)


def key_status_sentence(decision: KeyStatusDecision) -> str:
    """Why the account has its key status: the thresholds, the gates and the hysteresis."""
    p = decision.thresholds
    kas = decision.kas
    failed = []
    if not decision.orders_gate:
        failed.append(
            f"it has {_plural(decision.orders_w365, 'order')} in the last 365 days "
            f"(at least {p.min_orders_w365} needed)"
        )
    if not decision.writeoff_gate:
        failed.append("an invoice due in the last three years was written off")
    if decision.status in (KeyStatus.KEY, KeyStatus.STRATEGIC):
        if decision.retained:
            why = (
                f"KAS {kas} is below {p.key_threshold} but it was {decision.previous} before and stays key while KAS "
                f"is at least {p.retain_threshold} and no invoice is written off"
            )
        else:
            why = f"KAS {kas} reaches {p.key_threshold}, with enough orders and no write-off"
        if decision.status == KeyStatus.STRATEGIC:
            return f"Strategic: {why}, and KAS is at least {p.strategic_threshold}."
        return f"Key: {why}."
    label = "Candidate" if decision.status == KeyStatus.CANDIDATE else "Standard"
    if kas >= p.key_threshold or (decision.previous in (KeyStatus.KEY, KeyStatus.STRATEGIC) and failed):
        reason = f"KAS {kas} would be enough, but " + " and ".join(failed)
    elif decision.previous in (KeyStatus.KEY, KeyStatus.STRATEGIC):
        reason = f"it was {decision.previous} before, but KAS {kas} fell below {p.retain_threshold}"
    else:
        reason = f"KAS {kas} is below {p.key_threshold}"
    if decision.status == KeyStatus.CANDIDATE:
        return f"{label}: {reason}; KAS is at least {p.candidate_threshold}."
    return f"{label}: {reason}, and below {p.candidate_threshold} for a candidate."


def _input_json(item: Input, currency: str) -> dict[str, JsonValue]:
    return {"name": item.name, "value": _json(item.value), "unit": currency if item.unit == MONEY else item.unit}


def _component_json(item: Component) -> dict[str, JsonValue]:
    return {"name": item.name, "score": _json(item.score), "weight": _json(item.weight)}


def explanation(
    results: Sequence[CriterionResult],
    weights: Mapping[str, Decimal],
    kas: KasResult,
    decision: KeyStatusDecision,
    *,
    policy_version: str | None = None,
    as_of: date | None = None,
    currency: str = "EUR",
) -> dict[str, Any]:
    """The explanation JSON of one AccountScore; ``kas`` is what ``formulas.kas`` returned for ``results``."""
    criteria = [
        {
            "criterion": r.criterion,
            "name": r.name,
            "label": LABELS[r.criterion],
            "score": _json(r.score),
            "weight": _json(weights[r.criterion]),
            "contribution": _json(kas.contributions[r.criterion]),
            "inputs": [_input_json(i, currency) for i in r.inputs],
            "components": [_component_json(c) for c in r.components],
            "caps": list(r.caps),
            "missing_reason": r.missing_reason,
            "dropped": list(r.dropped),
            "sentence": criterion_sentence(r, currency=currency),
        }
        for r in results
    ]
    p = decision.thresholds
    return {
        "policy": policy_version if policy_version is not None else p.version,
        "as_of": None if as_of is None else as_of.isoformat(),
        "kas": str(kas.kas),
        "completeness": str(kas.completeness),
        "criteria": criteria,
        "key_status": {
            "status": decision.status,
            "previous": decision.previous,
            "orders_w365": decision.orders_w365,
            "orders_gate": decision.orders_gate,
            "writeoff_w1095": decision.writeoff_w1095,
            "writeoff_gate": decision.writeoff_gate,
            "retained": decision.retained,
            "thresholds": {
                "key": str(p.key_threshold),
                "retain": str(p.retain_threshold),
                "strategic": str(p.strategic_threshold),
                "candidate": str(p.candidate_threshold),
                "min_orders_w365": p.min_orders_w365,
            },
            "sentence": key_status_sentence(decision),
        },
    }


# --- from what a scoring run stored --------------------------------------------------------------------------


def results_from_stored(stored: Mapping[str, Any]) -> tuple[tuple[CriterionResult, ...], int, bool, str | None]:
    """The five criteria re-derived from the inputs a run stored (format ``kas-v1/inputs``), with the gate
    inputs and the previous status. The run computed the same numbers in SQL; this is how they are explained."""

    def money(name: str) -> Decimal:
        value = stored.get(name)
        return Decimal(value) if value is not None else Decimal(0)

    nps_count = int(stored.get("nps_count") or 0)
    nps_mean = None if not nps_count else Decimal(int(stored["nps_sum"])) / nps_count
    potential = stored.get("annual_potential")
    results = score_all(
        regularity_inputs=RegularityInputs(tuple(Decimal(v) for v in stored["monthly_revenue"])),
        payment_inputs=PaymentInputs(
            due_count=int(stored["invoices_due_w365"]),
            due_amount=money("amount_due_w365"),
            late_amount_days=money("late_amount_days"),
            overdue_unpaid=money("overdue_unpaid"),
            writeoff_w1095=bool(stored["writeoff_w1095"]),
        ),
        potential_inputs=PotentialInputs(
            r12=money("revenue_w365"),
            r12p=money("revenue_previous_w365"),
            size_percent_rank=Decimal(stored["size_percent_rank"]),
            annual_potential=None if potential is None else Decimal(potential),
        ),
        loyalty_inputs=LoyaltyInputs(
            days_since_first_order=stored.get("days_since_first_order"),
            orders_w365=int(stored["orders_w365"]),
            nps_mean=nps_mean,
            verified_advocacy_w730=int(stored["verified_advocacy_w730"]),
        ),
        service_inputs=ServiceInputs(
            r12=money("revenue_w365"),
            premium_revenue=money("premium_revenue_w365"),
            enhanced_revenue=money("enhanced_revenue_w365"),
            discount_weighted_sum=money("discount_weighted_sum"),
        ),
    )
    return results, int(stored["orders_w365"]), bool(stored["writeoff_w1095"]), stored.get("previous_key_status")


def explanation_from_stored(
    stored: Mapping[str, Any],
    policy: Policy,
    *,
    as_of: date | None = None,
    currency: str = "EUR",
    pinned: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The full explanation (sentences, contributions, caps, missing data) of a stored score. ``pinned`` is the
    director's override that set the shown key status, if any (key_status, reason, expires_on)."""
    results, orders_w365, writeoff, previous = results_from_stored(stored)
    total = formula_kas(results, policy.weights)
    decision = key_status_decision(
        kas=total.kas, orders_w365=orders_w365, writeoff_w1095=writeoff, previous=previous, thresholds=policy
    )
    document = explanation(
        results, policy.weights, total, decision, policy_version=policy.version, as_of=as_of, currency=currency
    )
    document["key_status"]["pinned"] = dict(pinned) if pinned else None
    return document
