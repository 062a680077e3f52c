"""Which releases the demo runs before the one a driver asked to try."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cockpit.demo_history import NotInTheDemoWorld, releases_before
from cockpit.model import Version


@pytest.mark.parametrize(("asked", "before"), [
    ("v0.30.0-rc1", []),
    ("v0.30.0-rc3", ["v0.30.0-rc1", "v0.30.0-rc2"]),
    ("v0.30.0", ["v0.30.0-rc1"]),
    ("v0.30.1", ["v0.30.0-rc1", "v0.30.0"]),
    ("v0.30.2", ["v0.30.0-rc1", "v0.30.0", "v0.30.1"]),
    ("v0.30.1-rc2", ["v0.30.0-rc1", "v0.30.0", "v0.30.1-rc1"]),
])
def test_a_release_follows_the_ones_it_needs(asked: str, before: list[str]) -> None:
    assert [v.tag for v in releases_before(Version.parse(asked))] == before


def test_a_version_outside_the_seeded_series_is_refused_with_the_ones_that_work() -> None:
    with pytest.raises(NotInTheDemoWorld, match=r"v0\.30\.0-rc1"):
        releases_before(Version.parse("v0.31.0-rc1"))


def test_the_demo_command_says_so_before_starting_anything() -> None:
    found = subprocess.run([sys.executable, "-m", "screens.main", "demo", "--headless",
                            "--yes", "--version", "v1.2.3"], capture_output=True, text=True,
                           env=dict(os.environ), timeout=120, check=False)
    assert found.returncode == 2, found.stderr
    assert "just after v0.29.0" in found.stderr and "sandbox:" not in found.stderr
