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

FINISHED, PREPARED, UNTOUCHED = "v0.30.1", "v0.31.0-rc1", "v0.40.0-rc1"


@pytest.mark.parametrize("version", [FINISHED, PREPARED, UNTOUCHED])
def test_status_asks_less_and_says_the_same_as_one_check_at_a_time(
        cycle: Cycle, version: str) -> None:
    plain = cycle.driver.status(version, "--one-at-a-time")
    shared = cycle.driver.status(version)
    assert shared["actions"] == plain["actions"]
    states = {row["state"] for row in shared["actions"]}
    if version == FINISHED:
        # The cycle's last release: every step done or not applicable to a patch.
        left = {(r["stage"], r["action"], r["state"]) for r in shared["actions"]
                if r["state"] not in ("done", "not applicable")}
        assert left == set(), left
    else:
        assert "done" in states and states - {"done", "not applicable"}, states
    assert shared["requests"]["requests"] < plain["requests"]["requests"]
    # Both revalidate through the driver's warm on-disk cache (the cycle filled it): the
    # points left are the few answers without an ETag, never more on the shared path.
    assert shared["requests"]["github_points"] <= plain["requests"]["github_points"]
