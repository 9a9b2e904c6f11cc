"""Writes of the benefits: requests checked against the eligibility rules, four-eyes decisions that commit the
cost against the period budget (row locks, so two approvals racing for the last of a budget cannot both pass),
revocations, recorded costs, the catalog and the budgets. Every grant transition is logged with its actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import Account
from accounts.permissions import can_decide_benefit, can_record_benefit_cost, can_request_benefit
from accounts.selectors import accounts_with_score
from accounts.services import record_save
from benefits.choices import GRANT_LIVE, GrantStatus
from benefits.eligibility import Standing, eligibility_failures, value_failure
from benefits.models import BenefitBudget, BenefitCost, BenefitGrant, BenefitGrantEvent, BenefitType
from benefits.notify import grant_decided_announce, grant_requested_announce

GRANT_FIELDS = frozenset({"value", "valid_from", "valid_to", "justification", "estimated_annual_cost"})
TYPE_FIELDS = frozenset(
    {
        "code",
        "name",
        "category",
        "description",
        "unit",
        "max_value",
        "min_key_status",
        "min_stage",
        "either_rule",
        "min_c2",
        "is_active",
    }
)
BUDGET_FIELDS = frozenset({"category", "period_start", "period_end", "amount", "note"})
COST_FIELDS = frozenset({"incurred_on", "amount", "note"})
CENT = Decimal("0.01")


def _may(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def account_standing(*, account: Account) -> Standing:
    """The account's key status, stage and the C2 of its current score (one query)."""
    # current_score is the FilteredRelation accounts_with_score adds, which the type checker cannot see.
    current = accounts_with_score(Account.objects.filter(pk=account.pk)).values("current_score__c2").first()  # type: ignore[misc]
    c2 = current["current_score__c2"] if current else None
    return Standing(key_status=account.key_status, stage=account.stage, c2=c2)


def _event(grant: BenefitGrant, *, from_status: str, actor: Any | None, reason: str = "") -> None:
    BenefitGrantEvent.objects.create(
        grant=grant, from_status=from_status, to_status=grant.status, actor=actor, reason=reason
    )


def _rules_refused(benefit_type: BenefitType, account: Account, value: Decimal | None) -> None:
    """400 naming every rule the request breaks: eligibility on ``account``, the maximum on ``value``."""
    errors: dict[str, list[str]] = {}
    for failure in eligibility_failures(benefit_type, account_standing(account=account)):
        errors.setdefault("account", []).append(f"{failure.rule}: {failure.message}")
    over = value_failure(benefit_type, value) if value is not None else None
    if over is not None:
        errors.setdefault("value", []).append(f"{over.rule}: {over.message}")
    if errors:
        raise ValidationError(errors)


def benefit_grant_request(
    *, actor: Any, account: Account, benefit_type: BenefitType, values: Mapping[str, Any]
) -> BenefitGrant:
    """Ask for a benefit for the account. Refused with 400 when the account breaks one of the type's rules
    (named) or the value its maximum; directors are told a request waits."""
    _may(can_request_benefit(actor, account), "Only those working on the account and directors ask for benefits.")
    if not benefit_type.is_active:
        raise ValidationError({"benefit_type": ["This benefit is no longer offered."]})
    valid_from = values.get("valid_from")
    if isinstance(valid_from, date) and valid_from < timezone.localdate():
        raise ValidationError({"valid_from": ["A grant starts today or later."]})
    _rules_refused(benefit_type, account, values.get("value"))
    with transaction.atomic():
        grant = record_save(
            record=BenefitGrant(account=account, benefit_type=benefit_type, requested_by=actor),
            values=values,
            allowed=GRANT_FIELDS,
        )
        _event(grant, from_status="", actor=actor, reason=grant.justification)
        grant_requested_announce(grant=grant)
    return grant


def _locked(grant: BenefitGrant) -> BenefitGrant:
    return (
        BenefitGrant.objects.select_for_update(of=("self",)).select_related("account", "benefit_type").get(pk=grant.pk)
    )


def _expect(grant: BenefitGrant, *statuses: str) -> None:
    if grant.status not in statuses:
        raise ValidationError({"status": [f"This grant is {grant.get_status_display().lower()}: nothing to do."]})


def _four_eyes(actor: Any, grant: BenefitGrant) -> None:
    if grant.requested_by_id is not None and grant.requested_by_id == getattr(actor, "pk", None):
        raise ValidationError({"status": ["You requested this grant: another director decides it (four eyes)."]})


def grant_cost_over_validity(grant: BenefitGrant) -> Decimal:
    """The estimated annual cost over the grant's validity (days / 365), to the cent: what approval commits."""
    days = (grant.valid_to - grant.valid_from).days + 1
    return (grant.estimated_annual_cost * days / Decimal(365)).quantize(CENT, rounding=ROUND_HALF_UP)


def benefit_grant_approve(*, actor: Any, grant: BenefitGrant, note: str = "") -> BenefitGrant:
    """Approve a request: re-check the rules, commit its cost over its validity against the budget of its
    category that covers its start (locked: of two approvals racing for the last of a budget, one passes and
    the other is refused), and activate it at once when it starts today or earlier."""
    _may(can_decide_benefit(actor), "Only a KAM director approves a benefit.")
    today = timezone.localdate()
    with transaction.atomic():
        grant = _locked(grant)
        _expect(grant, GrantStatus.REQUESTED)
        _four_eyes(actor, grant)
        if grant.valid_to < today:
            raise ValidationError({"valid_to": ["This grant would already have ended; ask for a new one."]})
        _rules_refused(grant.benefit_type, grant.account, None)
        budget = (
            BenefitBudget.objects.select_for_update()
            .filter(
                category=grant.benefit_type.category,
                period_start__lte=grant.valid_from,
                period_end__gte=grant.valid_from,
            )
            .first()
        )
        category = grant.benefit_type.get_category_display().lower()
        if budget is None:
            raise ValidationError(
                {"budget": [f"No {category} budget covers {grant.valid_from:%Y-%m-%d}: a director sets one first."]}
            )
        cost = grant_cost_over_validity(grant)
        if budget.committed + cost > budget.amount:
            raise ValidationError(
                {
                    "budget": [
                        f"The {category} budget {budget.period_start:%Y-%m-%d} – {budget.period_end:%Y-%m-%d} has "
                        f"{budget.amount - budget.committed} left; this grant would commit {cost}."
                    ]
                }
            )
        BenefitBudget.objects.filter(pk=budget.pk).update(committed=F("committed") + cost, updated_at=timezone.now())
        grant.status, grant.budget, grant.committed_cost = GrantStatus.APPROVED, budget, cost
        grant.decided_by, grant.decided_at, grant.decision_note = actor, timezone.now(), note.strip()
        grant.save(update_fields=["status", "budget", "committed_cost", "decided_by", "decided_at", "decision_note"])
        _event(grant, from_status=GrantStatus.REQUESTED, actor=actor, reason=grant.decision_note)
        if grant.valid_from <= today:
            grant.status = GrantStatus.ACTIVE
            grant.save(update_fields=["status", "updated_at"])
            _event(grant, from_status=GrantStatus.APPROVED, actor=actor, reason="Starts today.")
        grant_decided_announce(grant=grant, outcome="approved")
    return grant


def benefit_grant_reject(*, actor: Any, grant: BenefitGrant, note: str = "") -> BenefitGrant:
    _may(can_decide_benefit(actor), "Only a KAM director rejects a benefit.")
    with transaction.atomic():
        grant = _locked(grant)
        _expect(grant, GrantStatus.REQUESTED)
        _four_eyes(actor, grant)
        grant.status = GrantStatus.REJECTED
        grant.decided_by, grant.decided_at, grant.decision_note = actor, timezone.now(), note.strip()
        grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        _event(grant, from_status=GrantStatus.REQUESTED, actor=actor, reason=grant.decision_note)
        grant_decided_announce(grant=grant, outcome="rejected")
    return grant


def _spent(grant: BenefitGrant) -> Decimal:
    return grant.costs.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def benefit_grant_revoke(*, actor: Any, grant: BenefitGrant, note: str = "") -> BenefitGrant:
    """End an approved, active or suspended grant now; what it has not spent of its commitment goes back to
    the budget."""
    _may(can_decide_benefit(actor), "Only a KAM director revokes a benefit.")
    with transaction.atomic():
        grant = _locked(grant)
        _expect(grant, *GRANT_LIVE)
        previous = grant.status
        if grant.budget_id is not None:
            release = max(Decimal(0), grant.committed_cost - _spent(grant))
            BenefitBudget.objects.filter(pk=grant.budget_id).update(
                committed=F("committed") - release, updated_at=timezone.now()
            )
        grant.status = GrantStatus.REVOKED
        grant.save(update_fields=["status", "updated_at"])
        _event(grant, from_status=previous, actor=actor, reason=note.strip())
        grant_decided_announce(grant=grant, outcome="revoked")
    return grant


def benefit_cost_record(*, actor: Any, grant: BenefitGrant, values: Mapping[str, Any]) -> BenefitCost:
    """Record what a grant actually cost; it is consumed from the budget the grant was committed against."""
    _may(can_record_benefit_cost(actor), "Costs are recorded by integrations and directors.")
    with transaction.atomic():
        grant = _locked(grant)
        if grant.budget_id is None:
            raise ValidationError({"grant": ["This grant was never approved: it has no budget to charge."]})
        cost = record_save(record=BenefitCost(grant=grant, created_by=actor), values=values, allowed=COST_FIELDS)
        BenefitBudget.objects.filter(pk=grant.budget_id).update(
            consumed=F("consumed") + cost.amount, updated_at=timezone.now()
        )
    return cost


def benefit_type_create(*, actor: Any, values: Mapping[str, Any]) -> BenefitType:
    _may(can_decide_benefit(actor), "Directors keep the benefit catalog.")
    return record_save(record=BenefitType(), values=values, allowed=TYPE_FIELDS)


def benefit_type_update(*, actor: Any, benefit_type: BenefitType, values: Mapping[str, Any]) -> BenefitType:
    """Change a catalog entry. Its code names it in integrations and stays; grants already made keep their
    terms (the daily job applies the new rules to active grants)."""
    _may(can_decide_benefit(actor), "Directors keep the benefit catalog.")
    if "code" in values and values["code"] != benefit_type.code:
        raise ValidationError({"code": ["A benefit's code does not change: add a new benefit instead."]})
    return record_save(record=benefit_type, values=values, allowed=TYPE_FIELDS)


def benefit_budget_create(*, actor: Any, values: Mapping[str, Any]) -> BenefitBudget:
    _may(can_decide_benefit(actor), "Directors set the benefit budgets.")
    return record_save(record=BenefitBudget(), values=values, allowed=BUDGET_FIELDS)


def benefit_budget_update(*, actor: Any, budget: BenefitBudget, values: Mapping[str, Any]) -> BenefitBudget:
    """Change a budget's amount or note (not below what approved grants committed: a 400 on ``amount``). Its
    category and period stay: grants were committed against them."""
    _may(can_decide_benefit(actor), "Directors set the benefit budgets.")
    with transaction.atomic():
        budget = BenefitBudget.objects.select_for_update().get(pk=budget.pk)
        moved = {
            f for f in ("category", "period_start", "period_end") if f in values and values[f] != getattr(budget, f)
        }
        if moved and budget.grants.exists():
            raise ValidationError(
                {field: ["Grants are committed against this budget: it keeps it."] for field in moved}
            )
        return record_save(record=budget, values=values, allowed=BUDGET_FIELDS)
