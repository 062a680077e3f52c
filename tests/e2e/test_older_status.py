"""An older release still reads as done once a newer one moved what it left behind.

After v0.30.1, ``release`` holds version.go 0.30.1, ``latest`` (Docker Hub, npm, GitHub)
is v0.30.1, its announcement has the pin and the docs name it. None of that undoes
v0.30.0 or its release candidates: their status, read off the cycle's world, must find
every step done, or skipped where the driver really skipped it, each read where no later
release moves it (the release's own tag) or judged by the later release it found.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cycle

SKIPPED = {"v0.30.0": {("preflight", "tool-go", "skipped")}}
"""What the cycle's driver skipped (the sandbox's machine has no go on PATH)."""


@pytest.mark.parametrize("version", ["v0.30.0-rc1", "v0.30.0-rc2", "v0.30.0"])
def test_an_older_release_reads_as_done_after_a_newer_one(cycle: Cycle, version: str) -> None:
    report = cycle.driver.status(version)
    left = {(r["stage"], r["action"], r["state"]) for r in report["actions"]
            if r["state"] not in ("done", "not applicable")}
    assert left == SKIPPED.get(version, set()), [
        (r["action"], r["state"], r["reason"]) for r in report["actions"]
        if (r["stage"], r["action"], r["state"]) in left]
    reasons = {r["action"]: r["reason"] for r in report["actions"]}
    number = version.removeprefix("v")
    check = "check-version-rc" if "-rc" in version else "check-version-final"
    assert reasons[check] == (f"version.go at tag {version} contains text "
                              f"'const CurrentVersionNumber = \"{number}\"'")
