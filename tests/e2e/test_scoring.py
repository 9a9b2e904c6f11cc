"""A director's journey through scoring in a real browser: start a run, watch it finish through a real Celery
worker, read an account's explanation, preview a change of thresholds and save it as a new policy version."""

from __future__ import annotations

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import ScoringRunStatus
from accounts.models import ScoringPolicy, ScoringRun
from tests.accounts.scoring.test_api_scoring import scoring_worker  # noqa: F401 (a fixture)
from tests.accounts.scoring.test_runs import monthly_orders
from tests.factories import PASSWORD, AccountFactory, director_factory, manager_factory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_finished(timeout: float = 30) -> ScoringRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ScoringRun.objects.order_by("-pk").first()
        if run is not None and run.status not in (ScoringRunStatus.QUEUED, ScoringRunStatus.RUNNING):
            return run
        time.sleep(0.2)
    raise AssertionError("the scoring run did not finish within 30 s")


def test_director_runs_scoring_reads_an_explanation_and_saves_a_policy(
    live_server,
    page: Page,
    results_dir,
    scoring_worker,  # noqa: F811
):
    # given a manager's three accounts with a year of monthly orders, and a director
    manager = manager_factory(username="mara")
    accounts = [AccountFactory(name=f"Steady {amount}", owner=manager) for amount in ("300", "1000", "5000")]
    for account, amount in zip(accounts, ("300.00", "1000.00", "5000.00"), strict=True):
        monthly_orders(account, amount=amount, as_of=timezone.localdate())  # the run scores as of today
    director_factory(username="dina")
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # when the director signs in and queues a run from the Scoring runs page
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("dina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Scoring runs").click()
    expect(page.get_by_role("heading", name="Scoring runs", level=1)).to_be_visible()
    page.get_by_role("button", name="Queue scoring run").click()
    expect(page.get_by_text("queued", exact=False).first).to_be_visible()
    expect(page.get_by_role("heading", name="Scoring run as of", level=1)).to_be_visible()

    # then the worker finishes it, and the run's page, polling, says so without being reloaded
    run = run_finished()
    assert run.status == ScoringRunStatus.DONE, run.error
    expect(page.locator("#run-status")).to_have_attribute("data-status", "done", timeout=10_000)
    expect(page.get_by_text("3 accounts scored", exact=False)).to_be_visible()
    expect(page.locator("#run-status[hx-trigger]")).to_have_count(0)
    # and the list of runs has it done
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Scoring runs").click()
    runs_table = page.locator("table.kam-scoring-runs")
    expect(runs_table.get_by_text("done", exact=False).first).to_be_visible()
    expect(runs_table.get_by_text("3", exact=True).first).to_be_visible()

    # when she opens an account, its score is explained in sentences
    page.goto(f"{live_server.url}/accounts/{accounts[2].pk}/")
    expect(page.get_by_text("Orders came in 12 of the last 12 months").first).to_be_visible()
    expect(page.get_by_text(re.compile("What would make this account (key|strategic)")).first).to_be_visible()
    page.screenshot(path=str(results_dir / "scoring-account.png"), full_page=True)

    # when she lowers the key threshold and previews the effect
    page.get_by_role("link", name="Scoring policy").click()
    page.get_by_label("Key threshold").fill("40")
    page.get_by_label("Retain threshold").fill("35")
    page.get_by_label("Candidate threshold").fill("30")
    page.get_by_role("button", name="Preview the effect").click()
    # then the page lists the accounts that would change, and nothing is saved yet
    expect(page.get_by_text("would change key status", exact=False)).to_be_visible()
    assert ScoringPolicy.objects.count() == 1

    # when she names the version and saves it
    page.get_by_role("textbox", name="Version").fill("kas-v2")
    page.get_by_role("button", name="Save new version").click()
    # then kas-v2 is the active policy
    expect(page.get_by_text("kas-v2 saved and active", exact=False)).to_be_visible()
    assert ScoringPolicy.objects.get(is_active=True).version == "kas-v2"
    page.screenshot(path=str(results_dir / "scoring-policy.png"), full_page=True)
    assert page_errors == []
