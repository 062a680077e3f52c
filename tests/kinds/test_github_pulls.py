"""github.pull / pull-body-compare / pr-checks-wait / pull-merge against the real sandbox."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from cockpit.events import ActionChecked
from cockpit.model import Outcome, Status
from cockpit.sandbox.reviews import set_auto_reviewer
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from tests.github_setup import await_mergeable, ensure_branch
from tests.kinds.harness import (
    KUBO,
    Run,
    api,
    built_in,
    first_checks,
    make_engine,
    mutations_since,
    outcomes,
    read_only_refuses,
    run_until_done,
)

pytestmark = pytest.mark.sandbox(workflow_seconds=0.5)

HEAD = "release-v0.30.0"


async def make_head(handle: SandboxHandle, branch: str = HEAD) -> None:
    """A version branch from master with one commit, and a later commit on master."""
    async with api(handle) as gh:
        master = await gh.get_branch(KUBO, "master")
        assert master is not None
        await ensure_branch(gh, KUBO, branch, master.sha)
        await gh.put_contents(KUBO, "RELEASE-NOTE.md", "v0.30.0\n", "chore: note", branch)
        await gh.put_contents(KUBO, "later.txt", "later\n", "feat: later on master", "master")


def pulls(handle: SandboxHandle, head: str = HEAD, repo: str = KUBO) -> list[dict[str, Any]]:
    return [i for i in handle.state()["repos"][repo]["issues"]
            if i["pull"] and i["pull"]["head"] == head]


PR = built_in("prepare-branch/release-pr", "prepare-branch/release-pr-missing-commits",
              "prepare-branch/release-pr-checks")
MERGE = built_in("prepare-branch/release-pr-merge")
READY = built_in("prepare-branch/release-pr-ready")
APPROVED = built_in("prepare-branch/release-pr-approved")
STAGE = "prepare-branch"


async def test_pr_stage_applies_once_and_rerun_changes_nothing(sandbox: SandboxHandle) -> None:
    await make_head(sandbox)
    run = Run(PR)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    checks = first_checks(run.events)
    assert checks["release-pr"] is checks["release-pr-missing-commits"] is Status.INCOMPLETE
    # the CI run is quick here
    assert checks["release-pr-checks"] in (Status.IN_PROGRESS, Status.DONE)
    assert run.applied == ["release-pr", "release-pr-missing-commits"]
    [pr] = pulls(sandbox)
    assert pr["labels"] == ["kind/release"] and pr["pull"]["draft"] is False
    assert "<!-- cockpit:not-included:start -->" in pr["body"]
    assert "feat: later on master" in pr["body"]
    assert "chore: note" not in pr["body"]  # on the head: included
    assert pr["body"].startswith('This PR creates release v0.30.0; it is tracked in "Release '
                                 'v0.30.0".')

    merge = Run(MERGE)
    assert (await merge()).outcome is Outcome.DONE
    assert merge.applied == ["release-pr-merge"]
    [pr] = pulls(sandbox)
    assert pr["pull"]["merged_at"] and pr["state"] == "closed"
    assert HEAD in sandbox.state()["repos"][KUBO]["branches"]  # the branch is kept

    # A rerun from a fresh engine: every check is done, nothing is written.
    before = len(sandbox.requests(mutating=True))
    for playbook in (PR, MERGE):
        again = Run(playbook)
        assert (await again()).outcome is Outcome.DONE
        assert again.applied == []
        assert set(outcomes(again.events).values()) == {Outcome.DONE}
    assert len(sandbox.requests(mutating=True)) == before
    assert len(pulls(sandbox)) == 1


async def test_reviewers_are_requested(sandbox: SandboxHandle) -> None:
    """The Desktop pull request asks its maintainer for a review."""
    run = Run(built_in("update-ipfs-desktop/desktop-branch", "update-ipfs-desktop/desktop-bump",
                       "update-ipfs-desktop/desktop-pr"))
    assert (await run()).outcome is Outcome.DONE
    [pr] = pulls(sandbox, "kubo-v0.30.0", repo="ipfs/ipfs-desktop")
    assert pr["pull"]["requested_reviewers"] == ["desktop-maintainer"]


async def test_failed_check_fails_with_a_link(sandbox: SandboxHandle) -> None:
    sandbox.set_workflow_outcome(KUBO, "gotest.yml", "failure")
    await make_head(sandbox)
    run = Run(PR)
    report = await run()
    assert report.outcome is Outcome.NEEDS_HUMAN  # failed: the driver is asked what next
    last = [e.result for e in run.events
            if isinstance(e, ActionChecked) and e.action == "release-pr-checks"]
    assert last[-1].status is Status.FAILED
    assert "failure" in last[-1].reason and last[-1].link


async def test_merged_with_another_method_is_a_failure(sandbox: SandboxHandle) -> None:
    await make_head(sandbox)
    async with api(sandbox) as gh:
        pr = await gh.create_pull(KUBO, title="x", head=HEAD, base="release")
        await await_mergeable(gh, KUBO, pr.number)  # release is protected
        await gh.merge_pull(KUBO, pr.number, merge_method="squash")
    run = Run(MERGE)
    report = await run()
    assert report.outcome is Outcome.NEEDS_HUMAN  # failed: the driver is asked what next
    [result] = [e.result for e in run.events if isinstance(e, ActionChecked)]
    assert result.status is Status.FAILED and "squash or rebase" in result.reason
    assert run.applied == []


@pytest.mark.parametrize(("action", "which"), [("release-pr-merge", ""),
                                               ("release-pr-approved", "open ")])
async def test_a_missing_pull_request_fails_the_check_naming_head_and_base(
        sandbox: SandboxHandle, action: str, which: str) -> None:
    run = Run(built_in(f"prepare-branch/{action}"))
    assert (await run()).outcome is Outcome.NEEDS_HUMAN
    [result] = [e.result for e in run.events if isinstance(e, ActionChecked)]
    assert result.status is Status.FAILED
    assert result.reason == f"no {which}pull request {HEAD} → release in {KUBO}"
    assert run.applied == []


async def test_faults_still_make_exactly_one_pr(sandbox: SandboxHandle) -> None:
    await make_head(sandbox)
    sandbox.set_faults("5xx:0.3,seed=3")
    await run_until_done(PR, STAGE)
    await run_until_done(MERGE, STAGE)
    sandbox.set_faults("")
    [pr] = pulls(sandbox)
    assert pr["pull"]["merged_at"] and pr["labels"] == ["kind/release"]
    assert pr["body"].count("<!-- cockpit:not-included:start -->") == 1


# -- github.pull-ready / github.pr-review-wait ------------------------------------------------

async def draft_pull(handle: SandboxHandle) -> int:
    await make_head(handle)
    async with api(handle) as gh:
        return (await gh.create_pull(KUBO, title="Release v0.30.0", head=HEAD, base="release",
                                     draft=True)).number


def reviews_by(handle: SandboxHandle) -> list[tuple[str, str]]:
    [pr] = pulls(handle)
    return [(r["user"], r["state"]) for r in pr["pull"].get("reviews", [])]


async def test_ready_then_approval_then_rerun_changes_nothing(sandbox: SandboxHandle) -> None:
    set_auto_reviewer(sandbox.sandbox, KUBO, None)  # the approval comes from alice below
    number = await draft_pull(sandbox)

    await read_only_refuses(sandbox, READY, STAGE, ["release-pr-ready"])

    waits, _ = make_engine(APPROVED)
    approved = waits.stage(STAGE)
    waiting = await waits.check_action(approved, approved.actions[0])
    assert waiting.status is Status.FAILED and "draft" in waiting.reason
    ready = Run(READY)
    assert (await ready()).outcome is Outcome.DONE
    assert ready.applied == ["release-pr-ready"]
    [pr] = pulls(sandbox)
    assert pr["pull"]["draft"] is False
    waiting = await waits.check_action(approved, approved.actions[0])
    assert waiting.status is Status.IN_PROGRESS and "0 of 1" in waiting.reason
    assert waiting.link and waiting.link.endswith(f"/pull/{number}")
    await waits.session.aclose()

    alice = sandbox.sandbox.issue_token("write", "alice")
    async with GitHubClient(sandbox.api_url, alice) as as_alice:
        await as_alice.http.post(f"repos/{KUBO}/pulls/{number}/reviews",
                                 json={"event": "APPROVE"})
    wait = Run(APPROVED)
    assert (await wait()).outcome is Outcome.DONE
    assert wait.applied == []  # waiting never approves anything itself

    since = time.time()
    for playbook in (READY, APPROVED):
        again = Run(playbook)
        assert (await again()).outcome is Outcome.DONE
        assert again.applied == []
    assert not mutations_since(sandbox, since)
    assert reviews_by(sandbox) == [("alice", "APPROVED")]


async def test_faults_still_one_ready_pr_and_the_simulated_approval(
        sandbox: SandboxHandle) -> None:
    await draft_pull(sandbox)
    since = time.time()
    sandbox.set_faults("5xx:req=3+5")  # 3: the first mutation (5: a read)
    await run_until_done(READY, STAGE)
    await run_until_done(APPROVED, STAGE)  # the sandbox's reviewer approves in 0.5 s
    sandbox.set_faults("")
    assert [r["path"] for r in mutations_since(sandbox, since) if r["fault"]] == [
        "/api/graphql"]
    [pr] = pulls(sandbox)
    assert pr["pull"]["draft"] is False and pr["state"] == "open"
    assert reviews_by(sandbox) == [("alice", "APPROVED")]  # none by the driver


async def test_checks_of_a_tag_on_the_head_are_not_the_pull_requests(
        sandbox: SandboxHandle) -> None:
    """Once the release is tagged, the tag's own runs (Docker publishing) run on the pull
    request's head commit too: they neither hold its checks in progress nor fail them."""
    await make_head(sandbox)
    engine, _ = make_engine(PR)
    assert (await engine.run_stage(STAGE)).outcome is Outcome.DONE
    sandbox.set_workflow_outcome(KUBO, "docker.yml", "failure")
    async with api(sandbox) as gh:
        head = await gh.get_branch(KUBO, HEAD)
        assert head is not None
        await gh.create_ref(KUBO, "refs/tags/v0.30.0-rc1", head.sha)
        deadline = time.monotonic() + 30
        while True:
            tagged = [r for r in await gh.list_runs(KUBO, head_sha=head.sha, limit=100)
                      if r.head_branch == "v0.30.0-rc1"]
            if tagged and all(r.status == "completed" for r in tagged):
                break
            assert time.monotonic() < deadline, "the tag push started no run that ended"
            await asyncio.sleep(0.2)
    assert {r.conclusion for r in tagged} == {"failure"}
    stage = engine.stage(STAGE)
    result = await engine.check_action(stage, stage.actions[2])
    await engine.session.aclose()
    assert result.status is Status.DONE, result


async def test_the_dependency_update_lands_in_the_next_milestone(sandbox: SandboxHandle) -> None:
    """Prepare-next opens the dependency-update PR in the next minor's milestone (v0.31.0);
    a PR taken out of it by hand is put back; a rerun changes nothing."""
    from cockpit.sandbox.hands import update_dependencies

    update_dependencies(sandbox, "0.30.0")
    deps = built_in("prepare-next/next-milestone", "prepare-next/deps-pr")
    first = Run(deps)
    assert (await first()).outcome is Outcome.DONE
    assert first.applied == ["next-milestone", "deps-pr"]
    [pr] = pulls(sandbox, "update-deps-after-v0.30.0")
    milestones = {m["number"]: m["title"] for m in sandbox.state()["repos"][KUBO]["milestones"]}
    assert milestones[pr["milestone"]] == "v0.31.0"

    httpx.patch(f"{sandbox.api_url}/repos/{KUBO}/issues/{pr['number']}",
                json={"milestone": None},
                headers={"Authorization": f"Bearer {sandbox.admin_token}"}).raise_for_status()
    assert pulls(sandbox, "update-deps-after-v0.30.0")[0]["milestone"] is None
    again = Run(deps)
    assert (await again()).outcome is Outcome.DONE and again.applied == ["deps-pr"]
    assert "PR #" in again.log_text() and "is now in milestone v0.31.0" in again.log_text()
    before = len(sandbox.requests(mutating=True))
    third = Run(deps)
    assert (await third()).outcome is Outcome.DONE and third.applied == []
    assert len(sandbox.requests(mutating=True)) == before


async def test_a_missing_milestone_is_said(sandbox: SandboxHandle) -> None:
    await make_head(sandbox)
    run = Run([("pr", "github.pull", {"repo": KUBO, "head": HEAD, "base": "master",
                                      "title": "t", "milestone": "v9.9.9"})], abort=True)
    report = await run()
    assert report.outcome is Outcome.ABORTED
    assert "no milestone v9.9.9 in ipfs/kubo: create it, then retry" in report.actions[0].reason
