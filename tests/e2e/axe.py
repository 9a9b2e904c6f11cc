"""axe-core, the accessibility engine the browser tests run inside KAM's pages.

It comes from the npm registry like any other asset (DESIGN.md §2), pinned and checked against the registry's
``dist.integrity`` (sha512), without Node: ``make install`` runs ``python -m tests.e2e.axe``, which downloads the
tarball once, verifies it and keeps its ``package/axe.min.js`` as ``var/axe-core/axe-<version>.min.js``
(gitignored). The tests read that file and need no network. Only the standard library is used here, so
installing needs nothing else.

In a page, the script is evaluated through the DevTools protocol (``page.evaluate``) rather than added as a
``<script>`` element: KAM's Content-Security-Policy refuses inline scripts, and the tests check the real pages
under the real policy.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The latest 4.x on the registry when pinned; its integrity from https://registry.npmjs.org/axe-core.
VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
MEMBER = "package/axe.min.js"
SCRIPT = Path(__file__).resolve().parents[2] / "var" / "axe-core" / f"axe-{VERSION}.min.js"

# What fails a page: WCAG's blocking problems. Minor and moderate findings are reported, not failed on.
FAILING_IMPACTS = ("serious", "critical")


def integrity_of(data: bytes) -> str:
    """The npm ``integrity`` string (Subresource Integrity format) of ``data``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def axe_install(*, destination: Path = SCRIPT, url: str = TARBALL, integrity: str = INTEGRITY) -> Path:
    """Download the pinned tarball, refuse it unless its sha512 is the pinned one, and write ``axe.min.js`` to
    ``destination`` (atomically: an interrupted install leaves no half file). Nothing to do when it is there."""
    if destination.is_file():
        return destination
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (a fixed https URL)
        data = response.read()
    actual = integrity_of(data)
    if actual != integrity:
        raise RuntimeError(f"{url}: integrity {actual} is not the pinned {integrity}; nothing was installed")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise RuntimeError(f"{url} has no {MEMBER}")
        script = member.read()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    partial.write_bytes(script)
    partial.replace(destination)
    return destination


def axe_source() -> str:
    """The installed axe-core script; a missing one says how to get it."""
    if not SCRIPT.is_file():
        raise FileNotFoundError(
            f"axe-core {VERSION} is not installed at {SCRIPT.relative_to(SCRIPT.parents[2])}: "
            "run `make install` (or `.venv/bin/python -m tests.e2e.axe`), which fetches it from the npm registry"
        )
    return SCRIPT.read_text(encoding="utf-8")


def axe_run(page: Page, source: str) -> list[dict[str, Any]]:
    """Every violation axe finds in ``page`` as it is now (the WCAG 2.x A/AA rules and axe's best practices)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate("async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations")


def axe_report(findings: list[tuple[str, dict[str, Any]]]) -> str:
    """One line per violation (where, impact, rule, help) and one per offending element: its CSS target and
    what axe says to fix."""
    lines = []
    for where, violation in findings:
        lines.append(
            f"{where}: [{violation['impact']}] {violation['id']} — {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


@dataclass
class AxeAudit:
    """The violations axe found in the pages a test checked, each with where it was (a page and its state)."""

    source: str
    findings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def check(self, page: Page, where: str) -> None:
        self.findings.extend((where, violation) for violation in axe_run(page, self.source))

    @property
    def failures(self) -> list[tuple[str, dict[str, Any]]]:
        return [(where, violation) for where, violation in self.findings if violation["impact"] in FAILING_IMPACTS]

    def assert_no_failures(self) -> None:
        assert not self.failures, "axe-core found serious or critical violations:\n" + axe_report(self.failures)


if __name__ == "__main__":
    try:
        path = axe_install()
    except (OSError, RuntimeError, tarfile.TarError) as error:
        sys.exit(f"axe-core {VERSION} could not be installed from the npm registry: {error}")
    print(f"axe-core {VERSION}: {os.path.relpath(path)}", file=sys.stderr)
