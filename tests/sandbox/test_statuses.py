"""Commit statuses and check suites, combined as GitHub combines them."""

from __future__ import annotations

import httpx
import pytest

from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.conftest import validating_client
from tests.sandbox.contract import Contract

K = "/repos/ipfs/kubo"


CASES = [
    ([], "pending"),
    ([("ci", "pending")], "pending"),
    ([("ci", "pending"), ("ci", "success")], "success"),
    ([("ci", "success"), ("lint", "pending")], "pending"),
    ([("ci", "success"), ("lint", "error"), ("docs", "pending")], "failure"),
    ([("ci", "failure"), ("ci", "success")], "success"),
]


@pytest.mark.parametrize(("case", "posted", "combined"),
                         [(n, *case) for n, case in enumerate(CASES)],
                         ids=["none", "pending", "latest-per-context-wins", "one-pending",
                              "error-fails", "failure-then-fixed"])
def test_combined_status(module_sandbox: SandboxHandle, contract: Contract, case: int,
                         posted: list[tuple[str, str]], combined: str) -> None:
    """Each case on a commit of its own, so the cases share one sandbox."""
    with validating_client(module_sandbox, contract, module_sandbox.admin_token) as gh:
        sha = gh.get(K + "/commits", params={"sha": "master"}).json()[case]["sha"]
        for context, state in posted:
            made = gh.post(f"{K}/statuses/{sha}", json={
                "state": state, "context": context, "target_url": "http://ci.example/1",
                "description": f"{context} says {state}"})
            assert made.status_code == 201
            assert made.json()["creator"]["login"] == "release-driver"
        status = gh.get(f"{K}/commits/{sha}/status").json()
        assert status["state"] == combined and status["sha"] == sha
        assert status["total_count"] == len({c for c, _ in posted})
        listed = gh.get(f"{K}/commits/{sha}/statuses").json()
        assert [(s["context"], s["state"]) for s in listed] == list(reversed(posted))
        if case == 0:  # a branch name reads the statuses of the commit it points at
            assert gh.get(K + "/commits/master/status").json()["sha"] == sha


def test_status_rules(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    sha = gh.get(K + "/branches/release").json()["commit"]["sha"]
    assert gh.post(f"{K}/statuses/{'0' * 40}", json={"state": "success"}).status_code == 422
    made = gh.post(f"{K}/statuses/{sha}", json={"state": "success"}).json()
    assert made["context"] == "default"
    raw = httpx.post(f"{sandbox.api_url}{K}/statuses/{sha}", json={"state": "bogus"},
                     headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert raw.status_code == 422 and raw.json()["errors"][0]["field"] == "state"
    long = gh.post(f"{K}/statuses/{sha}", json={"state": "success", "description": "x" * 141})
    assert long.status_code == 422
    assert gh.get(f"{K}/commits/{sha}/statuses").json()[0]["id"] == made["id"]


def test_check_suites_of_a_ref_with_slashes(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    """``commits/{ref}/check-suites`` used to be read as the commit ``…/check-suites``."""
    gh.post(K + "/git/refs", json={"ref": "refs/heads/feat/suite",
                                   "sha": gh.get(K + "/branches/master").json()["commit"]["sha"]})
    assert gh.get(K + "/commits/feat/suite/check-suites").json() == {
        "total_count": 0, "check_suites": []}
    assert gh.post(K + "/actions/workflows/gotest.yml/dispatches",
                   json={"ref": "feat/suite"}).status_code == 204
    suites = gh.get(K + "/commits/feat/suite/check-suites").json()
    assert suites["total_count"] == 1
    (suite,) = suites["check_suites"]
    assert suite["app"]["slug"] == "github-actions" and suite["head_branch"] == "feat/suite"
    run = gh.get(K + "/actions/runs", params={"branch": "feat/suite"}).json()
    assert run["workflow_runs"][0]["check_suite_id"] == suite["id"]
    assert gh.get(f"{K}/check-suites/{suite['id']}").json()["head_sha"] == suite["head_sha"]
    assert gh.get(f"{K}/check-suites/1").status_code == 404
    empty = gh.get(K + "/commits/feat/suite/check-suites", params={"app_id": 1}).json()
    assert empty["total_count"] == 0
