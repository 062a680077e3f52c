"""Workflow kinds through the engine against a real sandbox: dispatch once, wait, read logs.

They run the built-in playbook's own actions: the npm stage's dispatch, wait and log check
(with its ``max_reruns``), and the Docker stage's wait for a tag's push run.
"""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.events import ActionChecked, PromptAsked
from cockpit.model import Outcome, Status
from cockpit.prompts import Confirm
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from tests.kinds.harness import KUBO, Run, built_in

pytestmark = pytest.mark.sandbox(workflow_seconds=0.4)

NPM = "ipfs/npm-go-ipfs"
NPM_STAGE = built_in("publish-to-npm/npm-dispatch", "publish-to-npm/npm-run-wait",
                     "publish-to-npm/npm-log-discovered")
MAX_RERUNS = NPM_STAGE.stages[0].actions[-1].params["max_reruns"]


def _dispatches(sb: SandboxHandle) -> list[Any]:
    return [r for r in sb.requests(mutating=True) if r["path"].endswith("/dispatches")]


def _runs(sb: SandboxHandle, repo: str) -> list[Any]:
    return list(sb.state()["repos"][repo]["runs"])


async def _push_tag(sb: SandboxHandle, tag: str) -> None:
    """A lightweight tag on release, pushed through the API (it starts "Publish docker
    image"; a release's npm dispatch counts from it)."""
    sha = sb.sandbox.repos[KUBO].resolve("refs/heads/release")
    assert sha
    async with GitHubClient(sb.api_url, sb.admin_token) as gh:
        await gh.create_ref(KUBO, f"refs/tags/{tag}", sha)


async def test_dispatch_wait_and_log_then_rerun_does_nothing(sandbox: SandboxHandle) -> None:
    run = Run(NPM_STAGE, "v0.29.0", abort=True)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == ["npm-dispatch"]
    # The playbook says this dispatch publishes: the driver typed its confirmation first.
    (asked,) = [e.prompt for e in run.events if isinstance(e, PromptAsked)]
    assert isinstance(asked, Confirm) and asked.typed_confirmation == "npm-dispatch"
    assert asked.detail == f"Dispatch main.yml in {NPM} on master (inputs: none)."
    waits = [e.result.status for e in run.events
             if isinstance(e, ActionChecked) and e.action == "npm-run-wait"]
    assert waits[0] is Status.IN_PROGRESS and waits[-1] is Status.DONE
    assert "/actions/runs/" in (report.actions[1].link or "")
    assert len(_runs(sandbox, NPM)) == 1

    sandbox.clear_requests()
    again = Run(NPM_STAGE, "v0.29.0", abort=True)
    assert (await again()).outcome is Outcome.DONE
    assert again.applied == []
    assert not sandbox.requests(mutating=True)
    assert len(_runs(sandbox, NPM)) == 1


async def test_failing_run_is_failed_with_link_and_log(sandbox: SandboxHandle) -> None:
    sandbox.set_workflow_outcome(NPM, "main.yml", "failure", times=1)
    report = await Run(NPM_STAGE, "v0.29.0", abort=True)()
    assert report.outcome is Outcome.ABORTED
    wait = report.actions[1]
    assert wait.action == "npm-run-wait"
    assert "concluded failure" in wait.reason and "exit code 1" in wait.reason
    assert wait.link and "/actions/runs/" in wait.link


async def test_missing_log_text_reruns_then_fails(sandbox: SandboxHandle) -> None:
    """v0.30.0-rc1 is tagged but not on dist.ipfs.tech: every run discovers v0.29.0. Each
    time the driver reruns the stage the run is rerun, until the playbook's reruns are
    spent; then the action fails."""
    await _push_tag(sandbox, "v0.30.0-rc1")
    done: list[str] = []
    for _ in range(MAX_RERUNS + 1):
        run = Run(NPM_STAGE, "v0.30.0-rc1", abort=True)
        report = await run()
        assert report.outcome is Outcome.ABORTED, report
        done += run.applied
    assert done == ["npm-dispatch", *["npm-log-discovered"] * MAX_RERUNS]
    assert f"attempt {MAX_RERUNS + 1}" in report.actions[-1].reason
    reruns = [r for r in sandbox.requests(mutating=True) if r["path"].endswith("/rerun")]
    assert len(reruns) == MAX_RERUNS


async def test_faults_still_make_exactly_one_dispatched_run(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    # A 5xx on the dispatch is ambiguous: the check then waits for the run to be listed
    # (never dispatching again on its own) until the engine's poll timeout.
    await Run(NPM_STAGE, "v0.29.0", abort=True, poll_timeout=1.5)()
    sandbox.set_faults("")
    assert len(_dispatches(sandbox)) == 1
    assert len(_runs(sandbox, NPM)) <= 1
    report = await Run(NPM_STAGE, "v0.29.0", abort=True)()
    assert report.outcome is Outcome.DONE, report
    assert len(_runs(sandbox, NPM)) == 1


async def test_push_run_of_a_new_tag(sandbox: SandboxHandle) -> None:
    await _push_tag(sandbox, "v0.30.0-rc1")
    run = Run(built_in("publish-to-dockerhub/docker-run-wait",
                       "publish-to-dockerhub/docker-tag"), "v0.30.0-rc1", abort=True)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert any(isinstance(e, ActionChecked) and e.result.status is Status.IN_PROGRESS
               for e in run.events)
