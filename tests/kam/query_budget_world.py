"""More of everything for the query budgets (``test_query_budgets.py``): ``world_grow`` adds rows around the world
of the authorization matrices (``tests/kam/conftest.py``) — accounts in the manager's portfolio, and records of
every kind on the world's account and its plan, grant, subscription… — so that a page or an answer whose number
of queries follows its number of rows shows it."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.utils import timezone

from accounts.choices import ImportKind, KeyStatus, LadderStage
from accounts.models import Account, ImportJob
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitCost, BenefitGrantEvent, BenefitType
from kam import webhooks
from kam.api_tokens import api_token_create
from kam.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from relationships.choices import OverrideStatus, PlanStatus, ProposalStatus, TransitionMode
from relationships.models import ContactCadence, LadderOverride, LadderState, LadderTransition, PartnerProposal
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory
from tests.factories import (
    AccountFactory,
    AccountPlanFactory,
    AccountScoreFactory,
    ActionItemFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PlanObjectiveFactory,
    ScoringRunFactory,
    SwotItemFactory,
    current_run,
    manager_factory,
    score_current,
)

STAGES = list(LadderStage.values)
KEY_STATUSES = list(KeyStatus.values)


def world_grow(*, world: dict[str, Any], users: dict[str, Any], times: int) -> None:
    """``times`` more of every kind of row the world holds, on the same account, plan, grant and subscription,
    plus ``times`` more accounts in the manager's portfolio with records of their own."""
    account = world["accounts"]
    manager, colleague, director = users["manager"], users["colleague"], users["director"]
    today = timezone.localdate()
    now = timezone.now()
    plan = world["account-plans"]
    subscription = world["webhooks"]
    run = current_run()
    for i in range(times):
        step = datetime.timedelta(days=i + 1)
        # the portfolio: an account of the manager's, scored, with a team, evidence and a cadence
        teammate = manager_factory(username=f"teammate-{uuid.uuid4().hex[:8]}")
        account.team.add(teammate)
        other = AccountFactory(owner=manager, team=[colleague, teammate], external_id=f"ERP-MORE-{i}")
        Account.objects.filter(pk=other.pk).update(stage=STAGES[i % 6], key_status=KEY_STATUSES[i % 4])
        score_current(other, kas=f"{50 + i}.00")
        # and one of another manager's, which only directors see
        score_current(AccountFactory(owner=teammate, external_id=f"ERP-ELSE-{i}"), kas=f"{60 + i}.00")
        LadderState.objects.create(account=other, stage=STAGES[i % 6], rule_stage=STAGES[i % 6], since=today - step)
        ContactCadence.objects.create(
            account=other, allowed_days=90, last_contact_at=now - step, due_on=today + step, overdue_since=None
        )
        ContactFactory(account=other)
        OrderFactory(account=other)
        InvoiceFactory(account=other)
        InteractionFactory(account=other, user=manager, next_step="Call back", next_step_due=today + step)
        BenefitGrantFactory(account=other, requested_by=manager)
        PartnerProposal.objects.create(account=other, as_of=today, evidence={})
        LadderOverride.objects.create(
            account=other,
            stage="client",
            reason="Strategic for the region, as the board decided.",
            expires_on=today + datetime.timedelta(days=30),
            requested_by=manager,
        )
        # records of the world's account
        contact = ContactFactory(account=account)
        OrderFactory(account=account, order_date=today - step * 30)
        InvoiceFactory(account=account, issue_date=today - step * 30)
        FeedbackFactory(account=account, contact=contact)
        AdvocacyEventFactory(
            account=account,
            logged_by=manager,
            verified=True,
            verified_by=colleague,
            verified_at=now,
            referred_account=other,
        )
        ContractFactory(account=account)
        InteractionFactory(account=account, user=manager, contacts=[contact, world["contacts"]])
        AccountPlanFactory(
            account=account,
            period_start=datetime.date(today.year - i - 1, 1, 1),
            period_end=datetime.date(today.year - i - 1, 12, 31),
            status=PlanStatus.CLOSED,
            created_by=manager,
        )
        objective = PlanObjectiveFactory(plan=plan)
        SwotItemFactory(plan=plan)
        ActionItemFactory(plan=plan, owner=manager, objective=objective)
        grant = BenefitGrantFactory(account=account, requested_by=manager)
        active = BenefitGrantFactory(
            account=other,
            status=GrantStatus.ACTIVE,
            requested_by=teammate,
            decided_by=director,
            decided_at=now,
            committed_cost=1,
            budget=world["benefit-budgets"],
        )
        BenefitCost.objects.create(grant=active, amount=5, incurred_on=today, note="Tickets", created_by=director)
        BenefitType.objects.create(
            code=f"perk_{i}", name=f"Perk {i}", category=BenefitCategory.SOCIAL, unit="seats", max_value=5
        )
        BenefitBudgetFactory(
            category=BenefitCategory.SOCIAL,
            period_start=datetime.date(today.year - i - 1, 1, 1),
            period_end=datetime.date(today.year - i - 1, 12, 31),
        )
        BenefitGrantEvent.objects.create(grant=grant, from_status="", to_status="requested", actor=manager)
        BenefitGrantEvent.objects.create(grant=world["grants"], from_status="", to_status="requested", actor=manager)
        BenefitGrantEvent.objects.create(grant=world["active-grant"], from_status="", to_status="active")
        BenefitCost.objects.create(
            grant=world["active-grant"], amount=10, incurred_on=today - step, note="Freight", created_by=director
        )
        LadderOverride.objects.create(
            account=account,
            stage="client",
            reason="Strategic for the region, once more.",
            expires_on=today + datetime.timedelta(days=30),
            status=OverrideStatus.REJECTED,
            requested_by=colleague,
            decided_by=director,
            decided_at=now,
        )
        PartnerProposal.objects.create(
            account=account, as_of=today - step, evidence={}, status=ProposalStatus.REJECTED, decided_at=now
        )
        LadderTransition.objects.create(
            account=account,
            from_stage=STAGES[i % 5],
            to_stage=STAGES[i % 5 + 1],
            rule_stage=STAGES[i % 5 + 1],
            mode=TransitionMode.AUTOMATIC,
            as_of=today - step,
            evidence={},
            actor=director,
            run=run,
        )
        AccountScoreFactory(run=ScoringRunFactory(as_of=today - step * 30, requested_by=director), account=account)
        NotificationFactory(recipient=manager, account=other)
        api_token_create(user=manager, name=f"more-{i}")
        api_token_create(user=teammate, name=f"theirs-{i}")
        webhooks.webhook_subscription_create(
            actor=director,
            values={"name": f"BI {i}", "url": f"https://bi{i}.example.com/hook", "events": ["scoring_run.finished"]},
        )
        event = OutboxEvent.objects.create(
            uid=uuid.uuid4(), event="account.key_status_changed", payload={"account": other.pk}, occurred_at=now
        )
        delivery = WebhookDelivery.objects.create(subscription=subscription, event=event)
        for target in (delivery, world["webhook-deliveries"]):
            WebhookAttempt.objects.create(delivery=target, attempted_at=now - step, status_code=500, error="")
        ImportJob.objects.create(kind=ImportKind.ORDERS, file_name=f"o{i}.csv", requested_by=users["integration"])
        ImportJob.objects.create(kind=ImportKind.CONTACTS, file_name=f"c{i}.csv", requested_by=director)
