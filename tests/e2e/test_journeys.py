"""The three journeys of issue 11 in a real browser, each through the pages only (sign-in form, links, buttons,
forms) over the portfolio world (tests/e2e/portfolio_world.py), each ending with a full-page screenshot in
``test-results/journey-<who>.png`` (the steps before it are kept as ``journey-<who>-<n>-<step>.png``), and each
checked by axe-core on the way (forms unfolded, answers shown):

- a manager signs in, filters her portfolio, opens an account, reads why it is key, logs a meeting with a next
  step and requests a benefit;
- a director approves that kind of request and a Partner proposal, changes scoring weights with the preview,
  starts a scoring run and sees it finish (a real Celery worker executes it);
- the ERP's integration user makes a token on its token page, and a program pushes an order with its key.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Playwright, expect

from accounts.choices import ScoringRunStatus
from accounts.models import Order, ScoringPolicy, ScoringRun
from benefits.choices import GrantStatus
from benefits.models import BenefitGrant, BenefitType
from benefits.services import benefit_grant_request
from relationships.models import PartnerProposal
from tests.accounts.scoring.test_api_scoring import scoring_worker  # noqa: F401 (a fixture)
from tests.e2e.axe import AxeAudit
from tests.e2e.browser import sign_in
from tests.e2e.portfolio_world import portfolio_world
from tests.e2e.test_benefits import request_discount

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1440, "height": 900}


def shoot(page: Page, results_dir, name: str) -> None:
    """A full-page screenshot from the top (a full-page shot of a scrolled page repeats the sticky section bar)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=results_dir / f"{name}.png", full_page=True)


def watch(page: Page, base_url: str) -> tuple[list[str], list[str]]:
    """Script errors of the page, and requests to anywhere but KAM itself."""
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(base_url) else foreign.append(request.url))
    return errors, foreign


def test_a_manager_filters_her_portfolio_reads_why_an_account_is_key_logs_a_meeting_and_requests_a_benefit(
    live_server, page: Page, results_dir, axe: AxeAudit
):
    # given the portfolio world: the five accounts Mara works on, of which Helios Robotics is key
    world = portfolio_world()
    page.set_viewport_size(VIEWPORT)
    errors, foreign = watch(page, live_server.url)

    # when Mara opens KAM, she is asked to sign in, and does so
    page.goto(live_server.url + "/")
    expect(page).to_have_title("Sign in · KAM")
    shoot(page, results_dir, "journey-manager-0-sign-in")
    sign_in(page, live_server.url, "mara")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    # and opens her portfolio and keeps the key accounts
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", name="Portfolio", level=1)).to_be_visible()
    expect(page.locator(".kam-count")).to_have_text("5 accounts")
    filters = page.get_by_role("search", name="Filter accounts")
    filters.get_by_text("Any status").click()
    filters.get_by_role("group", name="Key status").get_by_label("Key", exact=True).check()
    # then the table follows the filter in place, with Helios alone
    expect(page.locator(".kam-count")).to_have_text("1 account")
    results = page.locator("#account-results")
    expect(results.get_by_role("link", name="Helios Robotics")).to_be_visible()
    expect(results.get_by_role("link", name="Borealis Trading")).to_have_count(0)
    filters.get_by_text("Key", exact=True).first.click()  # fold the check list away for the picture
    shoot(page, results_dir, "journey-manager-1-portfolio")

    # when she opens Helios, the score section says why it is key and what would make it strategic
    results.get_by_role("link", name="Helios Robotics").click()
    expect(page.get_by_role("heading", name="Helios Robotics", level=1)).to_be_visible()
    score = page.locator("#score")
    expect(score.get_by_role("heading", name="Why this key status")).to_be_visible()
    expect(score.get_by_text("Orders came in 12 of the last 12 months").first).to_be_visible()
    expect(score.locator(".kam-key-advice")).to_contain_text("KAS points more would make it strategic")
    score.screenshot(path=results_dir / "journey-manager-2-why-key.png")
    axe.check(page, "account page")

    # when she logs the meeting she just had, with a next step
    page.evaluate("window.kamSamePage = true")
    timeline = page.locator("#interactions")
    timeline.get_by_text("Log interaction").first.click()
    timeline.get_by_label("Kind").select_option("meeting")
    timeline.get_by_label("Subject").fill("Drive-unit tender")
    timeline.get_by_label("Summary").fill("Ada confirmed the tender for next year's drive units; we are invited.")
    timeline.get_by_label("Ada Lovelace · CTO").check()
    timeline.get_by_label("Next step", exact=True).fill("Send the tender pack")
    timeline.get_by_label("Next step due").fill((timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    axe.check(page, "account page, interaction form filled in")
    timeline.get_by_role("button", name="Log interaction").click()

    # then it heads the timeline, without a page load
    first = timeline.locator(".kam-timeline-item").first
    expect(first).to_contain_text("Drive-unit tender")
    expect(first).to_contain_text("Send the tender pack")
    expect(page.locator("#messages")).to_contain_text("Meeting “Drive-unit tender” logged.")
    # and the stakeholders card's contact cadence counts from it (swapped in with the timeline)
    expect(page.locator('[data-kam="cadence"]')).to_contain_text("0 days ago")
    timeline.screenshot(path=results_dir / "journey-manager-3-meeting.png")

    # when she asks for a volume discount for the tender year
    request_discount(page)

    # then the request waits for a director, still on the same page
    expect(page.get_by_text("Volume discount of 5.00 % requested: a director decides.")).to_be_visible()
    grant = page.locator("#benefits [data-kam=grant]")
    expect(grant).to_have_attribute("data-status", "requested")
    assert page.evaluate("window.kamSamePage") is True
    axe.check(page, "account page, benefit requested")
    page.locator("#benefits").screenshot(path=results_dir / "journey-manager-4-benefit.png")
    shoot(page, results_dir, "journey-manager")

    requested = BenefitGrant.objects.get()
    assert (requested.account_id, requested.status) == (world.helios.pk, GrantStatus.REQUESTED)
    assert world.helios.interactions.filter(subject="Drive-unit tender", next_step="Send the tender pack").exists()
    axe.assert_no_failures()
    assert errors == [] and foreign == [], (errors, foreign)


def test_a_director_approves_a_benefit_and_a_partner_changes_the_weights_and_runs_the_scoring(
    live_server,
    page: Page,
    results_dir,
    axe: AxeAudit,
    scoring_worker,  # noqa: F811
):
    # given the portfolio world, with Mara's request for a volume discount for Helios waiting
    world = portfolio_world()
    today = timezone.localdate()
    requested = benefit_grant_request(
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
    page.set_viewport_size(VIEWPORT)
    errors, foreign = watch(page, live_server.url)
    main_nav = page.get_by_role("navigation", name="Main navigation")
    director_nav = page.get_by_role("navigation", name="Director tools")  # the director's second row

    # when Dina signs in and opens the benefit approvals
    sign_in(page, live_server.url, "dina")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    main_nav.get_by_role("button", name="Benefits").click()
    main_nav.get_by_role("link", name="Approvals", exact=True).click()
    request = page.locator(f"#grant-{requested.pk}")
    expect(request).to_contain_text("Helios Robotics")
    expect(request).to_contain_text("Consolidating their drive-unit volume")
    shoot(page, results_dir, "journey-director-1-approvals")
    request.get_by_label("Note").fill("Agreed for the tender year.")
    request.get_by_role("button", name="Approve Volume discount for Helios Robotics").click()

    # then the grant is approved and the queue is empty
    expect(page.get_by_text("approved (active from today)", exact=False)).to_be_visible()
    expect(page.get_by_text("No benefit request waits for a decision.")).to_be_visible()

    # when she opens the ladder approvals and approves Zenith's Partner proposal
    director_nav.get_by_role("link", name="Ladder approvals").click()
    proposal = page.locator("[data-kam=proposal]").filter(has_text="Zenith Components")
    expect(proposal).to_contain_text("an active partnership contract")
    axe.check(page, "ladder approvals")
    proposal.get_by_role("button", name="Approve Partner for Zenith Components").click()

    # then no proposal is left, and Zenith, found in the portfolio, is a Partner
    expect(page.get_by_text("No open Partner proposal", exact=True)).to_be_visible()
    main_nav.get_by_role("link", name="Portfolio").click()
    page.get_by_label("Search", exact=True).fill("zenith")
    expect(page.locator(".kam-count")).to_have_text("1 account")
    page.locator("#account-results").get_by_role("link", name="Zenith Components").click()
    expect(page.locator("#ladder-stage-card")).to_contain_text("Partner")

    # when she weighs payment reliability more and lifetime potential less, and previews the effect
    director_nav.get_by_role("link", name="Scoring policy").click()
    page.get_by_label("Weight of C2").fill("0.30")
    page.get_by_label("Weight of C3").fill("0.15")
    page.get_by_role("button", name="Preview the effect").click()

    # then the preview lists Helios, which would become strategic, and nothing is saved yet
    preview = page.locator("section", has=page.get_by_role("heading", name="Preview"))
    expect(preview).to_contain_text("1 account would change key status")
    expect(preview.get_by_role("link", name="Helios Robotics")).to_be_visible()
    assert ScoringPolicy.objects.count() == 1
    axe.check(page, "scoring policy preview")
    shoot(page, results_dir, "journey-director-2-policy-preview")

    # when she names the version and saves it
    page.get_by_role("textbox", name="Version").fill("kas-v2")
    page.get_by_role("textbox", name="Description").fill("Payment reliability counts more.")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_text("kas-v2 saved and active", exact=False)).to_be_visible()

    # and starts a scoring run from the Scoring runs page
    director_nav.get_by_role("link", name="Scoring runs").click()
    page.get_by_role("button", name="Queue scoring run").click()

    # then the run's page follows it, without a reload, until the worker has scored all seven accounts
    expect(page.get_by_role("heading", name="Scoring run as of", level=1)).to_be_visible()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "done", timeout=90_000)
    expect(page.get_by_text("7 accounts scored", exact=False)).to_be_visible()
    expect(page.locator("#run-status[hx-trigger]")).to_have_count(0)  # and it stopped asking
    axe.check(page, "scoring run")
    shoot(page, results_dir, "journey-director-3-run")
    # and the list of runs has it done, with the new policy
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Scoring runs").click()
    newest = page.locator("table.kam-scoring-runs tbody tr").first
    expect(newest).to_contain_text("kas-v2")
    expect(newest.get_by_text("Done", exact=True)).to_be_visible()
    axe.check(page, "scoring runs")
    shoot(page, results_dir, "journey-director")

    run = ScoringRun.objects.order_by("-pk").first()
    assert run.status == ScoringRunStatus.DONE, run.error
    assert BenefitGrant.objects.get().status in (GrantStatus.APPROVED, GrantStatus.ACTIVE)
    assert PartnerProposal.objects.get().status == "approved"
    axe.assert_no_failures()
    assert errors == [] and foreign == [], (errors, foreign)


def test_the_erp_integration_user_makes_a_token_and_a_program_pushes_an_order_with_it(
    live_server, page: Page, playwright: Playwright, results_dir, axe: AxeAudit
):
    # given the portfolio world and its ERP integration user
    world = portfolio_world()
    page.set_viewport_size(VIEWPORT)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    errors, foreign = watch(page, live_server.url)

    # when the ERP's administrator signs in as the integration user and opens its token page
    sign_in(page, live_server.url, "erp")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("No API tokens yet")).to_be_visible()
    page.get_by_label("Name").fill("ERP order sync")
    page.get_by_role("button", name="Create token").click()

    # then the key is shown once, and copied
    expect(page.get_by_role("heading", name="Token “ERP order sync” created")).to_be_visible()
    page.locator("[data-kam=new-token] [data-kam-copy]").click()
    key = page.evaluate("navigator.clipboard.readText()")
    assert key.startswith("kam_") and key == page.locator("[data-kam=new-token-key]").input_value()
    axe.check(page, "token page, key shown")
    shoot(page, results_dir, "journey-integration-1-created")

    # when the ERP pushes an order for Helios with the key
    api = playwright.request.new_context()  # a program: no browser cookie goes along, only the key
    try:
        response = api.post(
            f"{live_server.url}/api/v1/orders/",
            headers={"Authorization": f"Token {key}", "Idempotency-Key": "erp-order-sync-0001"},
            data={
                "account_external_id": "ERP-10001",
                "external_id": "SO-2026-0001",
                "order_date": timezone.localdate().isoformat(),
                "net_amount": "12500.00",
                "discount_pct": "5.00",
                "service_level": "premium",
                "status": "confirmed",
            },
        )
        assert response.status == 201, response.text()
    finally:
        api.dispose()

    # then the token page, opened again, hides the key and says the token was just used
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="API tokens").click()
    expect(page.locator("[data-kam=new-token]")).to_have_count(0)
    assert key not in page.content()
    row = page.locator("tr", has_text="ERP order sync")
    expect(row.locator("[data-kam=last-used]")).not_to_have_text("Never")
    axe.check(page, "token page")
    shoot(page, results_dir, "journey-integration")

    assert Order.objects.get(external_id="SO-2026-0001").account_id == world.helios.pk
    axe.assert_no_failures()
    assert errors == [] and foreign == [], (errors, foreign)
