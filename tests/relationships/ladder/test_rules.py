"""ladder-v1's rules (DESIGN §6), pure: every entry and retain rule at its boundary, nesting, the Partner cap,
overrides, and the evidence computed from records as of a day."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.scoring.formulas import FeedbackRecord
from relationships.ladder.rules import (
    ADVOCATE,
    CLIENT,
    CUSTOMER,
    PARTNER,
    PROSPECT,
    SUPPORTER,
    AdvocacyRecord,
    ContractRecord,
    LadderEvidence,
    OrderRecord,
    entry_holds,
    evidence_from_records,
    ladder_decision,
    ladder_view,
    retain_holds,
    rule_stage,
)

T = datetime.date(2026, 11, 30)

# Evidence on which every rung's entry rule holds.
FULL = LadderEvidence(
    orders_ever=30,
    orders_w730=20,
    orders_w365=12,
    quarters_w365=4,
    months_with_orders=12,
    nps_sum_w365=19,
    nps_count_w365=2,
    nps_sum_w545=19,
    nps_count_w545=2,
    verified_advocacy_w730=1,
    verified_advocacy_w1095=1,
    partner_contract_active=True,
)


def days(n: int) -> datetime.date:
    return T - datetime.timedelta(days=n)


# --- each rule at its boundary -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage,holds,fails",
    [
        (CUSTOMER, LadderEvidence(orders_ever=1), LadderEvidence(orders_ever=0)),
        (CLIENT, LadderEvidence(orders_w365=3, quarters_w365=2), LadderEvidence(orders_w365=2, quarters_w365=2)),
        (CLIENT, LadderEvidence(orders_w365=3, quarters_w365=2), LadderEvidence(orders_w365=12, quarters_w365=1)),
        (
            SUPPORTER,
            LadderEvidence(nps_sum_w365=27, nps_count_w365=3),
            LadderEvidence(nps_sum_w365=26, nps_count_w365=3),
        ),
        (
            SUPPORTER,
            LadderEvidence(nps_sum_w365=10, nps_count_w365=1),
            LadderEvidence(nps_sum_w365=10, nps_count_w365=1, detractor_w180=True),
        ),
        (SUPPORTER, LadderEvidence(nps_sum_w365=9, nps_count_w365=1), LadderEvidence()),
        (ADVOCATE, LadderEvidence(verified_advocacy_w730=1), LadderEvidence(verified_advocacy_w1095=1)),
        (
            PARTNER,
            LadderEvidence(partner_contract_active=True, months_with_orders=9),
            LadderEvidence(partner_contract_active=True, months_with_orders=8),
        ),
        (
            PARTNER,
            LadderEvidence(partner_contract_active=True, months_with_orders=9),
            LadderEvidence(months_with_orders=12),
        ),
    ],
)
def test_entry_rules_at_their_boundary(stage, holds, fails):
    assert entry_holds(stage, holds)
    assert not entry_holds(stage, fails)


@pytest.mark.parametrize(
    "stage,holds,fails",
    [
        (CUSTOMER, LadderEvidence(orders_w730=1), LadderEvidence(orders_ever=5, orders_w730=0)),
        (CLIENT, LadderEvidence(orders_w365=2), LadderEvidence(orders_w365=1)),
        (
            SUPPORTER,
            LadderEvidence(nps_sum_w545=14, nps_count_w545=2),
            LadderEvidence(nps_sum_w545=13, nps_count_w545=2),
        ),
        (
            SUPPORTER,
            LadderEvidence(nps_sum_w545=20, nps_count_w545=2),
            LadderEvidence(nps_sum_w545=20, nps_count_w545=2, detractor_w180=True),
        ),
        (ADVOCATE, LadderEvidence(verified_advocacy_w1095=1), LadderEvidence(verified_advocacy_w1095=0)),
        (PARTNER, LadderEvidence(partner_contract_active=True), LadderEvidence(months_with_orders=12)),
    ],
)
def test_retain_rules_at_their_boundary(stage, holds, fails):
    assert retain_holds(stage, holds)
    assert not retain_holds(stage, fails)


def test_a_retain_rule_keeps_only_an_account_already_there():
    # given a customer with two orders this year in one quarter: not enough to enter Client, enough to stay
    evidence = LadderEvidence(orders_ever=6, orders_w730=4, orders_w365=2, quarters_w365=1)
    # then a customer stays a customer, a client stays a client
    assert rule_stage(evidence, current=CUSTOMER) == CUSTOMER
    assert rule_stage(evidence, current=CLIENT) == CLIENT


# --- nesting, several rungs, demotion, Partner, overrides -----------------------------------------------------


def test_a_failed_lower_rung_caps_the_stage():
    # given glowing NPS and advocacy but no order in two years, for an account that was a client
    evidence = LadderEvidence(orders_ever=4, nps_sum_w365=20, nps_count_w365=2, verified_advocacy_w730=2)
    # then it is a customer? no: Customer's retain (an order in W(730)) fails, and its entry needs only an order
    # ever, which holds: Customer holds, Client fails, so nothing above counts
    assert rule_stage(evidence, current=CLIENT) == CUSTOMER


def test_several_rungs_in_one_move():
    decision = ladder_decision(FULL.__class__(**{**FULL.__dict__, "partner_contract_active": False}), current=PROSPECT)
    assert (decision.stage, decision.mode) == (ADVOCATE, "automatic")


def test_demotion_when_retain_rules_fail():
    evidence = LadderEvidence(orders_ever=9, orders_w730=3, orders_w365=1, quarters_w365=1)
    assert ladder_decision(evidence, current=SUPPORTER).stage == CUSTOMER


def test_partner_waits_at_advocate_for_a_director():
    decision = ladder_decision(FULL, current=SUPPORTER)
    assert (decision.stage, decision.rule_stage, decision.propose_partner) == (ADVOCATE, PARTNER, True)


def test_an_approved_partner_is_kept_by_the_contract_alone():
    evidence = LadderEvidence(**{**FULL.__dict__, "months_with_orders": 3})
    assert ladder_decision(evidence, current=PARTNER).stage == PARTNER
    assert ladder_decision(evidence, current=ADVOCATE).stage == ADVOCATE


def test_an_override_pins_the_stage_and_the_rule_stage_is_still_computed():
    decision = ladder_decision(LadderEvidence(orders_ever=1, orders_w730=1), current=CUSTOMER, pinned=SUPPORTER)
    assert (decision.stage, decision.rule_stage, decision.mode) == (SUPPORTER, CUSTOMER, "override")


@given(
    st.builds(
        LadderEvidence,
        orders_ever=st.integers(0, 40),
        orders_w730=st.integers(0, 30),
        orders_w365=st.integers(0, 20),
        quarters_w365=st.integers(0, 5),
        months_with_orders=st.integers(0, 12),
        nps_sum_w365=st.integers(0, 40),
        nps_count_w365=st.integers(0, 4),
        nps_sum_w545=st.integers(0, 60),
        nps_count_w545=st.integers(0, 6),
        detractor_w180=st.booleans(),
        verified_advocacy_w730=st.integers(0, 3),
        verified_advocacy_w1095=st.integers(0, 4),
        partner_contract_active=st.booleans(),
    ),
    st.integers(PROSPECT, PARTNER),
)
def test_the_decided_stage_is_reached_rung_by_rung(evidence, current):
    # every rung up to the rule stage holds, and Partner is only ever kept, never reached by the rules alone
    decision = ladder_decision(evidence, current=current)
    ruled = decision.rule_stage
    for stage in range(CUSTOMER, ruled + 1):
        assert entry_holds(stage, evidence) or (current >= stage and retain_holds(stage, evidence))
    if decision.stage == PARTNER:
        assert current == PARTNER


# --- the evidence from records, as of a day ---------------------------------------------------------------------


def test_evidence_counts_windows_and_ignores_later_and_cancelled_records():
    evidence = evidence_from_records(
        as_of=T,
        orders=[
            OrderRecord(days(10)),  # 20 Nov 2026: T's own month, not one of M1…M12 (Nov 2025 … Oct 2026)
            OrderRecord(days(40)),  # 21 Oct 2026 = M12
            OrderRecord(days(200)),  # 14 May 2026
            OrderRecord(days(364)),  # 1 Dec 2025 = M2, the first day of W(365)
            OrderRecord(days(365)),  # 30 Nov 2025 = M1: outside W(365), inside W(730)
            OrderRecord(days(800)),  # only ever
            OrderRecord(days(5), cancelled=True),
            OrderRecord(T + datetime.timedelta(days=1)),  # after T: does not exist
        ],
        answers=[
            FeedbackRecord(days(30), 10, contact_id=1, id=3),
            FeedbackRecord(days(300), 4, contact_id=1, id=2),  # older answer of the same contact: superseded
            FeedbackRecord(days(400), 8, contact_id=2, id=1),  # only in W(545)
            FeedbackRecord(days(100), 6, contact_id=None, id=4),  # a detractor in W(180), counted one by one
        ],
        advocacy=[AdvocacyRecord(days(700)), AdvocacyRecord(days(1000)), AdvocacyRecord(days(10), verified=False)],
        contracts=[ContractRecord("joint_development", days(100), ends_on=days(1), auto_renew=True)],
    )
    assert (evidence.orders_ever, evidence.orders_w730, evidence.orders_w365) == (6, 5, 4)
    assert evidence.quarters_w365 == 3  # Q4 2025 (1 Dec), Q2 2026 (May), Q4 2026 (Oct, Nov)
    assert evidence.months_with_orders == 4  # Nov 2025, Dec 2025, May 2026, Oct 2026
    assert (evidence.nps_sum_w365, evidence.nps_count_w365) == (16, 2)
    assert (evidence.nps_sum_w545, evidence.nps_count_w545) == (24, 3)
    assert evidence.detractor_w180 is True
    assert (evidence.verified_advocacy_w730, evidence.verified_advocacy_w1095) == (1, 2)
    assert evidence.partner_contract_active is True  # ended yesterday, but it renews itself


def test_what_the_next_rung_needs_is_said_with_the_numbers():
    evidence = LadderEvidence(
        orders_ever=9, orders_w730=9, orders_w365=5, quarters_w365=3, nps_sum_w365=42, nps_count_w365=5
    )
    view = ladder_view(evidence, current=CLIENT)
    assert view.next_rung == SUPPORTER
    assert view.next_needs == [
        "Supporter needs an NPS mean of at least 9.0 over the last year and no detractor (an answer of 6 or less) "
        "in the last 180 days: now 8.4 from 5 answers."
    ]
