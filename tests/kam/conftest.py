"""Fixtures shared by the project-level tests: the authorization matrices' world."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import KeyStatus
from accounts.models import ImportJob
from benefits.models import BenefitCost
from kam import webhooks
from kam.api_tokens import api_token_create
from kam.models import OutboxEvent, WebhookDelivery
from relationships.models import LadderOverride, PartnerProposal
from tests.benefits.factories import BenefitBudgetFactory, BenefitGrantFactory, catalog, default_catalog_ensure
from tests.factories import (
    AccountPlanFactory,
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
    director_factory,
    score_current,
)

TODAY = timezone.localdate()


@pytest.fixture
def world(manager, colleague, outsider, director, integration, account, outsider_account):
    """One object of every kind, all on the manager's account (or theirs: a token, a notification)."""
    default_catalog_ensure()
    account.key_status = KeyStatus.KEY  # so that a volume discount may be requested and approved
    account.save(update_fields=["key_status"])
    budget = BenefitBudgetFactory()
    other_director = director_factory(username="other-director")
    contact = ContactFactory(account=account)
    plan = AccountPlanFactory(account=account)
    grant = BenefitGrantFactory(account=account, requested_by=manager)
    active = BenefitGrantFactory(
        account=account,
        status="active",
        decided_by=other_director,
        decided_at=timezone.now(),
        committed_cost=1,
        budget=budget,
    )
    subscription, _secret = webhooks.webhook_subscription_create(
        actor=director,
        values={"name": "ERP", "url": "https://erp.example.com/hook", "events": ["account.key_status_changed"]},
    )
    event = OutboxEvent.objects.create(
        uid=uuid.uuid4(),
        event="account.key_status_changed",
        payload={"account": account.pk},
        occurred_at=timezone.now(),
    )
    run = ScoringRunFactory()
    score_current(account, kas="61.00")
    objects = {
        "accounts": account,
        "contacts": contact,
        "orders": OrderFactory(account=account),
        "invoices": InvoiceFactory(account=account),
        "feedback": FeedbackFactory(account=account, contact=contact),
        "advocacy-events": AdvocacyEventFactory(account=account, logged_by=manager),
        "contracts": ContractFactory(account=account),
        "interactions": InteractionFactory(account=account, contacts=[contact]),
        "account-plans": plan,
        "plan-objectives": PlanObjectiveFactory(plan=plan),
        "swot-items": SwotItemFactory(plan=plan),
        "action-items": ActionItemFactory(plan=plan),
        "grants": grant,
        "benefit-types": catalog("volume_discount"),
        "benefit-budgets": budget,
        "active-grant": active,
        "benefit-costs": BenefitCost.objects.create(
            grant=active, amount=10, incurred_on=TODAY, note="Freight", created_by=director
        ),
        "ladder-overrides": LadderOverride.objects.create(
            account=account,
            stage="client",
            reason="Strategic for the region.",
            expires_on=TODAY + datetime.timedelta(days=30),
            requested_by=manager,
        ),
        "partner-proposals": PartnerProposal.objects.create(account=account, as_of=TODAY, evidence={}),
        "notifications": NotificationFactory(recipient=manager, account=account),
        "api-tokens": api_token_create(user=manager, name="mine")[0],
        "webhooks": subscription,
        "webhook-deliveries": WebhookDelivery.objects.create(subscription=subscription, event=event),
        "imports": ImportJob.objects.create(kind="orders", file_name="o.csv", requested_by=integration),
        "scoring-runs": run,
    }
    # the outsider's own account, with a record, so that lists are not empty for them
    ContactFactory(account=outsider_account)
    return objects


@pytest.fixture
def clients(world, manager, colleague, outsider, director, integration):
    made = {"anon": APIClient()}
    for name, user in (
        ("manager", manager),
        ("colleague", colleague),
        ("outsider", outsider),
        ("director", director),
        ("integration", integration),
    ):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='matrix')[1]}")
        made[name] = client
    return made
