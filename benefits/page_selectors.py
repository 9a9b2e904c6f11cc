"""Reads the benefits pages need beyond ``benefits.selectors``: the account section's grants with their
history, the director's queue with what each approval would commit and against which budget, budgets with
their utilisation and the grants counted, and the ROI report's filtered grants. Each is a fixed number of
queries, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet

from accounts.models import Account
from accounts.selectors import accounts_with_score
from benefits import selectors
from benefits.choices import GrantStatus
from benefits.eligibility import RuleFailure, Standing, eligibility_failures
from benefits.models import BenefitBudget, BenefitGrant, BenefitGrantEvent
from benefits.services import grant_cost_over_validity

# The grants an ROI report is about: those that were granted (requests and rejections never cost anything).
ROI_STATUSES: tuple[str, ...] = (
    GrantStatus.APPROVED,
    GrantStatus.ACTIVE,
    GrantStatus.EXPIRED,
    GrantStatus.SUSPENDED,
    GrantStatus.REVOKED,
)
PERCENT = Decimal("0.1")
CENT = Decimal("0.01")
ROI_FIGURES = ("revenue_during", "revenue_before", "cost", "roi")


def account_grants_with_history(*, account: Account, today: date) -> QuerySet[BenefitGrant]:
    """The account's grants (live first, with their ROI estimate) and each one's transitions, oldest first, with
    their actors: two queries."""
    events = BenefitGrantEvent.objects.select_related("actor").order_by("at", "id")
    return selectors.account_grants(account=account, today=today).prefetch_related(
        Prefetch("events", queryset=events, to_attr="history")
    )


@dataclass(frozen=True)
class QueueItem:
    """A request as a director decides it: what approving would commit, the budget that would carry it, and
    the rules the account breaks today (a request may have lost its eligibility while it waited)."""

    grant: BenefitGrant
    would_commit: Decimal
    budget: BenefitBudget | None
    failures: list[RuleFailure]

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.would_commit > self.budget.available


def _budget_for(budgets: list[BenefitBudget], category: str, day: date) -> BenefitBudget | None:
    return next((b for b in budgets if b.category == category and b.period_start <= day <= b.period_end), None)


def approval_queue(*, user: Any) -> list[QueueItem]:
    """The director's queue (``benefits.selectors.grants_awaiting_decision``, oldest first) with what each
    approval would commit and against which budget: three queries (requests, the accounts' C2, budgets)."""
    grants = list(selectors.grants_awaiting_decision(user=user))
    if not grants:
        return []
    account_ids = {grant.account_id for grant in grants}
    c2_by_account = dict(
        accounts_with_score(Account.objects.filter(pk__in=account_ids))
        .annotate(c2=F("current_score__c2"))
        .values_list("pk", "c2")
    )
    starts = [grant.valid_from for grant in grants]
    budgets = list(
        BenefitBudget.objects.filter(
            category__in={grant.benefit_type.category for grant in grants},
            period_start__lte=max(starts),
            period_end__gte=min(starts),
        )
    )
    items = []
    for grant in grants:
        account = grant.account
        standing = Standing(key_status=account.key_status, stage=account.stage, c2=c2_by_account.get(account.pk))
        items.append(
            QueueItem(
                grant=grant,
                would_commit=grant_cost_over_validity(grant),
                budget=_budget_for(budgets, grant.benefit_type.category, grant.valid_from),
                failures=eligibility_failures(grant.benefit_type, standing),
            )
        )
    return items


@dataclass(frozen=True)
class BudgetUse:
    """A budget with its utilisation in percent of its amount (for the bars, capped at 100) and the grants
    committed against it."""

    budget: BenefitBudget
    committed_pct: Decimal
    consumed_pct: Decimal
    grants: list[BenefitGrant]
    is_current: bool


def share(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, to one decimal, between 0 and 100 (0 of nothing is 0)."""
    if whole <= 0:
        return Decimal(100) if part > 0 else Decimal(0)
    return min(Decimal(100), max(Decimal(0), part * 100 / whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def budget_uses(*, user: Any, today: date) -> list[BudgetUse]:
    """The budgets the user sees (``benefits.selectors.budget_list``), newest period first, each with its
    utilisation and the grants committed against it: two queries."""
    grants = BenefitGrant.objects.select_related("account", "benefit_type").order_by("valid_from", "id")
    budgets = selectors.budget_list(user=user).prefetch_related(Prefetch("grants", queryset=grants, to_attr="counted"))
    return [
        BudgetUse(
            budget=budget,
            committed_pct=share(budget.committed, budget.amount),
            consumed_pct=share(budget.consumed, budget.amount),
            grants=budget.counted,
            is_current=budget.period_start <= today <= budget.period_end,
        )
        for budget in budgets
    ]


# The report's sorts (``RoiFilterForm.ordering``, ``-`` for descending): by the account's or the benefit's name, the
# start, or any figure of the row.
ROI_ORDERING: dict[str, str] = {
    "account": "account__name",
    "benefit": "benefit_type__name",
    "valid_from": "valid_from",
    **{figure: figure for figure in ROI_FIGURES},
}


def grant_roi_report(
    *, user: Any, today: date, category: str = "", status: str = "", ordering: str = ""
) -> QuerySet[BenefitGrant]:
    """The granted grants the user sees, with their ROI estimate (``benefits.selectors.grant_list``), optionally
    of one category and one status, the latest first unless ``ordering`` names another sort."""
    grants = selectors.grant_list(user=user, today=today).filter(status__in=ROI_STATUSES)
    if category:
        grants = grants.filter(benefit_type__category=category)
    if status:
        grants = grants.filter(status=status)
    field = ROI_ORDERING.get(ordering.removeprefix("-"))
    if field is None:
        return grants.order_by("-valid_from", "-id")
    term = F(field).desc(nulls_last=True) if ordering.startswith("-") else F(field).asc(nulls_last=True)
    return grants.order_by(term, "-id")


def grant_roi_report_totals(*, grants: QuerySet[BenefitGrant]) -> dict[str, Decimal]:
    """The report's totals over ``grants`` — revenue during and before, cost, ROI — to the cent, in one query.

    Summed here over the figures of each row rather than by ``benefits.selectors.grant_roi_totals``: Django's
    aggregation over these annotations wraps them in a subquery that leaves out the correlated revenue sums it
    then totals (PostgreSQL: ``column "revenue_during" does not exist``). A report has one row per grant."""
    totals = dict.fromkeys(ROI_FIGURES, Decimal(0))
    for row in grants.order_by().values_list(*ROI_FIGURES):
        for name, value in zip(ROI_FIGURES, row, strict=True):
            totals[name] += value or Decimal(0)
    return {name: value.quantize(CENT, rounding=ROUND_HALF_UP) for name, value in totals.items()}
