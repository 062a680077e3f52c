"""A repeated ``cockpit status`` is mostly free: the ETag cache on disk is shared by the
user's cockpit processes, and the status says what it cost (#18).

Two real processes against the sandbox over HTTP: the second finds every GitHub answer
the first fetched in the user's cache, revalidates it, and GitHub (the sandbox, which
counts rate limit as GitHub does) answers 304, which costs no points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cockpit.sandbox.testing import SandboxHandle

RELEASE = "v0.30.0-rc1"


def status(sandbox: SandboxHandle, **env: str) -> dict[str, Any]:
    found = subprocess.run([sys.executable, "-m", "screens.main", "status", "--release", RELEASE,
                            "--json"], capture_output=True, text=True, timeout=120,
                           env={**os.environ, **sandbox.env, **env}, check=False)
    assert found.returncode in (0, 1), found.stderr
    report: dict[str, Any] = json.loads(found.stdout)
    return report


def api_requests(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    """GitHub's REST API as the sandbox saw it (its web pages are another service)."""
    return [r for r in sandbox.requests() if r["path"].startswith("/api/v3/")]


def test_a_second_status_is_answered_by_304s_and_says_what_it_cost(
        sandbox: SandboxHandle) -> None:
    before = len(api_requests(sandbox))
    first = status(sandbox)
    sent = api_requests(sandbox)[before:]
    second = status(sandbox)
    again = api_requests(sandbox)[before + len(sent):]

    assert first["actions"] == second["actions"]  # the cache never changes the answer
    cost, repeat = first["requests"], second["requests"]
    assert cost["github_points"] > 10
    # GitHub's reads the checks declared came in one GraphQL query (its own budget).
    assert cost["by_service"]["github-graphql"]["requests"] == 1
    assert 1 <= cost["github_graphql_points"] <= 10
    assert cost["by_service"]["github"]["requests"] == len(sent)
    # Every answer the first process fetched was revalidated by the second (304, free);
    # what still costs a point is what GitHub gives no ETag for (a 404: nothing there
    # yet) and the token's scopes, always asked afresh (they are headers: an ETag over
    # the body would not notice them change).
    fresh = [r["path"] for r in again if r["status"] == 200]
    assert fresh == ["/api/v3/user"], fresh
    # (404s, GitHub's "not there yet", now mostly come back inside the batch's answer.)
    assert 304 in {r["status"] for r in again} <= {200, 304, 404}
    assert repeat["github_points"] == 1 + sum(1 for r in again if r["status"] == 404) \
        + repeat["github_graphql_points"]  # a POST: no ETag, the query is paid again
    assert repeat["github_points"] < 0.4 * cost["github_points"]
    # One request per question: no URL is asked twice within one status.
    paths = [r["path"] + "?" + r.get("query", "") for r in again]
    assert len(paths) == len(set(paths)), sorted(p for p in paths if paths.count(p) > 1)

    # Turned off, the second process pays in full again.
    off = status(sandbox, COCKPIT_HTTP_DISK_CACHE="false")
    assert off["requests"]["not_modified"] == 0
    assert off["requests"]["github_points"] == cost["github_points"]
