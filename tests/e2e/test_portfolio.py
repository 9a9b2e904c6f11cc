"""A manager's journey through the pages in a real browser: sign in, portfolio, filter, account page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.choices import BuyingRole, KeyStatus, LadderStage
from tests.factories import PASSWORD, AccountFactory, ContactFactory, manager_factory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_signs_in_filters_the_portfolio_and_opens_an_account(live_server, page: Page, results_dir):
    # given a manager with two accounts (one with contacts) and another manager's account
    manager = manager_factory(username="mara", first_name="Mara", last_name="Manager")
    outsider = manager_factory(username="otto", first_name="Otto", last_name="Outsider")
    acme = AccountFactory(
        name="Acme Industries",
        owner=manager,
        industry="Manufacturing",
        stage=LadderStage.CLIENT,
        key_status=KeyStatus.KEY,
    )
    AccountFactory(name="Borealis Energy", owner=manager, industry="Energy", country="NO")
    AccountFactory(name="Outsider Holdings", owner=outsider)
    ContactFactory(account=acme, name="Ada Lovelace", job_title="CTO", buying_role=BuyingRole.CHAMPION)
    ContactFactory(account=acme, name="Charles Babbage", job_title="Head of Purchasing")
    foreign_requests: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(live_server.url) else foreign_requests.append(request.url),
    )
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # when she opens KAM, she is asked to sign in, and does so through the login form
    page.goto(live_server.url + "/")
    expect(page).to_have_title("Sign in · KAM")
    page.get_by_label("Username").fill("mara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # then she lands on her dashboard, and goes on to her portfolio: her accounts, not the other manager's
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.get_by_role("link", name="Portfolio", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/")
    expect(page.get_by_role("heading", name="Portfolio", level=1)).to_be_visible()
    results = page.locator("#account-results")
    expect(results.get_by_role("link", name="Acme Industries")).to_be_visible()
    expect(results.get_by_role("link", name="Borealis Energy")).to_be_visible()
    expect(page.get_by_text("Outsider Holdings")).to_have_count(0)
    expect(page.locator(".kam-count")).to_have_text("2 accounts")
    # and the page is styled: Bootstrap and KAM's stylesheet came from the app's own static files
    navbar = page.locator("nav.kam-navbar")
    assert navbar.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(15, 31, 61)"
    assert page.locator("body").evaluate("element => getComputedStyle(element).fontFamily").startswith("system-ui")
    page.screenshot(path=results_dir / "portfolio.png", full_page=True)

    # when she types a search, the table updates in place (no page load) and the address keeps the filter
    page.evaluate("window.kamSamePage = true")
    page.get_by_label("Search", exact=True).fill("borea")
    expect(page.locator(".kam-count")).to_have_text("1 account")
    expect(results.get_by_role("link", name="Acme Industries")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/accounts/\?search=borea$"))
    assert page.evaluate("window.kamSamePage") is True

    # when she clears it and opens Acme
    page.get_by_label("Search", exact=True).fill("")
    expect(page.locator(".kam-count")).to_have_text("2 accounts")
    results.get_by_role("link", name="Acme Industries").click()

    # then the account page shows its status and contacts
    expect(page).to_have_title("Acme Industries · KAM")
    expect(page.get_by_role("heading", name="Acme Industries", level=1)).to_be_visible()
    contacts = page.locator("#contacts")
    expect(contacts.get_by_role("rowheader", name="Ada Lovelace")).to_be_visible()
    expect(contacts.get_by_role("rowheader", name="Charles Babbage")).to_be_visible()
    expect(page.locator(".kam-stat").filter(has_text="Key status")).to_contain_text("Key")
    page.screenshot(path=results_dir / "account.png", full_page=True)

    # when she adds a contact with the inline form, the contacts section is swapped in place
    contacts.get_by_text("Add contact").first.click()
    contacts.get_by_label("Name").fill("Grace Hopper")
    contacts.get_by_label("Email").fill("grace@acme.example")
    contacts.get_by_role("button", name="Add contact").click()
    expect(contacts.get_by_role("rowheader", name="Grace Hopper")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Contact “Grace Hopper” added.")
    assert page.evaluate("window.kamSamePage") is None  # a new page since the search: the account page

    # and nothing came from anywhere but KAM itself, without a script error
    assert foreign_requests == []
    assert page_errors == []
