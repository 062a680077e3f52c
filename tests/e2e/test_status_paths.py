"""Asking each question once gives the same status as asking per check (#18).

``cockpit status`` runs the checks against one snapshot of the world (a GET that several
checks need is sent once) and revalidates through the user's ETag cache on disk; the
plain path checks each action alone with its own requests. On the cycle's world, for a
finished release, one half prepared by the previous release's last stage, and one not
started, both paths must report the same state for every action, and the shared path
must ask less.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cycle

FINISHED, PREPARED, UNTOUCHED = "v0.30.0", "v0.31.0-rc1", "v0.40.0-rc1"


@pytest.mark.parametrize("version", [FINISHED, PREPARED, UNTOUCHED])
def test_status_asks_less_and_says_the_same_as_one_check_at_a_time(
        cycle: Cycle, version: str) -> None:
    plain = cycle.driver.status(version, "--one-at-a-time")
    shared = cycle.driver.status(version)
    assert shared["actions"] == plain["actions"]
    states = {row["state"] for row in shared["actions"]}
    if version == FINISHED:
        assert states <= {"done", "not applicable"}, states
    else:
        assert "done" in states and states - {"done", "not applicable"}, states
    assert shared["requests"]["requests"] < plain["requests"]["requests"]
    assert shared["requests"]["github_points"] < plain["requests"]["github_points"]
