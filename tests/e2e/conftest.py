"""Browser tests: pytest-playwright driving the system Chromium against pytest-django's ``live_server``.

``playwright install`` cannot download browsers here (TOOLCHAIN.md), so the Playwright wheel's driver drives
Debian's Chromium. The live server only sees committed rows, so these tests use a transactional database,
which Django empties after each test: the role groups (made by a data migration) are put back before every
browser test, and the factories of the other tests create a role group that is missing, so no test depends
on the order.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.axe import AxeAudit, axe_report, axe_source

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def ensure_roles() -> None:
    """The role groups with their permissions, as the data migrations ``kam/0002…``, ``0003…`` make them."""
    for migration in ("0002_roles", "0003_roles_evidence"):
        _grant(importlib.import_module(f"kam.migrations.{migration}").ROLE_PERMISSIONS)


def _grant(role_permissions: dict) -> None:
    from django.contrib.auth.models import Group, Permission

    for role, grants in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        for label, actions in grants.items():
            app_label, model = label.split(".")
            codenames = [f"{action}_{model}" for action in actions]
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests last. pytest-django runs transactional tests after the others, but pytest then regroups
    tests by session-scoped parameters (pytest-playwright's ``browser_name``), which can move them up."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Every browser test runs on committed data, with the roles in place (an earlier transactional test may
    have emptied the database). Tests that run later need nothing back: the factories create a missing
    role group themselves."""
    ensure_roles()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
        message = f"no Chromium at {executable}: apt-get install -y chromium, or set CHROMIUM_PATH"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def results_dir() -> Path:
    """Where screenshots go (gitignored)."""
    RESULTS.mkdir(exist_ok=True)
    return RESULTS


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's source, which ``make install`` fetched (tests/e2e/axe.py). Missing, it fails the run under CI
    and skips the test elsewhere, as a missing browser does."""
    try:
        return axe_source()
    except FileNotFoundError as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))


@pytest.fixture
def axe(request, axe_script, results_dir) -> Iterator[AxeAudit]:
    """``axe.check(page, "where")`` runs axe-core in the page as it is now; ``axe.assert_no_failures()`` fails on a
    serious or critical violation. Every finding, minor ones too, is written to ``test-results/axe-<test>.txt``."""
    audit = AxeAudit(axe_script)
    yield audit
    name = request.node.name.replace("[chromium]", "")
    (results_dir / f"axe-{name}.txt").write_text((axe_report(audit.findings) or "no violation") + "\n")


# Chromium logs a refused script, style or request to the console; the listener below also reports the
# ``securitypolicyviolation`` event, in case a message's wording changes. Init scripts are not subject to the policy.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.effectiveDirective} refused ${event.blockedURI}`);
});
"""


# Blocked on purpose, and harmless: ReDoc's sidebar always shows Redocly's logo from their CDN (it falls back to
# the text "API docs by Redocly"). The policy stops that request, as KAM loads nothing from elsewhere.
EXPECTED_VIOLATIONS = ("https://cdn.redoc.ly/redoc/logo-mini.svg",)


@pytest.fixture
def csp_violations() -> list[str]:
    """Every Content-Security-Policy violation any page of the test's browser context logged."""
    return []


@pytest.fixture
def context(context, csp_violations):
    """pytest-playwright's context, failing the test when a page broke the Content-Security-Policy
    (kam/content_security_policy.py): an inline script or style, or a request to another site, that crept in."""

    def collect(message) -> None:
        if "Content Security Policy" not in message.text and "Content-Security-Policy" not in message.text:
            return
        if not any(expected in message.text for expected in EXPECTED_VIOLATIONS):
            csp_violations.append(f"{message.location.get('url', '')}: {message.text}")

    context.add_init_script(_REPORT_VIOLATIONS)
    context.on("console", collect)
    yield context
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)
