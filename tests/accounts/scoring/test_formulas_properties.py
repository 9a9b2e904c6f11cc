"""Properties of kas-v1 that must hold for any input (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accounts.scoring.formulas import (
    CRITERIA,
    CriterionResult,
    InvoiceRecord,
    LoyaltyInputs,
    PotentialInputs,
    RegularityInputs,
    ServiceInputs,
    brand_loyalty,
    kas,
    lifetime_potential,
    payment_inputs_from_invoices,
    payment_reliability,
    percent_rank,
    regularity,
    willingness_to_pay,
)

T = date(2025, 6, 30)
money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
positive_money = st.decimals(min_value=Decimal("0.01"), max_value=1_000_000, places=2)
days_around_t = st.integers(min_value=-1200, max_value=60).map(lambda n: T + timedelta(days=n))


def in_range(result: CriterionResult) -> bool:
    return result.score is None or (
        Decimal(0) <= result.score <= Decimal(100) and result.score.as_tuple().exponent == -2
    )


@st.composite
def invoices(draw: st.DrawFn) -> InvoiceRecord:
    issue = draw(days_around_t)
    due = issue + timedelta(days=draw(st.integers(min_value=0, max_value=90)))
    status = draw(st.sampled_from(["open", "paid", "written_off", "cancelled"]))
    paid = issue + timedelta(days=draw(st.integers(min_value=0, max_value=400))) if status == "paid" else None
    return InvoiceRecord(issue, due, draw(positive_money), status, paid)


@given(st.lists(money, min_size=12, max_size=12))
def test_c1_in_range(values):
    assert in_range(regularity(RegularityInputs(tuple(values))))


@given(st.lists(invoices(), max_size=12))
def test_c2_in_range_and_capped_after_a_write_off(records):
    inputs = payment_inputs_from_invoices(records, T)
    result = payment_reliability(inputs)
    assert in_range(result)
    if inputs.writeoff_w1095 and result.score is not None:
        assert result.score <= 20


@given(st.lists(invoices(), min_size=1, max_size=12), st.data())
def test_paying_later_never_raises_c2(records, data):
    # given one paid invoice whose payment comes later
    paid = [i for i, r in enumerate(records) if r.status == "paid"]
    if not paid:
        return
    index = data.draw(st.sampled_from(paid))
    delay = data.draw(st.integers(min_value=1, max_value=500))
    later = list(records)
    later[index] = replace(records[index], paid_date=records[index].paid_date + timedelta(days=delay))
    # when
    before = payment_reliability(payment_inputs_from_invoices(records, T)).score
    after = payment_reliability(payment_inputs_from_invoices(later, T)).score
    # then
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after <= before


@given(money, money, st.floats(min_value=0, max_value=1), st.none() | money)
def test_c3_in_range(r12, r12p, rank, potential):
    assert in_range(lifetime_potential(PotentialInputs(r12, r12p, rank, potential)))


@given(
    st.none() | st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=500),
    st.none() | st.decimals(min_value=0, max_value=10, places=3),
    st.integers(min_value=0, max_value=20),
)
def test_c4_in_range(days, orders, nps, advocacy):
    assert in_range(brand_loyalty(LoyaltyInputs(days, orders, nps, advocacy)))


@st.composite
def service_inputs(draw: st.DrawFn) -> ServiceInputs:
    premium, enhanced, standard = draw(money), draw(money), draw(money)
    r12 = premium + enhanced + standard
    discount = draw(st.decimals(min_value=0, max_value=100, places=2))
    return ServiceInputs(r12, premium, enhanced, r12 * discount)


@given(service_inputs())
def test_c5_in_range(inputs):
    assert in_range(willingness_to_pay(inputs))


@st.composite
def weights(draw: st.DrawFn) -> dict[str, Decimal]:
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=1000), min_size=4, max_size=4)))
    edges = [0, *cuts, 1000]
    return {code: Decimal(edges[i + 1] - edges[i]) / 1000 for i, code in enumerate(CRITERIA)}


scores = st.none() | st.decimals(min_value=0, max_value=100, places=2)


@given(weights(), st.lists(scores, min_size=5, max_size=5))
def test_contributions_sum_to_kas_and_completeness_is_the_weights_with_data(policy_weights, values):
    # given
    results = [CriterionResult(code, value, ()) for code, value in zip(CRITERIA, values, strict=True)]
    # when
    total = kas(results, policy_weights)
    # then
    assert sum(total.contributions.values()) == total.kas
    assert Decimal(0) <= total.kas <= Decimal(100)
    exact = sum((policy_weights[r.criterion] * r.score for r in results if r.score is not None), Decimal(0))
    assert abs(total.kas - exact) <= Decimal("0.005")
    for r in results:
        weighted = Decimal(0) if r.score is None else policy_weights[r.criterion] * r.score
        assert abs(total.contributions[r.criterion] - weighted) < Decimal("0.01")
    assert total.completeness == sum((policy_weights[r.criterion] for r in results if r.score is not None), Decimal(0))


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30))
def test_percent_rank_is_ascending_with_shared_ties(values):
    ranks = percent_rank(values)
    assert all(0 <= r <= 1 for r in ranks)
    for a, ra in zip(values, ranks, strict=True):
        for b, rb in zip(values, ranks, strict=True):
            assert (a < b) == (ra < rb)
            assert (a == b) == (ra == rb)
