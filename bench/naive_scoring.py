"""The naive way to score key accounts, for ``bench/scoring.py`` to compare the set-based run against: a Python
loop over the accounts with a handful of ORM queries per account (its orders, invoices, NPS answers, verified
advocacy and previous status), the inputs computed in Python with the reference helpers of
``accounts.scoring.formulas`` and scored with the same pure functions (``score_all``, ``kas``, ``key_status``).

It is the same arithmetic as the set-based run, so the comparison is fair (``tests/accounts/test_seed_volume.py``
checks that both give the same scores); it is cheaper than a real run in one respect, which only makes the naive
side look better: it writes nothing (no AccountScore rows, no explanations).

Size (C3) is a percent rank among the scored accounts of the same kind: scoring everyone (``account_ids=None``)
gives the exact figures; scoring a sample ranks within the sample, which costs the same and changes only C3's
values.

Import it with ``bench/`` on ``sys.path`` after ``django.setup()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from accounts.choices import OrderStatus, ScoringRunStatus, ServiceLevel
from accounts.models import Account, AccountScore, Invoice, Order, ScoringPolicy, ScoringRun
from accounts.scoring.formulas import (
    KAS_V1,
    FeedbackRecord,
    InvoiceRecord,
    LoyaltyInputs,
    PaymentInputs,
    Policy,
    PotentialInputs,
    RegularityInputs,
    ServiceInputs,
    in_window,
    kas,
    key_status,
    nps_mean_from_answers,
    payment_inputs_from_invoices,
    percent_rank,
    score_all,
)
from relationships.models import AdvocacyEvent, Feedback

ZERO = Decimal(0)


@dataclass(frozen=True)
class NaiveScore:
    """One account's scores, as an AccountScore stores them."""

    c1: Decimal | None
    c2: Decimal | None
    c3: Decimal | None
    c4: Decimal | None
    c5: Decimal | None
    kas: Decimal
    completeness: Decimal
    key_status: str


@dataclass
class _Gathered:
    """What the per-account queries found, before the percent rank is known."""

    kind: str
    annual_potential: Decimal | None
    regularity: RegularityInputs
    payment: PaymentInputs
    r12: Decimal
    r12p: Decimal
    loyalty: LoyaltyInputs
    service: ServiceInputs
    previous: str | None


def naive_policy() -> Policy:
    """The active scoring policy as the pure functions take it (kas-v1 when there is none)."""
    policy = ScoringPolicy.objects.filter(is_active=True).first()
    if policy is None:
        return KAS_V1
    return Policy(
        version=policy.version,
        weight_c1=policy.weight_c1,
        weight_c2=policy.weight_c2,
        weight_c3=policy.weight_c3,
        weight_c4=policy.weight_c4,
        weight_c5=policy.weight_c5,
        key_threshold=policy.key_threshold,
        retain_threshold=policy.retain_threshold,
        strategic_threshold=policy.strategic_threshold,
        candidate_threshold=policy.candidate_threshold,
        min_orders_w365=policy.min_orders_w365,
    )


def naive_population(as_of: datetime.date) -> list[int]:
    """Ids of the accounts a run as of ``as_of`` scores: active, and existing then (created by that day, or with
    an order dated by then)."""
    ordered = Order.objects.filter(account=OuterRef("pk"), order_date__lte=as_of)
    return list(
        Account.objects.filter(is_active=True)
        .filter(Q(created_at__date__lte=as_of) | Exists(ordered))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _gather(account: Account, as_of: datetime.date, previous_run_id: int | None) -> _Gathered:
    """The per-account queries and the Python that turns their rows into the formulas' inputs."""
    orders = list(
        Order.objects.filter(account_id=account.pk, order_date__lte=as_of)
        .exclude(status=OrderStatus.CANCELLED)
        .values_list("order_date", "net_amount", "discount_pct", "service_level")
    )
    invoices = [
        InvoiceRecord(issue_date=i, due_date=d, amount=a, status=s, paid_date=p)
        for i, d, a, s, p in Invoice.objects.filter(account_id=account.pk, issue_date__lte=as_of).values_list(
            "issue_date", "due_date", "amount", "status", "paid_date"
        )
    ]
    answers = [
        FeedbackRecord(responded_on=day, score=score, contact_id=contact, id=pk)
        for pk, day, score, contact in Feedback.objects.filter(
            account_id=account.pk, responded_on__lte=as_of
        ).values_list("pk", "responded_on", "score", "contact_id")
    ]
    advocacy = AdvocacyEvent.objects.filter(
        account_id=account.pk,
        verified=True,
        occurred_on__gt=as_of - datetime.timedelta(days=730),
        occurred_on__lte=as_of,
    ).count()
    previous = None
    if previous_run_id is not None:
        previous = (
            AccountScore.objects.filter(account_id=account.pk, run_id=previous_run_id)
            .values_list("computed_key_status", flat=True)
            .first()
        )

    this_month = _month_index(as_of)
    monthly = [ZERO] * 12
    r12 = r12p = premium = enhanced = discounted = ZERO
    orders_w365 = 0
    first_order: datetime.date | None = None
    for day, amount, discount, service in orders:
        months_back = this_month - _month_index(day)
        if 1 <= months_back <= 12:
            monthly[12 - months_back] += amount
        if first_order is None or day < first_order:
            first_order = day
        if in_window(day, as_of=as_of, days=365):
            r12 += amount
            orders_w365 += 1
            discounted += amount * discount
            if service == ServiceLevel.PREMIUM:
                premium += amount
            elif service == ServiceLevel.ENHANCED:
                enhanced += amount
        elif in_window(day, as_of=as_of, days=730):
            r12p += amount
    return _Gathered(
        kind=account.kind,
        annual_potential=account.annual_potential,
        regularity=RegularityInputs(monthly_revenue=tuple(monthly)),
        payment=payment_inputs_from_invoices(invoices, as_of),
        r12=r12,
        r12p=r12p,
        loyalty=LoyaltyInputs(
            days_since_first_order=None if first_order is None else (as_of - first_order).days,
            orders_w365=orders_w365,
            nps_mean=nps_mean_from_answers(answers, as_of),
            verified_advocacy_w730=advocacy,
        ),
        service=ServiceInputs(
            r12=r12, premium_revenue=premium, enhanced_revenue=enhanced, discount_weighted_sum=discounted
        ),
        previous=previous,
    )


def _latest_run_id() -> int | None:
    run = ScoringRun.objects.filter(status=ScoringRunStatus.DONE).order_by("-finished_at", "-pk").first()
    return None if run is None else run.pk


def naive_scores(
    *,
    as_of: datetime.date,
    account_ids: Sequence[int] | None = None,
    policy: Policy | None = None,
    previous_run_id: int | None = None,
) -> dict[int, NaiveScore]:
    """Score ``account_ids`` (default: the whole population) one account at a time. ``previous_run_id`` is the
    run whose computed status the hysteresis reads (default: the latest finished run)."""
    policy = policy or naive_policy()
    if previous_run_id is None:
        previous_run_id = _latest_run_id()
    ids = naive_population(as_of) if account_ids is None else list(account_ids)
    gathered: dict[int, _Gathered] = {}
    for account_id in ids:
        account = Account.objects.get(pk=account_id)
        gathered[account_id] = _gather(account, as_of, previous_run_id)
    ranks = _ranks(gathered.items())
    scores: dict[int, NaiveScore] = {}
    for account_id, inputs in gathered.items():
        results = score_all(
            regularity_inputs=inputs.regularity,
            payment_inputs=inputs.payment,
            potential_inputs=PotentialInputs(
                r12=inputs.r12,
                r12p=inputs.r12p,
                size_percent_rank=ranks[account_id],
                annual_potential=inputs.annual_potential,
            ),
            loyalty_inputs=inputs.loyalty,
            service_inputs=inputs.service,
        )
        total = kas(results, policy.weights)
        c1, c2, c3, c4, c5 = (result.score for result in results)
        scores[account_id] = NaiveScore(
            c1=c1,
            c2=c2,
            c3=c3,
            c4=c4,
            c5=c5,
            kas=total.kas,
            completeness=total.completeness,
            key_status=key_status(
                kas=total.kas,
                orders_w365=inputs.loyalty.orders_w365,
                writeoff_w1095=inputs.payment.writeoff_w1095,
                previous=inputs.previous,
                thresholds=policy,
            ),
        )
    return scores


def _ranks(gathered: Iterable[tuple[int, _Gathered]]) -> dict[int, float]:
    """Percent rank of R12 within each kind."""
    by_kind: dict[str, list[tuple[int, Decimal]]] = {}
    for account_id, inputs in gathered:
        by_kind.setdefault(inputs.kind, []).append((account_id, inputs.r12))
    ranks: dict[int, float] = {}
    for members in by_kind.values():
        for (account_id, _r12), rank in zip(members, percent_rank([r12 for _id, r12 in members]), strict=True):
            ranks[account_id] = rank
    return ranks
