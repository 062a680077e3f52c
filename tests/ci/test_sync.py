"""Gap repair against the real sandbox over loopback, every exchange held to GitHub's OpenAPI
description, into the real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import copy
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from cockpit.ci.receiver import running_receiver
from cockpit.ci.store import Delivery, Store
from cockpit.ci.sync import SyncReport, api_delivery_id, parse_age, sync
from cockpit.ci.timeouts import DEFAULT_TIMEOUT_MINUTES, parse_timeouts, timeout_for
from cockpit.cli import main
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from cockpit.services.github import RUNS_SPLIT_STEPS, GitHubClient, _split_step
from tests.ci.workflows import two_jobs
from tests.sandbox.contract import Contract, load_contract

REPO = "ipfs/ipfs-docs"
"""A seeded repository none of whose own workflows run on a push to its default branch."""
TINY = two_jobs("Tiny")

pytestmark = pytest.mark.sandbox(workflow_seconds=0.3)


class Exchanges:
    """Requests the contract checked (a test proves validation ran)."""

    count = 0


@cache
def sync_contract() -> Contract:
    """The sandbox's contract (its cut carries the erratum on the run listing's ``created``:
    GitHub types it ``date-time`` while the API takes search syntax, ``>=2026-11-30``)."""
    return load_contract()


def checked_client(sb: SandboxHandle, token: str | None = None) -> GitHubClient:
    """A ``GitHubClient`` on the sandbox whose every exchange is validated against GitHub's
    OpenAPI description (a ``ContractError`` fails the test)."""
    contract = sync_contract()
    prefix = httpx.URL(sb.api_url).path

    async def on_response(response: httpx.Response) -> None:
        request = response.request
        if not request.url.path.startswith(prefix):
            return
        await response.aread()
        contract.check(request.method, request.url.path[len(prefix):] or "/",
                       request.url.query.decode(), dict(request.headers), request.content,
                       response.status_code, dict(response.headers), response.content)
        Exchanges.count += 1

    pool = httpx.AsyncClient(timeout=10, event_hooks={"response": [on_response]})
    client = GitHubClient(sb.api_url, token or sb.admin_token, client=pool)
    client.http._owns_client = True  # closing the client closes the checked pool
    return client


@pytest.fixture
async def gh(sandbox: SandboxHandle) -> AsyncIterator[GitHubClient]:
    async with checked_client(sandbox) as client:
        yield client


def add_workflow(sb: SandboxHandle, text: str = TINY, name: str = "tiny.yml") -> None:
    """Commit a workflow to the default branch (its push starts one run)."""
    response = httpx.put(f"{sb.api_url}/repos/{REPO}/contents/.github/workflows/{name}",
                         headers={"Authorization": f"Bearer {sb.admin_token}"},
                         json={"message": f"ci: {name}",
                               "content": base64.b64encode(text.encode()).decode()})
    assert response.status_code == 201, response.text


def dispatch(sb: SandboxHandle, times: int, name: str = "tiny.yml") -> None:
    for _ in range(times):
        response = httpx.post(
            f"{sb.api_url}/repos/{REPO}/actions/workflows/{name}/dispatches",
            headers={"Authorization": f"Bearer {sb.admin_token}"}, json={"ref": "main"})
        assert response.status_code == 204, response.text


def runs_of(sb: SandboxHandle) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = sb.state()["repos"][REPO]["runs"]
    return runs


def wait_completed(sb: SandboxHandle, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        runs = runs_of(sb)
        if len(runs) == count and all(run["status"] == "completed" for run in runs):
            return
        assert time.monotonic() < deadline, [(r["id"], r["status"]) for r in runs]
        time.sleep(0.05)


def webhook_told(sb: SandboxHandle, store: Store, run_id: int) -> None:
    """Ingest what the webhooks would have delivered for a completed run and its jobs."""
    api = httpx.Client(base_url=sb.api_url, headers={"Authorization": f"Bearer {sb.admin_token}"})
    with api:
        run = api.get(f"/repos/{REPO}/actions/runs/{run_id}").json()
        jobs = api.get(f"/repos/{REPO}/actions/runs/{run_id}/jobs").json()["jobs"]
    now = datetime.now(UTC)
    for job in jobs:
        assert store.ingest(Delivery(uuid.uuid4(), "workflow_job",
                                     {"action": "completed", "workflow_job": job,
                                      "repository": run["repository"]}, now))
    assert store.ingest(Delivery(uuid.uuid4(), "workflow_run",
                                 {"action": "completed", "workflow_run": run,
                                  "repository": run["repository"]}, now))


def counts(store: Store) -> dict[str, int]:
    rows = store.query("SELECT source, event, COUNT(*) AS n FROM events GROUP BY source, event")
    return {f"{row['source']}/{row['event']}": int(row["n"]) for row in rows}


DAY = timedelta(days=1)


async def test_sync_fills_what_no_webhook_told(sandbox: SandboxHandle, gh: GitHubClient,
                                               store: Store) -> None:
    add_workflow(sandbox)
    dispatch(sandbox, 2)
    wait_completed(sandbox, 3)
    told, *lost = sorted(run["id"] for run in runs_of(sandbox))
    webhook_told(sandbox, store, told)
    since = datetime.now(UTC) - DAY
    before = Exchanges.count

    first = await sync(store, gh, [REPO], since)
    assert first.stopped is None
    assert first.runs_seen == 3 and first.runs_complete == 1 and first.runs_read == 2
    assert sorted(run.run_id for run in first.no_webhook) == lost
    assert "2 runs had no webhook (2 filled now)" in first.lines()
    assert {run.workflow for run in first.no_webhook} == {"Tiny"}
    assert first.runs_added == 2 and first.jobs_added == 4
    assert counts(store) == {"webhook/workflow_run": 1, "webhook/workflow_job": 2,
                             "api/workflow_run": 2, "api/workflow_job": 4}
    runs = store.query("SELECT run_id, source, status, conclusion FROM workflow_runs "
                       "ORDER BY run_id")
    assert [(r["run_id"], r["source"], r["status"], r["conclusion"]) for r in runs] == [
        (told, "webhook", "completed", "success"),
        *[(run_id, "api", "completed", "success") for run_id in lost]]
    jobs = store.query("SELECT run_id, job_name, source, status, runner_kind FROM workflow_jobs")
    assert sorted((j["run_id"], j["job_name"], j["source"]) for j in jobs) == sorted(
        (run_id, name, "webhook" if run_id == told else "api")
        for run_id in (told, *lost) for name in ("Unit tests", "lint"))
    assert {(j["status"], j["runner_kind"]) for j in jobs} == {("completed", "github-hosted")}
    # The ids are the deterministic ones; the run's event carries its repository.
    ids = {row["delivery_id"] for row in store.query(
        "SELECT delivery_id FROM events WHERE source = 'api'")}
    assert str(api_delivery_id("workflow_run", lost[0], 1, "completed")) in {str(i) for i in ids}
    assert store.query("SELECT DISTINCT repository FROM events") == [{"repository": REPO}]
    # The timeout cache: one file read, its two jobs, the declared 20 and the default 360.
    assert first.files_read == 1
    timeouts = store.query("SELECT job_name, timeout_minutes FROM workflow_timeouts "
                           "ORDER BY job_name")
    assert [(t["job_name"], t["timeout_minutes"]) for t in timeouts] == [
        ("Unit tests", 20), ("lint", DEFAULT_TIMEOUT_MINUTES)]
    assert Exchanges.count - before == first.requests  # every exchange was contract-checked

    second = await sync(store, gh, [REPO], since)
    assert second.events_added == 0 and second.files_read == 0
    assert second.runs_complete == 3 and second.runs_read == 0
    assert len(second.no_webhook) == 2 and second.runs_filled == 0
    assert "events added: none (nothing new)" in second.lines()
    # rate_limit + one listing page (a 304 from the ETag cache), against 2 + 2 jobs + 1 file.
    assert second.requests == 2 and second.not_modified == 1 and first.requests == 5
    assert counts(store)["api/workflow_job"] == 4

    async with checked_client(sandbox) as fresh:  # a new process: no ETag cache
        third = await sync(store, fresh, [REPO], since)
    assert third.events_added == 0 and third.requests == 2 and third.not_modified == 0


async def test_a_running_run_is_filled_then_moved_forward(tmp_path: Path, store: Store
                                                          ) -> None:
    with running_sandbox(tmp_path, workflow_seconds=2.0) as sb:
        async with checked_client(sb) as gh:  # first: loading the contract takes a while
            add_workflow(sb)
            since = datetime.now(UTC) - DAY
            early = await sync(store, gh, [REPO], since, timeouts=False)
            assert early.runs_read == 1 and early.runs_added == 1
            row = store.query("SELECT status, source FROM workflow_runs")[0]
            assert row["status"] in ("queued", "in_progress") and row["source"] == "api"
            wait_completed(sb, 1)
            late = await sync(store, gh, [REPO], since, timeouts=False)
    assert late.runs_read == 1 and late.runs_added == 1 and late.jobs_added == 2
    assert store.query("SELECT status FROM workflow_runs") == [{"status": "completed"}]
    assert {j["status"] for j in store.query("SELECT status FROM workflow_jobs")} == {"completed"}
    # One event per status the sync saw: nothing stored twice.
    statuses = store.query("SELECT COUNT(*) AS n, COUNT(DISTINCT delivery_id) AS d FROM events")
    assert statuses[0]["n"] == statuses[0]["d"] == 2 + 4


async def test_the_budget_reserve_stops_and_a_rerun_continues(sandbox: SandboxHandle,
                                                              gh: GitHubClient,
                                                              store: Store) -> None:
    add_workflow(sandbox)
    dispatch(sandbox, 3)
    wait_completed(sandbox, 4)
    since = datetime.now(UTC) - DAY
    limits = await gh.rate_limit()
    # Room for the listing and two runs' jobs, then the reserve.
    stopped = await sync(store, gh, [REPO], since, reserve=limits.core.remaining - 3)
    assert stopped.stopped is not None and "reserve" in stopped.stopped
    assert "run the same command again" in stopped.stopped
    assert stopped.runs_read == 2 and stopped.runs_added == 2
    assert any(line.startswith("stopped early:") for line in stopped.lines())
    rest = await sync(store, gh, [REPO], since)
    assert rest.stopped is None
    assert rest.runs_complete == 2 and rest.runs_read == 2 and rest.runs_added == 2
    assert len(rest.no_webhook) == 4
    assert store.query("SELECT COUNT(*) AS n FROM workflow_runs") == [{"n": 4}]


def sandbox_filters_created(sb: SandboxHandle) -> bool:
    """Whether the sandbox answers run listings by their ``created`` qualifier, as GitHub
    (ask once it has runs: an empty listing proves nothing)."""
    future = httpx.get(f"{sb.api_url}/repos/{REPO}/actions/runs",
                       params={"created": ">=2999-01-01"},
                       headers={"Authorization": f"Bearer {sb.admin_token}"}).json()
    return bool(future["total_count"] == 0)


def seed_runs(sb: SandboxHandle, count: int, days: float) -> list[int]:
    """``count`` completed runs of the Tiny workflow over the last ``days``, written into the
    sandbox's world (a push per run would take minutes); their ids, newest first."""
    add_workflow(sb)
    sim, world = sb.sandbox.sim, sb.sandbox.world
    r = world.data["repos"][REPO]
    now = time.time()
    world.save = lambda: None  # type: ignore[method-assign]  # one save at the end
    try:
        template = r["runs"].pop()  # the push's run, as the simulator wrote it
        for n in range(count):
            run = copy.deepcopy(template)
            run.update(id=world.new_id() + 9_000_000_000, run_number=n + 1,
                       created_ts=now - days * 86400 + n * (days * 86400 - 60) / count)
            for job in run["jobs"]:
                job["id"] = world.new_id() + 20_000_000_000
            r["runs"].append(run)
        sim.tick()
    finally:
        del world.save
    world.save()
    return sorted((run["id"] for run in r["runs"]), reverse=True)


async def test_past_github_cap_the_window_is_split(sandbox: SandboxHandle, gh: GitHubClient
                                                  ) -> None:
    """GitHub answers 1,000 runs per query at most: 1,300 runs are read in time pieces,
    each run once, newest first."""
    ids = seed_runs(sandbox, 1299, days=20)
    if not sandbox_filters_created(sandbox):
        pytest.skip("the sandbox ignores the run listing's `created` filter (GitHub applies "
                    "it): the split cannot be shown until it filters")
    listed = [run["id"] async for run in gh.iter_runs_raw(REPO, datetime.now(UTC) - 21 * DAY)]
    assert listed == ids


def test_split_pieces_are_round_and_always_shorter() -> None:
    for needed in (timedelta(seconds=61), timedelta(hours=5), DAY * 4.3, DAY * 30):
        step = _split_step(needed)
        assert step <= needed and step in RUNS_SPLIT_STEPS
    assert _split_step(timedelta(seconds=10)) == timedelta(minutes=1)


# -- redelivery through the receiver -------------------------------------------------------

SECRET = "sync-test-webhook-secret"
DROPPED = 4


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def add_hook(sb: SandboxHandle, owner_path: str, url: str) -> int:
    """A workflow webhook at ``owner_path`` (``repos/o/r`` or ``orgs/o``) to ``url``; its id."""
    hook = httpx.post(f"{sb.api_url}/{owner_path}/hooks",
                      headers={"Authorization": f"Bearer {sb.admin_token}"},
                      json={"name": "web", "events": ["workflow_run", "workflow_job"],
                            "config": {"url": url, "content_type": "json", "secret": SECRET}})
    assert hook.status_code == 201, hook.text
    return int(hook.json()["id"])


def dropped_then_delivered(sb: SandboxHandle, hook_id: int) -> list[str]:
    """Drop the first deliveries of two runs' webhooks, let the rest go; the dropped GUIDs."""
    webhooks = sb.sandbox.webhooks
    webhooks.drop_next(DROPPED)
    add_workflow(sb)
    dispatch(sb, 1)
    wait_completed(sb, 2)
    # Per run: the run's 3 transitions and 3 for each of its 2 jobs.
    wait_for(lambda: len([d for d in webhooks.attempts(hook_id) if d["event"] != "ping"])
             >= 2 * 9 and webhooks.wait_idle(), "every transition delivered")
    failed = [d["guid"] for d in webhooks.attempts(hook_id) if d["status_code"] == 0]
    assert len(failed) == DROPPED
    return failed


async def test_dropped_deliveries_are_redelivered_into_the_store(
        sandbox: SandboxHandle, gh: GitHubClient, store_url: str,
        make_store: Callable[[str], Store]) -> None:
    store = make_store(store_url)
    with running_receiver(store_url, SECRET) as rx:
        hook_id = add_hook(sandbox, f"repos/{REPO}", rx.url)
        failed = dropped_then_delivered(sandbox, hook_id)
        assert not any(store.has_delivery(uuid.UUID(guid)) for guid in failed)
        # One of them did reach the store (its answer was lost, say): not asked again.
        reached, *missing = failed
        assert store.ingest(Delivery(uuid.UUID(reached), "workflow_job", {"action": "queued"},
                                     datetime.now(UTC)))
        since = datetime.now(UTC) - DAY

        report = await sync(store, gh, [REPO], since, hook=hook_id, timeouts=False)
        assert report.redelivered == DROPPED - 1 and report.failed_in_store == 1
        assert report.redelivery_unsure == 0 and report.failed_since_ok == 0
        assert "redelivery: 3 failed deliveries asked again; not asked: 1 already in the " \
               "store, 0 delivered OK since" in report.lines()
        wait_for(lambda: all(store.has_delivery(uuid.UUID(guid)) for guid in missing),
                 "the redeliveries in the store")
        sources = store.query("SELECT DISTINCT source FROM events WHERE delivery_id IN "
                              f"({', '.join(repr(g) for g in missing)})")
        assert sources == [{"source": "webhook"}]

        again = await sync(store, gh, [REPO], since, hook=hook_id, timeouts=False)
    assert again.redelivered == 0 and again.failed_since_ok == DROPPED - 1
    assert again.failed_in_store == 1


async def test_an_organizations_failed_deliveries_are_redelivered(
        sandbox: SandboxHandle, gh: GitHubClient, sqlite_url: str,
        make_store: Callable[[str], Store]) -> None:
    store = make_store(sqlite_url)
    with running_receiver(sqlite_url, SECRET) as rx:
        hook_id = add_hook(sandbox, "orgs/ipfs", rx.url)
        failed = dropped_then_delivered(sandbox, hook_id)
        report = await sync(store, gh, [REPO], datetime.now(UTC) - DAY,
                            org_hook=("ipfs", hook_id), timeouts=False)
        assert report.redelivered == DROPPED
        wait_for(lambda: all(store.has_delivery(uuid.UUID(guid)) for guid in failed),
                 "the redeliveries in the store")


async def test_the_apps_failed_deliveries_are_redelivered(
        tmp_path: Path, sqlite_url: str, make_store: Callable[[str], Store]) -> None:
    store = make_store(sqlite_url)
    with running_receiver(sqlite_url, SECRET) as rx, running_sandbox(
            tmp_path, workflow_seconds=0.3, webhook_url=rx.url, webhook_secret=SECRET) as sb:
        app_hook = sb.sandbox.webhooks.app_hook()
        assert app_hook is not None
        failed = dropped_then_delivered(sb, int(app_hook["id"]))
        async with checked_client(sb) as gh:
            # The sandbox takes its admin token where GitHub wants the App's JWT.
            report = await sync(store, gh, [REPO], datetime.now(UTC) - DAY,
                                app_jwt=sb.admin_token, timeouts=False)
        assert report.redelivered == DROPPED and report.failed_in_store == 0
        wait_for(lambda: all(store.has_delivery(uuid.UUID(guid)) for guid in failed),
                 "the redeliveries in the store")


# -- the command --------------------------------------------------------------------------


def test_a_bad_since_names_the_accepted_forms(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    code = main(["ci", "sync", "--repo", REPO, "--since", "3 weeks",
                 "--database", f"sqlite:///{tmp_path}/ci.db"])
    assert code == 2
    err = capsys.readouterr().err
    assert "30d, 12h, 90m" in err and "'3 weeks'" in err
    assert parse_age("90m") == timedelta(minutes=90) and parse_age("30d") == timedelta(days=30)


def test_without_a_token_it_says_how_to_give_one(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COCKPIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = main(["ci", "sync", "--repo", REPO, "--database", f"sqlite:///{tmp_path}/ci.db"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no GitHub token" in err and "cockpit login github" in err


def test_cli_sync_and_a_refused_token(sandbox: SandboxHandle, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_workflow(sandbox)
    wait_completed(sandbox, 1)
    for name, value in sandbox.env.items():
        monkeypatch.setenv(name, value)
    database = f"sqlite:///{tmp_path}/ci.db"
    assert main(["ci", "sync", "--repo", REPO, "--since", "12h", "--database", database]) == 0
    out = capsys.readouterr().out
    assert "1 run had no webhook (1 filled now)" in out
    assert f"{REPO}  Tiny  run {runs_of(sandbox)[0]['id']}" in out

    monkeypatch.setenv("COCKPIT_GITHUB_TOKEN", "ghp_not-a-sandbox-token")
    assert main(["ci", "sync", "--repo", REPO, "--database", database]) == 1
    err = capsys.readouterr().err
    assert "401" in err and "wrong or expired" in err and "ghp_not-a-sandbox-token" not in err


def test_app_redelivery_needs_a_jwt_the_user_made(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_GITHUB_TOKEN", "ghp_any")
    monkeypatch.delenv("COCKPIT_CI_APP_JWT", raising=False)
    code = main(["ci", "sync", "--repo", REPO, "--app", "--database", f"sqlite:///{tmp_path}/d"])
    assert code == 2
    assert "does not mint JWTs" in capsys.readouterr().err


# -- the timeout file rules -----------------------------------------------------------------


def test_timeouts_by_display_name_with_matrix_prefixes() -> None:
    parsed = parse_timeouts("""
jobs:
  build:
    timeout-minutes: 30
    strategy: {matrix: {os: [ubuntu, macos]}}
  test:
    name: Go Test
    timeout-minutes: "20"
  e2e:
    timeout-minutes: ${{ inputs.minutes }}
  docs: {}
""")
    assert parsed == {"build": 30, "Go Test": 20, "e2e": 360, "docs": 360}
    assert timeout_for(parsed, "build (ubuntu, 3.12)") == 30
    assert timeout_for(parsed, "Go Test") == 20
    assert timeout_for(parsed, "builder") == DEFAULT_TIMEOUT_MINUTES
    assert parse_timeouts("not: [yaml") == {} and parse_timeouts("on: push") == {}


def test_report_lines_list_lost_runs() -> None:
    report = SyncReport(repositories=[REPO], runs_seen=30)
    assert "0 runs had no webhook (0 filled now)" in report.lines()
