"""Hand-computed cases for every criterion of kas-v1 (DESIGN §5), KAS, key_status and the explanation."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.scoring.explain import explanation
from accounts.scoring.formulas import (
    KAS_V1,
    CriterionResult,
    FeedbackRecord,
    InvoiceRecord,
    LoyaltyInputs,
    PaymentInputs,
    Policy,
    PotentialInputs,
    RegularityInputs,
    ServiceInputs,
    brand_loyalty,
    kas,
    key_status,
    key_status_decision,
    lifetime_potential,
    nps_mean_from_answers,
    payment_inputs_from_invoices,
    payment_reliability,
    percent_rank,
    regularity,
    willingness_to_pay,
)

D = Decimal
T = date(2025, 6, 30)


def months(*values: int | str) -> RegularityInputs:
    return RegularityInputs(tuple(D(v) for v in values))


# --- C1 regularity ---------------------------------------------------------------------------------------------


def test_c1_every_month_the_same_is_100():
    assert regularity(months(*[100] * 12)).score == D("100.00")


def test_c1_nine_of_twelve_months():
    # given 9 months of 100 and 3 empty ones: mean 75, pstdev √1875 = 43.30, cv = 1/√3 = 0.5774
    result = regularity(months(*[100] * 9, 0, 0, 0))
    # then 100·(0.5·9/12 + 0.5·(1 − 0.57735/1.5)) = 37.5 + 30.75499 = 68.25499
    assert result.score == D("68.25")
    assert result.input_value("active_months") == 9
    assert result.input_value("cv") == D("0.5774")


def test_c1_half_the_months():
    # mean 100, pstdev 100, cv 1: 25 + 50·(1/3) = 41.666…
    assert regularity(months(*[200] * 6, *[0] * 6)).score == D("41.67")


def test_c1_one_big_month_only_counts_activity():
    # cv = √110000/100 = 3.32 → steadiness clamped to 0; 50/12 = 4.1666…
    assert regularity(months(1200, *[0] * 11)).score == D("4.17")


def test_c1_no_revenue_is_zero_not_null():
    # no orders, or only cancelled ones: every month is 0
    result = regularity(months(*[0] * 12))
    assert result.score == D("0.00")
    assert result.missing_reason is None


def test_c1_needs_twelve_months():
    with pytest.raises(ValueError):
        months(*[1] * 11)


# --- C2 payment reliability ------------------------------------------------------------------------------------


def invoice(amount: int, due: date, *, status: str = "paid", paid: date | None = None, issued=None) -> InvoiceRecord:
    return InvoiceRecord(issued or due - timedelta(days=30), due, D(amount), status, paid)


def c2(*invoices: InvoiceRecord) -> CriterionResult:
    return payment_reliability(payment_inputs_from_invoices(invoices, T))


def test_c2_ten_days_late():
    # ADD 10, nothing outstanding: 100·(1 − 10/60)
    assert c2(invoice(1000, date(2025, 5, 1), paid=date(2025, 5, 11))).score == D("83.33")


def test_c2_lateness_is_weighted_by_amount():
    # 1000 paid 30 days late, 3000 paid early: ADD = 30000/4000 = 7.5 → 100·(1 − 0.125)
    result = c2(
        invoice(1000, date(2025, 3, 1), paid=date(2025, 3, 31)),
        invoice(3000, date(2025, 4, 1), paid=date(2025, 3, 25)),
    )
    assert result.score == D("87.50")
    assert result.input_value("average_days_late") == D("7.50")


def test_c2_paid_after_as_of_is_unpaid_at_t():
    # given 1000 due 20 days before T, paid 15 days after T, and 3000 paid on time
    on_time = invoice(3000, date(2025, 5, 1), paid=date(2025, 5, 1))
    late = invoice(1000, date(2025, 6, 10), paid=date(2025, 7, 15))
    # when
    inputs = payment_inputs_from_invoices([on_time, late], T)
    # then it is 20 days late (T − due) and outstanding: ADD 5, ratio 0.25 → 100·(1 − 5/60)·0.75
    assert inputs.late_amount_days == D(20000)
    assert inputs.overdue_unpaid == D(1000)
    assert payment_reliability(inputs).score == D("68.75")
    # whereas paid before T it is only 10 days late and not outstanding: 100·(1 − 2.5/60)
    paid_in_time = invoice(1000, date(2025, 6, 10), paid=date(2025, 6, 20))
    assert c2(on_time, paid_in_time).score == D("95.83")


def test_c2_written_off_in_window_is_120_days_late_and_capped():
    # 1000 written off (late 120, not outstanding) and 3000 on time: ADD 30 → 50, then capped at 20
    result = c2(
        invoice(1000, date(2025, 3, 1), status="written_off"),
        invoice(3000, date(2025, 4, 1), paid=date(2025, 4, 1)),
    )
    assert result.score == D("20.00")
    assert result.caps


def test_c2_older_write_off_still_caps():
    # written off 1.5 years ago (in W(1095), not in D): otherwise a perfect payer
    result = c2(
        invoice(500, date(2024, 1, 15), status="written_off"),
        invoice(1000, date(2025, 4, 1), paid=date(2025, 4, 1)),
    )
    assert result.score == D("20.00")


def test_c2_write_off_older_than_three_years_does_not_cap():
    result = c2(
        invoice(500, date(2021, 1, 15), status="written_off"),
        invoice(1000, date(2025, 4, 1), paid=date(2025, 4, 1)),
    )
    assert result.score == D("100.00")
    assert not result.caps


def test_c2_cap_is_not_listed_when_the_score_is_already_lower():
    result = c2(invoice(1000, date(2025, 3, 1), status="written_off"))  # ADD 120 → 0
    assert result.score == D("0.00")
    assert not result.caps


def test_c2_outstanding_counts_at_any_age():
    # an open invoice due 1.5 years ago is not in D but is outstanding: ratio 500/1000
    result = c2(
        invoice(500, date(2024, 1, 1), status="open"),
        invoice(1000, date(2025, 4, 1), paid=date(2025, 4, 1)),
    )
    assert result.score == D("50.00")


def test_c2_ratio_is_at_most_one():
    result = c2(
        invoice(5000, date(2024, 1, 1), status="open"),
        invoice(1000, date(2025, 4, 1), paid=date(2025, 4, 1)),
    )
    assert result.score == D("0.00")


def test_c2_due_today_is_not_yet_overdue():
    assert c2(invoice(1000, T, status="open")).score == D("100.00")


def test_c2_no_invoice_due_in_the_year_is_null():
    # given only cancelled invoices, one issued after T, and one due more than a year ago
    result = c2(
        invoice(1000, date(2025, 5, 1), status="cancelled"),
        invoice(1000, date(2025, 8, 1), issued=date(2025, 7, 1), status="open"),
        invoice(1000, date(2024, 5, 1), paid=date(2024, 5, 1)),
    )
    assert result.score is None
    assert result.missing_reason


def test_c2_from_sql_aggregates():
    inputs = PaymentInputs(
        due_count=2, due_amount=D(4000), late_amount_days=D(30000), overdue_unpaid=D(0), writeoff_w1095=False
    )
    assert payment_reliability(inputs).score == D("87.50")


# --- C3 lifetime potential -------------------------------------------------------------------------------------


def test_c3_with_headroom():
    # size 75, growth ((0.1 + 0.2)/0.4) = 75, headroom (200 − 110)/200 = 45 → 37.5 + 22.5 + 9
    result = lifetime_potential(PotentialInputs(D(110), D(100), D("0.75"), D(200)))
    assert result.score == D("69.00")
    assert not result.dropped


@pytest.mark.parametrize("potential", [None, D(0)])
def test_c3_without_headroom_renormalises(potential):
    # (37.5 + 22.5)/0.8
    result = lifetime_potential(PotentialInputs(D(110), D(100), D("0.75"), potential))
    assert result.score == D("75.00")
    assert result.dropped


def test_c3_growth_when_previous_year_is_zero():
    # new revenue: growth 100 → (25 + 30)/0.8; no revenue at all: growth 0
    assert lifetime_potential(PotentialInputs(D(10), D(0), D("0.5"))).score == D("68.75")
    assert lifetime_potential(PotentialInputs(D(0), D(0), D(0))).score == D("0.00")


def test_c3_growth_and_headroom_are_clamped():
    # halved revenue: growth 0 → 0.5·100 + 0 + 0.2·95
    assert lifetime_potential(PotentialInputs(D(50), D(100), D(1), D(1000))).score == D("69.00")
    # doubled revenue: growth 100; revenue above the potential: headroom 0 → 0 + 0.3·100 + 0
    assert lifetime_potential(PotentialInputs(D(200), D(100), D(0), D(100))).score == D("30.00")


def test_c3_takes_the_float_of_sql_percent_rank():
    # 1/3 from percent_rank: 100/3·0.5/0.8 + 0 growth = 20.8333…
    rank = percent_rank([D(10), D(20), D(20), D(30)])[1]
    assert lifetime_potential(PotentialInputs(D(20), D(100), rank)).score == D("20.83")


def test_percent_rank_ties_and_small_populations():
    assert percent_rank([D(10), D(20), D(20), D(30)]) == [0.0, 1 / 3, 1 / 3, 1.0]
    assert percent_rank([D(30), D(10)]) == [1.0, 0.0]
    assert percent_rank([D(5), D(5), D(5)]) == [0.0, 0.0, 0.0]
    assert percent_rank([D(42)]) == [0.0]
    assert percent_rank([]) == []


# --- C4 brand loyalty ------------------------------------------------------------------------------------------


def test_c4_all_four_parts():
    # tenure 730/1825 = 40, repeat 6/12 = 50, nps (8 − 6)/4 = 50, advocacy 1 → 60
    # 0.3·40 + 0.3·50 + 0.25·50 + 0.15·60 = 12 + 15 + 12.5 + 9
    assert brand_loyalty(LoyaltyInputs(730, 6, D(8), 1)).score == D("48.50")


def test_c4_missing_nps_renormalises():
    # (12 + 15 + 9)/0.75
    result = brand_loyalty(LoyaltyInputs(730, 6, None, 1))
    assert result.score == D("48.00")
    assert result.dropped
    assert [c.weight for c in result.components] == [D("0.4000"), D("0.4000"), None, D("0.2000")]


def test_c4_no_order_ever_is_zero():
    assert brand_loyalty(LoyaltyInputs(None, 0, D(10), 2)).score == D("0.00")


def test_c4_parts_saturate():
    assert brand_loyalty(LoyaltyInputs(4000, 20, D(10), 5)).score == D("100.00")
    # detractors: nps clamped to 0; first order today: tenure 0 → 0.3·25 + 0 + 0 + 0
    assert brand_loyalty(LoyaltyInputs(0, 3, D(4), 0)).score == D("7.50")


def test_nps_latest_answer_per_contact_in_the_year():
    answers = [
        FeedbackRecord(date(2025, 1, 10), 4, contact_id=1),
        FeedbackRecord(date(2025, 3, 10), 9, contact_id=1),  # contact 1's latest
        FeedbackRecord(date(2025, 2, 1), 7, contact_id=2),
        FeedbackRecord(date(2025, 2, 1), 3, contact_id=3, id=1),
        FeedbackRecord(date(2025, 2, 1), 5, contact_id=3, id=2),  # same day: the later record
        FeedbackRecord(date(2025, 4, 1), 6),  # without a contact: one by one
        FeedbackRecord(date(2025, 4, 2), 8),
        FeedbackRecord(date(2024, 6, 30), 0, contact_id=4),  # T − 365: outside W(365)
        FeedbackRecord(date(2025, 7, 1), 0, contact_id=2),  # after T: does not exist
    ]
    # (9 + 7 + 5 + 6 + 8)/5
    assert nps_mean_from_answers(answers, T) == D(7)
    assert nps_mean_from_answers(answers[-2:], T) is None


# --- C5 willingness to pay -------------------------------------------------------------------------------------


def test_c5_service_and_discount():
    # p = (200 + 0.5·200)/1000 = 0.3 → 60; d = 5000/1000 = 5% → 75; 0.6·60 + 0.4·75
    assert willingness_to_pay(ServiceInputs(D(1000), D(200), D(200), D(5000))).score == D("66.00")


def test_c5_saturates():
    assert willingness_to_pay(ServiceInputs(D(1000), D(600), D(0), D(0))).score == D("100.00")
    assert willingness_to_pay(ServiceInputs(D(1000), D(0), D(0), D(25000))).score == D("0.00")


def test_c5_no_revenue_is_null():
    result = willingness_to_pay(ServiceInputs(D(0), D(0), D(0), D(0)))
    assert result.score is None
    assert result.missing_reason


# --- KAS -------------------------------------------------------------------------------------------------------


def scored(**scores: str | None) -> list[CriterionResult]:
    return [CriterionResult(code, None if s is None else D(s), ()) for code, s in scores.items()]


def test_kas_is_the_weighted_sum_and_contributions_add_up():
    # 17.0625 + 16.666 + 17.25 + 7.275 + 9.9 = 68.1535
    result = kas(scored(c1="68.25", c2="83.33", c3="69.00", c4="48.50", c5="66.00"), KAS_V1.weights)
    assert result.kas == D("68.15")
    assert result.completeness == D("1.00")
    # floors add up to 68.14; the missing cent goes to the largest remainder (c2: .006)
    assert result.contributions == {
        "c1": D("17.06"),
        "c2": D("16.67"),
        "c3": D("17.25"),
        "c4": D("7.27"),
        "c5": D("9.90"),
    }


def test_kas_contributions_add_up_where_rounding_each_would_not():
    # 2.505 + 2.505 = 5.01, but 2.51 + 2.51 = 5.02: the cent goes to c1 (first of a tie)
    result = kas(scored(c1="10.02", c2="0", c3="10.02", c4="0", c5="0"), KAS_V1.weights)
    assert result.kas == D("5.01")
    assert result.contributions["c1"] == D("2.51")
    assert result.contributions["c3"] == D("2.50")
    assert sum(result.contributions.values()) == result.kas


def test_kas_null_criteria_contribute_zero_and_reduce_completeness():
    result = kas(scored(c1="80", c2=None, c3="80", c4="80", c5=None), KAS_V1.weights)
    assert result.kas == D("52.00")
    assert result.completeness == D("0.65")
    assert result.contributions["c2"] == D("0.00")


def test_policy_checks_its_numbers():
    with pytest.raises(ValueError):
        Policy(weight_c1=D("0.30"))
    with pytest.raises(ValueError):
        Policy(retain_threshold=D(75))


# --- key status ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kas_value", "orders", "writeoff", "previous", "expected"),
    [
        ("80", 5, False, None, "key"),
        ("70", 3, False, None, "key"),  # thresholds are inclusive
        ("85", 3, False, "standard", "strategic"),
        ("69.99", 5, False, None, "candidate"),
        ("80", 2, False, None, "candidate"),  # orders gate
        ("90", 12, True, "strategic", "candidate"),  # write-off gate, also for retention
        ("65", 5, False, "key", "key"),  # hysteresis band
        ("65", 5, False, "strategic", "key"),
        ("60", 1, False, "key", "key"),  # retention needs no order gate, only no write-off
        ("65", 5, False, "standard", "candidate"),
        ("65", 5, False, None, "candidate"),
        ("65", 5, True, "key", "candidate"),  # a write-off breaks retention
        ("59.99", 5, False, "key", "candidate"),
        ("55", 5, False, None, "candidate"),
        ("54.99", 5, False, "key", "standard"),
        ("0", 0, False, None, "standard"),
    ],
)
def test_key_status(kas_value, orders, writeoff, previous, expected):
    assert key_status(kas=D(kas_value), orders_w365=orders, writeoff_w1095=writeoff, previous=previous) == expected


def test_key_status_says_when_it_was_retained():
    decision = key_status_decision(kas=D(65), orders_w365=5, writeoff_w1095=False, previous="key")
    assert decision.retained
    assert not key_status_decision(kas=D(75), orders_w365=5, writeoff_w1095=False, previous="key").retained


def test_key_status_follows_the_policy_thresholds():
    policy = Policy(key_threshold=D(80), strategic_threshold=D(90), min_orders_w365=1)
    assert key_status(kas=D(75), orders_w365=1, writeoff_w1095=False, previous=None, thresholds=policy) == "candidate"
    assert key_status(kas=D(80), orders_w365=1, writeoff_w1095=False, previous=None, thresholds=policy) == "key"


# --- explanation -----------------------------------------------------------------------------------------------


def full_results() -> list[CriterionResult]:
    return [
        regularity(months(*[100] * 9, 0, 0, 0)),
        payment_reliability(payment_inputs_from_invoices([invoice(1000, date(2025, 3, 1), status="written_off")], T)),
        lifetime_potential(PotentialInputs(D(110), D(100), D("0.75"))),
        brand_loyalty(LoyaltyInputs(730, 6, None, 1)),
        willingness_to_pay(ServiceInputs(D(0), D(0), D(0), D(0))),
    ]


def test_explanation_is_json_with_one_sentence_per_criterion():
    # given
    results = full_results()
    total = kas(results, KAS_V1.weights)
    decision = key_status_decision(kas=total.kas, orders_w365=6, writeoff_w1095=True, previous="key")
    # when
    doc = explanation(results, KAS_V1.weights, total, decision, as_of=T)
    # then
    doc = json.loads(json.dumps(doc))
    assert doc["policy"] == "kas-v1"
    assert doc["kas"] == str(total.kas)
    assert [c["criterion"] for c in doc["criteria"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert sum(D(c["contribution"]) for c in doc["criteria"]) == D(doc["kas"])
    c1, c2_, c3, c4, c5 = doc["criteria"]
    assert (
        c1["sentence"] == "Orders came in 9 of the last 12 months and varied moderately "
        "(monthly revenue spread 58 % of its average): regularity 68.25."
    )
    assert c1["inputs"][1] == {"name": "revenue_m12", "value": "900", "unit": "EUR"}
    assert "written off" in c2_["sentence"]
    assert "no annual potential" in c3["sentence"]
    assert "no NPS answer" in c4["sentence"]
    assert c5["score"] is None
    assert c5["missing_reason"]
    assert "not scored" in c5["sentence"]
    assert doc["key_status"]["status"] == "standard"
    assert "written off" in doc["key_status"]["sentence"]


@pytest.mark.parametrize(
    ("kas_value", "orders", "writeoff", "previous", "words"),
    [
        ("90", 5, False, None, "Strategic"),
        ("65", 5, False, "key", "stays key"),
        ("80", 2, False, None, "at least 3 needed"),
        ("58", 5, False, "key", "fell below 60"),
        ("40", 5, False, None, "Standard"),
    ],
)
def test_key_status_sentence(kas_value, orders, writeoff, previous, words):
    results = full_results()
    total = kas(results, KAS_V1.weights)
    decision = key_status_decision(kas=D(kas_value), orders_w365=orders, writeoff_w1095=writeoff, previous=previous)
    assert words in explanation(results, KAS_V1.weights, total, decision)["key_status"]["sentence"]


def test_an_account_without_orders():
    # given no order ever (or only cancelled ones): every revenue input is 0
    c1 = regularity(months(*[0] * 12))
    c4 = brand_loyalty(LoyaltyInputs(None, 0, None, 0))
    c5 = willingness_to_pay(ServiceInputs(D(0), D(0), D(0), D(0)))
    # then regularity and loyalty are 0, willingness to pay has no data
    assert (c1.score, c4.score, c5.score) == (D("0.00"), D("0.00"), None)
