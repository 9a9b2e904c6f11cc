"""What the browser tests share: signing in through the login form as a person would."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import PASSWORD


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
