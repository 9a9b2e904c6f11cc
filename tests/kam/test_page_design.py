"""What every page shares (issue 11): a "Page · KAM" title, the favicon, the skip link, the loading indicator, and a
navbar that marks the page's own entry and no other."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

DIRECTOR_PAGES = [
    "home",
    "accounts:account_list",
    "accounts:account_create",
    "accounts:scoring_run_list",
    "accounts:scoring_policy_edit",
    "ladder:board",
    "ladder:queue",
    "benefits:catalog",
    "benefits:approvals",
    "benefits:budgets",
    "benefits:roi",
    "imports:list",
    "webhooks:list",
    "tokens",
    "notification_list",
]


def active_links(content: str) -> list[str]:
    """The labels of the navbar links marked active (the main row, the Benefits menu, the director's row)."""
    header = content.split('<main id="main"', 1)[0]
    return re.findall(r'class="(?:nav-link|dropdown-item|nav-link dropdown-toggle) active"[^>]*>([^<]+)<', header)


@pytest.mark.parametrize("name", DIRECTOR_PAGES)
def test_every_page_has_its_title_favicon_skip_link_and_loading_bar(client, director, name):
    client.force_login(director)
    content = client.get(reverse(name)).content.decode()
    assert re.search(r"<title>[^<]+ · KAM</title>", content)
    assert '<link rel="icon" href="/static/kam/favicon.svg' in content
    assert 'href="#main">Skip to content</a>' in content and '<main id="main"' in content
    assert 'hx-indicator="closest .btn, find [type=submit], #kam-loading"' in content
    assert 'id="kam-loading"' in content


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("home", ["Dashboard"]),
        ("accounts:account_list", ["Portfolio"]),
        ("ladder:queue", ["Ladder approvals"]),
        ("benefits:approvals", ["Benefits", "Approvals", "Benefit approvals"]),
        ("benefits:roi", ["Benefits", "Return on investment"]),
        ("accounts:scoring_run_list", ["Scoring runs"]),
        ("tokens", ["API tokens"]),
    ],
)
def test_the_navbar_marks_the_pages_own_entry_only(client, director, name, expected):
    client.force_login(director)
    assert active_links(client.get(reverse(name)).content.decode()) == expected


def test_an_account_page_belongs_to_the_portfolio(client, manager, account):
    client.force_login(manager)
    assert active_links(client.get(account.get_absolute_url()).content.decode()) == ["Portfolio"]


def test_only_directors_have_the_second_row(client, manager, director):
    client.force_login(manager)
    assert 'aria-label="Director tools"' not in client.get(reverse("home")).content.decode()
    client.force_login(director)
    assert 'aria-label="Director tools"' in client.get(reverse("home")).content.decode()


def test_the_api_docs_and_the_admin_carry_the_favicon(client, director, django_user_model):
    assert "favicon.svg" in client.get(reverse("api-docs")).content.decode()
    assert "favicon.svg" in client.get(reverse("api-redoc")).content.decode()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    content = client.get(reverse("admin:index")).content.decode()
    assert "favicon.svg" in content and "· KAM administration</title>" in content
