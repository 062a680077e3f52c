"""github.tracking-issue / next-tracking-issue / issue / issue-comment / issue-checklist /
issue-close / milestone-empty against the real sandbox."""

from __future__ import annotations

import time
from typing import Any

from cockpit.events import ActionChecked
from cockpit.model import Outcome, Status
from cockpit.playbook import parse_playbook
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import (
    KUBO,
    api,
    applied,
    first_checks,
    make_engine,
    mutations_since,
    read_only_refuses,
    run_until_done,
)

INFRA = "ipfs/infra"
TITLE = "Release v0.30.0"


PLAYBOOK = parse_playbook(f'''
name = "t"
title = "T"
[[stages]]
id = "issues"
title = "Issues"
summary = "s"
[[stages.actions]]
id = "tracking"
kind = "github.tracking-issue"
title = "Tracking"
[stages.actions.params]
repo = "{KUBO}"
title = "{TITLE}"
template = ".github/ISSUE_TEMPLATE/RELEASE_ISSUE_TEMPLATE.md"
template_ref = "master"
replace = {{"vX.Y.Z" = "v0.30.0"}}
labels = ["kind/release"]
assign_driver = true
include_closed = true
[[stages.actions]]
id = "milestone"
kind = "github.milestone-empty"
title = "Milestone"
params = {{ repo = "{KUBO}", milestone = "v0.30.0" }}
[[stages.actions]]
id = "no-milestone"
kind = "github.milestone-empty"
title = "Missing milestone"
params = {{ repo = "{KUBO}", milestone = "v9.9.9", missing_ok = true }}
[[stages.actions]]
id = "tick"
kind = "github.issue-checklist"
title = "Tick"
params = {{ repo = "{KUBO}", issue_title = "{TITLE}", item = "Stage 0 - Prerequisites" }}
[[stages.actions]]
id = "ping"
kind = "github.issue-comment"
title = "Ping"
[stages.actions.params]
repo = "{KUBO}"
issue_title = "{TITLE}"
marker = "cockpit:announce:v0.30.0-rc1"
mentions_from = "docs/EARLY_TESTERS.md"
mentions_ref = "master"
body = "Early testers ping for v0.30.0-rc1\\n\\n{{{{mentions}}}}"
[[stages.actions]]
id = "infra"
kind = "github.issue"
title = "Infra"
[stages.actions.params]
repo = "{INFRA}"
title = "Kubo v0.30.0-rc1 on staging"
labels = ["kubo", "staging"]
include_closed = true
body = "Please deploy it to staging."
[[stages.actions]]
id = "next"
kind = "github.next-tracking-issue"
title = "Next"
[stages.actions.params]
repo = "{KUBO}"
after_version = "0.30.0"
title_format = "Release v{{{{version}}}}"
template = ".github/ISSUE_TEMPLATE/RELEASE_ISSUE_TEMPLATE.md"
template_ref = "master"
labels = ["kind/release"]
[[stages]]
id = "close"
title = "Close"
summary = "s"
[[stages.actions]]
id = "close"
kind = "github.issue-close"
title = "Close"
params = {{ repo = "{KUBO}", title = "{TITLE}", comment = "Kubo v0.30.0 is out! Closing." }}
[[stages]]
id = "later"
title = "Later"
summary = "s"
[[stages.actions]]
id = "forum"
kind = "github.issue-comment"
title = "Forum"
params = {{ repo = "{KUBO}", issue_title = "{TITLE}", body = "Forum: {{{{discourse_topic_url}}}}" }}
''', "t.toml")


def issues(handle: SandboxHandle, repo: str, title: str) -> list[dict[str, Any]]:
    return [i for i in handle.state()["repos"][repo]["issues"] if i["title"] == title]


def comments(handle: SandboxHandle, number: int) -> list[dict[str, Any]]:
    return [c for c in handle.state()["repos"][KUBO]["comments"]
            if c["issue_number"] == number]


async def test_issue_kinds_apply_once_and_rerun_changes_nothing(
        sandbox: SandboxHandle) -> None:
    engine, events = make_engine(PLAYBOOK, "v0.30.0-rc1")
    for stage in ("issues", "close"):
        report = await engine.run_stage(stage)
        assert report.outcome is Outcome.DONE, report
    await engine.session.aclose()
    checks = first_checks(events)
    assert checks.pop("milestone") is checks.pop("no-milestone") is Status.DONE
    assert set(checks.values()) == {Status.INCOMPLETE}
    assert applied(events) == ["tracking", "tick", "ping", "infra", "next", "close"]

    [tracking] = issues(sandbox, KUBO, TITLE)
    assert tracking["labels"] == ["kind/release"] and tracking["assignees"]
    assert 'Name the issue "Release v0.30.0"' in tracking["body"]
    assert "- [x] Stage 0 - Prerequisites" in tracking["body"]
    assert "- [ ] Stage 1 - Release candidate" in tracking["body"]
    assert tracking["state"] == "closed"
    ping, close = comments(sandbox, tracking["number"])
    assert "@pinata-tester @pl-infra-tester @desktop-maintainer" in ping["body"]
    assert "<!-- cockpit:announce:v0.30.0-rc1 -->" in ping["body"]
    assert close["body"].startswith("Kubo v0.30.0 is out! Closing.")
    assert "<!-- cockpit:close/close -->" in close["body"]
    [infra] = issues(sandbox, INFRA, "Kubo v0.30.0-rc1 on staging")
    assert infra["labels"] == ["kubo", "staging"]
    [nxt] = issues(sandbox, KUBO, "Release v0.31.0")
    assert 'Name the issue "Release v0.31.0"' in nxt["body"]

    before = len(sandbox.requests(mutating=True))
    again, events = make_engine(PLAYBOOK, "v0.30.0-rc1")
    for stage in ("issues", "close"):
        assert (await again.run_stage(stage)).outcome is Outcome.DONE
    await again.session.aclose()
    assert applied(events) == []
    assert len(sandbox.requests(mutating=True)) == before


async def test_unfillable_placeholder_fails_without_posting(sandbox: SandboxHandle) -> None:
    await run_until_done(PLAYBOOK, "issues")
    engine, events = make_engine(PLAYBOOK, "v0.30.0-rc1")
    report = await engine.run_stage("later")
    await engine.session.aclose()
    assert report.outcome is Outcome.NEEDS_HUMAN  # failed: the driver is asked what next
    [result] = [e.result for e in events if isinstance(e, ActionChecked)]
    assert result.status is Status.FAILED and "the forum topic's link" in result.reason
    assert "{" not in result.reason, "no raw template placeholder reaches the driver"
    assert applied(events) == []


async def test_faults_still_make_exactly_one_issue_and_comment(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    await run_until_done(PLAYBOOK, "issues")
    await run_until_done(PLAYBOOK, "close")
    sandbox.set_faults("")
    [tracking] = issues(sandbox, KUBO, TITLE)
    assert tracking["state"] == "closed"
    assert len(comments(sandbox, tracking["number"])) == 2
    assert len(issues(sandbox, KUBO, "Release v0.31.0")) == 1
    assert len(issues(sandbox, INFRA, "Kubo v0.30.0-rc1 on staging")) == 1


# -- github.next-milestone / github.milestone-close --------------------------------------------

MILESTONES = parse_playbook(f'''
name = "t"
title = "T"
[[stages]]
id = "m"
title = "Milestones"
summary = "s"
[[stages.actions]]
id = "next"
kind = "github.next-milestone"
title = "Next"
[stages.actions.params]
repo = "{KUBO}"
after_version = "0.30.0"
title_format = "v{{{{version}}}}"
description_format = "Kubo v{{{{version}}}}"
[[stages.actions]]
id = "close"
kind = "github.milestone-close"
title = "Close"
params = {{ repo = "{KUBO}", milestone = "v0.30.0", missing_ok = true }}
[[stages.actions]]
id = "none"
kind = "github.milestone-close"
title = "None to close"
params = {{ repo = "{KUBO}", milestone = "v9.9.9", missing_ok = true }}
''', "t.toml")


def milestones(handle: SandboxHandle) -> dict[str, tuple[str, str | None]]:
    return {m["title"]: (m["state"], m["description"])
            for m in handle.state()["repos"][KUBO]["milestones"]}


async def test_milestones_once_then_rerun_and_read_only_change_nothing(
        sandbox: SandboxHandle) -> None:
    await read_only_refuses(sandbox, MILESTONES, "m", ["next", "close"])

    engine, events = make_engine(MILESTONES)
    assert (await engine.run_stage("m")).outcome is Outcome.DONE
    await engine.session.aclose()
    assert first_checks(events) == {"next": Status.INCOMPLETE, "close": Status.INCOMPLETE,
                                    "none": Status.DONE}
    assert applied(events) == ["next", "close"]
    assert milestones(sandbox) == {"v0.30.0": ("closed", "Kubo v0.30.0"),
                                   "v0.31.0": ("open", "Kubo v0.31.0")}

    since = time.time()
    again, events = make_engine(MILESTONES)
    assert (await again.run_stage("m")).outcome is Outcome.DONE
    await again.session.aclose()
    assert applied(events) == [] and not mutations_since(sandbox, since)


async def test_milestone_with_open_issues_is_not_closed(sandbox: SandboxHandle) -> None:
    async with api(sandbox) as gh:
        await gh.create_issue(KUBO, title="left over", milestone=1)
    engine, _ = make_engine(MILESTONES)
    stage = engine.stage("m")
    result = await engine.check_action(stage, stage.actions[1])
    await engine.session.aclose()
    assert result.status is Status.FAILED and "1 open issue" in result.reason
    assert result.link and result.link.endswith("/milestone/1")


async def test_faults_still_make_exactly_one_milestone(sandbox: SandboxHandle) -> None:
    since = time.time()
    sandbox.set_faults("5xx:req=3+5")  # 3: creating v0.31.0, 5: a read
    await run_until_done(MILESTONES, "m")
    sandbox.set_faults("")
    assert [r["method"] for r in mutations_since(sandbox, since) if r["fault"]] == ["POST"]
    assert milestones(sandbox) == {"v0.30.0": ("closed", "Kubo v0.30.0"),
                                   "v0.31.0": ("open", "Kubo v0.31.0")}
