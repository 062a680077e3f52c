"""github.tracking-issue / next-tracking-issue / issue / issue-comment / issue-checklist /
issue-close / milestone-empty / next-milestone / milestone-close against the real sandbox,
on the built-in playbook's own actions (preflight, staging, promote and prepare-next)."""

from __future__ import annotations

import time
from typing import Any

from cockpit.events import ActionChecked
from cockpit.model import Outcome, Status
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import (
    KUBO,
    Run,
    api,
    built_in,
    first_checks,
    make_engine,
    mutations_since,
    read_only_refuses,
    run_until_done,
)

INFRA = "ipfs/infra"
TITLE = "Release v0.30.0"
RC = "v0.30.0-rc1"
ISSUES = built_in("preflight/tracking-issue", "preflight/milestone-empty",
                  "preflight/tick-prerequisites", "staging/infra-issue",
                  "promote/discourse-topic", "promote/tracking-comment-rc")
CLOSE = built_in("prepare-next/next-tracking-issue", "prepare-next/close-tracking-issue")
"""After the final release (prepare-next applies to final releases only)."""
MILESTONES = built_in("prepare-next/next-milestone", "prepare-next/close-milestone")


def issues(handle: SandboxHandle, repo: str, title: str) -> list[dict[str, Any]]:
    return [i for i in handle.state()["repos"][repo]["issues"] if i["title"] == title]


def comments(handle: SandboxHandle, number: int) -> list[dict[str, Any]]:
    return [c for c in handle.state()["repos"][KUBO]["comments"]
            if c["issue_number"] == number]


async def test_issue_kinds_apply_once_and_rerun_changes_nothing(
        sandbox: SandboxHandle) -> None:
    run = Run(ISSUES, RC)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    checks = first_checks(run.events)
    assert checks.pop("milestone-empty") is Status.DONE
    assert set(checks.values()) == {Status.INCOMPLETE}
    assert run.applied == ["tracking-issue", "tick-prerequisites", "infra-issue",
                           "discourse-topic", "tracking-comment-rc"]
    closing = Run(CLOSE, "v0.30.0")
    assert (await closing()).outcome is Outcome.DONE
    assert first_checks(closing.events) == dict.fromkeys(closing.applied, Status.INCOMPLETE)
    assert closing.applied == ["next-tracking-issue", "close-tracking-issue"]

    [tracking] = issues(sandbox, KUBO, TITLE)
    assert tracking["labels"] == ["kind/release"] and tracking["assignees"]
    assert 'Name the issue "Release v0.30.0"' in tracking["body"]
    assert "- [x] Stage 0 - Prerequisites" in tracking["body"]
    assert "- [ ] Stage 1 - Release candidate" in tracking["body"]
    assert tracking["state"] == "closed"
    ping, close = comments(sandbox, tracking["number"])
    assert "@pinata-tester @pl-infra-tester @desktop-maintainer" in ping["body"]
    assert "/t/kubo-v0-30-0-rc1-is-out/" in ping["body"]  # the forum topic's link
    assert f"<!-- cockpit:announce:{RC} -->" in ping["body"]
    assert close["body"].startswith("Kubo v0.30.0 is out! Closing: the release is done.")
    assert "<!-- cockpit:prepare-next/close-tracking-issue -->" in close["body"]
    [infra] = issues(sandbox, INFRA, f"Kubo {RC} on staging")
    assert infra["labels"] == ["kubo", "staging"]
    [nxt] = issues(sandbox, KUBO, "Release v0.31.0")
    assert 'Name the issue "Release v0.31.0"' in nxt["body"]

    before = len(sandbox.requests(mutating=True))
    for playbook, version in ((ISSUES, RC), (CLOSE, "v0.30.0")):
        again = Run(playbook, version)
        assert (await again()).outcome is Outcome.DONE
        assert again.applied == []
    assert len(sandbox.requests(mutating=True)) == before


async def test_unfillable_placeholder_fails_without_posting(sandbox: SandboxHandle) -> None:
    """No forum topic in this run: the early testers' ping cannot link it, so nothing is
    posted."""
    await run_until_done(built_in("preflight/tracking-issue"), "preflight", RC)
    engine, events = make_engine(built_in("promote/tracking-comment-rc"), RC)
    report = await engine.run_stage("promote")
    await engine.session.aclose()
    assert report.outcome is Outcome.NEEDS_HUMAN  # failed: the driver is asked what next
    [result] = [e.result for e in events if isinstance(e, ActionChecked)]
    assert result.status is Status.FAILED and "the forum topic's link" in result.reason
    assert "{" not in result.reason, "no raw template placeholder reaches the driver"
    [tracking] = issues(sandbox, KUBO, TITLE)
    assert comments(sandbox, tracking["number"]) == []


async def test_forum_link_found_by_title_when_no_check_of_this_run_found_it(
        sandbox: SandboxHandle) -> None:
    """The topic was posted in an earlier run (or by hand): the ping looks its link up by
    the topic's title (``discourse_title``) instead of failing."""
    await run_until_done(built_in("preflight/tracking-issue"), "preflight", RC)
    await run_until_done(built_in("promote/discourse-topic"), "promote", RC)
    run = Run(built_in("promote/tracking-comment-rc"), RC)
    assert (await run()).outcome is Outcome.DONE
    assert run.applied == ["tracking-comment-rc"]
    [tracking] = issues(sandbox, KUBO, TITLE)
    [ping] = comments(sandbox, tracking["number"])
    assert "/t/kubo-v0-30-0-rc1-is-out/" in ping["body"] and "{" not in ping["body"]


async def test_faults_still_make_exactly_one_issue_and_comment(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    for stage in ISSUES.stages:
        await run_until_done(ISSUES, stage.id, RC)
    await run_until_done(CLOSE, "prepare-next")
    sandbox.set_faults("")
    [tracking] = issues(sandbox, KUBO, TITLE)
    assert tracking["state"] == "closed"
    assert len(comments(sandbox, tracking["number"])) == 2
    assert len(issues(sandbox, KUBO, "Release v0.31.0")) == 1
    assert len(issues(sandbox, INFRA, f"Kubo {RC} on staging")) == 1


def milestones(handle: SandboxHandle) -> dict[str, tuple[str, str | None]]:
    return {m["title"]: (m["state"], m["description"])
            for m in handle.state()["repos"][KUBO]["milestones"]}


async def test_milestones_once_then_rerun_and_read_only_change_nothing(
        sandbox: SandboxHandle) -> None:
    await read_only_refuses(sandbox, MILESTONES, "prepare-next",
                            ["next-milestone", "close-milestone"])

    run = Run(MILESTONES)
    assert (await run()).outcome is Outcome.DONE
    assert first_checks(run.events) == {"next-milestone": Status.INCOMPLETE,
                                        "close-milestone": Status.INCOMPLETE}
    assert run.applied == ["next-milestone", "close-milestone"]
    assert milestones(sandbox) == {"v0.30.0": ("closed", "Kubo v0.30.0"),
                                   "v0.31.0": ("open", "Kubo v0.31.0")}

    since = time.time()
    again = Run(MILESTONES)
    assert (await again()).outcome is Outcome.DONE
    assert again.applied == [] and not mutations_since(sandbox, since)


async def test_a_missing_milestone_is_nothing_to_close(sandbox: SandboxHandle) -> None:
    run = Run(built_in("prepare-next/close-milestone"), "v9.9.9")
    assert (await run()).outcome is Outcome.DONE
    assert first_checks(run.events) == {"close-milestone": Status.DONE}
    assert not sandbox.requests(mutating=True)


async def test_milestone_with_open_issues_is_not_closed(sandbox: SandboxHandle) -> None:
    async with api(sandbox) as gh:
        await gh.create_issue(KUBO, title="left over", milestone=1)
    engine, _ = make_engine(MILESTONES)
    stage = engine.stage("prepare-next")
    result = await engine.check_action(stage, stage.actions[1])
    await engine.session.aclose()
    assert result.status is Status.FAILED and "1 open issue" in result.reason
    assert result.link and result.link.endswith("/milestone/1")


async def test_faults_still_make_exactly_one_milestone(sandbox: SandboxHandle) -> None:
    since = time.time()
    sandbox.set_faults("5xx:req=3+5")  # 3: creating v0.31.0, 5: a read
    await run_until_done(MILESTONES, "prepare-next")
    sandbox.set_faults("")
    assert [r["method"] for r in mutations_since(sandbox, since) if r["fault"]] == ["POST"]
    assert milestones(sandbox) == {"v0.30.0": ("closed", "Kubo v0.30.0"),
                                   "v0.31.0": ("open", "Kubo v0.31.0")}


async def test_a_tracking_issue_without_a_template_ref_reads_the_default_branch(
        sandbox: SandboxHandle) -> None:
    """No ``master`` assumed: ipfs/infra's default branch is ``main``, and its README is
    the template when the playbook names no branch."""
    run = Run([("tracking", "github.tracking-issue",
                {"repo": INFRA, "title": "From main", "template": "README.md"})], RC)
    assert (await run()).outcome is Outcome.DONE
    [issue] = issues(sandbox, INFRA, "From main")
    assert issue["body"].startswith("# infra")
