"""Tag and release kinds through the engine against a real sandbox over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.events import ActionApplying, Event
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import parse_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.sandbox.seed import KUBO
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from cockpit.services.discourse import DiscourseClient
from cockpit.services.github import GitHubClient
from cockpit.settings import Settings

VARS = '''name = "t"
title = "T"
[vars]
repo = "ipfs/kubo"
tracking_title = "Release v{version.base}"
changelog = "docs/changelogs/v{version.minor_series}.md"
'''


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path, workflow_seconds=0.4) as sb:
        for key, value in sb.env.items():
            monkeypatch.setenv(key, value)
        yield sb


async def _run(actions: str, version: str) -> tuple[Any, list[Event]]:
    playbook = parse_playbook(VARS + '[[stages]]\nid = "s"\ntitle = "S"\nsummary = "s"\n'
                              + actions, "t.toml")
    settings = Settings(poll_initial_seconds=0.05, poll_max_seconds=0.2,
                        poll_timeout_seconds=20)
    release = Release(playbook="t", version=Version.parse(version), driver="d", host="h")
    # A failure is answered "abort": the report then carries the reason and the link.
    prompter = AnswersPrompter({"s/*": PromptAnswer(value="abort")})
    session = Session(settings=settings, prompter=prompter, release=release)
    engine = Engine(playbook, session, EventBus())
    events: list[Event] = []
    engine.bus.listen(events.append)
    try:
        report = await engine.run_stage("s")
    finally:
        await session.aclose()
    return report, events


async def _prepare(sb: SandboxHandle, tag: str, branch: str) -> None:
    """Push an annotated tag on ``branch`` and open the tracking issue, as earlier stages do."""
    base = tag.lstrip("v").split("-")[0]
    async with GitHubClient(sb.api_url, sb.admin_token) as gh:
        head = await gh.get_branch(KUBO, branch)
        assert head is not None
        obj = await gh.create_tag_object(KUBO, tag, f"Release {tag}", head.sha)
        await gh.create_ref(KUBO, f"refs/tags/{tag}", obj.sha)
        await gh.ensure_issue(KUBO, title=f"Release v{base}", body="tracking")


def _releases(sb: SandboxHandle, tag: str) -> list[Any]:
    return [r for r in sb.state()["repos"][KUBO]["releases"] if r["tag_name"] == tag]


RC = '''
[[stages.actions]]
id = "tag"
kind = "github.tag-exists"
title = "t"
params = { repo = "{repo}", tag = "{version.tag}", annotated = true }
[[stages.actions]]
id = "release-rc"
kind = "github.release"
title = "t"
[stages.actions.params]
repo = "{repo}"
tag = "{version.tag}"
name = "{version.tag}"
prerelease = true
draft = false
make_latest = "false"
body = """This is a release candidate of Kubo v{version.base}.

- Changelog: https://github.com/{repo}/blob/{version.tag}/{changelog}
"""
link_tracking_issue = "{tracking_title}"
[[stages.actions]]
id = "links"
kind = "github.release-body-contains"
title = "t"
params = { repo = "{repo}", tag = "{version.tag}", contains_issue_link = "{tracking_title}" }
'''


async def test_rc_prerelease_once_then_rerun_is_read_only(sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    sandbox.clear_requests()
    report, events = await _run(RC, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE, report
    assert [e.action for e in events if isinstance(e, ActionApplying)] == ["release-rc"]
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert rel["prerelease"] is True
    assert "docs/changelogs/v0.30.md" in rel["body"]
    assert f"/{KUBO}/issues/" in rel["body"]

    sandbox.clear_requests()
    report, events = await _run(RC, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE
    assert not any(isinstance(e, ActionApplying) for e in events)
    assert not sandbox.requests(mutating=True)


async def test_release_with_faults_is_created_exactly_once(sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    sandbox.set_faults("5xx:0.3,seed=3")
    await _run(RC, "v0.30.0-rc1")
    sandbox.set_faults("")
    report, _ = await _run(RC, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE, report
    assert len(_releases(sandbox, "v0.30.0-rc1")) == 1


async def test_missing_tag_fails_with_a_link(sandbox: SandboxHandle) -> None:
    report, _ = await _run(RC, "v0.31.0-rc1")
    assert report.outcome is Outcome.ABORTED
    assert "no tag v0.31.0-rc1" in report.reason
    assert report.actions[0].link
    assert not sandbox.requests(mutating=True)


FINAL = '''
[[stages.actions]]
id = "release-final"
kind = "github.release"
title = "t"
[stages.actions.params]
repo = "{repo}"
tag = "{version.tag}"
name = "{version.tag}"
prerelease = false
draft = false
make_latest = "true"
body_from_changelog = "{changelog}"
body_from_ref = "{version.tag}"
changelog_heading = "v{version.base}"
strip_header = true
link_tracking_issue = "{tracking_title}"
[[stages.actions]]
id = "latest"
kind = "github.release-latest"
title = "t"
params = { repo = "{repo}", tag = "{version.tag}" }
[[stages.actions]]
id = "assets-dispatch"
kind = "github.workflow-dispatch"
title = "t"
params = { repo = "{repo}", workflow = "sync-release-assets.yml", ref = "master" }
[[stages.actions]]
id = "assets-wait"
kind = "github.workflow-run-wait"
title = "t"
[stages.actions.params]
repo = "{repo}"
workflow = "sync-release-assets.yml"
event = "workflow_dispatch"
branch = "master"
dispatched_by = "assets-dispatch"
[[stages.actions]]
id = "assets"
kind = "github.release-assets"
title = "t"
[stages.actions.params]
repo = "{repo}"
tag = "{version.tag}"
expected = ["kubo_{version.tag}_linux-amd64.tar.gz", "kubo_{version.tag}_windows-amd64.zip"]
with_checksums = ".sha512"
rerun_workflow = "sync-release-assets.yml"
[[stages.actions]]
id = "discuss"
kind = "github.release-body-append"
title = "t"
[stages.actions.params]
repo = "{repo}"
tag = "{version.tag}"
discourse_title = "Kubo v{version.base} is out"
marker = "cockpit:discuss"
text = "Discuss this release on the forum: {{discourse_topic_url}}"
'''


async def test_final_release_from_changelog_latest_assets_and_forum_link(
        sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0", "master")
    sandbox.sandbox.world.data["dist"]["kubo"].append("v0.30.0")
    env = sandbox.env
    async with DiscourseClient(env["COCKPIT_DISCOURSE_URL"],
                               env["COCKPIT_DISCOURSE_TOKEN"]) as forum:
        post = await forum.create_topic("Kubo v0.30.0 is out", "Kubo v0.30.0 is out!",
                                        tags=["kubo"])
    report, events = await _run(FINAL, "v0.30.0")
    assert report.outcome is Outcome.DONE, report
    assert [e.action for e in events if isinstance(e, ActionApplying)] == [
        "release-final", "assets-dispatch", "discuss"]
    (rel,) = _releases(sandbox, "v0.30.0")
    assert rel["prerelease"] is False
    body = rel["body"]
    assert body.startswith("- [Overview](#overview)"), body
    assert "## v0.30.0" not in body and "# Kubo changelog" not in body
    assert "### 🔦 Highlights" in body
    assert f"/{KUBO}/issues/" in body
    assert f"/t/{post.topic_slug}/{post.topic_id}" in body
    assert body.count("cockpit:discuss") == 1

    sandbox.clear_requests()
    report, events = await _run(FINAL, "v0.30.0")
    assert report.outcome is Outcome.DONE, report
    assert not any(isinstance(e, ActionApplying) for e in events)
    assert not sandbox.requests(mutating=True)


ASSETS_RERUN = '''
[[stages.actions]]
id = "release-rc"
kind = "github.release"
title = "t"
params = { repo = "{repo}", tag = "{version.tag}", name = "{version.tag}", prerelease = true, body = "rc" }
[[stages.actions]]
id = "assets-dispatch"
kind = "github.workflow-dispatch"
title = "t"
params = { repo = "{repo}", workflow = "sync-release-assets.yml", ref = "master" }
[[stages.actions]]
id = "assets"
kind = "github.release-assets"
title = "t"
[stages.actions.params]
repo = "{repo}"
tag = "{version.tag}"
expected = ["kubo_{version.tag}_linux-amd64.tar.gz"]
with_checksums = ".sha512"
rerun_workflow = "sync-release-assets.yml"
'''


async def test_missing_assets_rerun_the_sync_workflow(sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    # Not on dist.ipfs.tech yet: the sync run skips the release, one rerun does not help.
    report, events = await _run(ASSETS_RERUN, "v0.30.0-rc1")
    assert report.outcome is Outcome.ABORTED
    assert report.actions[-1].action == "assets" and "missing" in report.actions[-1].reason
    reruns = [r for r in sandbox.requests(mutating=True) if r["path"].endswith("/rerun")]
    assert len(reruns) == 1
    # Once listed there, the next attempt reruns the sync run again and the assets appear.
    sandbox.sandbox.world.data["dist"]["kubo"].append("v0.30.0-rc1")
    report, events = await _run(ASSETS_RERUN, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE, report
    assert [e.action for e in events if isinstance(e, ActionApplying)] == ["assets"]
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert len(rel["assets"]) == 10
