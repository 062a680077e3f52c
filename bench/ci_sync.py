"""``cockpit ci sync`` of 5,000 runs: requests made against runs, and the time they take.

One sandbox with 100 ms added to every request; N workflow runs (default 5,000, ``--quick``
500) written straight into its world (git pushes would take minutes), spread over the last 29
days, two jobs each, on a handful of commits; a store on SQLite (``--database`` for another).

- **first sync, 5% lost**: the store already holds the webhook deliveries of 95% of the runs
  (run and jobs, as the receiver stores them); the sync lists every run and reads the jobs of
  the 5% (the realistic gap repair);
- **second sync, same process**: nothing new; the listing's pages come back 304 from the ETag
  cache (free of rate limit, but each still a round trip);
- **second sync, new process**: a fresh client, no ETag cache: the listing costs its pages;
- **cold back-fill** (an empty store: every run's jobs read): more requests than one hour of a
  5,000/h token holds, so it stops at the reserve and the rerun after the reset (simulated
  here by clearing the sandbox's counter) finishes; run without added latency (at 100 ms it
  would take ~9 minutes), its time at 100 ms is estimated from its request count.

GitHub answers at most 1,000 runs per listing query: past that the sync splits the window
into time pieces, which is what these numbers include (the sandbox filters by ``created`` as
GitHub does).

    python bench/ci_sync.py [--markdown] [--quick] [-n RUNS] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.ci.workflows

import httpx
from _common import machine_markdown

from cockpit.ci.store import Delivery, Store, open_store
from cockpit.ci.sync import SyncReport, sync
from cockpit.sandbox.testing import SandboxHandle, start_sandbox, stop_sandbox
from cockpit.services.github import GitHubClient
from tests.ci.workflows import two_jobs

REPO = "ipfs/ipfs-docs"
WINDOW = timedelta(days=29)
WORKFLOW = two_jobs("Bench", lint_runs_on="[self-hosted, linux]")


# -- the sandbox ------------------------------------------------------------------------------


def put_file(sb: SandboxHandle, path: str, text: str, message: str) -> None:
    api = f"{sb.api_url}/repos/{REPO}/contents/{path}"
    headers = {"Authorization": f"Bearer {sb.admin_token}"}
    current = httpx.get(api, headers=headers)
    body = {"message": message, "content": base64.b64encode(text.encode()).decode()}
    if current.status_code == 200:
        body["sha"] = current.json()["sha"]
    response = httpx.put(api, headers=headers, json=body)
    response.raise_for_status()


def seed(sb: SandboxHandle, runs: int, commits: int) -> list[dict[str, Any]]:
    """``runs`` completed runs of the Bench workflow over the window, oldest first, on
    ``commits`` commits (each with the workflow file): written into the world directly."""
    put_file(sb, ".github/workflows/bench.yml", WORKFLOW, "ci: bench workflow")
    for n in range(commits - 1):
        put_file(sb, "bench.txt", f"{n}\n", f"bench commit {n}")
    sandbox = sb.sandbox
    sim, world = sandbox.sim, sandbox.world
    git = sandbox.repos[REPO]
    r = world.data["repos"][REPO]
    shas = [c for c in _history(git, r["default_branch"], commits)]
    wf = sim.find_workflow(REPO, "bench.yml")
    assert wf is not None
    with world.lock:
        r["runs"].clear()  # the pushes' own runs: the bench's runs are its own
    world.save = lambda: None  # type: ignore[method-assign]  # one save at the end
    try:
        # One run started by the simulator per commit (it reads the commit through git),
        # then copies of them with their own ids: the world as the simulator writes it.
        templates = [sim.start(REPO, wf, "push", r["default_branch"], sha, {}, "bench")
                     for sha in shas]
        r["runs"].clear()
        now = time.time()
        start = now - WINDOW.total_seconds()
        step = (WINDOW.total_seconds() - 3600) / runs
        for n in range(runs):
            run = copy.deepcopy(templates[n % len(templates)])
            run.update(id=world.new_id() + 9_000_000_000, run_number=n + 1,
                       created_ts=start + n * step)
            for job in run["jobs"]:
                job["id"] = world.new_id() + 20_000_000_000
            r["runs"].append(run)
        sim.tick()  # all long done: completed now
    finally:
        del world.save
    world.save()
    made: list[dict[str, Any]] = r["runs"]
    assert all(run["status"] == "completed" for run in made)
    return made


def _history(git: Any, branch: str, count: int) -> list[str]:
    sha = git.resolve(branch)
    out: list[str] = []
    while sha and len(out) < count:
        out.append(sha)
        commit = git.commit(sha)
        sha = commit.parents[0] if commit and commit.parents else None
    return out


def webhook_told(sb: SandboxHandle, store: Store, runs: list[dict[str, Any]]) -> None:
    """Store what the webhooks delivered for ``runs`` (run and jobs, completed)."""
    sim = sb.sandbox.sim
    r = sb.sandbox.world.data["repos"][REPO]
    for run in runs:
        raw = sim.run_json(r, run)
        context = {"repository": raw["repository"]}
        now = datetime.now(UTC)
        for job in run["jobs"]:
            store.ingest(Delivery(uuid.uuid4(), "workflow_job",
                                  {"action": "completed",
                                   "workflow_job": sim.job_json(r, run, job), **context}, now))
        store.ingest(Delivery(uuid.uuid4(), "workflow_run",
                              {"action": "completed", "workflow_run": raw, **context}, now))


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    runs: int
    seconds: float
    report: SyncReport
    estimated: str = ""

    def markdown(self) -> str:
        r = self.report
        per_100 = r.requests / max(1, r.runs_seen) * 100
        charged = r.requests - r.not_modified - r.rate_reads
        stopped = " (stopped at the reserve)" if r.stopped else ""
        return (f"| {self.what}{stopped} | {r.runs_seen} | {r.requests} | {r.not_modified} | "
                f"{charged} | {per_100:.1f} | {r.runs_read} | {r.events_added} | "
                f"{len(r.no_webhook)} | {self.seconds:.1f}{self.estimated} |")


async def timed(store: Store, client: GitHubClient, since: datetime
                ) -> tuple[float, SyncReport]:
    start = time.perf_counter()
    report = await sync(store, client, [REPO], since)
    return time.perf_counter() - start, report


async def measure(sb: SandboxHandle, url: str, since: datetime) -> list[Row]:
    runs = sb.sandbox.world.data["repos"][REPO]["runs"]
    lost = {run["id"] for run in runs[:: 20]}  # every 20th: 5%
    store = open_store(url)
    webhook_told(sb, store, [run for run in runs if run["id"] not in lost])
    rows = []
    async with GitHubClient(sb.api_url, sb.admin_token) as client:
        seconds, report = await timed(store, client, since)
        rows.append(Row("first sync, 5% of webhooks lost", len(runs), seconds, report))
        seconds, report = await timed(store, client, since)
        rows.append(Row("second sync, same process (ETag cache)", len(runs), seconds, report))
    async with GitHubClient(sb.api_url, sb.admin_token) as client:
        seconds, report = await timed(store, client, since)
        rows.append(Row("second sync, new process", len(runs), seconds, report))
    store.close()
    return rows


async def cold(sb: SandboxHandle, url: str, since: datetime, latency_ms: int) -> list[Row]:
    """An empty store: stops at the reserve; the rerun after the reset finishes."""
    store = open_store(url)
    runs = len(sb.sandbox.world.data["repos"][REPO]["runs"])
    rows = []
    sb.sandbox.rate_used.clear()
    for what in ("cold back-fill (empty store)", "its rerun after the rate limit's reset"):
        async with GitHubClient(sb.api_url, sb.admin_token) as client:
            seconds, report = await timed(store, client, since)
        estimate = f" (at {latency_ms} ms: ~{seconds + report.requests * latency_ms / 1e3:.0f})"
        rows.append(Row(what, runs, seconds, report, estimate))
        sb.sandbox.rate_used.clear()  # the hour has passed
    store.close()
    return rows


def run(n: int, latency_ms: int, database: str | None, markdown: bool) -> str:
    home = Path(tempfile.mkdtemp(prefix="bench-ci-sync-"))
    commits = max(2, n // 500)
    notes = []
    sb = start_sandbox(home / "sandbox", latency_ms=latency_ms, workflow_seconds=0.2)
    try:
        t0 = time.perf_counter()
        seed(sb, n, commits)
        notes.append(f"seeded {n} runs (2 jobs each, {commits} commits) in "
                     f"{time.perf_counter() - t0:.1f} s")
        since = datetime.now(UTC) - timedelta(days=30)
        url = database or f"sqlite:///{home / 'warm.sqlite3'}"
        rows = asyncio.run(measure(sb, url, since))
        sb.sandbox.faults.spec.latency_ms = 0
        cold_url = f"sqlite:///{home / 'cold.sqlite3'}" if database is None else database
        if database is not None:
            notes.append("cold back-fill skipped: it needs an empty store (SQLite default)")
        else:
            rows += asyncio.run(cold(sb, cold_url, since, latency_ms))
    finally:
        stop_sandbox(sb)
    head = ("| sync | runs | requests | 304s | charged | requests per 100 runs | runs read "
            "| events added | runs without webhook | seconds |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    table = "\n".join([head, *(row.markdown() for row in rows)])
    text = (f"### ci_sync\n\n{machine_markdown()}\n\n"
            f"`cockpit ci sync` of {n} runs of one repository, {latency_ms} ms added per request "
            f"(the cold rows without it: their last column estimates it), store "
            f"{'SQLite' if database is None else 'given'}; requests include the free "
            "rate_limit reads and the workflow-file reads of the timeout cache.\n\n"
            f"{table}\n\n" + "\n".join(f"- {note}" for note in notes) + "\n")
    return text if markdown else text.replace("### ", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true", help="500 runs instead of 5,000")
    parser.add_argument("-n", type=int, default=None, help="runs to seed")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--database", help="a store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    n = args.n or (500 if args.quick else 5000)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    print(run(n, args.latency_ms, args.database, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
