"""A manager logs a meeting from the account page in a real browser: the inline form swaps the timeline in
place, and the new interaction is at its top."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import BuyingRole, InvoiceStatus, KeyStatus, LadderStage, OrderStatus, ServiceLevel
from relationships.choices import AdvocacyKind, ContractKind, InteractionKind
from tests.factories import (
    PASSWORD,
    AccountFactory,
    AdvocacyEventFactory,
    ContactFactory,
    ContractFactory,
    FeedbackFactory,
    InteractionFactory,
    InvoiceFactory,
    OrderFactory,
    manager_factory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _account_with_history(manager, colleague):
    """An account with a year of orders and invoices, NPS answers, advocacy, contracts and two interactions."""
    today = timezone.localdate()
    acme = AccountFactory(
        name="Acme Industries",
        owner=manager,
        team=[colleague],
        industry="Manufacturing",
        stage=LadderStage.SUPPORTER,
        key_status=KeyStatus.KEY,
        kas=Decimal("76.40"),
        credit_limit=Decimal("250000"),
        external_id="ERP-ACME",
    )
    ada = ContactFactory(account=acme, name="Ada Lovelace", job_title="CTO", buying_role=BuyingRole.CHAMPION)
    charles = ContactFactory(account=acme, name="Charles Babbage", job_title="Head of Purchasing")
    for month in range(14):
        OrderFactory(
            account=acme,
            order_date=today - datetime.timedelta(days=30 * month + 3),
            net_amount=Decimal(18000 + (month * 7919) % 23000),
            discount_pct=Decimal("4.50") if month % 3 else Decimal("0"),
            service_level=ServiceLevel.PREMIUM if month % 4 == 0 else ServiceLevel.STANDARD,
            status=OrderStatus.CANCELLED if month == 5 else OrderStatus.FULFILLED,
        )
    for month in range(8):
        issued = today - datetime.timedelta(days=30 * month + 10)
        paid_late = month in (2, 5)
        InvoiceFactory(
            account=acme,
            issue_date=issued,
            due_date=issued + datetime.timedelta(days=30),
            amount=Decimal(21000 + month * 1300),
            status=InvoiceStatus.OPEN if month < 2 else InvoiceStatus.PAID,
            paid_date=None if month < 2 else issued + datetime.timedelta(days=45 if paid_late else 28),
        )
    for score, days, contact, comment in (
        (10, 12, ada, "The premium support team is outstanding."),
        (8, 40, charles, "Good value, deliveries sometimes late."),
        (6, 95, None, "Invoicing errors last quarter."),
    ):
        FeedbackFactory(
            account=acme,
            score=score,
            responded_on=today - datetime.timedelta(days=days),
            contact=contact,
            comment=comment,
        )
    AdvocacyEventFactory(
        account=acme, kind=AdvocacyKind.TESTIMONIAL, logged_by=colleague, note="Quoted us at the Hannover fair."
    )
    ContractFactory(account=acme, kind=ContractKind.FRAMEWORK, title="Framework agreement 2024–2026", auto_renew=True)
    ContractFactory(account=acme, kind=ContractKind.SLA, title="Premium SLA", service_level=ServiceLevel.PREMIUM)
    InteractionFactory(
        account=acme,
        kind=InteractionKind.CALL,
        user=colleague,
        contacts=[charles],
        subject="Delivery delays in March",
        summary="Charles raised two late deliveries; logistics is on it.",
        next_step="Confirm the new delivery slots",
        next_step_due=today - datetime.timedelta(days=2),
        occurred_at=timezone.now() - datetime.timedelta(days=9),
    )
    InteractionFactory(
        account=acme,
        kind=InteractionKind.BUSINESS_REVIEW,
        user=manager,
        contacts=[ada, charles],
        subject="Annual business review",
        summary="Reviewed the year: revenue up, NPS stable.",
        occurred_at=timezone.now() - datetime.timedelta(days=40),
    )
    return acme


def test_manager_logs_a_meeting_and_sees_it_at_the_top_of_the_timeline(live_server, page: Page, results_dir):
    # given a manager with an account that has a history, and a colleague on its team
    manager = manager_factory(username="mara", first_name="Mara", last_name="Manager")
    colleague = manager_factory(username="colin", first_name="Colin", last_name="Colleague")
    acme = _account_with_history(manager, colleague)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    foreign_requests: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(live_server.url) else foreign_requests.append(request.url),
    )

    # when she signs in and opens the account
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}{acme.get_absolute_url()}")
    page.get_by_label("Username").fill("mara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Acme Industries · KAM")
    timeline = page.locator("#interactions")
    expect(timeline.locator(".kam-timeline-item").first).to_contain_text("Delivery delays in March")
    expect(page.locator("#revenue svg")).to_be_visible()
    page.screenshot(path=results_dir / "account-360.png", full_page=True)

    # and logs a meeting with a next step through the inline form
    page.evaluate("window.kamSamePage = true")
    timeline.get_by_text("Log interaction").first.click()
    timeline.get_by_label("Kind").select_option("meeting")
    timeline.get_by_label("Subject").fill("Renewal kick-off")
    timeline.get_by_label("Summary").fill("Agreed to start the renewal of the framework agreement early.")
    timeline.get_by_label("Ada Lovelace · CTO").check()
    timeline.get_by_label("Next step", exact=True).fill("Send the renewal proposal")
    timeline.get_by_label("Next step due").fill((timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    timeline.screenshot(path=results_dir / "interaction-form.png")
    timeline.get_by_role("button", name="Log interaction").click()

    # then it appears at the top of the timeline, without a page load, and she is told
    first = timeline.locator(".kam-timeline-item").first
    expect(first).to_contain_text("Renewal kick-off")
    expect(first).to_contain_text("Send the renewal proposal")
    expect(first).to_contain_text("Ada Lovelace")
    expect(first).to_contain_text("Mara Manager")
    expect(page.locator("#messages")).to_contain_text("Meeting “Renewal kick-off” logged.")
    expect(timeline.locator("#log-interaction")).not_to_have_attribute("open", "")
    assert page.evaluate("window.kamSamePage") is True
    timeline.screenshot(path=results_dir / "interaction-timeline.png")
    page.evaluate("window.scrollTo(0, 0)")  # a full-page shot of a scrolled page repeats the sticky section bar
    page.screenshot(path=results_dir / "interaction.png", full_page=True)

    # and nothing came from anywhere but KAM itself, without a script error
    assert foreign_requests == []
    assert page_errors == []
