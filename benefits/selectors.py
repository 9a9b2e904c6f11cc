"""Reads of the benefits, scoped by the account visibility of ``accounts.selectors``: the catalog with what an
account may have and why not, grants with their ROI, the director's queue, budgets with their utilisation.

ROI per grant (DESIGN §7), an estimate: the account's revenue (orders not cancelled) during the grant — from its
first day to its last, or to today while it runs — against the same number of days just before it, minus its
cost: the costs recorded for it when there are, else its committed cost prorated to the days elapsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least

from accounts.choices import OrderStatus
from accounts.models import Account, Order
from accounts.selectors import rows_on_visible_accounts
from benefits.choices import GRANT_LIVE, GrantStatus
from benefits.eligibility import RuleFailure, Standing, eligibility_failures, rules_described
from benefits.models import BenefitBudget, BenefitCost, BenefitGrant, BenefitType
from kam.roles import is_director, is_integration

ROI_METHOD = (
    "Revenue during the grant (to today while it runs) minus revenue in the same number of days before it, minus "
    "its cost (recorded costs, else the committed cost prorated to the days elapsed). An estimate: other causes "
    "move revenue too."
)
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))


def benefit_types(*, active_only: bool = False) -> QuerySet[BenefitType]:
    types = BenefitType.objects.all()
    return types.filter(is_active=True) if active_only else types


@dataclass(frozen=True)
class Offer:
    """A benefit of the catalog as one account sees it: may it have it, and if not, which rules say no."""

    benefit_type: BenefitType
    rules: str
    failures: list[RuleFailure]

    @property
    def eligible(self) -> bool:
        return not self.failures


def account_benefit_offers(*, standing: Standing) -> list[Offer]:
    """Every active benefit of the catalog checked against the account's standing (one query)."""
    return [
        Offer(
            benefit_type=benefit_type,
            rules=rules_described(benefit_type),
            failures=eligibility_failures(benefit_type, standing),
        )
        for benefit_type in benefit_types(active_only=True)
    ]


def grants_visible_to(user: Any) -> QuerySet[BenefitGrant]:
    return rows_on_visible_accounts(BenefitGrant, user)


def _days(later: Any, earlier: Any) -> Func:
    """``later − earlier`` in days: PostgreSQL subtracts dates to an integer (Django would make it an interval)."""
    return Func(later, earlier, template="(%(expressions)s)", arg_joiner=" - ", output_field=IntegerField())


def _days_before(day: Any, days: Any) -> Func:
    return Func(day, days, template="(%(expressions)s)", arg_joiner=" - ", output_field=DateField())


def grants_with_roi(grants: QuerySet[BenefitGrant], today: date) -> QuerySet[BenefitGrant]:
    """``grants`` with ``roi_end`` (its last day, or today while it runs), ``days_elapsed``, ``revenue_during``,
    ``revenue_before``, ``cost`` (recorded, else committed prorated), ``cost_recorded`` and ``roi``: one SQL
    statement with correlated sums, evaluated for the rows fetched."""
    end = Least(F("valid_to"), Value(today, output_field=DateField()))
    orders = Order.objects.filter(account_id=OuterRef("account_id")).exclude(status=OrderStatus.CANCELLED)

    def revenue(start: Any, stop: Any) -> Subquery:
        return Subquery(
            orders.filter(order_date__gte=start, order_date__lte=stop)
            .order_by()
            .values("account_id")
            .annotate(total=Sum("net_amount"))
            .values("total"),
            output_field=DecimalField(max_digits=16, decimal_places=2),
        )

    recorded = Subquery(
        BenefitCost.objects.filter(grant_id=OuterRef("pk"))
        .order_by()
        .values("grant_id")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    annotated = grants.annotate(
        roi_end=end,
        days_elapsed=Greatest(_days(end, F("valid_from")) + 1, Value(0)),
        cost_recorded=recorded,
    ).annotate(
        revenue_during=Coalesce(revenue(OuterRef("valid_from"), OuterRef("roi_end")), ZERO),
        revenue_before=Coalesce(
            revenue(
                _days_before(OuterRef("valid_from"), OuterRef("days_elapsed")),
                _days_before(OuterRef("valid_from"), Value(1)),
            ),
            ZERO,
        ),
    )
    days_total = _days(F("valid_to"), F("valid_from")) + 1
    prorated = ExpressionWrapper(
        F("committed_cost") * F("days_elapsed") / days_total, output_field=DecimalField(max_digits=16, decimal_places=2)
    )
    return annotated.annotate(
        cost=Case(When(cost_recorded__isnull=False, then=F("cost_recorded")), default=prorated),
    ).annotate(roi=F("revenue_during") - F("revenue_before") - F("cost"))


def grant_list(*, user: Any, today: date) -> QuerySet[BenefitGrant]:
    """The grants of the accounts the user sees, with their account, type, people and ROI estimate."""
    grants = grants_visible_to(user).select_related("account", "benefit_type", "requested_by", "decided_by", "budget")
    return grants_with_roi(grants, today).order_by("-created_at", "-id")


def account_grants(*, account: Account, today: date) -> QuerySet[BenefitGrant]:
    """The account's grants, live ones first, with their ROI estimate."""
    live_first = Case(When(status__in=GRANT_LIVE, then=Value(0)), default=Value(1), output_field=IntegerField())
    grants = BenefitGrant.objects.filter(account=account).select_related("benefit_type", "requested_by", "decided_by")
    return grants_with_roi(grants, today).order_by(live_first, "-valid_from", "-id")


def grants_awaiting_decision(*, user: Any) -> QuerySet[BenefitGrant]:
    """A director's queue of benefit requests, oldest first; nobody else has one."""
    if not is_director(user):
        return BenefitGrant.objects.none()
    return (
        BenefitGrant.objects.filter(status=GrantStatus.REQUESTED)
        .select_related("account", "account__owner", "benefit_type", "requested_by")
        .order_by("created_at", "id")
    )


def budgets_visible_to(user: Any) -> QuerySet[BenefitBudget]:
    """Budgets span every account: directors (and integrations, which record costs) see them, nobody else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return BenefitBudget.objects.none()
    if is_director(user) or is_integration(user):
        return BenefitBudget.objects.all()
    return BenefitBudget.objects.none()


def budget_list(*, user: Any) -> QuerySet[BenefitBudget]:
    """Budgets, newest period first, with the number of grants committed against each."""
    return budgets_visible_to(user).annotate(grant_count=Count("grants")).order_by("-period_start", "category", "id")


def costs_visible_to(user: Any) -> QuerySet[BenefitCost]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return BenefitCost.objects.none()
    if is_director(user) or is_integration(user):
        return BenefitCost.objects.select_related("grant", "grant__account")
    return BenefitCost.objects.none()


def roi_window(grant: BenefitGrant, today: date) -> tuple[date, date, date, date]:
    """The periods compared for a grant: (before from, before to, during from, during to)."""
    end = min(grant.valid_to, today)
    days = max(0, (end - grant.valid_from).days + 1)
    return grant.valid_from - timedelta(days=days), grant.valid_from - timedelta(days=1), grant.valid_from, end
