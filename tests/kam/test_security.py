"""Security hardening (issue 9): the production deploy check, the Content-Security-Policy on every response and in
every template, and the rate limit on guessed API tokens."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# --- the production deploy check -----------------------------------------------------------------------------


def test_production_settings_pass_the_deploy_check_without_a_warning():
    # given the production settings with nothing but their required variables (the test process's own environment
    # has e.g. DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests), on this test run's PostgreSQL and Redis
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
    }

    # when Django's deployment checklist runs, failing on warnings too
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then it passes with nothing to say
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr and "WARNINGS" not in result.stdout
    assert "System check identified no issues" in result.stdout


# --- Content-Security-Policy --------------------------------------------------------------------------------


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


SITE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


@pytest.mark.parametrize("url", ["/login/", "/admin/login/", "/api/docs/", "/api/docs/?script=", "/api/schema/"])
def test_anonymous_pages_carry_the_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert policy_of(response) == SITE_POLICY


def test_signed_in_pages_the_admin_and_the_api_carry_the_policy(client, director):
    # given a director, who is a superuser too (the admin)
    director.is_staff = director.is_superuser = True
    director.save()
    client.force_login(director)

    # then the dashboard, the portfolio, the admin, an API answer and an error page carry the site's policy
    for url in ("/", "/accounts/", "/admin/", "/admin/accounts/account/", "/api/v1/accounts/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert policy_of(response) == SITE_POLICY, url


def test_static_files_carry_the_policy(client):
    response = client.get("/static/kam/kam.js")
    assert response.status_code == 200
    assert policy_of(response) == SITE_POLICY


def test_redoc_alone_allows_inline_styles_and_never_inline_scripts(client):
    # when anyone opens ReDoc, whose styled-components write <style> elements
    response = client.get("/api/redoc/")

    # then that page allows inline styles and blob: workers, nothing else more than the site
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["script-src"] == ["'self'"]
    assert {key: value for key, value in policy.items() if key not in ("style-src", "worker-src")} == {
        key: value for key, value in SITE_POLICY.items() if key != "style-src"
    }
    # and the page itself has no inline script or style, and loads nothing from elsewhere
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html) and "<style" not in html and "googleapis" not in html


def test_swagger_ui_takes_its_start_up_script_from_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page) and "<style" not in page
    assert 'src="/api/docs/?script="' in page
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


# A <script> that runs code: without src, and not a data block (json_script writes type="application/json").
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_PATTERNS = {
    "inline <script>": INLINE_SCRIPT,
    "inline event handler (on…=)": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "hx-on attribute": re.compile(r"\shx-on(?::|-|\b)", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "<style> element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def project_templates() -> list[Path]:
    folders = [Path(folder) for folder in django_settings.TEMPLATES[0]["DIRS"]]
    folders += [ROOT / app / "templates" for app in ("kam", "accounts", "relationships", "benefits")]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def test_no_template_has_an_inline_script_handler_or_style():
    # Django comments ({# … #}) may mention what they avoid; strip them before looking.
    offences = []
    templates = project_templates()
    assert len(templates) > 50
    for path in templates:
        text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(), flags=re.S)
        for what, pattern in INLINE_PATTERNS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offences.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert offences == [], "move these into static/kam/*.js or CSS classes:\n" + "\n".join(offences)


def test_the_template_scan_finds_what_it_looks_for():
    for sample, what in [
        ("<script>alert(1)</script>", "inline <script>"),
        ('<button onclick="go()">', "inline event handler (on…=)"),
        ('<form hx-on::after-request="x()">', "hx-on attribute"),
        ('<div class="bar"\n     style="width: 5%">', "style attribute"),
        ("<style>p{}</style>", "<style> element"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
    ]:
        assert INLINE_PATTERNS[what].search(sample), sample
    for harmless in ('<script src="/static/kam/kam.js" defer></script>', '<script id="x" type="application/json">'):
        assert not any(pattern.search(harmless) for pattern in INLINE_PATTERNS.values()), harmless


# --- API tokens ---------------------------------------------------------------------------------------------


def test_repeated_bad_api_tokens_from_one_address_are_refused_with_429(settings):
    # given a low anonymous budget under a key prefix of this test's own
    settings.KAM_API_RATE_KEY_PREFIX = f"kam:test:ratelimit:{uuid.uuid4().hex}"
    settings.KAM_API_RATE_READS_PER_MINUTE = 4
    settings.KAM_API_RATE_WRITES_PER_MINUTE = 2
    guesser = APIClient(REMOTE_ADDR="203.0.113.77")

    # when one address guesses keys, each a different one
    answers = []
    for n in range(6):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token kam_guess{n}")
        answers.append(guesser.get(reverse("api:account-list")).status_code)
    guesser.credentials(HTTP_AUTHORIZATION="Token kam_guess-write")
    writes = [guesser.post(reverse("api:account-list"), {}, format="json").status_code for _ in range(3)]

    # then the guesses count against the address's anonymous budget: 401 until it is spent, then 429
    assert answers == [401, 401, 401, 401, 429, 429]
    assert writes == [401, 401, 429]
    # and another address is not affected
    assert APIClient(REMOTE_ADDR="203.0.113.78").get(reverse("api:account-list")).status_code == 401
    client = redis.Redis.from_url(settings.REDIS_URL)
    leftovers = list(client.scan_iter(f"{settings.KAM_API_RATE_KEY_PREFIX}:*"))
    if leftovers:
        client.delete(*leftovers)
