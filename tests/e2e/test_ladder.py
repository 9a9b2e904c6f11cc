"""A manager's ladder journey in a real browser: open an account, read what the next rung needs, log a promoter
NPS answer, and watch the stage move once a real Celery worker has evaluated the account."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import LadderStage
from accounts.models import Account
from relationships import services
from relationships.tasks import ladder_evaluate_accounts_task
from tests.factories import PASSWORD, AccountFactory, ContactFactory, FeedbackFactory, OrderFactory, manager_factory
from tests.workers import private_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ladder_worker(transactional_db, monkeypatch):
    with private_worker(monkeypatch, ladder_evaluate_accounts_task) as worker:
        yield worker


def test_manager_logs_a_promoter_answer_and_sees_the_account_become_a_supporter(
    live_server, page: Page, results_dir, ladder_worker
):
    # given a client of Mara's with three orders this year and one NPS answer of 8: one promoter short of
    # Supporter (a mean of 9 over the year)
    today = timezone.localdate()
    manager = manager_factory(username="mara", first_name="Mara", last_name="Manager")
    account = AccountFactory(name="Helios Robotics", owner=manager)
    buyer = ContactFactory(account=account, name="Ada Lovelace")
    for days in (25, 120, 230):
        OrderFactory(account=account, order_date=today - datetime.timedelta(days=days))
    FeedbackFactory(account=account, contact=buyer, score=8, responded_on=today - datetime.timedelta(days=40))
    services.ladder_evaluate(account_ids=[account.pk])
    assert Account.objects.get(pk=account.pk).stage == LadderStage.CLIENT
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # when she signs in and opens the account
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("mara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Portfolio", exact=True).click()
    page.get_by_role("link", name="Helios Robotics").click()

    # then the ladder says she is a Client and what Supporter needs, with the numbers
    ladder = page.locator("#ladder")
    expect(ladder.locator('[aria-current="step"]')).to_contain_text("Client")
    expect(ladder.get_by_text("Next: Supporter")).to_be_visible()
    expect(ladder.locator("[data-kam=ladder-next]").get_by_text("now 8.0 from 1 answer", exact=False)).to_be_visible()
    page.screenshot(path=str(results_dir / "ladder-before.png"), full_page=True)

    # when she logs the promoter answer another contact gave her in a review
    feedback = page.locator("#feedback")
    feedback.get_by_text("Log an NPS answer").click()
    feedback.get_by_label("Score (0–10)").fill("10")
    feedback.get_by_role("button", name="Log answer").click()
    expect(page.get_by_text("NPS answer 10 logged", exact=False)).to_be_visible()

    # then, once the worker has evaluated the account, the panel shows it a Supporter with the move
    expect(ladder.locator('[aria-current="step"]')).to_contain_text("Supporter", timeout=25_000)
    expect(ladder.get_by_text("Re-evaluating", exact=False)).to_have_count(0)
    expect(ladder.locator(".kam-ladder-moves li").first).to_contain_text("Automatic")
    expect(page.locator("#ladder-stage-card")).to_contain_text("Supporter")
    assert Account.objects.get(pk=account.pk).stage == LadderStage.SUPPORTER
    page.screenshot(path=str(results_dir / "ladder-after.png"), full_page=True)
    assert page_errors == []
