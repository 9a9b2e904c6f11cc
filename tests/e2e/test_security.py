"""The Content-Security-Policy in a real browser: the Django admin and the API documentation work under it, and the
browser fixture (tests/e2e/conftest.py) catches a page that breaks it. Every browser test fails on a violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, AccountFactory, ContactFactory, UserFactory, manager_factory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_signs_in_and_edits_an_account_in_the_admin(live_server, page: Page):
    # given a superuser and an account with a contact and a team (autocomplete, filter_horizontal, inlines)
    UserFactory(username="root", is_staff=True, is_superuser=True)
    owner = manager_factory(username="mara")
    account = AccountFactory(name="Acme Industries", owner=owner)
    ContactFactory(account=account, name="Ada Lovelace")
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # when the administrator signs in at /admin/login/ and opens the account
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto(f"{live_server.url}/admin/accounts/account/{account.pk}/change/")

    # then the change form's scripts ran: the team's two-box chooser and the owner's autocomplete are built
    expect(page.locator("#id_team_from")).to_be_visible()
    expect(page.locator(".select2-container").first).to_be_visible()
    expect(page.get_by_role("textbox", name="Name").first).to_have_value("Acme Industries")
    # and the list page's filters and search work
    page.goto(f"{live_server.url}/admin/accounts/account/?q=Acme")
    expect(page.get_by_role("link", name="Acme Industries")).to_be_visible()
    assert page_errors == []


def test_swagger_ui_loads_the_schema_under_the_policy(live_server, page: Page):
    # when anyone opens the API docs
    page.goto(live_server.url + "/api/docs/")

    # then Swagger UI (its start-up script served as a file) has read the schema and lists the operations (the
    # schema is generated on the first request: seconds on a loaded machine, as for ReDoc below)
    expect(page.get_by_role("heading", name="KAM API")).to_be_visible(timeout=30_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/accounts/").first).to_be_visible()


def test_redoc_renders_the_schema_under_the_policy(live_server, page: Page):
    # when anyone opens ReDoc
    page.goto(live_server.url + "/api/redoc/")

    # then it has rendered the schema (a large one: it takes a few seconds, and over 30 on a loaded machine), with its
    # own styles (styled-components)
    expect(page.get_by_role("heading", name="KAM API").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("/api/v1/accounts/").first).to_be_attached()


def test_the_browser_fixture_reports_an_inline_script(live_server, page: Page, csp_violations):
    # given a page that carries the site's policy and an inline script (as a template that regressed would)
    page.route(
        f"{live_server.url}/probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'; script-src 'self'"},
            body="<!DOCTYPE html><title>probe</title><script>document.title = 'ran'</script>",
        ),
    )

    # when the browser opens it
    page.goto(f"{live_server.url}/probe")

    # then the script did not run, and the violation was collected (emptied here, so this test passes)
    expect(page).to_have_title("probe")
    page.wait_for_timeout(200)
    assert any("script" in violation for violation in csp_violations), csp_violations
    csp_violations.clear()
