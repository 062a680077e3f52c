"""The release gate on CI health and the wait kinds' ETA, through the engine, against a real
sandbox and a real (SQLite) CI store seeded with GitHub-shaped deliveries.

Healthy is done without a question; a workflow failing again and again is a warning with the
facts that the driver acknowledges (done, journalled, not asked again on a rerun) or declines
(the stage stops, cancelled); without a store the gate says so and reads the sandbox's REST
API, where the failures come from the sandbox's own workflow simulator; a wait shows the
expected duration from the store's history. The built-in playbook's gate must name every
workflow the release waits on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cockpit.ci import history
from cockpit.ci.store import Store, open_store
from cockpit.engine import Engine, StageReport
from cockpit.events import Event, LogLine, PromptAsked
from cockpit.local_journal import Journal
from cockpit.model import CheckResult, Outcome, Status, Version
from cockpit.playbook import load_playbook, render, template_values
from cockpit.prompts import Confirm
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from cockpit.settings import Settings
from tests.ci import payloads as p
from tests.kinds.harness import Action, inline, make_engine

KUBO, NPM = "ipfs/kubo", "ipfs/npm-go-ipfs"
DOCKER = ("Publish docker image", ".github/workflows/docker.yml")
RELEASE_TO_NPM = ("Release to npm", ".github/workflows/main.yml")
ACK = "s/ci-health/manual"

GATE: list[Action] = [
    ("ci-health", "preflight.ci-health", {"workflows": [
        {"repo": "ipfs/kubo", "workflow": "docker.yml"},
        {"repo": "ipfs/npm-go-ipfs", "workflow": "main.yml"}]}),
    ("after", "preflight.version-valid", {"version": "{version.tag}"}),
]
WAIT: list[Action] = [("npm-wait", "github.workflow-run-wait", {
    "repo": "ipfs/npm-go-ipfs", "workflow": "main.yml", "event": "workflow_dispatch",
    "branch": "master"})]


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The gate's store (``COCKPIT_CI_DATABASE``): a file that does not exist yet."""
    url = f"sqlite:///{tmp_path / 'ci' / 'events.sqlite3'}"
    monkeypatch.setenv("COCKPIT_CI_DATABASE", url)
    history.forget()
    yield url
    history.forget()


def engine(actions: list[Action], answers: dict[str, Any] | None = None,
           manual: set[tuple[str, str]] | None = None) -> Engine:
    """The harness's engine on stage ``s`` of ``actions``, with ``manual`` the journal's
    remembered acknowledgements (as a fresh process loads them)."""
    eng, _ = make_engine(inline(actions), "v0.30.0-rc1", answers=answers)
    eng.session.manual_confirmations |= manual or set()
    return eng


async def run(eng: Engine, journal: Journal | None = None) -> tuple[StageReport, list[Event]]:
    events: list[Event] = []
    eng.bus.listen(events.append)
    if journal is not None:
        eng.bus.listen(journal.append)
    try:
        return await eng.run_stage("s"), events
    finally:
        await eng.session.aclose()
        if journal is not None:
            journal.close()


def asked(events: list[Event]) -> list[Confirm]:
    return [e.prompt for e in events if isinstance(e, PromptAsked)
            and isinstance(e.prompt, Confirm)]


def logged(events: list[Event], action: str) -> str:
    return "\n".join(e.line for e in events if isinstance(e, LogLine) and e.action == action)


# -- a seeded store ---------------------------------------------------------------------------


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def seed_runs(store: Store, repo: str, workflow: tuple[str, str], endings: list[str], *,
              minutes: list[int] | None = None, hours_apart: float = 3) -> None:
    """Completed runs of ``workflow``, oldest first, ``hours_apart`` apart, the last created
    30 minutes ago; each with one job that a runner took 20 s after it was queued."""
    name, path = workflow
    now = time.time()
    for n, ending in enumerate(endings):
        created = now - 1800 - (len(endings) - 1 - n) * hours_apart * 3600
        started = created + 5
        completed = started + 60 * (minutes[n] if minutes else 8)
        run_id = p.next_id()
        common: dict[str, Any] = {"run_id": run_id, "repo": repo, "org": "ipfs",
                                  "workflow_name": name, "path": path,
                                  "created_at": at(created), "run_started_at": at(started)}
        store.ingest(p.run_delivery("requested", **common, received_at=at(created)))
        store.ingest(p.run_delivery("completed", **common, conclusion=ending,
                                    updated_at=at(completed), received_at=at(completed)))
        job: dict[str, Any] = {"run_id": run_id, "repo": repo, "org": "ipfs",
                               "workflow_name": name, "name": "build",
                               "created_at": at(created + 1)}
        store.ingest(p.job_delivery("completed", **job, started_at=at(created + 21),
                                    completed_at=at(completed), conclusion=ending,
                                    received_at=at(completed)))


def seed_trouble(store: Store) -> None:
    """A job stuck for 45 minutes on a self-hosted label, and an alert firing on kubo."""
    now = time.time()
    store.ingest(p.job_delivery("queued", repo=KUBO, org="ipfs", workflow_name="Go Test",
                                name="unit", labels=p.SELF_HOSTED_LABELS,
                                created_at=at(now - 45 * 60), received_at=at(now - 45 * 60)))
    store.execute("INSERT INTO alerts (rule, scope, fired_at, facts) VALUES "
                  "(:rule, :scope, :fired_at, :facts)",
                  {"rule": "success-rate", "scope": "ipfs/kubo/Publish docker image",
                   "fired_at": now - 600, "facts": '{"summary": "docker is red"}'})


def seeded(url: str, *, docker: list[str], npm: list[str], trouble: bool = False) -> None:
    store = open_store(url)
    try:
        seed_runs(store, KUBO, DOCKER, docker)
        seed_runs(store, NPM, RELEASE_TO_NPM, npm)
        if trouble:
            seed_trouble(store)
    finally:
        store.close()


def runs_requests(sb: SandboxHandle) -> list[str]:
    return [r["path"] for r in sb.requests() if "/actions/" in r["path"]
            and r["path"].split("?")[0].endswith("/runs")]


# -- the gate -----------------------------------------------------------------------------------


async def test_healthy_ci_is_done_without_a_question(tmp_path: Path, store_url: str,
                                                     sandbox: SandboxHandle) -> None:
    seeded(store_url, docker=["success"] * 8, npm=["success"] * 6 + ["failure"])
    report, events = await run(engine(GATE))
    assert report.outcome is Outcome.DONE, report
    assert not [e for e in events if isinstance(e, PromptAsked)]
    gate = report.actions[0]
    assert gate.reason.startswith("CI healthy: 2 workflows, lowest success rate 86% "
                                  "(ipfs/npm-go-ipfs · Release to npm (main.yml))")
    assert "queue p90 20 s" in gate.reason and "(from the CI store)" in gate.reason
    facts = logged(events, "ci-health")
    assert "ipfs/kubo · Publish docker image (docker.yml): 100% (8 of 8)" in facts
    assert "Release to npm (main.yml): 86% (6 of 7), the last one failed" in facts
    assert "Stuck jobs (queued with no runner): none" in facts
    assert f"Source: the CI store {store_url}" in facts
    assert not runs_requests(sandbox)  # the store answered: no API call for success rates


async def test_no_history_is_not_called_healthy(tmp_path: Path, store_url: str,
                                               sandbox: SandboxHandle) -> None:
    """A store with no runs of the release's workflows (a first demo): nothing to warn about,
    and nothing to call healthy either — the reason says which."""
    open_store(store_url).close()
    report, events = await run(engine(GATE))
    assert report.outcome is Outcome.DONE, report
    assert not [e for e in events if isinstance(e, PromptAsked)]
    reason = report.actions[0].reason
    assert reason.startswith("No CI history to judge: "), reason
    assert "with no finished run to judge in 7 days" in reason and "healthy" not in reason


async def test_a_failing_workflow_is_acknowledged_once_and_journalled(
        tmp_path: Path, store_url: str, sandbox: SandboxHandle) -> None:
    seeded(store_url, docker=["success", "success"] + ["failure"] * 5, npm=["success"] * 5,
           trouble=True)
    journal = Journal(tmp_path / "state", "t-v0.30.0-rc1")
    report, events = await run(engine(GATE, {ACK: True}), journal)
    assert report.outcome is Outcome.DONE, report
    [prompt] = asked(events)
    assert prompt.id == ACK
    assert ("ipfs/kubo · Publish docker image (docker.yml): 29% success over 7 days "
            "(2 of 7), the last 5 runs failed") in prompt.message
    assert "1 job(s) stuck with no runner (oldest: ipfs/kubo · unit, 45 min)" in prompt.message
    assert "alert success-rate firing on ipfs/kubo/Publish docker image" in prompt.message
    assert "Stuck jobs (queued with no runner): 1" in prompt.detail
    assert "ipfs/kubo · Go Test · unit: 45 min [self-hosted, linux, x64, gpu]" in prompt.detail
    assert "success-rate on ipfs/kubo/Publish docker image: docker is red" in prompt.detail
    assert report.actions[0].reason.startswith("acknowledged by the driver: ipfs/kubo")
    assert [a.action for a in report.actions] == ["ci-health", "after"]

    # A rerun, as a fresh process would start it: the journal says it was acknowledged.
    remembered = Journal(tmp_path / "state", "t-v0.30.0-rc1").manual_confirmations()
    assert remembered == {("s", "ci-health")}
    report, events = await run(engine(GATE, manual=remembered))
    assert report.outcome is Outcome.DONE, report
    assert not asked(events)
    assert report.actions[0].reason.startswith("acknowledged by the driver")


async def test_a_declined_warning_cancels_the_stage(tmp_path: Path, store_url: str,
                                                    sandbox: SandboxHandle) -> None:
    seeded(store_url, docker=["success"] * 5, npm=["failure"] * 3)
    report, events = await run(engine(GATE, {ACK: False}))
    assert report.outcome is Outcome.CANCELLED, report
    assert [(a.action, a.outcome) for a in report.actions] == [("ci-health", Outcome.CANCELLED)]
    assert report.actions[0].reason.startswith(
        "CI not healthy and not acknowledged: ipfs/npm-go-ipfs · Release to npm (main.yml): "
        "the last 3 runs failed")
    assert len(asked(events)) == 1


@pytest.mark.sandbox(workflow_seconds=0.2)
async def test_without_a_store_it_says_so_and_reads_the_api(
        tmp_path: Path, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "events.sqlite3"
    monkeypatch.setenv("COCKPIT_CI_DATABASE", f"sqlite:///{missing}")
    # The sandbox is told to fail "Release to npm" three times; it runs three times.
    sandbox.set_workflow_outcome(NPM, "main.yml", "failure", times=3)
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        for _ in range(3):
            await gh.dispatch_workflow(NPM, "main.yml", "master")
        deadline = time.monotonic() + 10
        while any(r.status != "completed" for r in await gh.list_runs(NPM, "main.yml")):
            assert time.monotonic() < deadline
            sandbox.tick()
            time.sleep(0.05)
    sandbox.clear_requests()
    report, events = await run(engine(GATE, {ACK: False}))
    assert report.outcome is Outcome.CANCELLED, report
    [prompt] = asked(events)
    assert "Release to npm (main.yml): the last 3 runs failed" in prompt.message
    assert "ipfs/npm-go-ipfs · Release to npm (main.yml): 0% (0 of 3), the last 3 failed" \
        in prompt.detail
    assert "ipfs/kubo · docker.yml: no runs in 7 days" in prompt.detail
    assert "Queue time, stuck jobs and alerts: unknown without the CI store" in prompt.detail
    assert f"no CI store at {missing}" in prompt.detail and "REST API" in prompt.detail
    paths = runs_requests(sandbox)
    assert any(f"repos/{NPM}/actions/workflows/main.yml/runs" in path for path in paths), paths
    assert not missing.exists() and not missing.parent.exists()


# -- the wait kinds' ETA ------------------------------------------------------------------------


def test_progress_text() -> None:
    expected = history.Expected("r", "w", runs=10, p50=14 * 60, p90=20 * 60)
    assert history.progress(expected, 6 * 60) == \
        "usually 14 min, p90 20 min; 6 min in (about 8 min to go)"
    assert history.progress(expected, 17 * 60) == \
        "usually 14 min, p90 20 min; 17 min in (up to 3 min to go)"
    assert history.progress(expected, 25 * 60).endswith("25 min in (longer than 9 in 10 runs took)")
    assert history.progress(expected, None) == "usually 14 min, p90 20 min"
    assert history.progress(None, 60) == "no history yet"


@pytest.mark.sandbox(workflow_seconds=60)
async def test_a_wait_shows_the_expected_duration_from_history(
        tmp_path: Path, store_url: str, sandbox: SandboxHandle) -> None:
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        await gh.dispatch_workflow(NPM, "main.yml", "master")
    eng = engine(WAIT)
    stage = eng.stage("s")
    spec = stage.actions[0]

    before = await eng.check_action(stage, spec)  # no store yet
    assert before.status is Status.IN_PROGRESS, before
    assert before.reason.endswith("; no history yet")

    # 10 finished runs over the last days: nearest-rank p50 is the 5th, p90 the 9th.
    store = open_store(store_url)
    seed_runs(store, NPM, RELEASE_TO_NPM, ["success"] * 8 + ["failure", "cancelled"],
              minutes=[19, 10, 14, 12, 20, 11, 13, 16, 15, 30], hours_apart=20)
    store.close()
    history.forget()
    result: CheckResult = await eng.check_action(stage, spec)
    await eng.session.aclose()
    assert result.status is Status.IN_PROGRESS, result
    assert re.search(r"^run \d+ is (queued|in_progress); usually 14 min, p90 20 min; "
                     r"\d+ s in \(about 1[34] min to go\)$", result.reason), result.reason
    assert "p50 and p90 of its completed runs over the last 30 days" in \
        eng.build(stage, spec).explain()  # type: ignore[union-attr]


# -- the built-in playbook ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v0.30.0-rc1", "v0.30.0", "v0.30.1"])
def test_the_built_in_gate_names_every_workflow_the_release_waits_on(version: str) -> None:
    """Every applying ``github.workflow-run-wait`` is a (repo, file) entry of the gate, every
    applying ``github.pr-checks-wait`` repository a whole-repository entry (and no more)."""
    book = load_playbook()
    release = Version.parse(version)
    values = template_values(book, release, Settings())
    waits: set[tuple[str, str]] = set()
    for stage in book.stages:
        if not stage.applies_to(release):
            continue
        for spec in stage.actions:
            if not spec.applies_to(release):
                continue
            params = render(spec.params, values)
            if spec.kind == "github.workflow-run-wait":
                waits.add((params["repo"], params["workflow"]))
            elif spec.kind == "github.pr-checks-wait":
                waits.add((params["repo"], ""))
    preflight = book.stage("preflight")
    assert preflight is not None
    gate = next(a for a in preflight.actions if a.kind == "preflight.ci-health")
    from cockpit.model import applies

    named = {(w["repo"], w.get("workflow", "")) for w in render(gate.params, values)["workflows"]
             if applies([*map(_condition, w.get("when", []))], release)}
    assert named == waits
    ids = [a.id for a in preflight.actions]
    assert ids.index("ci-health") == ids.index("tick-prerequisites") - 1


def _condition(text: str) -> Any:
    from cockpit.model import Condition

    return Condition(text)
