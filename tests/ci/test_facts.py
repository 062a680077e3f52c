"""The facts on both stores, against numbers computed here in plain Python.

One seeded world (two repositories, a few workflows and jobs over three days: successes,
failures, cancelled and skipped runs, runs still going, hosted and self-hosted jobs, jobs
near their timeout, a matrix job, jobs stuck in the queue, a webhook gap) is delivered in a
shuffled order through ``Store.ingest`` — the receiver's path — once per store. Every fact
is then checked against what the world says, computed from the world's own lists with
``sorted``/``math.ceil``, never from the store's rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cockpit.ci import facts
from cockpit.ci.store import Delivery, Store, open_store
from cockpit.ci.timeouts import INSERT_TIMEOUT, NO_JOBS
from tests.ci import payloads as p
from tests.ci.seed import Job, Run, at, job_deliveries, nearest_rank, run_deliveries

K = TypeVar("K")

DAY0 = int(datetime(2026, 11, 27, tzinfo=UTC).timestamp())  # midnight, epoch-day aligned
NOW = DAY0 + 3 * 86400 + 6 * 3600  # 06:00 on the fourth day
REPOS = ("acme/widgets", "acme/gadgets")
WORKFLOWS = {"CI": ".github/workflows/ci.yml", "Nightly": ".github/workflows/nightly.yml"}
JOBS = {"CI": ("build", "test (ubuntu, 3.12)", "lint"), "Nightly": ("soak",)}
TIMEOUTS = {"CI": {"build": 20, "test": 30}, "Nightly": {}}
"""timeout-minutes per workflow file: `test` is the matrix parent of `test (ubuntu, 3.12)`;
`lint` declares none (GitHub's 360); Nightly's file declares no jobs at all (NO_JOBS row)."""


@dataclass
class World:
    runs: list[Run]
    deliveries: list[Delivery]
    timeouts: list[dict[str, Any]]
    last_webhook: dict[str, int]

    @property
    def jobs(self) -> list[Job]:
        return [job for run in self.runs for job in run.jobs]


def build_world(seed: int = 13) -> World:
    rng = random.Random(seed)
    runs: list[Run] = []
    deliveries: list[Delivery] = []
    timeouts: list[dict[str, Any]] = []
    last_webhook: dict[str, int] = {}

    def received(repo: str, when: int, source: str = "webhook") -> datetime:
        if source == "webhook":
            last_webhook[repo] = max(last_webhook.get(repo, 0), when)
        return at(when)

    for repo in REPOS:
        for workflow, path in WORKFLOWS.items():
            for day in range(3):
                for n in range(rng.randint(4, 7)):
                    created = DAY0 + day * 86400 + rng.randint(0, 86399)
                    sha = p.sha(f"{repo}{workflow}{day}{n}")
                    run_id = p.next_id()
                    started = created + rng.randint(0, 20)
                    roll = rng.random()
                    if roll < 0.55:
                        conclusion: str | None = "success"
                    elif roll < 0.75:
                        conclusion = "failure"
                    elif roll < 0.85:
                        conclusion = "cancelled"
                    elif roll < 0.9:
                        conclusion = "skipped"
                    elif roll < 0.93:
                        conclusion = "timed_out"
                    else:
                        conclusion = None  # still running
                    status = "completed" if conclusion else "in_progress"
                    completed = started + rng.randint(60, 2400) if conclusion else None
                    if conclusion == "skipped":
                        completed = started
                    run = Run(repo, workflow, run_id, sha, created, started, completed, status,
                              conclusion)
                    runs.append(run)
                    for job_name in JOBS[workflow]:
                        run.jobs.append(_job(rng, run, job_name))
                    # Timeouts cached for most commits; one in five is not read yet.
                    if rng.random() < 0.8:
                        declared = TIMEOUTS[workflow] or {NO_JOBS: 360}
                        timeouts += [{"repository": repo, "head_sha": sha, "workflow_path": path,
                                      "job_name": name, "timeout_minutes": minutes}
                                     for name, minutes in declared.items()]
                    deliveries += run_deliveries(run, path, received)
                    for job in run.jobs:
                        deliveries += job_deliveries(job, received)
    # A job of a run whose workflow_run deliveries never came: its file is unknown.
    orphan = Job("acme/gadgets", "CI", "build", p.next_id(), p.next_id(), p.sha("orphan"),
                 DAY0 + 86400 + 100, DAY0 + 86400 + 160, DAY0 + 86400 + 1300, "completed",
                 "success", p.HOSTED_LABELS)
    runs.append(Run("acme/gadgets", "CI", orphan.run_id, orphan.sha, orphan.created,
                    orphan.created, None, "", None, [orphan]))
    deliveries += job_deliveries(orphan, received)
    # Gap repair stored an event for acme/widgets just now: not a webhook.
    deliveries.append(p.run_delivery("completed", repo="acme/widgets", run_id=runs[0].run_id,
                                     created_at=at(runs[0].created), source="api",
                                     received_at=at(NOW - 10), updated_at=at(runs[0].created)))
    rng.shuffle(deliveries)
    return World(runs, deliveries, timeouts, last_webhook)


def _job(rng: random.Random, run: Run, name: str) -> Job:
    job_id = p.next_id()
    labels = p.SELF_HOSTED_LABELS if rng.random() < 0.3 else p.HOSTED_LABELS
    created = run.created + rng.randint(1, 30)
    if run.created >= NOW - 86400 and rng.random() < 0.12:
        status = rng.choice(["queued", "waiting"])  # no runner (yet): stuck, maybe
        return run.job(name, job_id, created, None, None, status, None, labels)
    started = created + rng.choice([2, 5, 30, 90, 400, 900, 1500])
    base = {"build": 20, "test": 30}.get(name.split(" ")[0], 360)
    if rng.random() < 0.2:  # creeping toward the timeout, or past it
        duration = int(base * 60 * rng.choice([0.85, 0.9, 0.95, 1.0]))
    else:
        duration = rng.randint(30, 600)
    if rng.random() < 0.1:
        return run.job(name, job_id, created, started, None, "in_progress", None, labels)
    conclusion = rng.choice(["success"] * 6 + ["failure", "cancelled", "skipped"])
    completed = started + (0 if conclusion == "skipped" else duration)
    return run.job(name, job_id, created, started, completed, "completed", conclusion, labels)


WORLD = build_world()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Store]:
    """One store per backend holding ``WORLD`` (delivered once per module: ~1,000 ingests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('facts')) / 'events.sqlite3'}"
        drop: Callable[[], None] = lambda: None  # noqa: E731
    else:
        import psycopg

        server = request.getfixturevalue("pg_server")
        name = "cockpit_facts"
        with psycopg.connect(server.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = server.url(name)

        def drop() -> None:
            with psycopg.connect(server.url(), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    store = open_store(url)
    for delivery in WORLD.deliveries:
        store.ingest(delivery)
    store.executemany(INSERT_TIMEOUT, WORLD.timeouts)
    yield store
    store.close()
    drop()


WINDOW = facts.Window(DAY0 + 3600, DAY0 + 2 * 86400 + 7200)
"""Not day-aligned on purpose: the ends cut through days."""


def in_window(created: int, window: facts.Window = WINDOW) -> bool:
    return window.since <= created < window.until


def group(items: Iterable[Any], key: Callable[[Any], K]) -> dict[K, list[Any]]:
    out: dict[K, list[Any]] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return dict(out)


def expected_outcomes(items: Sequence[Run | Job]) -> facts.Outcomes:
    done = [item for item in items if item.status == "completed"]

    def n(conclusion: str) -> int:
        return sum(1 for item in done if item.conclusion == conclusion)

    return facts.Outcomes(total=len(items), completed=len(done), successes=n("success"),
                          failures=len(done) - n("success") - n("cancelled") - n("skipped"),
                          cancelled=n("cancelled"), skipped=n("skipped"))


def real_runs() -> list[Run]:
    return [run for run in WORLD.runs if run.status]  # not the orphan job's phantom run


def test_the_world_has_what_the_facts_are_about() -> None:
    jobs = WORLD.jobs
    assert {run.conclusion for run in real_runs()} >= {"success", "failure", "cancelled",
                                                        "skipped", "timed_out", None}
    assert {job.kind for job in jobs} == {"self-hosted", "github-hosted"}
    assert any(job.status in ("queued", "waiting") for job in jobs)
    assert sum(1 for run in real_runs() if in_window(run.created)) > 30


def test_runs_per_repository_and_workflow(seeded: Store) -> None:
    got = {(s.repository, s.workflow): s for s in facts.run_stats(seeded, WINDOW)}
    want = group((r for r in real_runs() if in_window(r.created)), lambda r: (r.repo, r.workflow))
    assert set(got) == set(want)
    for key, runs in want.items():
        stats = got[key]
        assert stats.outcomes == expected_outcomes(runs), key
        durations = [d for r in runs if (d := r.duration) is not None]
        assert (stats.duration_p50, stats.duration_p90, stats.duration_max) == (
            nearest_rank(durations, 0.5), nearest_rank(durations, 0.9), max(durations)), key
        judged = stats.outcomes.judged
        assert stats.success_rate == (stats.successes / judged if judged else None)
        assert stats.day is None and stats.runs == len(runs)


def test_runs_per_repository_per_day(seeded: Store) -> None:
    got = {(s.repository, s.day): s for s in facts.run_stats(seeded, WINDOW, by="repository",
                                                             per_day=True)}
    want = group((r for r in real_runs() if in_window(r.created)),
                 lambda r: (r.repo, r.created // 86400))
    assert set(got) == set(want) and len({day for _, day in want}) == 3  # cut by the window
    for key, runs in want.items():
        stats = got[key]
        assert stats.workflow is None
        assert stats.outcomes == expected_outcomes(runs), key
        durations = [d for r in runs if (d := r.duration) is not None]
        assert stats.duration_p90 == nearest_rank(durations, 0.9), key
        assert stats.date is not None and stats.date.toordinal() - 719163 == key[1]


def test_jobs_per_job_name_with_queue_time(seeded: Store) -> None:
    got = {(s.repository, s.workflow, s.job): s for s in facts.job_stats(seeded, WINDOW)}
    want = group((j for j in WORLD.jobs if in_window(j.created)),
                 lambda j: (j.repo, j.workflow, j.name))
    assert set(got) == set(want)
    for key, jobs in want.items():
        stats = got[key]
        assert stats.outcomes == expected_outcomes(jobs), key
        durations = [d for j in jobs if (d := j.duration) is not None]
        queues = [q for j in jobs if (q := j.queue) is not None]
        assert (stats.duration_p50, stats.duration_p90, stats.duration_max) == (
            nearest_rank(durations, 0.5), nearest_rank(durations, 0.9),
            max(durations, default=None)), key
        assert (stats.queued, stats.queue_p50, stats.queue_p90) == (
            len(queues), nearest_rank(queues, 0.5), nearest_rank(queues, 0.9)), key


def test_jobs_per_workflow_per_day(seeded: Store) -> None:
    got = {(s.repository, s.workflow, s.day): s
           for s in facts.job_stats(seeded, WINDOW, by="workflow", per_day=True)}
    want = group((j for j in WORLD.jobs if in_window(j.created)),
                 lambda j: (j.repo, j.workflow, j.created // 86400))
    assert set(got) == set(want)
    for key, jobs in want.items():
        queues = [q for j in jobs if (q := j.queue) is not None]
        assert got[key].jobs == len(jobs) and got[key].job is None
        assert got[key].queue_p50 == nearest_rank(queues, 0.5), key
        assert got[key].queue_p90 == nearest_rank(queues, 0.9), key


def test_hosted_and_self_hosted_apart(seeded: Store) -> None:
    splits = {(s.repository, s.workflow): s for s in facts.runner_split(seeded, WINDOW)}
    want = group((j for j in WORLD.jobs if in_window(j.created)), lambda j: (j.repo, j.workflow))
    assert set(splits) == set(want)
    for key, jobs in want.items():
        split = splits[key]
        for kind in ("self-hosted", "github-hosted"):
            mine = [j for j in jobs if j.kind == kind]
            queues = [q for j in mine if (q := j.queue) is not None]
            assert split.jobs(kind) == len(mine), (key, kind)
            assert split.queue_p90(kind) == nearest_rank(queues, 0.9), (key, kind)
        assert split.jobs("unknown") == 0


def expected_timeout(job: Job) -> int | None:
    """The job's limit as the cached rows say it (None: its file was not read)."""
    path = WORKFLOWS[job.workflow]
    rows: dict[str, int] = {t["job_name"]: t["timeout_minutes"] for t in WORLD.timeouts
            if (t["repository"], t["head_sha"], t["workflow_path"]) == (job.repo, job.sha, path)}
    run_known = any(run.run_id == job.run_id and run.status for run in WORLD.runs)
    if not rows or not run_known:
        return None
    if job.name in rows:
        return rows[job.name]
    parents = [m for name, m in rows.items() if name and job.name.startswith(name + " (")]
    return min(parents) if parents else 360


def test_jobs_near_their_timeout(seeded: Store) -> None:
    report = facts.near_timeout(seeded, WINDOW)
    finished = [j for j in WORLD.jobs if in_window(j.created) and j.duration is not None]
    judged = [(j, t) for j in finished if (t := expected_timeout(j)) is not None]
    near = sorted((j.repo, j.workflow, j.name, j.created, j.job_id, t) for j, t in judged
                  if j.duration is not None and j.duration >= 0.9 * t * 60)
    assert report.judged == len(judged) and report.unjudged == len(finished) - len(judged)
    assert report.unjudged > 0 and near  # both kinds of job are in the world
    got = sorted((j.repository, j.workflow, j.job, j.created_at, j.job_id, j.timeout_minutes)
                 for j in report.jobs)
    assert got == near
    assert {j.job for j in report.jobs} >= {"build", "test (ubuntu, 3.12)"}  # a matrix instance
    assert all(0.9 <= j.ratio <= 1.0 for j in report.jobs)
    # 95 %: a subset.
    assert {j.job_id for j in facts.near_timeout(seeded, WINDOW, percent=95).jobs} == {
        j.job_id for j, t in judged if j.duration is not None and j.duration >= 0.95 * t * 60}


def test_jobs_stuck_in_the_queue(seeded: Store) -> None:
    for minutes in (5, 120):
        got = facts.stuck_jobs(seeded, NOW, minutes)
        want = sorted((j.created, j.job_id) for j in WORLD.jobs
                      if j.status in ("queued", "waiting") and j.started is None
                      and NOW - 86400 <= j.created < NOW - minutes * 60)
        assert [(s.created_at, s.job_id) for s in got] == want
        assert want, "the world has stuck jobs"
        for stuck in got:
            assert stuck.queued_seconds == NOW - stuck.created_at >= minutes * 60
            assert stuck.status in ("queued", "waiting")
            assert stuck.labels and stuck.runner_kind in ("self-hosted", "github-hosted")
    only = facts.stuck_jobs(seeded, NOW, 5, repository="acme/gadgets", workflow="CI")
    assert only and {(s.repository, s.workflow) for s in only} == {("acme/gadgets", "CI")}


def test_last_webhook_per_repository(seeded: Store) -> None:
    got = {a.repository: a for a in facts.last_events(seeded, WINDOW)}
    assert set(got) == set(REPOS)
    for repo in REPOS:
        runs = [r for r in real_runs() if r.repo == repo and in_window(r.created)]
        assert got[repo].runs == len(runs)
        # The API event received at NOW - 10 is not a webhook: the last one is the world's.
        assert got[repo].last_received == pytest.approx(WORLD.last_webhook[repo], abs=1e-3)


def test_filters_narrow_to_one_repository_and_workflow(seeded: Store) -> None:
    window = facts.Window(WINDOW.since, WINDOW.until, "acme/widgets", "Nightly")
    runs = facts.run_stats(seeded, window)
    assert [(s.repository, s.workflow) for s in runs] == [("acme/widgets", "Nightly")]
    want = [r for r in real_runs() if (r.repo, r.workflow) == ("acme/widgets", "Nightly")
            and in_window(r.created)]
    assert runs[0].outcomes == expected_outcomes(want)
    assert {(s.repository, s.workflow) for s in facts.job_stats(seeded, window)} == {
        ("acme/widgets", "Nightly")}
    assert all(j.repository == "acme/widgets" and j.workflow == "Nightly"
               for j in facts.near_timeout(seeded, window).jobs)
    assert [a.repository for a in facts.last_events(seeded, window)] == ["acme/widgets"]


def test_window_edges_and_an_empty_window(seeded: Store) -> None:
    first = min(real_runs(), key=lambda r: r.created)
    edge = facts.Window(first.created, first.created + 1, first.repo, first.workflow)
    assert [s.runs for s in facts.run_stats(seeded, edge)] == [1]  # since is included
    before = facts.Window(first.created - 100, first.created, first.repo, first.workflow)
    assert facts.run_stats(seeded, before) == []  # until is not
    empty = facts.Window(NOW + 86400, NOW + 2 * 86400)
    assert facts.run_stats(seeded, empty) == [] and facts.job_stats(seeded, empty) == []
    report = facts.near_timeout(seeded, empty)
    assert (report.judged, report.unjudged, report.jobs) == (0, 0, ())


def test_window_helpers() -> None:
    window = facts.Window.last(7 * 86400, NOW)
    assert window.until - window.since == 7 * 86400 and window.since <= NOW < window.until
    assert window.before().until == window.since
    assert window.before().until - window.before().since == 7 * 86400
    assert nearest_rank([5, 1, 3, 2, 4], 0.9) == 5 and nearest_rank([1, 2], 0.5) == 1
