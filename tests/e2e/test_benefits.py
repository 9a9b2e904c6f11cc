"""A benefit's journey in a real browser: a manager asks for a volume discount for a standard account and is
refused with the rule's reason, asks again for a key account, and a director approves it from the approvals
queue and sees the budget's committed amount move."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import KeyStatus, LadderStage
from accounts.models import Account
from benefits.choices import BenefitCategory, GrantStatus
from benefits.models import BenefitBudget, BenefitGrant
from tests.e2e.browser import sign_in
from tests.factories import AccountFactory, director_factory, manager_factory, score_current

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JUSTIFICATION = "Consolidating their volume with us next year."
DISCOUNT = "Volume discount (%, at most 15.00)"


def request_discount(page: Page) -> None:
    benefits = page.locator("#benefits")
    benefits.get_by_text("Request a benefit").click()
    form = benefits.locator("[data-kam=benefit-request]")
    form.get_by_label("Benefit").select_option(label=DISCOUNT)
    form.get_by_label("Value").fill("5")
    form.get_by_label("Estimated annual cost").fill("3650")
    form.get_by_label("Justification").fill(JUSTIFICATION)
    form.get_by_role("button", name="Send to a director").click()


def test_a_manager_asks_for_a_discount_and_a_director_approves_it_within_the_budget(
    live_server, page: Page, results_dir
):
    # given Mara's key account (scored key) and a standard one, and this year's monetary budget of 50,000
    today = timezone.localdate()
    manager = manager_factory(username="mara", first_name="Mara", last_name="Manager")
    director_factory(username="dina", first_name="Dina", last_name="Director")
    key = AccountFactory(name="Helios Robotics", owner=manager)
    score_current(key, kas="78.00", computed_key_status=KeyStatus.KEY)
    Account.objects.filter(pk=key.pk).update(key_status=KeyStatus.KEY, stage=LadderStage.CLIENT)
    standard = AccountFactory(name="Borealis Trading", owner=manager)
    budget = BenefitBudget.objects.create(
        category=BenefitCategory.MONETARY,
        period_start=today - datetime.timedelta(days=30),
        period_end=today + datetime.timedelta(days=400),
        amount=Decimal("50000.00"),
    )
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # when Mara opens the standard account and asks for a volume discount
    sign_in(page, live_server.url, "mara")
    page.goto(f"{live_server.url}/accounts/{standard.pk}/")
    request_discount(page)

    # then it is refused with the rule's reason at the benefit, and the offers say why too
    benefits = page.locator("#benefits")
    reason = "Volume discount needs the key status key or higher: the account is standard."
    expect(benefits.locator("#id_grant_benefit_type_error")).to_contain_text(reason)
    offer = benefits.locator("[data-kam=offer][data-code=volume_discount]")
    expect(offer).to_have_attribute("data-eligible", "false")
    expect(offer).to_contain_text(reason)
    benefits.screenshot(path=str(results_dir / "benefits-refused.png"))
    assert not BenefitGrant.objects.exists()

    # when she asks for it for the key account
    page.goto(f"{live_server.url}/accounts/{key.pk}/")
    expect(page.locator("#benefits [data-kam=offer][data-code=volume_discount]")).to_have_attribute(
        "data-eligible", "true"
    )
    request_discount(page)

    # then the request waits for a director
    expect(page.get_by_text("Volume discount of 5.00 % requested: a director decides.")).to_be_visible()
    expect(page.locator("#benefits [data-kam=grant]")).to_have_attribute("data-status", "requested")
    grant = BenefitGrant.objects.get()
    assert (grant.account_id, grant.status) == (key.pk, GrantStatus.REQUESTED)
    page.locator("#benefits").screenshot(path=str(results_dir / "benefits-requested.png"))

    # when Dina signs in and approves it from the approvals queue
    page.get_by_role("button", name="Log out").click()
    sign_in(page, live_server.url, "dina")
    page.goto(live_server.url + "/benefits/")
    page.get_by_role("navigation", name="Benefits pages").get_by_role("link", name="Approvals").click()
    request = page.locator(f"#grant-{grant.pk}")
    expect(request).to_contain_text("Helios Robotics")
    expect(request.locator("[data-kam=would-commit]")).to_have_text("3,650.00 EUR")
    page.screenshot(path=str(results_dir / "benefits-approvals.png"), full_page=True)
    request.get_by_role("button", name="Approve").click()

    # then the queue is empty, the grant is active and the budget's committed amount moved
    expect(page.get_by_text("approved (active from today): 3650.00 committed", exact=False)).to_be_visible()
    expect(page.get_by_text("No benefit request waits for a decision.")).to_be_visible()
    page.get_by_role("navigation", name="Benefits pages").get_by_role("link", name="Budgets").click()
    row = page.locator(f"#budget-{budget.pk}")
    expect(row.locator("[data-kam=committed]")).to_have_text("3,650.00")
    expect(row.locator("[data-kam=available]")).to_have_text("46,350.00")
    expect(row.locator("[data-kam=utilisation]")).to_contain_text("7.3% committed")
    page.screenshot(path=str(results_dir / "benefits-budget.png"), full_page=True)

    # and the ROI report lists the grant with its estimate and says how it is computed
    page.get_by_role("navigation", name="Benefits pages").get_by_role("link", name="Return on investment").click()
    expect(page.locator("[data-kam=roi-method]")).to_contain_text("Revenue during the grant")
    expect(page.locator(f"#grant-{grant.pk}")).to_contain_text("Helios Robotics")
    expect(page.locator("[data-kam=roi-totals]")).to_contain_text("Total of 1 grant")
    page.screenshot(path=str(results_dir / "benefits-roi.png"), full_page=True)
    assert BenefitGrant.objects.get().status == GrantStatus.ACTIVE
    budget.refresh_from_db()
    assert budget.committed == Decimal("3650.00")
    assert page_errors == []
