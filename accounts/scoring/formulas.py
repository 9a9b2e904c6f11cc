"""The pure arithmetic of key-account scoring, policy kas-v1 (DESIGN §5): no database, no models.

The set-based SQL gathers, per account, one frozen ``*Inputs`` record made of aggregates (sums, counts, a
``percent_rank``); the functions here turn those into the five criteria, KAS and key_status. The
``*_from_*`` helpers compute the same inputs from plain records in Python: they are the reference the SQL is
tested against, and what the unit tests use.

Arithmetic and rounding — the SQL layer and anyone re-checking a score must do the same:

- Everything is ``Decimal`` at 40 significant digits (``_CONTEXT``). A float that comes from SQL
  (``percent_rank`` is double precision) enters through its shortest ``repr``, so 0.25 is exactly 0.25.
- No intermediate value is rounded. Each criterion is rounded once, at the end, to 0.01 with ROUND_HALF_UP:
  that is the stored score. Sub-scores (size, growth, tenure, …) are rounded the same way for display only.
- KAS = Σ weight · *stored* criterion score (null → 0), rounded once to 0.01 half-up, so anyone can recompute
  it from the stored c1…c5 and the policy weights.
- The contributions shown are weight · stored score apportioned to cents by largest remainder: each is within
  0.01 of its exact value and together they add up exactly to KAS.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import NamedTuple

from accounts.choices import InvoiceStatus, KeyStatus

_CONTEXT = Context(prec=40)
CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

CRITERIA: tuple[str, ...] = ("c1", "c2", "c3", "c4", "c5")
CRITERION_NAMES: dict[str, str] = {
    "c1": "regularity",
    "c2": "payment_reliability",
    "c3": "lifetime_potential",
    "c4": "brand_loyalty",
    "c5": "willingness_to_pay",
}

# Units of the inputs in the explanation. "money" is the base currency (KAM_CURRENCY), named by the explanation.
MONEY, DAYS, COUNT, MONTHS, RATIO, FRACTION, NPS, PERCENT, FLAG = (
    "money",
    "days",
    "count",
    "months",
    "ratio",
    "fraction",
    "nps (0–10)",
    "percent",
    "flag",
)

WRITEOFF_CAP = Decimal(20)
WRITEOFF_LATE_DAYS = 120


# --- small helpers -------------------------------------------------------------------------------------------


def to_decimal(value: Decimal | int | float) -> Decimal:
    """A finite Decimal; a float enters through its shortest repr (what PostgreSQL prints for a double)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    else:
        result = Decimal(repr(value))
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def clamp(x: Decimal) -> Decimal:
    """DESIGN §5: ``clamp(x) = min(1, max(0, x))``."""
    return min(ONE, max(ZERO, x))


def quantize_score(x: Decimal) -> Decimal:
    """A score as stored: 2 decimals, half up."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP, context=_CONTEXT)


def in_window(day: date, *, as_of: date, days: int) -> bool:
    """DESIGN §5: ``W(n)`` = dates d with T − n days < d ≤ T."""
    return as_of - timedelta(days=days) < day <= as_of


# --- results -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One raw input of a criterion, as the explanation shows it."""

    name: str
    value: Decimal | int | bool | None
    unit: str


@dataclass(frozen=True)
class Component:
    """A part of a criterion (size, growth, …): its 0–100 score rounded for display, and the weight it had after
    renormalisation (None when it was dropped for missing data)."""

    name: str
    score: Decimal | None
    weight: Decimal | None


@dataclass(frozen=True)
class CriterionResult:
    """One criterion for one account: the stored score (None = null, no data) and everything that explains it."""

    criterion: str
    score: Decimal | None
    inputs: tuple[Input, ...]
    components: tuple[Component, ...] = ()
    caps: tuple[str, ...] = ()
    missing_reason: str | None = None
    dropped: tuple[str, ...] = ()  # components left out for missing data; the others were renormalised

    @property
    def name(self) -> str:
        return CRITERION_NAMES[self.criterion]

    @property
    def is_null(self) -> bool:
        return self.score is None

    def input_value(self, name: str) -> Decimal | int | bool | None:
        return next(i.value for i in self.inputs if i.name == name)


def _component(name: str, score: Decimal | None, weight: Decimal | None) -> Component:
    return Component(name, None if score is None else quantize_score(score), weight)


# --- C1 regularity -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegularityInputs:
    """Revenue (orders not cancelled, Σ net_amount) of each of M1…M12, the 12 complete calendar months before
    the month of T. The formula is symmetric, so their order does not matter (chronological by convention)."""

    monthly_revenue: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        if len(self.monthly_revenue) != 12:
            raise ValueError(f"12 monthly revenues expected, got {len(self.monthly_revenue)}")
        if any(to_decimal(v) < 0 for v in self.monthly_revenue):
            raise ValueError("monthly revenue cannot be negative")


def regularity(inputs: RegularityInputs) -> CriterionResult:
    """C1: ``100·(0.5·active + 0.5·clamp(1 − cv/1.5))``, cv = pstdev/mean with zero months included; Σv = 0 → 0."""
    with localcontext(_CONTEXT):
        v = [to_decimal(x) for x in inputs.monthly_revenue]
        total = sum(v, ZERO)
        active_months = sum(1 for x in v if x > 0)
        if total == 0:
            return CriterionResult(
                "c1",
                ZERO.quantize(CENT),
                (
                    Input("active_months", 0, MONTHS),
                    Input("revenue_m12", total, MONEY),
                    Input("cv", None, RATIO),
                ),
                components=(_component("active", ZERO, Decimal("0.5")), _component("steadiness", ZERO, Decimal("0.5"))),
            )
        mean = total / 12
        pstdev = (sum(((x - mean) ** 2 for x in v), ZERO) / 12).sqrt()
        cv = pstdev / mean
        active = HUNDRED * Decimal(active_months) / 12
        steadiness = HUNDRED * clamp(1 - cv / Decimal("1.5"))
        score = Decimal("0.5") * active + Decimal("0.5") * steadiness
        return CriterionResult(
            "c1",
            quantize_score(score),
            (
                Input("active_months", active_months, MONTHS),
                Input("revenue_m12", total, MONEY),
                Input("cv", cv.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), RATIO),
            ),
            components=(
                _component("active", active, Decimal("0.5")),
                _component("steadiness", steadiness, Decimal("0.5")),
            ),
        )


# --- C2 payment reliability ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentInputs:
    """Aggregates over the account's invoices with issue_date ≤ T, all computable in one ``GROUP BY``.

    D = invoices not cancelled with due_date in W(365). ``late`` per invoice of D is
    ``max(0, min(paid_date, T) − due_date)`` days (T when unpaid at T), 120 when written off.
    """

    due_count: int  # |D|
    due_amount: Decimal  # Σ amount over D
    late_amount_days: Decimal  # Σ amount · late over D, so ADD = late_amount_days / due_amount
    overdue_unpaid: Decimal  # O: Σ amount unpaid at T with due_date < T, any age
    writeoff_w1095: bool  # a written_off invoice with due_date in W(1095)


@dataclass(frozen=True)
class InvoiceRecord:
    """The fields of an invoice that C2 reads."""

    issue_date: date
    due_date: date
    amount: Decimal
    status: str
    paid_date: date | None = None


def invoice_unpaid_at(invoice: InvoiceRecord, as_of: date) -> bool:
    """Neither cancelled nor written off, and no paid_date ≤ T (paid after T counts as unpaid at T)."""
    if invoice.status in (InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF):
        return False
    return invoice.paid_date is None or invoice.paid_date > as_of


def invoice_late_days(invoice: InvoiceRecord, as_of: date) -> int:
    """Days late as of T: ``max(0, min(paid_date, T) − due_date)``, T when unpaid at T, 120 when written off."""
    if invoice.status == InvoiceStatus.WRITTEN_OFF:
        return WRITEOFF_LATE_DAYS
    settled = as_of if invoice_unpaid_at(invoice, as_of) or invoice.paid_date is None else invoice.paid_date
    return max(0, (settled - invoice.due_date).days)


def payment_inputs_from_invoices(invoices: Iterable[InvoiceRecord], as_of: date) -> PaymentInputs:
    """The reference implementation of the C2 aggregates, one invoice at a time."""
    due_count = 0
    due_amount = ZERO
    late_amount_days = ZERO
    overdue_unpaid = ZERO
    writeoff = False
    with localcontext(_CONTEXT):
        for invoice in invoices:
            if invoice.issue_date > as_of or invoice.status == InvoiceStatus.CANCELLED:
                continue
            amount = to_decimal(invoice.amount)
            if in_window(invoice.due_date, as_of=as_of, days=365):
                due_count += 1
                due_amount += amount
                late_amount_days += amount * invoice_late_days(invoice, as_of)
            if invoice_unpaid_at(invoice, as_of) and invoice.due_date < as_of:
                overdue_unpaid += amount
            if invoice.status == InvoiceStatus.WRITTEN_OFF and in_window(invoice.due_date, as_of=as_of, days=1095):
                writeoff = True
    return PaymentInputs(due_count, due_amount, late_amount_days, overdue_unpaid, writeoff)


def payment_reliability(inputs: PaymentInputs) -> CriterionResult:
    """C2: ``100·clamp(1 − ADD/60)·(1 − ratio)``, capped at 20 after a write-off in W(1095); D empty → null."""
    with localcontext(_CONTEXT):
        due_amount = to_decimal(inputs.due_amount)
        overdue = to_decimal(inputs.overdue_unpaid)
        if inputs.due_count == 0 or due_amount <= 0:
            return CriterionResult(
                "c2",
                None,
                (
                    Input("invoices_due_w365", inputs.due_count, COUNT),
                    Input("overdue_unpaid", overdue, MONEY),
                    Input("writeoff_w1095", inputs.writeoff_w1095, FLAG),
                ),
                missing_reason="No invoice (other than cancelled ones) fell due in the last 365 days.",
            )
        add = to_decimal(inputs.late_amount_days) / due_amount
        ratio = min(ONE, overdue / due_amount)
        score = HUNDRED * clamp(1 - add / 60) * (1 - ratio)
        caps: tuple[str, ...] = ()
        if inputs.writeoff_w1095 and score > WRITEOFF_CAP:
            score = WRITEOFF_CAP
            caps = ("Capped at 20: an invoice due in the last 1095 days was written off.",)
        return CriterionResult(
            "c2",
            quantize_score(score),
            (
                Input("invoices_due_w365", inputs.due_count, COUNT),
                Input("amount_due_w365", due_amount, MONEY),
                Input("average_days_late", add.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), DAYS),
                Input("overdue_unpaid", overdue, MONEY),
                Input("overdue_ratio", ratio.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), RATIO),
                Input("writeoff_w1095", inputs.writeoff_w1095, FLAG),
            ),
            caps=caps,
        )


# --- C3 lifetime potential -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PotentialInputs:
    """R12 = revenue in W(365), R12p = revenue in (T − 730, T − 365], the account's ``percent_rank`` of R12
    among active accounts of its kind (0–1, SQL's ``percent_rank() OVER (PARTITION BY kind ORDER BY r12)``),
    and its annual_potential (None or ≤ 0: no headroom)."""

    r12: Decimal
    r12p: Decimal
    size_percent_rank: Decimal | float
    annual_potential: Decimal | None = None

    def __post_init__(self) -> None:
        if not ZERO <= to_decimal(self.size_percent_rank) <= ONE:
            raise ValueError("size_percent_rank is a fraction between 0 and 1")


def percent_rank(values: Sequence[Decimal | int | float]) -> list[float]:
    """The reference of SQL's ``percent_rank()`` ascending: ``(rank − 1)/(n − 1)``, ties share the lowest rank,
    0 when n = 1. Same float division as PostgreSQL, so the results are bit-identical."""
    n = len(values)
    if n <= 1:
        return [0.0] * n
    ordered = sorted(to_decimal(v) for v in values)
    return [bisect.bisect_left(ordered, to_decimal(v)) / (n - 1) for v in values]


def lifetime_potential(inputs: PotentialInputs) -> CriterionResult:
    """C3: ``0.5·size + 0.3·growth + 0.2·headroom``; without headroom the other two are renormalised (÷ 0.8)."""
    with localcontext(_CONTEXT):
        r12 = to_decimal(inputs.r12)
        r12p = to_decimal(inputs.r12p)
        rank = to_decimal(inputs.size_percent_rank)
        potential = None if inputs.annual_potential is None else to_decimal(inputs.annual_potential)
        size = HUNDRED * rank
        if r12p == 0:
            growth = HUNDRED if r12 > 0 else ZERO
        else:
            growth = HUNDRED * clamp(((r12 - r12p) / r12p + Decimal("0.2")) / Decimal("0.4"))
        inputs_shown = (
            Input("revenue_w365", r12, MONEY),
            Input("revenue_previous_w365", r12p, MONEY),
            Input("size_percent_rank", rank, FRACTION),
            Input("annual_potential", potential, MONEY),
        )
        if potential is not None and potential > 0:
            headroom = HUNDRED * clamp((potential - r12) / potential)
            score = Decimal("0.5") * size + Decimal("0.3") * growth + Decimal("0.2") * headroom
            return CriterionResult(
                "c3",
                quantize_score(score),
                inputs_shown,
                components=(
                    _component("size", size, Decimal("0.5")),
                    _component("growth", growth, Decimal("0.3")),
                    _component("headroom", headroom, Decimal("0.2")),
                ),
            )
        score = (Decimal("0.5") * size + Decimal("0.3") * growth) / Decimal("0.8")
        return CriterionResult(
            "c3",
            quantize_score(score),
            inputs_shown,
            components=(
                _component("size", size, Decimal("0.625")),
                _component("growth", growth, Decimal("0.375")),
                _component("headroom", None, None),
            ),
            dropped=("headroom: no annual potential recorded; size and growth renormalised (÷ 0.8).",),
        )


# --- C4 brand loyalty ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoyaltyInputs:
    """Orders count unless cancelled. ``days_since_first_order`` = T − first order date (None: no order ever ≤ T);
    ``nps_mean`` = mean of the latest answer per contact in W(365), answers without a contact one by one (None:
    no answer); ``verified_advocacy_w730`` = verified advocacy events in W(730)."""

    days_since_first_order: int | None
    orders_w365: int
    nps_mean: Decimal | None = None
    verified_advocacy_w730: int = 0

    def __post_init__(self) -> None:
        if self.days_since_first_order is not None and self.days_since_first_order < 0:
            raise ValueError("the first order cannot be after T")
        if self.orders_w365 < 0 or self.verified_advocacy_w730 < 0:
            raise ValueError("counts cannot be negative")


@dataclass(frozen=True)
class FeedbackRecord:
    """An NPS answer. ``id`` breaks ties between two answers of one contact on the same day (higher = later)."""

    responded_on: date
    score: int
    contact_id: int | None = None
    id: int = 0


def nps_mean_from_answers(answers: Iterable[FeedbackRecord], as_of: date) -> Decimal | None:
    """The reference of C4's nps input: the latest answer per contact in W(365), answers without a contact
    counted one by one; their mean, or None when there is none."""
    latest: dict[int, FeedbackRecord] = {}
    anonymous: list[int] = []
    for answer in answers:
        if not in_window(answer.responded_on, as_of=as_of, days=365):
            continue
        if answer.contact_id is None:
            anonymous.append(answer.score)
            continue
        kept = latest.get(answer.contact_id)
        if kept is None or (answer.responded_on, answer.id) > (kept.responded_on, kept.id):
            latest[answer.contact_id] = answer
    scores = [a.score for a in latest.values()] + anonymous
    if not scores:
        return None
    with localcontext(_CONTEXT):
        return Decimal(sum(scores)) / len(scores)


def advocacy_score(verified_events: int) -> Decimal:
    """0 → 0, 1 → 60, ≥ 2 → 100."""
    return ZERO if verified_events <= 0 else Decimal(60) if verified_events == 1 else HUNDRED


def brand_loyalty(inputs: LoyaltyInputs) -> CriterionResult:
    """C4: tenure/repeat/nps/advocacy weighted 0.30/0.30/0.25/0.15; no nps → the rest renormalised (÷ 0.75);
    no order ever → 0."""
    with localcontext(_CONTEXT):
        nps_mean = None if inputs.nps_mean is None else to_decimal(inputs.nps_mean)
        inputs_shown = (
            Input("days_since_first_order", inputs.days_since_first_order, DAYS),
            Input("orders_w365", inputs.orders_w365, COUNT),
            Input("nps_mean", None if nps_mean is None else nps_mean.quantize(CENT, ROUND_HALF_UP), NPS),
            Input("verified_advocacy_w730", inputs.verified_advocacy_w730, COUNT),
        )
        if inputs.days_since_first_order is None:
            return CriterionResult("c4", ZERO.quantize(CENT), inputs_shown)
        tenure = HUNDRED * min(ONE, Decimal(inputs.days_since_first_order) / 365 / 5)
        repeat = HUNDRED * min(ONE, Decimal(inputs.orders_w365) / 12)
        advocacy = advocacy_score(inputs.verified_advocacy_w730)
        w_tenure, w_repeat, w_nps, w_advocacy = Decimal("0.30"), Decimal("0.30"), Decimal("0.25"), Decimal("0.15")
        dropped: tuple[str, ...] = ()
        effective: tuple[Decimal, Decimal, Decimal | None, Decimal]
        if nps_mean is None:
            nps = None
            score = (w_tenure * tenure + w_repeat * repeat + w_advocacy * advocacy) / Decimal("0.75")
            effective = (w_tenure / Decimal("0.75"), w_repeat / Decimal("0.75"), None, w_advocacy / Decimal("0.75"))
            dropped = ("nps: no NPS answer in the last 365 days; the other parts renormalised (÷ 0.75).",)
        else:
            nps = HUNDRED * clamp((nps_mean - 6) / 4)
            score = w_tenure * tenure + w_repeat * repeat + w_nps * nps + w_advocacy * advocacy
            effective = (w_tenure, w_repeat, w_nps, w_advocacy)
        weights_shown = [None if w is None else w.quantize(Decimal("0.0001"), ROUND_HALF_UP) for w in effective]
        return CriterionResult(
            "c4",
            quantize_score(score),
            inputs_shown,
            components=(
                _component("tenure", tenure, weights_shown[0]),
                _component("repeat", repeat, weights_shown[1]),
                _component("nps", nps, weights_shown[2]),
                _component("advocacy", advocacy, weights_shown[3]),
            ),
            dropped=dropped,
        )


# --- C5 willingness to pay for service -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceInputs:
    """Over orders not cancelled in W(365): R12 = Σ net_amount, the premium and enhanced parts of it, and
    Σ net_amount · discount_pct (so d = discount_weighted_sum / R12 is the revenue-weighted mean discount)."""

    r12: Decimal
    premium_revenue: Decimal
    enhanced_revenue: Decimal
    discount_weighted_sum: Decimal


def willingness_to_pay(inputs: ServiceInputs) -> CriterionResult:
    """C5: ``0.6·100·min(1, p/0.5) + 0.4·100·clamp(1 − d/20)``; R12 = 0 → null."""
    with localcontext(_CONTEXT):
        r12 = to_decimal(inputs.r12)
        premium = to_decimal(inputs.premium_revenue)
        enhanced = to_decimal(inputs.enhanced_revenue)
        if r12 <= 0:
            return CriterionResult(
                "c5",
                None,
                (Input("revenue_w365", r12, MONEY),),
                missing_reason="No revenue in the last 365 days.",
            )
        p = (premium + Decimal("0.5") * enhanced) / r12
        d = to_decimal(inputs.discount_weighted_sum) / r12
        service = HUNDRED * min(ONE, p / Decimal("0.5"))
        price = HUNDRED * clamp(1 - d / 20)
        score = Decimal("0.6") * service + Decimal("0.4") * price
        return CriterionResult(
            "c5",
            quantize_score(score),
            (
                Input("revenue_w365", r12, MONEY),
                Input("premium_revenue_w365", premium, MONEY),
                Input("enhanced_revenue_w365", enhanced, MONEY),
                Input("service_share", p.quantize(Decimal("0.0001"), ROUND_HALF_UP), FRACTION),
                Input("mean_discount_pct", d.quantize(CENT, ROUND_HALF_UP), PERCENT),
            ),
            components=(_component("service", service, Decimal("0.6")), _component("price", price, Decimal("0.4"))),
        )


# --- policy, KAS and key status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """Weights and thresholds of a scoring policy; the defaults are kas-v1. Field names are ScoringPolicy's."""

    version: str = "kas-v1"
    weight_c1: Decimal = Decimal("0.25")
    weight_c2: Decimal = Decimal("0.20")
    weight_c3: Decimal = Decimal("0.25")
    weight_c4: Decimal = Decimal("0.15")
    weight_c5: Decimal = Decimal("0.15")
    key_threshold: Decimal = Decimal(70)
    retain_threshold: Decimal = Decimal(60)
    strategic_threshold: Decimal = Decimal(85)
    candidate_threshold: Decimal = Decimal(55)
    min_orders_w365: int = 3

    def __post_init__(self) -> None:
        weights = self.weights.values()
        if any(not ZERO <= w <= ONE for w in weights):
            raise ValueError("each weight is between 0 and 1")
        if sum(weights, ZERO) != ONE:
            raise ValueError("the five weights must add up to 1")
        if not (self.candidate_threshold <= self.retain_threshold <= self.key_threshold <= self.strategic_threshold):
            raise ValueError("thresholds must be ordered: candidate ≤ retain ≤ key ≤ strategic")

    @classmethod
    def of(cls, policy: object) -> Policy:
        """The pure policy of anything with ScoringPolicy's fields (a model instance, a form's cleaned data)."""
        return cls(**{name: getattr(policy, name) for name in cls.__dataclass_fields__})

    @property
    def weights(self) -> dict[str, Decimal]:
        return {
            "c1": to_decimal(self.weight_c1),
            "c2": to_decimal(self.weight_c2),
            "c3": to_decimal(self.weight_c3),
            "c4": to_decimal(self.weight_c4),
            "c5": to_decimal(self.weight_c5),
        }


KAS_V1 = Policy()


class KasResult(NamedTuple):
    kas: Decimal
    completeness: Decimal
    contributions: dict[str, Decimal]  # per criterion, in cents, adding up exactly to kas


def kas(results: Iterable[CriterionResult], weights: Mapping[str, Decimal]) -> KasResult:
    """KAS = Σ weight · stored score (null → 0) rounded half up to 0.01; completeness = Σ weights of the criteria
    that are not null. The contributions are apportioned to cents by largest remainder (ties: criterion order)
    so that they add up exactly to KAS."""
    with localcontext(_CONTEXT):
        exact: dict[str, Decimal] = {}
        completeness = ZERO
        for result in results:
            if result.criterion in exact:
                raise ValueError(f"{result.criterion} given twice")
            weight = to_decimal(weights[result.criterion])
            if weight < 0:
                raise ValueError("weights cannot be negative")
            exact[result.criterion] = ZERO if result.score is None else weight * result.score
            if result.score is not None:
                completeness += weight
        total = quantize_score(sum(exact.values(), ZERO))
        floors = {code: value.quantize(CENT, rounding=ROUND_FLOOR) for code, value in exact.items()}
        cents_left = int((total - sum(floors.values(), ZERO)) / CENT)
        by_remainder = sorted(exact, key=lambda code: -(exact[code] - floors[code]))  # stable: criterion order
        for code in by_remainder[:cents_left]:
            floors[code] += CENT
        return KasResult(total, completeness, floors)


@dataclass(frozen=True)
class KeyStatusDecision:
    """key_status and why: the gates, and whether the account stayed key only thanks to the hysteresis."""

    status: str
    kas: Decimal
    previous: str | None
    orders_w365: int
    writeoff_w1095: bool
    orders_gate: bool  # ≥ min_orders_w365 orders in W(365)
    writeoff_gate: bool  # no written-off invoice due in W(1095)
    retained: bool  # key or strategic only because it was before and KAS ≥ retain_threshold
    thresholds: Policy


KEY_STATUSES_RETAINED = (KeyStatus.KEY, KeyStatus.STRATEGIC)


def key_status_decision(
    *,
    kas: Decimal,
    orders_w365: int,
    writeoff_w1095: bool,
    previous: str | None,
    thresholds: Policy = KAS_V1,
) -> KeyStatusDecision:
    """DESIGN §5: key when KAS ≥ key_threshold and the gates pass, or (hysteresis) when it was key or strategic
    before this run and KAS ≥ retain_threshold and no write-off; strategic = key with KAS ≥ strategic_threshold;
    otherwise candidate when KAS ≥ candidate_threshold; otherwise standard."""
    score = to_decimal(kas)
    orders_gate = orders_w365 >= thresholds.min_orders_w365
    writeoff_gate = not writeoff_w1095
    enters = score >= thresholds.key_threshold and orders_gate and writeoff_gate
    stays = previous in KEY_STATUSES_RETAINED and score >= thresholds.retain_threshold and writeoff_gate
    if enters or stays:
        status = KeyStatus.STRATEGIC if score >= thresholds.strategic_threshold else KeyStatus.KEY
    elif score >= thresholds.candidate_threshold:
        status = KeyStatus.CANDIDATE
    else:
        status = KeyStatus.STANDARD
    return KeyStatusDecision(
        status=str(status.value),
        kas=score,
        previous=previous,
        orders_w365=orders_w365,
        writeoff_w1095=writeoff_w1095,
        orders_gate=orders_gate,
        writeoff_gate=writeoff_gate,
        retained=stays and not enters,
        thresholds=thresholds,
    )


def key_status(
    *,
    kas: Decimal,
    orders_w365: int,
    writeoff_w1095: bool,
    previous: str | None,
    thresholds: Policy = KAS_V1,
) -> str:
    """The key_status code (``strategic``, ``key``, ``candidate``, ``standard``); see key_status_decision."""
    return key_status_decision(
        kas=kas, orders_w365=orders_w365, writeoff_w1095=writeoff_w1095, previous=previous, thresholds=thresholds
    ).status


def score_all(
    *,
    regularity_inputs: RegularityInputs,
    payment_inputs: PaymentInputs,
    potential_inputs: PotentialInputs,
    loyalty_inputs: LoyaltyInputs,
    service_inputs: ServiceInputs,
) -> tuple[CriterionResult, ...]:
    """The five criteria of one account, in order c1…c5."""
    return (
        regularity(regularity_inputs),
        payment_reliability(payment_inputs),
        lifetime_potential(potential_inputs),
        brand_loyalty(loyalty_inputs),
        willingness_to_pay(service_inputs),
    )
