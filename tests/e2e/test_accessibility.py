"""Accessibility of the main pages in a real browser: axe-core (from the npm registry, tests/e2e/axe.py) runs in
each page as a manager and a director see it, with the portfolio world's data, and finds no serious or critical
violation of WCAG 2.x A/AA or axe's best practices. Folded parts (forms behind a "details" summary) are checked
unfolded too. Every finding, minor ones included, is written to ``test-results/axe-<test>.txt``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from benefits.models import BenefitType
from benefits.services import benefit_grant_request
from tests.e2e.axe import AxeAudit
from tests.e2e.browser import sign_in
from tests.e2e.portfolio_world import portfolio_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UNFOLD = "() => document.querySelectorAll('details:not([open])').forEach((details) => { details.open = true; })"


def audit(page: Page, axe: AxeAudit, url: str, where: str, *, unfold: bool = False) -> None:
    page.goto(url)
    expect(page.locator("main")).to_be_visible()
    axe.check(page, where)
    if unfold:
        page.evaluate(UNFOLD)
        axe.check(page, f"{where}, unfolded")


def test_the_pages_of_a_manager_have_no_serious_accessibility_violation(live_server, page: Page, axe: AxeAudit):
    # given the portfolio world, Mara's key account with a plan
    world = portfolio_world()
    plan = world.helios.plans.get()
    base = live_server.url

    # when the sign-in page is checked, then Mara's pages once she signed in
    audit(page, axe, f"{base}/login/", "sign-in")
    sign_in(page, base, "mara")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    for url, where, unfold in (
        ("/", "dashboard", True),
        ("/accounts/", "portfolio", True),
        ("/accounts/?key_status=key&key_status=strategic&sort=-kas", "portfolio, filtered", False),
        (world.helios.get_absolute_url(), "account page (key)", True),
        (world.cobalt.get_absolute_url(), "account page (standard, written off)", False),
        (f"{world.helios.get_absolute_url()}plans/{plan.pk}/", "account plan", True),
        ("/ladder/", "ladder board", False),
        ("/benefits/", "benefit catalog", False),
        ("/benefits/roi/", "return on investment", False),
        ("/notifications/", "notifications", False),
        ("/tokens/", "API tokens", True),
    ):
        audit(page, axe, base + url, where, unfold=unfold)

    # then axe found no serious or critical violation
    axe.assert_no_failures()


def test_the_pages_of_a_director_have_no_serious_accessibility_violation(live_server, page: Page, axe: AxeAudit):
    # given the portfolio world with Mara's request for a volume discount waiting for a director
    world = portfolio_world()
    today = timezone.localdate()
    benefit_grant_request(
        actor=world.mara,
        account=world.helios,
        benefit_type=BenefitType.objects.get(code="volume_discount"),
        values={
            "value": Decimal("5"),
            "valid_from": today,
            "valid_to": today + datetime.timedelta(days=364),
            "estimated_annual_cost": Decimal("26000"),
            "justification": "Consolidating their drive-unit volume with us next year.",
        },
    )
    base = live_server.url

    # when Dina's pages are checked
    sign_in(page, base, "dina")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    for url, where, unfold in (
        ("/", "dashboard (director)", False),
        ("/accounts/", "portfolio (director)", False),
        (world.zenith.get_absolute_url(), "account page (Partner proposal)", True),
        ("/benefits/approvals/", "benefit approvals", True),
        ("/benefits/budgets/", "benefit budgets", True),
        ("/ladder/queue/", "ladder approvals", False),
        ("/accounts/scoring/runs/", "scoring runs", False),
        ("/imports/", "imports", True),
        ("/webhooks/", "webhooks", True),
        ("/notifications/", "notifications (director)", False),
        ("/accounts/scoring/policy/", "scoring policy", False),
    ):
        audit(page, axe, base + url, where, unfold=unfold)

    # and the scoring policy form's preview
    page.get_by_role("button", name="Preview the effect").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    axe.check(page, "scoring policy preview")

    # then axe found no serious or critical violation
    axe.assert_no_failures()
