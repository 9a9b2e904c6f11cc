"""A small company's key-account world for the browser journeys and the accessibility checks.

Two account managers (Mara, with Colin on one of her teams, and Otto), a director (Dina) and the ERP's
integration user; seven customers with up to two years of orders, invoices, NPS answers, contacts, interactions,
contracts and a plan, made with the suite's factories. A scoring run is then performed here, as the nightly run
would: it evaluates the ladder (opening a Partner proposal for Zenith) and scores everyone, so the pages explain
real scores. The pages see what a user of a real installation would see on a working day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.choices import BuyingRole, InvoiceStatus, KeyStatus, OrderStatus, ServiceLevel
from accounts.models import Account, ScoringRun
from accounts.scoring.runs import scoring_run_perform
from benefits.choices import BenefitCategory
from benefits.models import BenefitBudget
from relationships.choices import ActionStatus, AdvocacyKind, ContractKind, InteractionKind, SwotKind
from relationships.models import PartnerProposal
from tests.factories import (
    AccountFactory,
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
    SwotItemFactory,
    director_factory,
    integration_factory,
    manager_factory,
)


@dataclass
class World:
    mara: Any
    colin: Any
    otto: Any
    dina: Any
    erp: Any
    helios: Account  # Mara's key account: a year of steady premium orders, paid on time, promoters
    borealis: Account  # Mara's candidate: irregular orders, a late payer
    cobalt: Account  # Mara's standard account, with a write-off
    zenith: Account  # Otto's account the ladder proposes for Partner
    run: ScoringRun
    budget: BenefitBudget


def _months_back(today: datetime.date, months: int, day: int) -> datetime.date:
    """``day`` of the month ``months`` complete months before this one."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return datetime.date(year, month + 1, day)


def _orders(account: Account, *, today: datetime.date, amounts: list[int], **fields: Any) -> None:
    """One order on the 12th of each of the months before this one, newest first; 0 leaves a month out."""
    for months, amount in enumerate(amounts, start=1):
        if amount:
            OrderFactory(
                account=account,
                order_date=_months_back(today, months, 12),
                net_amount=Decimal(amount),
                status=OrderStatus.FULFILLED,
                **fields,
            )


def _invoices(account: Account, *, today: datetime.date, amount: int, months: int, late_days: int = 0) -> None:
    """A monthly invoice for the last ``months`` months, paid ``late_days`` after its due date (the newest open)."""
    for month in range(1, months + 1):
        issued = _months_back(today, month, 14)
        due = issued + datetime.timedelta(days=30)
        paid = due + datetime.timedelta(days=late_days)
        InvoiceFactory(
            account=account,
            issue_date=issued,
            due_date=due,
            amount=Decimal(amount),
            status=InvoiceStatus.PAID if paid < today else InvoiceStatus.OPEN,
            paid_date=paid if paid < today else None,
        )


def portfolio_world() -> World:
    """Create the world and score it as of today (about two seconds)."""
    today = timezone.localdate()
    now = timezone.now()
    mara = manager_factory(username="mara", first_name="Mara", last_name="Manager", email="mara@kam.example")
    colin = manager_factory(username="colin", first_name="Colin", last_name="Colleague")
    otto = manager_factory(username="otto", first_name="Otto", last_name="Other")
    dina = director_factory(username="dina", first_name="Dina", last_name="Director")
    erp = integration_factory(username="erp", first_name="ERP", last_name="Integration")

    helios = AccountFactory(
        name="Helios Robotics",
        owner=mara,
        team=[colin],
        industry="Manufacturing",
        country="DE",
        external_id="ERP-10001",
        annual_potential=Decimal("900000"),
        credit_limit=Decimal("250000"),
    )
    ada = ContactFactory(
        account=helios, name="Ada Lovelace", job_title="CTO", buying_role=BuyingRole.CHAMPION, influence=5, attitude=2
    )
    charles = ContactFactory(
        account=helios, name="Charles Babbage", job_title="Head of Purchasing", buying_role=BuyingRole.ECONOMIC_BUYER
    )
    ContactFactory(account=helios, name="Grace Hopper", job_title="Plant manager", buying_role=BuyingRole.USER)
    _orders(helios, today=today, amounts=[42_000, 45_500, 39_800, 44_100, 47_300, 41_900] * 4, discount_pct="6.00")
    OrderFactory(
        account=helios,
        order_date=today - datetime.timedelta(days=9),
        net_amount=Decimal("38000"),
        service_level=ServiceLevel.PREMIUM,
    )
    for month in (1, 4, 7, 10):
        helios.orders.filter(order_date=_months_back(today, month, 12)).update(service_level=ServiceLevel.PREMIUM)
    _invoices(helios, today=today, amount=44_000, months=12)
    for score, days, contact, comment in (
        (10, 12, ada, "The premium support team is outstanding."),
        (9, 40, charles, "Good value, deliveries sometimes late."),
    ):
        FeedbackFactory(
            account=helios,
            score=score,
            responded_on=today - datetime.timedelta(days=days),
            contact=contact,
            comment=comment,
        )
    AdvocacyEventFactory(
        account=helios,
        kind=AdvocacyKind.TESTIMONIAL,
        logged_by=colin,
        verified=True,
        verified_by=mara,
        verified_at=now - datetime.timedelta(days=60),
        occurred_on=today - datetime.timedelta(days=70),
        note="Quoted us at the Hannover fair.",
    )
    ContractFactory(account=helios, kind=ContractKind.FRAMEWORK, title="Framework agreement", auto_renew=True)
    ContractFactory(account=helios, kind=ContractKind.SLA, title="Premium SLA", service_level=ServiceLevel.PREMIUM)
    InteractionFactory(
        account=helios,
        kind=InteractionKind.CALL,
        user=colin,
        contacts=[charles],
        subject="Delivery delays in March",
        summary="Charles raised two late deliveries; logistics is on it.",
        next_step="Confirm the new delivery slots",
        next_step_due=today - datetime.timedelta(days=2),
        occurred_at=now - datetime.timedelta(days=9),
    )
    InteractionFactory(
        account=helios,
        kind=InteractionKind.BUSINESS_REVIEW,
        user=mara,
        contacts=[ada, charles],
        subject="Annual business review",
        summary="Reviewed the year: revenue up, NPS stable.",
        occurred_at=now - datetime.timedelta(days=40),
    )
    plan = AccountPlanFactory(account=helios, created_by=mara, summary="Become their single source for drive units.")
    objective = PlanObjectiveFactory(plan=plan, title="Win the drive-unit tender", target="Tender awarded")
    SwotItemFactory(plan=plan, kind=SwotKind.STRENGTH, text="Premium SLA met every month")
    SwotItemFactory(plan=plan, kind=SwotKind.THREAT, text="A low-cost competitor courts their purchasing")
    ActionItemFactory(
        plan=plan, objective=objective, owner=mara, title="Send the tender pack", status=ActionStatus.OPEN
    )

    borealis = AccountFactory(name="Borealis Trading", owner=mara, industry="Wholesale", country="NO")
    ContactFactory(account=borealis, name="Ingrid Berg", job_title="Category manager")
    _orders(
        borealis,
        today=today,
        amounts=[18_000, 0, 12_500, 16_000, 0, 21_000, 0, 14_000, 9_500, 0, 17_500, 0],
        service_level=ServiceLevel.ENHANCED,
    )
    _invoices(borealis, today=today, amount=15_000, months=6, late_days=25)
    FeedbackFactory(account=borealis, score=7, responded_on=today - datetime.timedelta(days=30))

    cobalt = AccountFactory(name="Cobalt Foods", owner=mara, industry="Food", country="FR")
    _orders(cobalt, today=today, amounts=[0, 0, 4_200, 0, 0, 0, 3_900], discount_pct="15.00")
    issued = today - datetime.timedelta(days=400)
    InvoiceFactory(
        account=cobalt,
        issue_date=issued,
        due_date=issued + datetime.timedelta(days=30),
        amount=Decimal("3900"),
        status=InvoiceStatus.WRITTEN_OFF,
    )
    AccountFactory(name="Dunmore Logistics", owner=mara, industry="Logistics", country="IE")
    fjord = AccountFactory(name="Fjord Analytics", owner=colin, team=[mara], industry="Software", country="DK")
    _orders(fjord, today=today, amounts=[8_000, 8_500, 0, 9_000, 7_500, 8_200, 0, 8_800, 9_100])

    zenith = AccountFactory(name="Zenith Components", owner=otto, industry="Electronics", country="NL")
    zoe = ContactFactory(account=zenith, name="Zoe Janssen", job_title="COO", buying_role=BuyingRole.DECISION_MAKER)
    _orders(
        zenith,
        today=today,
        amounts=[31_000, 29_500, 33_200, 30_100, 28_700, 32_400] * 2,
        service_level=ServiceLevel.ENHANCED,
    )
    _invoices(zenith, today=today, amount=31_000, months=12)
    FeedbackFactory(account=zenith, contact=zoe, score=10, responded_on=today - datetime.timedelta(days=20))
    AdvocacyEventFactory(
        account=zenith,
        kind=AdvocacyKind.CASE_STUDY,
        logged_by=otto,
        verified=True,
        verified_by=dina,
        verified_at=now - datetime.timedelta(days=30),
        note="Joint case study on the new sensor line.",
    )
    ContractFactory(account=zenith, kind=ContractKind.PARTNERSHIP, title="Sensor partnership")
    orion = AccountFactory(name="Orion Retail", owner=otto, industry="Retail", country="ES")
    _orders(orion, today=today, amounts=[5_000, 0, 0, 6_200, 0, 0, 4_800])

    budget = BenefitBudget.objects.create(
        category=BenefitCategory.MONETARY,
        period_start=datetime.date(today.year, 1, 1),
        period_end=datetime.date(today.year, 12, 31),
        amount=Decimal("120000.00"),
    )
    NotificationFactory(
        recipient=mara,
        account=cobalt,
        title="Contact overdue: Cobalt Foods",
        body="No completed interaction for 75 days.",
        url=cobalt.get_absolute_url(),
    )

    run = scoring_run_perform(as_of=today)
    assert run.status == "done", run.error
    helios.refresh_from_db()
    assert helios.key_status in (KeyStatus.KEY, KeyStatus.STRATEGIC), (helios.key_status, helios.kas)
    assert PartnerProposal.objects.filter(account=zenith, status="open").exists()
    for account in (helios, borealis, cobalt, zenith):
        account.refresh_from_db()
    return World(
        mara=mara,
        colin=colin,
        otto=otto,
        dina=dina,
        erp=erp,
        helios=helios,
        borealis=borealis,
        cobalt=cobalt,
        zenith=zenith,
        run=run,
        budget=budget,
    )
