"""An API token's life in a real browser: a manager creates one on the API tokens page, copies the key the page
shows once, a program calls the API with it, the page then says when it was last used, and once she revokes
it the program is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Playwright, expect

from kam.models import ApiToken
from tests.e2e.browser import sign_in
from tests.factories import AccountFactory, manager_factory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def call_api(playwright: Playwright, url: str, key: str) -> tuple[int, dict]:
    """A program's request: a request context of its own, so no browser cookie goes with it — only the key."""
    context = playwright.request.new_context()
    try:
        response = context.get(url, headers={"Authorization": f"Token {key}"})
        return response.status, response.json()
    finally:
        context.dispose()


def test_a_manager_creates_a_token_uses_its_key_and_revokes_it(
    live_server, page: Page, playwright: Playwright, results_dir
):
    # given Mara, who owns an account
    manager = manager_factory(username="mara", first_name="Mara", last_name="Manager")
    AccountFactory(name="Helios Robotics", owner=manager)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # when she opens API tokens from the navbar and creates one
    sign_in(page, live_server.url, "mara")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("No API tokens yet")).to_be_visible()
    page.get_by_label("Name").fill("ERP sync")
    page.get_by_role("button", name="Create token").click()

    # then the page shows the key once, and she copies it
    expect(page.get_by_role("heading", name="Token “ERP sync” created")).to_be_visible()
    copy = page.locator("[data-kam=new-token] [data-kam-copy]")
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    key = page.evaluate("navigator.clipboard.readText()")
    assert key == page.locator("[data-kam=new-token-key]").input_value()
    assert key.startswith("kam_")
    token = ApiToken.objects.get()
    row = page.locator(f"#token-{token.pk}")
    expect(row.locator("[data-kam=prefix]")).to_have_text(f"{key[:10]}…")
    expect(row.locator("[data-kam=last-used]")).to_have_text("Never")
    page.screenshot(path=str(results_dir / "api-tokens-created.png"), full_page=True)

    # when a program calls the API with the key
    status, body = call_api(playwright, f"{live_server.url}/api/v1/accounts/", key)
    # then it acts as Mara
    assert status == 200
    assert [account["name"] for account in body["results"]] == ["Helios Robotics"]

    # and the page, opened again, no longer shows the key but says the token was just used
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="API tokens").click()
    expect(page.locator("[data-kam=new-token]")).to_have_count(0)
    assert key not in page.content()
    expect(row.locator("[data-kam=last-used]")).not_to_have_text("Never")

    # when she revokes it, confirming
    row.locator("summary", has_text="Revoke").click()
    expect(row.get_by_text("This cannot be undone.")).to_be_visible()
    page.screenshot(path=str(results_dir / "api-tokens-revoke.png"), full_page=True)
    row.get_by_role("button", name="Revoke “ERP sync” now").click()

    # then the token shows as revoked and the program is refused
    expect(page.get_by_text("Token “ERP sync” (", exact=False)).to_contain_text("revoked: its key no longer works")
    expect(row).to_have_attribute("data-active", "false")
    expect(row.locator("[data-kam=status]")).to_contain_text("Revoked")
    status, body = call_api(playwright, f"{live_server.url}/api/v1/accounts/", key)
    assert status == 401 and body["detail"] == "Invalid or revoked token."
    page.screenshot(path=str(results_dir / "api-tokens-revoked.png"), full_page=True)
    assert page_errors == []
