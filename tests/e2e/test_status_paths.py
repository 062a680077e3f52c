"""Asking each question once gives the same status as asking per check (#18).

``cockpit status`` runs the checks against one snapshot of the world (a GET that several
checks need is sent once) and revalidates through the user's ETag cache on disk; the
plain path checks each action alone with its own requests. On the cycle's world, for a
finished release, one half prepared by the previous release's last stage, and one not
started, both paths must report the same state for every action, and the shared path
must ask less.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Cycle

FINISHED, PREPARED, UNTOUCHED = "v0.30.1", "v0.31.0-rc1", "v0.40.0-rc1"

BATCHABLE = re.compile(r"^/api/v3/repos/[^/]+/[^/]+(/branches/.+|/git/ref/.+|/contents/.+"
                       r"|/releases/tags/.+|/releases|/pulls|/issues)?$")
"""The REST reads the read-ahead batch answers (``cockpit.services.reads``)."""


def batch_could_answer(request: dict[str, Any]) -> bool:
    path, query = request["path"], request.get("query", "")
    if request["method"] != "GET" or not BATCHABLE.match(path):
        return False
    if path.endswith("/pulls"):
        return "head=" in query
    if path.endswith("/issues"):
        return "state=all" in query and "page=" not in query.replace("per_page=", "")
    return True


@pytest.mark.parametrize("version", [FINISHED, PREPARED, UNTOUCHED])
def test_status_asks_less_and_says_the_same_as_one_check_at_a_time(
        cycle: Cycle, version: str) -> None:
    plain = cycle.driver.status(version, "--one-at-a-time")
    before = len(cycle.world.handle.requests())
    shared = cycle.driver.status(version)
    sent = cycle.world.handle.requests()[before:]
    assert shared["actions"] == plain["actions"]
    # Every GitHub read a check makes that the batch could answer was declared, so it
    # was: none of them went out as its own REST request (``ActionKind.reads``).
    assert [r for r in sent if batch_could_answer(r)] == []
    assert [r["path"] for r in sent if r["path"].endswith("/graphql")] == ["/api/graphql"]
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
    # REST points left are the few answers without an ETag, never more on the shared
    # path. The batch is a POST, paid each time from GraphQL's own budget: a few points
    # for the round trips it saves.
    cost, alone = shared["requests"], plain["requests"]
    assert cost["github_rest_points"] <= alone["github_rest_points"]
    assert 1 <= cost["github_graphql_points"] <= 5 and alone["github_graphql_points"] == 0
