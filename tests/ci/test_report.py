"""``cockpit ci report`` on both stores, against numbers computed here in plain Python.

A small world (three repositories, runs over nine days so some fall before the 7-day window,
every kind of ending, hosted and self-hosted jobs, a job near its timeout, a job stuck in the
queue, a repository only gap repair told of, one whose webhooks stopped, a firing and a
resolved alert) is delivered through ``Store.ingest``. The report's JSON is then checked
field by field against what the world's own lists say (``sorted`` and ``math.ceil``, never the
store's rows), its Markdown for the same numbers, and the CLI for the same document. An empty
store and a missing one say so, with no zeros, and the missing one is not created.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cockpit.ci import report
from cockpit.ci.store import Delivery, Store
from cockpit.ci.timeouts import INSERT_TIMEOUT
from cockpit.cli import main
from tests.ci import payloads as p
from tests.ci.seed import Job, Run, job_deliveries, nearest_rank, run_deliveries

NOW = int(time.time()) // 3600 * 3600 + 1800
"""Half past the current hour: every event of the world is minutes away from any boundary,
so the CLI (which reads the clock a moment later) sees the same window."""
WEEK = 7 * 86400
SINCE = NOW + 1 - WEEK
WORKFLOWS = {("acme/widgets", "CI"): ".github/workflows/ci.yml",
             ("acme/widgets", "Release"): ".github/workflows/release.yml",
             ("acme/gadgets", "CI"): ".github/workflows/ci.yml"}
API_ONLY = "acme/gadgets"
"""Only gap repair (source=api) told of this repository: it never sent a webhook."""
LEGACY = "acme/legacy"
"""One run three days ago, by webhook: quiet for more than a day."""


def run_of(repo: str, workflow: str, sha: str, created: int, started: int, completed: int | None,
           conclusion: str | None) -> Run:
    """A run with a fresh id: completed once it has a conclusion, in progress until then."""
    return Run(repo, workflow, p.next_id(), sha, created, started, completed,
               "completed" if conclusion else "in_progress", conclusion)


@dataclass
class World:
    runs: list[Run]
    deliveries: list[Delivery]
    timeouts: list[dict[str, Any]]
    near: Job
    stuck: Job


def build_world(seed: int = 14) -> World:
    rng = random.Random(seed)
    runs: list[Run] = []
    for (repo, workflow), _path in WORKFLOWS.items():
        for n in range(14):
            created = NOW - rng.randint(1, 9 * 24) * 3600 + rng.randint(-1500, 1500)
            roll = rng.random()
            conclusion = ("success" if roll < 0.55 else "failure" if roll < 0.75 else
                          "cancelled" if roll < 0.85 else "skipped" if roll < 0.9 else
                          "timed_out" if roll < 0.95 else None)
            started = created + rng.randint(0, 40)
            completed = (started if conclusion == "skipped" else started + rng.randint(60, 1800)
                         ) if conclusion else None
            run = run_of(repo, workflow, p.sha(f"{repo}{workflow}{n}"), created, started,
                         completed, conclusion)
            for name in ("build", "test"):
                job_created = created + rng.randint(1, 20)
                job_started = job_created + rng.randint(1, 900)
                labels = p.SELF_HOSTED_LABELS if rng.random() < 0.35 else p.HOSTED_LABELS
                job_conclusion = rng.choice(["success", "success", "success", "failure"])
                run.jobs.append(run.job(name, p.next_id(), job_created, job_started,
                                        job_started + rng.randint(20, 500), "completed",
                                        job_conclusion, labels))
            runs.append(run)
    # A build that ran 95 % of its 10-minute timeout, its file read (timeouts cached).
    near_run = run_of("acme/widgets", "CI", p.sha("near"), NOW - 5 * 3600, NOW - 5 * 3600 + 5,
                      NOW - 5 * 3600 + 700, "failure")
    near = near_run.job("build", p.next_id(), near_run.created + 2, near_run.created + 10,
                        near_run.created + 10 + 570, "completed", "cancelled", p.HOSTED_LABELS)
    near_run.jobs = [near, near_run.job("test", p.next_id(), near_run.created + 2,
                                        near_run.created + 12, near_run.created + 200,
                                        "completed", "success", p.HOSTED_LABELS)]
    runs.append(near_run)
    timeouts = [{"repository": "acme/widgets", "head_sha": near_run.sha,
                 "workflow_path": WORKFLOWS[("acme/widgets", "CI")], "job_name": "build",
                 "timeout_minutes": 10}]
    # A job queued two hours ago on a self-hosted label nobody serves.
    stuck_run = run_of("acme/widgets", "Release", p.sha("stuck"), NOW - 2 * 3600,
                       NOW - 2 * 3600 + 3, None, None)
    stuck = stuck_run.job("deploy", p.next_id(), stuck_run.created + 1, None, None, "queued",
                          None, p.SELF_HOSTED_LABELS)
    stuck_run.jobs = [stuck]
    runs.append(stuck_run)
    legacy = run_of(LEGACY, "CI", p.sha("legacy"), NOW - 3 * 86400, NOW - 3 * 86400 + 2,
                    NOW - 3 * 86400 + 300, "success")
    runs.append(legacy)
    deliveries: list[Delivery] = []
    for run in runs:
        deliveries += _deliveries(run)
    rng.shuffle(deliveries)
    return World(runs, deliveries, timeouts, near, stuck)


def _deliveries(run: Run) -> list[Delivery]:
    """The run's deliveries and its jobs' (queued and completed: no job's ``in_progress``)."""
    source = "api" if run.repo == API_ONLY else "webhook"
    path = WORKFLOWS.get((run.repo, run.workflow), ".github/workflows/ci.yml")
    out = run_deliveries(run, path, source=source)
    for job in run.jobs:
        out += job_deliveries(job, source=source, in_progress=False)
    return out


WORLD = build_world()


def seed(store: Store) -> None:
    for delivery in WORLD.deliveries:
        assert store.ingest(delivery)
    store.executemany(INSERT_TIMEOUT, WORLD.timeouts)
    facts_json = json.dumps({"summary": "success rate of acme/widgets/CI is 50% over 7d",
                             "link": "https://github.com/acme/widgets/actions"})
    store.execute("INSERT INTO alerts (rule, scope, fired_at, facts) "
                  "VALUES (:rule, :scope, :fired_at, :facts)",
                  {"rule": "success-rate", "scope": "acme/widgets/CI", "fired_at": NOW - 600.0,
                   "facts": facts_json})
    store.execute("INSERT INTO alerts (rule, scope, fired_at, resolved_at, facts) "
                  "VALUES (:rule, :scope, :fired_at, :resolved_at, :facts)",
                  {"rule": "queue-p90", "scope": "acme/gadgets/CI", "fired_at": NOW - 9000.0,
                   "resolved_at": NOW - 3000.0, "facts": "{}"})


# -- what the world says ----------------------------------------------------------------------


def in_window(epoch: int) -> bool:
    return SINCE <= epoch < NOW + 1


def expected_workflows() -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    keys = {(run.repo, run.workflow) for run in WORLD.runs}
    for key in sorted(keys):
        runs = [r for r in WORLD.runs if (r.repo, r.workflow) == key and in_window(r.created)]
        jobs = [j for r in WORLD.runs if (r.repo, r.workflow) == key for j in r.jobs
                if in_window(j.created)]
        if not runs and not jobs:
            continue
        done = [r for r in runs if r.status == "completed"]
        successes = sum(r.conclusion == "success" for r in done)
        cancelled = sum(r.conclusion == "cancelled" for r in done)
        skipped = sum(r.conclusion == "skipped" for r in done)
        failures = len(done) - successes - cancelled - skipped
        durations = [r.completed - r.started for r in done
                     if r.conclusion != "skipped" and r.completed is not None]
        queues = [j.started - j.created for j in jobs if j.started is not None]
        kinds: dict[str, dict[str, Any]] = {}
        for kind in sorted({j.kind for j in jobs}):
            mine = [j for j in jobs if j.kind == kind]
            kinds[kind] = {"jobs": len(mine), "queue_p90_seconds": nearest_rank(
                [j.started - j.created for j in mine if j.started is not None], 0.9)}
        out[key] = {
            "workflow": key[1], "runs": len(runs), "completed": len(done),
            "successes": successes, "failures": failures, "cancelled": cancelled,
            "skipped": skipped,
            "success_rate": successes / (successes + failures) if successes + failures else None,
            "duration_p50_seconds": nearest_rank(durations, 0.5),
            "duration_p90_seconds": nearest_rank(durations, 0.9),
            "jobs": len(jobs), "queue_p90_seconds": nearest_rank(queues, 0.9),
            "runner_kinds": kinds,
        }
    return out


def last_webhook(repo: str) -> str | None:
    if repo == API_ONLY:
        return None
    times = [t for r in WORLD.runs if r.repo == repo
             for t in (r.created, r.started, r.completed,
                       *(x for j in r.jobs for x in (j.created, j.completed)))
             if t is not None]
    return report.iso(max(times))


# -- the tests --------------------------------------------------------------------------------


def test_the_numbers_are_the_worlds(store_url: str, make_store: Callable[[str], Store]) -> None:
    store = make_store(store_url)
    seed(store)
    doc = report.gather(store, WEEK, now=NOW, database=store.display_url, label="7d")
    assert doc["format"] == "cockpit-ci-report/1" and doc["store"] == "ok"
    assert doc["note"] is None
    assert doc["window"] == {"since": report.iso(SINCE), "until": report.iso(NOW + 1),
                             "seconds": WEEK, "label": "7d"}

    expected = expected_workflows()
    got = {(repo["repository"], wf["workflow"]): wf
           for repo in doc["repositories"] for wf in repo["workflows"]}
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        have, want = dict(got[key]), dict(want)
        assert have.pop("success_rate") == pytest.approx(want.pop("success_rate")), key
        assert have == want, key
    for ending in ("failures", "cancelled", "skipped"):  # the world has every kind of ending
        assert any(wf[ending] for wf in expected.values()), ending
    webhooks = {repo["repository"]: repo["last_webhook_at"] for repo in doc["repositories"]}
    assert webhooks == {repo: last_webhook(repo) for repo in webhooks}

    near = doc["near_timeout"]
    assert near["percent"] == 90
    assert [job["job_id"] for job in near["jobs"]] == [WORLD.near.job_id]
    assert near["jobs"][0]["duration_seconds"] == 570 and near["jobs"][0]["timeout_minutes"] == 10
    assert near["jobs"][0]["ratio"] == 0.95
    finished = [j for r in WORLD.runs for j in r.jobs
                if in_window(j.created) and j.status == "completed" and j.conclusion != "skipped"]
    assert near["judged"] == 2  # the near run's two jobs: the only file read
    assert near["unjudged"] == len(finished) - 2

    stuck = doc["stuck_jobs"]
    assert stuck["minutes"] == 30
    assert [(j["job_id"], j["queued_seconds"], j["runner_kind"]) for j in stuck["jobs"]] == [
        (WORLD.stuck.job_id, NOW - WORLD.stuck.created, "self-hosted")]

    assert [(a["rule"], a["scope"], a["summary"]) for a in doc["alerts"]] == [
        ("success-rate", "acme/widgets/CI", "success rate of acme/widgets/CI is 50% over 7d")]

    quiet = doc["quiet_repositories"]
    assert quiet["hours"] == 24
    gadget_runs = sum(1 for r in WORLD.runs if r.repo == API_ONLY and in_window(r.created))
    assert quiet["repositories"] == [
        {"repository": API_ONLY, "last_webhook_at": None, "runs": gadget_runs},
        {"repository": LEGACY, "last_webhook_at": last_webhook(LEGACY), "runs": 1}]

    text = report.markdown(doc)
    ci = expected[("acme/widgets", "CI")]
    judged = ci["successes"] + ci["failures"]
    assert (f"| CI | {ci['runs']} | {ci['success_rate'] * 100:.0f}% "
            f"({ci['successes']}/{judged}) |") in text
    assert "## acme/widgets" in text and "## acme/gadgets" in text
    assert "## Firing alerts (1)" in text and "**success-rate** on `acme/widgets/CI`" in text
    assert "## Jobs near their timeout (≥ 90%): 1" in text and "| 9m 30s | 10m |" in text
    assert "## Stuck jobs (queued over 30 min, no runner): 1" in text
    assert f"- {API_ONLY}: last webhook never, {gadget_runs} runs in the window" in text
    assert "queue-p90" not in text  # resolved: not firing


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["ci", "report", *args])
    return code, out.getvalue(), err.getvalue()


def test_the_cli_prints_the_same_document(sqlite_url: str, make_store: Callable[[str], Store]
                                          ) -> None:
    store = make_store(sqlite_url)
    seed(store)
    code, out, err = run_cli("--database", sqlite_url, "--since", "7d", "--format", "json")
    assert code == 0, err
    printed = json.loads(out)
    direct = report.gather(store, WEEK, now=NOW, database=store.display_url, label="7d")
    for key in ("repositories", "near_timeout", "alerts", "quiet_repositories"):
        assert printed[key] == direct[key], key
    assert [j["job_id"] for j in printed["stuck_jobs"]["jobs"]] == [WORLD.stuck.job_id]
    assert printed["window"]["label"] == "7d" and printed["window"]["seconds"] == WEEK

    code, out, _ = run_cli("--database", sqlite_url, "--since", "2w")
    assert code == 0 and out.startswith("# CI health, last 14d")
    assert "## acme/legacy" in out  # three days old: inside two weeks

    code, _, err = run_cli("--database", sqlite_url, "--since", "7")
    assert code == 2 and "--since" in err and "unit" in err


def test_an_empty_store_says_so_without_zeros(store_url: str,
                                              make_store: Callable[[str], Store]) -> None:
    make_store(store_url)  # migrated, holds nothing
    code, out, err = run_cli("--database", store_url, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["store"] == "empty" and "no workflow runs yet" in doc["note"]
    assert doc["repositories"] is None and doc["near_timeout"] is None
    assert doc["stuck_jobs"] is None and doc["quiet_repositories"] is None
    assert doc["alerts"] == []
    code, out, _ = run_cli("--database", store_url)
    assert code == 0
    assert "**No numbers:** the CI store" in out and "cockpit ci serve" in out
    assert "| Workflow |" not in out and "0%" not in out


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "events.sqlite3"
    code, out, err = run_cli("--database", f"sqlite:///{path}", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["store"] == "missing" and f"no CI store at {path}" in doc["note"]
    assert all(doc[key] is None for key in ("repositories", "near_timeout", "stuck_jobs",
                                            "alerts", "quiet_repositories"))
    assert not path.exists() and not path.parent.exists()


def test_an_unreachable_store_is_an_error(tmp_path: Path) -> None:
    code, out, err = run_cli("--database", "postgresql://nobody:hunter2@127.0.0.1:9/ci")
    assert code == 1 and not out
    assert "cannot be read" in err and "hunter2" not in err
