"""Security hardening (issue 9): the production deploy check, the Content-Security-Policy on every response and in
every template, sign-in protection on /login/ and /admin/login/, and the rate limit on guessed API tokens."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kam import login_protection
from tests.factories import PASSWORD, UserFactory

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
    # Django comments may mention what they avoid; strip them before looking ({# … #} ends on its own line).
    offences = []
    templates = project_templates()
    assert len(templates) > 50
    for path in templates:
        text = re.sub(r"\{#[^\n]*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(), flags=re.S)
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


# --- sign-in protection ---------------------------------------------------------------------------------------


class SignIn:
    """Low limits under a key prefix of this test's own, on the real Redis of REDIS_URL."""

    def __init__(self, settings) -> None:
        self.prefix = f"kam:test:login:{uuid.uuid4().hex}"
        self.redis = redis.Redis.from_url(settings.REDIS_URL)
        settings.KAM_LOGIN_KEY_PREFIX = self.prefix
        settings.KAM_LOGIN_MAX_FAILURES_PER_USER = 3
        settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS = 5
        settings.KAM_LOGIN_LOCKOUT_MINUTES = 15

    def stored(self) -> list[bytes]:
        return list(self.redis.scan_iter(f"{self.prefix}:*"))

    @staticmethod
    def post(username: str, password: str, *, address: str = "192.0.2.1", url: str = "/login/"):
        return Client(REMOTE_ADDR=address).post(url, {"username": username, "password": password})


@pytest.fixture
def sign_in(settings):
    sign_in = SignIn(settings)
    yield sign_in
    leftovers = sign_in.stored()
    if leftovers:
        sign_in.redis.delete(*leftovers)
    sign_in.redis.close()


def errors_of(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def locked_message(whose: str, minutes: int) -> str:
    return (
        f"Too many failed sign-ins {whose}. For your security, signing in is paused: "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def test_the_defaults_are_documented():
    assert django_settings.KAM_LOGIN_MAX_FAILURES_PER_USER == 5
    assert django_settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS == 20
    assert django_settings.KAM_LOGIN_LOCKOUT_MINUTES == 15
    readme = (ROOT / "README.md").read_text()
    for row in (
        "| `KAM_LOGIN_MAX_FAILURES_PER_USER` | `5` |",
        "| `KAM_LOGIN_MAX_FAILURES_PER_ADDRESS` | `20` |",
        "| `KAM_LOGIN_LOCKOUT_MINUTES` | `15` |",
    ):
        assert row in readme


def test_a_username_is_locked_after_repeated_failures_even_with_the_right_password(sign_in, manager, caplog):
    # given two wrong passwords for the manager
    for _ in range(2):
        response = sign_in.post("manager", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in errors_of(response)[0]

    # when a third one fails, from another address
    with caplog.at_level(logging.WARNING, logger="kam.login_protection"):
        third = sign_in.post("manager", "wrong", address="192.0.2.99")

    # then signing in as the manager is paused, and says for how long
    assert errors_of(third) == [locked_message("for this username", 15)]
    assert "Too many failed sign-ins for this username" in third.content.decode()
    # and a warning names the username (once: the lockout, not every refused attempt)
    [record] = [record for record in caplog.records if record.name == "kam.login_protection"]
    assert record.levelno == logging.WARNING and "'manager'" in record.getMessage()
    # and even the right password is refused meanwhile, from anywhere, without a session
    right = sign_in.post("manager", PASSWORD, address="198.51.100.7")
    assert right.status_code == 200 and "_auth_user_id" not in right.wsgi_request.session
    assert errors_of(right) == [locked_message("for this username", 15)]
    # while another user signs in as usual, and the username is matched whatever its case
    UserFactory(username="other")
    assert sign_in.post("other", PASSWORD).status_code == 302
    assert errors_of(sign_in.post("MANAGER", PASSWORD)) == [locked_message("for this username", 15)]


def test_a_username_that_does_not_exist_is_locked_alike(sign_in):
    # so that the lockout tells nobody which usernames exist
    for _ in range(2):
        sign_in.post("nobody", "guess")
    assert errors_of(sign_in.post("nobody", "guess")) == [locked_message("for this username", 15)]


def test_an_address_is_locked_after_repeated_failures_across_usernames(sign_in, manager, caplog):
    # given five failures from one address, each for another username (no username reaches its limit)
    with caplog.at_level(logging.WARNING, logger="kam.login_protection"):
        for n in range(4):
            assert sign_in.post(f"guess{n}", "wrong", address="203.0.113.5").status_code == 200
        fifth = sign_in.post("guess4", "wrong", address="203.0.113.5")

    # then signing in from that address is paused, for the right password of a real user too
    assert errors_of(fifth) == [locked_message("from your network address", 15)]
    assert errors_of(sign_in.post("manager", PASSWORD, address="203.0.113.5")) == [
        locked_message("from your network address", 15)
    ]
    assert any("client address 203.0.113.5" in record.getMessage() for record in caplog.records)
    # and the manager signs in from another address
    assert sign_in.post("manager", PASSWORD, address="203.0.113.6").status_code == 302


def test_a_successful_sign_in_clears_the_usernames_failures(sign_in, manager):
    # given two failures, then the right password
    for _ in range(2):
        sign_in.post("manager", "wrong")
    assert sign_in.post("manager", PASSWORD).status_code == 302

    # when two more fail
    for _ in range(2):
        response = sign_in.post("manager", "wrong")

    # then the manager is not locked: the count started again from the success
    assert "Please enter a correct username and password" in errors_of(response)[0]
    assert sign_in.post("manager", PASSWORD).status_code == 302


def test_a_success_does_not_clear_the_addresss_failures(sign_in, manager):
    # a guesser with one valid account must not reset the budget of the address they guess from
    for n in range(4):
        sign_in.post(f"guess{n}", "wrong", address="203.0.113.9")
    assert sign_in.post("manager", PASSWORD, address="203.0.113.9").status_code == 302
    assert errors_of(sign_in.post("guess9", "wrong", address="203.0.113.9")) == [
        locked_message("from your network address", 15)
    ]


def test_the_admin_sign_in_is_protected_and_counts_with_the_sites(sign_in, settings):
    # given a superuser who failed twice on /login/
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(2):
        sign_in.post("root", "wrong")

    # when the third failure is on the admin's sign-in
    third = sign_in.post("root", "wrong", url="/admin/login/")

    # then the admin says so too, and refuses the right password meanwhile
    assert errors_of(third) == [locked_message("for this username", 15)]
    assert "Too many failed sign-ins for this username" in third.content.decode()
    right = sign_in.post("root", PASSWORD, url="/admin/login/")
    assert right.status_code == 200 and errors_of(right) == [locked_message("for this username", 15)]


def test_the_admin_refusing_a_non_staff_user_is_not_a_failed_guess(sign_in, manager):
    # a manager's right password on the admin's sign-in is refused (not staff) but not counted
    for _ in range(3):
        assert sign_in.post("manager", PASSWORD, url="/admin/login/").status_code == 200
    assert sign_in.post("manager", PASSWORD).status_code == 302


def test_a_lockout_ends_by_itself(sign_in, settings, manager):
    # given a lockout of about a second
    settings.KAM_LOGIN_LOCKOUT_MINUTES = 0.02
    for _ in range(3):
        sign_in.post("manager", "wrong")
    locked = sign_in.post("manager", PASSWORD)
    assert errors_of(locked) == [locked_message("for this username", 1)]

    # when it has passed
    time.sleep(1.5)

    # then the right password signs in again
    assert sign_in.post("manager", PASSWORD).status_code == 302
    assert sign_in.stored() == []  # the failure counters expired with the window too


def test_failures_are_forgotten_when_their_window_closes(sign_in, settings, manager):
    settings.KAM_LOGIN_LOCKOUT_MINUTES = 0.02
    for _ in range(2):
        sign_in.post("manager", "wrong")
    time.sleep(1.5)
    response = sign_in.post("manager", "wrong")
    assert "Please enter a correct username and password" in errors_of(response)[0]


def test_a_limit_of_zero_turns_it_off(sign_in, settings, manager):
    settings.KAM_LOGIN_MAX_FAILURES_PER_USER = 0
    settings.KAM_LOGIN_MAX_FAILURES_PER_ADDRESS = 0
    for _ in range(10):
        sign_in.post("manager", "wrong")
    assert sign_in.post("manager", PASSWORD).status_code == 302
    assert sign_in.stored() == []


def test_sign_in_works_unprotected_while_redis_is_down(sign_in, settings, manager, caplog, monkeypatch):
    # given a Redis that cannot be reached
    monkeypatch.setattr(login_protection, "_down_until", {})
    settings.KAM_LOGIN_REDIS_URL = f"unix:///nonexistent/{uuid.uuid4().hex}.sock"

    # when the manager fails more often than the limit, then signs in
    with caplog.at_level(logging.WARNING, logger="kam.login_protection"):
        for _ in range(5):
            assert sign_in.post("manager", "wrong").status_code == 200
        signed_in = sign_in.post("manager", PASSWORD)

    # then sign-in still checks passwords and lets the right one in (fail open), and says why in the log
    assert signed_in.status_code == 302
    assert any("Sign-in protection is off" in record.getMessage() for record in caplog.records)


def test_the_login_form_shows_the_lockout_in_the_page(sign_in, manager):
    for _ in range(3):
        response = sign_in.post("manager", "wrong")
    html = response.content.decode()
    assert 'class="alert alert-danger"' in html
    assert "try again in 15 minutes" in html


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
