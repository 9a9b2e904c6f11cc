"""The loyalty ladder, policy ladder-v1 (DESIGN §6): pure rules, no database.

An account's *evidence* as of a day T (``LadderEvidence``: counts of orders, NPS means, verified advocacy, a
partnership contract) decides, rung by rung, whether the entry rule or the retain rule holds. The ladder is
nested: ``rule_stage`` is the highest rung k such that every rung j ≤ k holds, where a rung holds if its entry
rule holds, or the account is already at or above it and its retain rule holds. Then:

- an active override pins the stage (``rule_stage`` is still computed and shown);
- Partner is never reached automatically: when the rules say Partner and the account is below it, it stays at
  Advocate and a Partner proposal waits for a director;
- otherwise the stage is ``rule_stage``, up or down, several rungs at once being one move.

``accounts/scoring/metrics.py`` gathers the same evidence for the whole population in SQL and
``relationships/ladder/evaluate.py`` applies these rules there; ``evidence_from_records`` computes it from plain
records. Tests hold the two to the same answers.

Orders count unless cancelled, dated ≤ T; an NPS mean is the latest answer per contact in the window (answers
without a contact one by one); a *detractor* is any answer ≤ 6 in W(180), not only a contact's latest; a
contract is active at T when it started by T and has not ended (no end, an end on or after T, or auto-renewal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from accounts.choices import LadderStage
from accounts.scoring.formulas import FeedbackRecord, in_window

POLICY = "ladder-v1"
STAGES: tuple[str, ...] = tuple(LadderStage.values)  # rung order: prospect 0 … partner 5
PROSPECT, CUSTOMER, CLIENT, SUPPORTER, ADVOCATE, PARTNER = range(6)

SUPPORTER_ENTRY_NPS = 9
SUPPORTER_RETAIN_NPS = 7
DETRACTOR_MAX = 6
PARTNER_MONTHS = 9
PARTNER_CONTRACT_KINDS = ("partnership", "joint_development")


def rung(stage: str) -> int:
    """The rung number of a stage code (prospect 0 … partner 5)."""
    return STAGES.index(stage)


@dataclass(frozen=True)
class LadderEvidence:
    """What the rules read, as of T. NPS means are (sum, count) so comparisons stay exact integers."""

    orders_ever: int = 0
    orders_w730: int = 0
    orders_w365: int = 0
    quarters_w365: int = 0  # distinct calendar quarters with an order in W(365) (only "≥ 2" matters)
    months_with_orders: int = 0  # of M1…M12, the 12 complete months before T's month
    nps_sum_w365: int = 0
    nps_count_w365: int = 0
    nps_sum_w545: int = 0
    nps_count_w545: int = 0
    detractor_w180: bool = False
    verified_advocacy_w730: int = 0
    verified_advocacy_w1095: int = 0
    partner_contract_active: bool = False

    @property
    def nps_mean_w365(self) -> Decimal | None:
        return _mean(self.nps_sum_w365, self.nps_count_w365)

    @property
    def nps_mean_w545(self) -> Decimal | None:
        return _mean(self.nps_sum_w545, self.nps_count_w545)


def _mean(total: int, count: int) -> Decimal | None:
    return None if not count else Decimal(total) / Decimal(count)


def _mean_at_least(total: int, count: int, threshold: int) -> bool:
    return count > 0 and total >= threshold * count


def entry_holds(stage: int, evidence: LadderEvidence) -> bool:
    """The entry rule of rung ``stage`` (1…5); prospect has none and always holds."""
    e = evidence
    if stage == CUSTOMER:
        return e.orders_ever >= 1
    if stage == CLIENT:
        return e.orders_w365 >= 3 and e.quarters_w365 >= 2
    if stage == SUPPORTER:
        return _mean_at_least(e.nps_sum_w365, e.nps_count_w365, SUPPORTER_ENTRY_NPS) and not e.detractor_w180
    if stage == ADVOCATE:
        return e.verified_advocacy_w730 >= 1
    if stage == PARTNER:
        return e.partner_contract_active and e.months_with_orders >= PARTNER_MONTHS
    return True


def retain_holds(stage: int, evidence: LadderEvidence) -> bool:
    """The retain rule of rung ``stage``: what keeps an account that is already there."""
    e = evidence
    if stage == CUSTOMER:
        return e.orders_w730 >= 1
    if stage == CLIENT:
        return e.orders_w365 >= 2
    if stage == SUPPORTER:
        return _mean_at_least(e.nps_sum_w545, e.nps_count_w545, SUPPORTER_RETAIN_NPS) and not e.detractor_w180
    if stage == ADVOCATE:
        return e.verified_advocacy_w1095 >= 1
    if stage == PARTNER:
        return e.partner_contract_active
    return True


def rung_holds(stage: int, evidence: LadderEvidence, *, current: int) -> bool:
    return entry_holds(stage, evidence) or (current >= stage and retain_holds(stage, evidence))


def rule_stage(evidence: LadderEvidence, *, current: int) -> int:
    """The highest rung k such that every rung 1…k holds (nested: a failed lower rung caps the stage)."""
    reached = PROSPECT
    for stage in range(CUSTOMER, PARTNER + 1):
        if not rung_holds(stage, evidence, current=current):
            break
        reached = stage
    return reached


@dataclass(frozen=True)
class LadderDecision:
    stage: int
    rule_stage: int
    mode: str  # "automatic" or "override"
    propose_partner: bool  # the rules say Partner, the account is below it and no override pins it


def ladder_decision(evidence: LadderEvidence, *, current: int, pinned: int | None = None) -> LadderDecision:
    """Where the account goes: the pin when one is active, else the rule stage, with Partner capped at
    Advocate until a director approves a proposal."""
    ruled = rule_stage(evidence, current=current)
    if pinned is not None:
        return LadderDecision(stage=pinned, rule_stage=ruled, mode="override", propose_partner=False)
    if ruled == PARTNER and current < PARTNER:
        return LadderDecision(stage=ADVOCATE, rule_stage=ruled, mode="automatic", propose_partner=True)
    return LadderDecision(stage=ruled, rule_stage=ruled, mode="automatic", propose_partner=False)


# --- the evidence from plain records (the reference of the SQL) ----------------------------------------------


@dataclass(frozen=True)
class OrderRecord:
    order_date: date
    cancelled: bool = False


@dataclass(frozen=True)
class AdvocacyRecord:
    occurred_on: date
    verified: bool = True


@dataclass(frozen=True)
class ContractRecord:
    kind: str
    starts_on: date
    ends_on: date | None = None
    auto_renew: bool = False


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def contract_active(contract: ContractRecord, as_of: date) -> bool:
    return contract.starts_on <= as_of and (
        contract.ends_on is None or contract.ends_on >= as_of or contract.auto_renew
    )


def _latest_per_contact(answers: Iterable[FeedbackRecord], as_of: date, days: int) -> list[FeedbackRecord]:
    latest: dict[int, FeedbackRecord] = {}
    anonymous: list[FeedbackRecord] = []
    for answer in answers:
        if not in_window(answer.responded_on, as_of=as_of, days=days):
            continue
        if answer.contact_id is None:
            anonymous.append(answer)
            continue
        kept = latest.get(answer.contact_id)
        if kept is None or (answer.responded_on, answer.id) > (kept.responded_on, kept.id):
            latest[answer.contact_id] = answer
    return [*latest.values(), *anonymous]


def evidence_from_records(
    *,
    as_of: date,
    orders: Iterable[OrderRecord] = (),
    answers: Iterable[FeedbackRecord] = (),
    advocacy: Iterable[AdvocacyRecord] = (),
    contracts: Iterable[ContractRecord] = (),
) -> LadderEvidence:
    """The evidence of one account as of T from its records; records dated after T do not exist."""
    counted = [o.order_date for o in orders if not o.cancelled and o.order_date <= as_of]
    this_month = month_index(as_of)
    w365 = [d for d in counted if in_window(d, as_of=as_of, days=365)]
    answers = list(answers)
    in_545 = _latest_per_contact(answers, as_of, 545)
    in_365 = [a for a in in_545 if in_window(a.responded_on, as_of=as_of, days=365)]
    verified = [e.occurred_on for e in advocacy if e.verified and e.occurred_on <= as_of]
    return LadderEvidence(
        orders_ever=len(counted),
        orders_w730=sum(1 for d in counted if in_window(d, as_of=as_of, days=730)),
        orders_w365=len(w365),
        quarters_w365=len({quarter_index(d) for d in w365}),
        months_with_orders=len({month_index(d) for d in counted if 1 <= this_month - month_index(d) <= 12}),
        nps_sum_w365=sum(a.score for a in in_365),
        nps_count_w365=len(in_365),
        nps_sum_w545=sum(a.score for a in in_545),
        nps_count_w545=len(in_545),
        detractor_w180=any(
            a.score <= DETRACTOR_MAX and in_window(a.responded_on, as_of=as_of, days=180) for a in answers
        ),
        verified_advocacy_w730=sum(1 for d in verified if in_window(d, as_of=as_of, days=730)),
        verified_advocacy_w1095=sum(1 for d in verified if in_window(d, as_of=as_of, days=1095)),
        partner_contract_active=any(c.kind in PARTNER_CONTRACT_KINDS and contract_active(c, as_of) for c in contracts),
    )


# --- what the pages and the transitions say -------------------------------------------------------------------


def _nps(mean: Decimal | None) -> str:
    if mean is None:
        return "no answer"
    return str(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _answers(count: int) -> str:
    return f"{count} answer" if count == 1 else f"{count} answers"


def entry_needs(stage: int, evidence: LadderEvidence) -> str:
    """The entry rule of a rung in words, with where the account stands now."""
    e = evidence
    name = LadderStage.labels[stage]
    if stage == CUSTOMER:
        return f"{name} needs a first order: none yet."
    if stage == CLIENT:
        return (
            f"{name} needs at least 3 orders in the last 365 days in 2 or more calendar quarters: now "
            f"{e.orders_w365} order{'s' if e.orders_w365 != 1 else ''} in {e.quarters_w365} "
            f"quarter{'s' if e.quarters_w365 != 1 else ''}."
        )
    if stage == SUPPORTER:
        parts = [
            f"{name} needs an NPS mean of at least {SUPPORTER_ENTRY_NPS}.0 over the last year and no detractor "
            f"(an answer of {DETRACTOR_MAX} or less) in the last 180 days: now "
        ]
        if e.nps_count_w365:
            parts.append(f"{_nps(e.nps_mean_w365)} from {_answers(e.nps_count_w365)}")
        else:
            parts.append("no answer in the last year")
        parts.append(", with a detractor." if e.detractor_w180 else ".")
        return "".join(parts)
    if stage == ADVOCATE:
        return f"{name} needs a verified advocacy event in the last two years: none yet."
    if stage == PARTNER:
        contract = "an active" if e.partner_contract_active else "no active"
        return (
            f"{name} needs an active partnership or joint-development contract and orders in at least "
            f"{PARTNER_MONTHS} of the last 12 complete months: now {contract} contract and orders in "
            f"{e.months_with_orders} month{'s' if e.months_with_orders != 1 else ''}, then a director's approval."
        )
    return ""


def retain_says(stage: int, evidence: LadderEvidence) -> str:
    """The retain rule of a rung in words, with where the account stands now."""
    e = evidence
    name = LadderStage.labels[stage]
    if stage == CUSTOMER:
        return f"{name} is kept with an order in the last 730 days: {e.orders_w730}."
    if stage == CLIENT:
        return f"{name} is kept with at least 2 orders in the last 365 days: {e.orders_w365}."
    if stage == SUPPORTER:
        return (
            f"{name} is kept with an NPS mean of at least {SUPPORTER_RETAIN_NPS}.0 over 545 days and no detractor "
            f"in 180 days: {_nps(e.nps_mean_w545)} from {_answers(e.nps_count_w545)}"
            + (", with a detractor." if e.detractor_w180 else ".")
        )
    if stage == ADVOCATE:
        return f"{name} is kept with a verified advocacy event in the last three years: {e.verified_advocacy_w1095}."
    if stage == PARTNER:
        state = "active" if e.partner_contract_active else "none active"
        return f"{name} is kept while a partnership or joint-development contract is active: {state}."
    return ""


@dataclass(frozen=True)
class RungCheck:
    stage: str
    label: str
    rung: int
    entry: bool
    retain: bool
    holds: bool
    entry_rule: str
    retain_rule: str


@dataclass(frozen=True)
class LadderView:
    """The ladder as a page shows it: each rung checked, and what the next rung needs."""

    current: int
    rule_stage: int
    rungs: list[RungCheck] = field(default_factory=list)
    next_rung: int | None = None
    next_needs: list[str] = field(default_factory=list)


def ladder_view(evidence: LadderEvidence, *, current: int, pinned: int | None = None) -> LadderView:
    """Every rung checked against the evidence, and, for the rung above the current stage, what is missing."""
    decision = ladder_decision(evidence, current=current, pinned=pinned)
    rungs = [
        RungCheck(
            stage=STAGES[k],
            label=LadderStage.labels[k],
            rung=k,
            entry=entry_holds(k, evidence),
            retain=retain_holds(k, evidence),
            holds=k == PROSPECT or rung_holds(k, evidence, current=current),
            entry_rule=entry_needs(k, evidence) if k else "",
            retain_rule=retain_says(k, evidence) if k else "",
        )
        for k in range(PROSPECT, PARTNER + 1)
    ]
    if current >= PARTNER:
        return LadderView(current=current, rule_stage=decision.rule_stage, rungs=rungs)
    target = current + 1
    needs = []
    # A rung above a failing one cannot hold either: name the lowest failing rung first.
    for k in range(CUSTOMER, target + 1):
        if k < target and rung_holds(k, evidence, current=current):
            continue
        if k == target and target == PARTNER and entry_holds(PARTNER, evidence):
            needs.append(f"{LadderStage.labels[PARTNER]} is supported by the evidence and waits for a director.")
            continue
        if not entry_holds(k, evidence):
            needs.append(entry_needs(k, evidence))
    return LadderView(current=current, rule_stage=decision.rule_stage, rungs=rungs, next_rung=target, next_needs=needs)
