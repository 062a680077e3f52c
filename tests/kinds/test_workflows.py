"""Workflow kinds through the engine against a real sandbox: dispatch once, wait, read logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.events import ActionApplying, ActionChecked, Event
from cockpit.model import Outcome, Release, Status, Version
from cockpit.playbook import parse_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from cockpit.settings import Settings

NPM = "ipfs/npm-go-ipfs"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path, workflow_seconds=0.4) as sb:
        for key, value in sb.env.items():
            monkeypatch.setenv(key, value)
        yield sb


async def _run(actions: str, version: str = "v0.29.0", timeout: float = 20
               ) -> tuple[Any, list[Event]]:
    playbook = parse_playbook(
        'name = "t"\ntitle = "T"\n[vars]\nrepo = "ipfs/kubo"\n'
        '[[stages]]\nid = "s"\ntitle = "S"\nsummary = "s"\n' + actions, "t.toml")
    settings = Settings(poll_initial_seconds=0.05, poll_max_seconds=0.2,
                        poll_timeout_seconds=timeout)
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


NPM_STAGE = '''
[[stages.actions]]
id = "npm-dispatch"
kind = "github.workflow-dispatch"
title = "t"
params = { repo = "ipfs/npm-go-ipfs", workflow = "main.yml", ref = "master", inputs = {} }
[[stages.actions]]
id = "npm-wait"
kind = "github.workflow-run-wait"
title = "t"
[stages.actions.params]
repo = "ipfs/npm-go-ipfs"
workflow = "main.yml"
event = "workflow_dispatch"
branch = "master"
dispatched_by = "npm-dispatch"
conclusion = "success"
[[stages.actions]]
id = "npm-log"
kind = "github.job-log-contains"
title = "t"
[stages.actions.params]
repo = "ipfs/npm-go-ipfs"
workflow = "main.yml"
run_of = "npm-dispatch"
text = "Discovered kubo version {version.tag}"
on_missing = "rerun"
max_reruns = 1
'''


def _dispatches(sb: SandboxHandle) -> list[Any]:
    return [r for r in sb.requests(mutating=True) if r["path"].endswith("/dispatches")]


def _runs(sb: SandboxHandle, repo: str) -> list[Any]:
    return list(sb.state()["repos"][repo]["runs"])


async def test_dispatch_wait_and_log_then_rerun_does_nothing(sandbox: SandboxHandle) -> None:
    report, events = await _run(NPM_STAGE)
    assert report.outcome is Outcome.DONE, report
    assert [e.action for e in events if isinstance(e, ActionApplying)] == ["npm-dispatch"]
    waits = [e.result.status for e in events
             if isinstance(e, ActionChecked) and e.action == "npm-wait"]
    assert waits[0] is Status.IN_PROGRESS and waits[-1] is Status.DONE
    assert "/actions/runs/" in (report.actions[1].link or "")
    assert len(_runs(sandbox, NPM)) == 1

    sandbox.clear_requests()
    report, events = await _run(NPM_STAGE)
    assert report.outcome is Outcome.DONE
    assert not any(isinstance(e, ActionApplying) for e in events)
    assert not sandbox.requests(mutating=True)
    assert len(_runs(sandbox, NPM)) == 1


async def test_failing_run_is_failed_with_link_and_log(sandbox: SandboxHandle) -> None:
    sandbox.set_workflow_outcome(NPM, "main.yml", "failure", times=1)
    report, _ = await _run(NPM_STAGE)
    assert report.outcome is Outcome.ABORTED
    wait = report.actions[1]
    assert wait.action == "npm-wait"
    assert "concluded failure" in wait.reason and "exit code 1" in wait.reason
    assert wait.link and "/actions/runs/" in wait.link


async def test_missing_log_text_reruns_then_fails(sandbox: SandboxHandle) -> None:
    report, events = await _run(NPM_STAGE.replace("{version.tag}", "v9.9.9"))
    assert report.outcome is Outcome.ABORTED
    assert [e.action for e in events if isinstance(e, ActionApplying)] == [
        "npm-dispatch", "npm-log"]
    assert "attempt 2" in report.actions[-1].reason
    reruns = [r for r in sandbox.requests(mutating=True) if r["path"].endswith("/rerun")]
    assert len(reruns) == 1


async def test_faults_still_make_exactly_one_dispatched_run(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    # A 5xx on the dispatch is ambiguous: the check then waits for the run to be listed
    # (never dispatching again on its own) until the engine's poll timeout.
    await _run(NPM_STAGE, timeout=1.5)
    sandbox.set_faults("")
    assert len(_dispatches(sandbox)) == 1
    assert len(_runs(sandbox, NPM)) <= 1
    report, _ = await _run(NPM_STAGE)
    assert report.outcome is Outcome.DONE, report
    assert len(_runs(sandbox, NPM)) == 1


async def test_push_run_of_a_new_tag(sandbox: SandboxHandle) -> None:
    from cockpit.sandbox.seed import KUBO

    git = sandbox.sandbox.repos[KUBO]
    sha = git.resolve("refs/heads/release")
    assert sha
    # A lightweight tag pushed through the API starts "Publish docker image".
    from cockpit.services.github import GitHubClient

    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        await gh.create_ref(KUBO, "refs/tags/v0.30.0-rc1", sha)
    stage = '''
[[stages.actions]]
id = "docker-wait"
kind = "github.workflow-run-wait"
title = "t"
params = { repo = "ipfs/kubo", workflow = "docker.yml", event = "push", branch = "{version.tag}" }
[[stages.actions]]
id = "docker-tag"
kind = "registry.docker-tag"
title = "t"
params = { image = "ipfs/kubo", tag = "{version.tag}" }
'''
    report, events = await _run(stage, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE, report
    assert any(isinstance(e, ActionChecked) and e.result.status is Status.IN_PROGRESS
               for e in events)
