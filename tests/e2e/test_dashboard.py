"""The dashboard in a real browser: a director lands on it after signing in, reads the key-account revenue share
of the whole company, narrows it to one owner, opens a chart's table and downloads its CSV; a manager sees the
same dashboard over her accounts only. Charts are drawn by Chart.js from the app's own static files."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.choices import KeyStatus, LadderStage
from relationships.models import ContactCadence
from tests.e2e.browser import sign_in
from tests.factories import (
    AccountFactory,
    AccountScoreFactory,
    ScoringRunFactory,
    director_factory,
    manager_factory,
    score_inputs,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def scored(run, name, owner, status, monthly, kas):
    account = AccountFactory(name=name, owner=owner, key_status=status, stage=LadderStage.CLIENT)
    AccountScoreFactory(
        run=run,
        account=account,
        kas=Decimal(kas),
        computed_key_status=status,
        key_status=status,
        inputs=score_inputs([monthly] * 12, r12=monthly * 12),
    )
    return account


def kpi(page: Page, name: str):
    return page.locator(f"[data-kam=kpi-{name}] [data-kam=kpi-value]")


def test_a_director_and_a_manager_read_their_dashboards(live_server, page: Page, results_dir):
    # given Mara's strategic and candidate accounts, Otto's key account, all scored today
    today = timezone.localdate()
    mara = manager_factory(username="mara", first_name="Mara", last_name="Manager")
    otto = manager_factory(username="otto", first_name="Otto", last_name="Other")
    director_factory(username="dina", first_name="Dina", last_name="Director")
    run = ScoringRunFactory(as_of=today)
    helios = scored(run, "Helios Robotics", mara, KeyStatus.STRATEGIC, 100, "88.00")
    scored(run, "Borealis Trading", mara, KeyStatus.CANDIDATE, 50, "52.00")
    scored(run, "Otto Trading", otto, KeyStatus.KEY, 200, "71.00")
    ContactCadence.objects.create(
        account=helios, allowed_days=30, due_on=today - datetime.timedelta(days=3), overdue_since=today
    )
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else foreign.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # when the director signs in, she lands on the dashboard of the whole company
    sign_in(page, live_server.url, "dina")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    # key and strategic: 1,200 + 2,400 of 4,200
    expect(kpi(page, "key-share")).to_have_text("85.7 %")
    expect(kpi(page, "key-accounts")).to_have_text("2")
    expect(kpi(page, "at-risk")).to_have_text("1")
    expect(page.locator("[data-kam=table-at_risk]").get_by_role("link", name="Helios Robotics")).to_be_visible()
    # and every chart is drawn, by Chart.js from the app's static files
    charts = page.locator("canvas[data-kam-chart]")
    expect(charts).to_have_count(5)  # no retention chart: there is no run a year back
    # the revenue share, the funnel, KAS by four statuses, benefit cost and uplift, three kinds of accounts
    for index, datasets in enumerate(["1", "1", "4", "2", "3"]):
        expect(charts.nth(index)).to_have_attribute("data-kam-drawn", datasets)
    expect(page.locator("[data-kam=retention-missing]")).to_be_visible()
    page.screenshot(path=results_dir / "dashboard-director.png", full_page=True)

    # when she opens the data of the revenue share, the table has the figures of the chart
    share = page.locator("[data-kam=chart-key_share]")
    share.get_by_text("Data: Revenue of the last 12 months by key status").click()
    table = share.locator("[data-kam=data-key_share]")

    def row(header: str):
        return table.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=header, exact=True))

    expect(row("Strategic")).to_contain_text("1,200")
    expect(row("Key")).to_contain_text("2,400")

    # and downloads it as CSV
    with page.expect_download() as download:
        share.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == f"kam-key-share-{today:%Y-%m-%d}.csv"
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[1] == "Strategic,1,1200,28.6"

    # when she narrows it to Mara's accounts, every figure follows: 1,200 of 1,800
    page.get_by_label("Owner").select_option(label="Mara Manager")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server.url}/?kind=&industry=&owner={mara.pk}&period=12")
    expect(kpi(page, "key-share")).to_have_text("66.7 %")
    expect(kpi(page, "key-accounts")).to_have_text("1")

    # when Mara signs in, her dashboard has her accounts only
    page.get_by_role("button", name="Log out").click()
    sign_in(page, live_server.url, "mara")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(kpi(page, "key-share")).to_have_text("66.7 %")
    expect(page.get_by_text("Otto Trading")).to_have_count(0)
    managers = page.locator("[data-kam=data-managers]")
    expect(managers.get_by_role("row")).to_have_count(2)  # the header and Mara
    expect(managers.get_by_role("row", name="Mara Manager")).to_contain_text("1,800")
    page.screenshot(path=results_dir / "dashboard-manager.png", full_page=True)

    assert foreign == [], foreign
    assert errors == [], errors
