"""Installing axe-core (tests/e2e/axe.py) keeps only a tarball whose sha512 is the pinned one. A local tarball
stands in for the npm registry: no network here."""

from __future__ import annotations

import io
import tarfile

import pytest

from tests.e2e.axe import axe_install, integrity_of


def _tarball(tmp_path, script: bytes):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        member = tarfile.TarInfo("package/axe.min.js")
        member.size = len(script)
        archive.addfile(member, io.BytesIO(script))
    path = tmp_path / "axe-core.tgz"
    path.write_bytes(data.getvalue())
    return path


def test_the_script_of_a_tarball_with_the_pinned_integrity_is_installed(tmp_path):
    # given a tarball and its integrity
    tarball = _tarball(tmp_path, b"window.axe = {};")
    destination = tmp_path / "cache" / "axe.min.js"

    # when it is installed
    axe_install(destination=destination, url=tarball.as_uri(), integrity=integrity_of(tarball.read_bytes()))

    # then its axe.min.js is in the cache, and nothing else is
    assert destination.read_bytes() == b"window.axe = {};"
    assert [path.name for path in destination.parent.iterdir()] == ["axe.min.js"]


def test_a_tarball_with_another_integrity_is_refused_and_nothing_is_written(tmp_path):
    # given a tarball that is not the pinned one (tampered with, or another version)
    tarball = _tarball(tmp_path, b"window.axe = {run: stealCookies};")
    destination = tmp_path / "cache" / "axe.min.js"

    # when it is installed, then it is refused and the cache stays empty
    with pytest.raises(RuntimeError, match="is not the pinned"):
        axe_install(destination=destination, url=tarball.as_uri(), integrity=integrity_of(b"the real one"))
    assert not destination.parent.exists()


def test_an_installed_script_is_not_fetched_again(tmp_path):
    # given the script already installed
    destination = tmp_path / "axe.min.js"
    destination.write_text("window.axe = {};")

    # when the install runs again (the URL would fail), then nothing is fetched
    assert axe_install(destination=destination, url=(tmp_path / "missing.tgz").as_uri()) == destination
