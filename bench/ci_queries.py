"""A year of a busy organization in the CI store: each facts query over 30 days, store size.

Generates 1M GitHub-shaped ``workflow_run`` / ``workflow_job`` deliveries (the payloads the
tests use, ``tests/ci/payloads.py``: ~5 KB a job event, ~10 KB a run event) for ~20
repositories x 15 workflows over 365 days — three events per run (requested, in_progress,
completed) and per job (queued, in_progress, completed), hosted and self-hosted runners,
log-normal durations and queue times with spikes, a few jobs creeping toward their
timeout — plus the ``workflow_timeouts`` rows gap repair would cache. They are loaded into
an SQLite file and a throwaway PostgreSQL (initdb + pg_ctl in a temporary directory, the
distribution's defaults — fsync on — unless ``--pg-url`` names an empty database).

Loading is bulk (big transactions; ``COPY`` for PostgreSQL's raw ``events``), but every row
comes from the ingest code: ``cockpit.ci.index.event_row`` for the raw row and the index's
``RUN_UPSERT`` / ``JOB_UPSERT`` applied to every delivery in order, so the tables are what
``cockpit ci serve`` would have stored. Then each query of ``cockpit.ci.facts`` (and one
evaluation of the default alert rules) is timed over the last 30 days: median of 5 after a
warm-up. Sizes: the SQLite file (after a WAL checkpoint) and ``pg_total_relation_size`` of
the tables, per million events.

    .venv/bin/python bench/ci_queries.py [--events 1000000] [--markdown] [--quick]
                                         [--pg-url postgresql://…] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.ci import facts
from cockpit.ci.alerts import evaluate, load_rules
from cockpit.ci.index import JOB_UPSERT, RUN_UPSERT, event_row, job_row, run_row
from cockpit.ci.store import Delivery, Store, open_store
from cockpit.ci.timeouts import INSERT_TIMEOUT
from tests.ci import payloads as p

DAY = 86400
END = datetime(2026, 11, 1, tzinfo=UTC)
"""The year ends here (the 30-day window is the 30 days before it)."""
WORKFLOWS = (
    ("CI", 6, "hosted"), ("Lint", 2, "hosted"), ("Docs", 1, "hosted"),
    ("Release", 3, "hosted"), ("Nightly", 4, "self"), ("E2E", 5, "self"),
    ("Benchmarks", 2, "self"), ("CodeQL", 1, "hosted"), ("Dependabot", 1, "hosted"),
    ("Interop", 6, "mixed"), ("Fuzz", 2, "self"), ("Sharness", 8, "hosted"),
    ("Windows", 4, "hosted"), ("Docker", 3, "mixed"), ("Gateway", 4, "mixed"),
)
"""(name, jobs per run, runners): ~3.5 jobs a run on average."""
TIMEOUTS = (10, 15, 20, 30, 60, 360)
@dataclass
class Plan:
    """The generated year, as counts (the deliveries themselves are streamed)."""

    events: int = 0
    runs: int = 0
    jobs: int = 0
    timeouts: int = 0
    payload_bytes: int = 0
    generate_s: float = 0.0
    load_s: dict[str, float] = field(default_factory=dict)


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def repositories(n: int) -> list[tuple[str, float]]:
    """``bench-org/repo-NN`` with Zipf-like weights: a few busy ones, a long tail."""
    return [(f"bench-org/repo-{i:02d}", 1 / (i + 1) ** 0.8) for i in range(n)]


def generate(target_events: int, seed: int, plan: Plan, batch_runs: int = 2000
             ) -> Iterator[tuple[list[Delivery], list[dict[str, Any]]]]:
    """Batches of (deliveries in time order, timeouts rows) totalling ~``target_events``."""
    rng = random.Random(seed)
    repos = repositories(20)
    weights = [w for _, w in repos]
    per_run = 3 * (1 + sum(jobs for _, jobs, _ in WORKFLOWS) / len(WORKFLOWS))
    total_runs = max(1, round(target_events / per_run))
    start = END - timedelta(days=365)
    # Run creation times over the year, weekdays busier, in order.
    times: list[float] = []
    while len(times) < total_runs:
        t = start.timestamp() + rng.random() * 365 * DAY
        weekday = datetime.fromtimestamp(t, UTC).weekday()
        if weekday < 5 or rng.random() < 0.35:
            times.append(t)
    times.sort()
    spike_days = {rng.randrange(365) for _ in range(12)}  # self-hosted queue spikes
    creeping = {(repos[i][0], "E2E") for i in range(0, 20, 4)}  # jobs creeping to a timeout
    shas: dict[tuple[str, int], list[str]] = {}
    cached: set[tuple[str, str, str]] = set()
    for offset in range(0, len(times), batch_runs):
        began = time.perf_counter()
        deliveries: list[Delivery] = []
        timeouts: list[dict[str, Any]] = []
        for created in times[offset:offset + batch_runs]:
            repo = rng.choices(repos, weights)[0][0]
            name, job_count, runners = WORKFLOWS[rng.randrange(len(WORKFLOWS))]
            day = int((created - start.timestamp()) // DAY)
            commits = shas.setdefault((repo, day), [p.sha(f"{repo}{day}{n}") for n in range(4)])
            sha = rng.choice(commits)
            path = f".github/workflows/{name.lower()}.yml"
            limits = {f"job-{j}": TIMEOUTS[zlib.crc32(f"{repo}{name}{j}".encode()) % len(TIMEOUTS)]
                      for j in range(job_count)}
            if (repo, sha, path) not in cached and rng.random() < 0.9:
                cached.add((repo, sha, path))
                timeouts += [{"repository": repo, "head_sha": sha, "workflow_path": path,
                              "job_name": job, "timeout_minutes": minutes}
                             for job, minutes in limits.items()]
            deliveries += run_deliveries(rng, created, repo, name, path, sha, job_count,
                                         runners, limits, day in spike_days,
                                         (repo, name) in creeping, day / 365, plan)
        plan.generate_s += time.perf_counter() - began
        plan.timeouts += len(timeouts)
        yield deliveries, timeouts


def run_deliveries(rng: random.Random, created: float, repo: str, workflow: str, path: str,
                   sha: str, job_count: int, runners: str, limits: dict[str, int], spike: bool,
                   creeping: bool, progress: float, plan: Plan) -> list[Delivery]:
    run_id = p.next_id()
    roll = rng.random()
    conclusion = ("success" if roll < 0.85 else "failure" if roll < 0.95 else
                  "cancelled" if roll < 0.99 else "skipped")
    jobs: list[tuple[float, float | None, float, str, tuple[str, ...], str]] = []
    for j in range(job_count):
        job_created = created + rng.uniform(1, 4)
        self_hosted = runners == "self" or (runners == "mixed" and j % 2 == 1)
        labels = p.SELF_HOSTED_LABELS if self_hosted else p.HOSTED_LABELS
        if self_hosted:
            queue = lognormal(rng, 30, 1.0) + (rng.uniform(600, 3600) if spike else 0)
        else:
            queue = lognormal(rng, 8, 0.8)
        limit = limits[f"job-{j}"] * 60
        if creeping and j == 0:  # creeps from half its limit to the limit over the year
            duration = min(limit * (0.5 + 0.5 * progress) * rng.uniform(0.9, 1.05), limit)
        else:
            duration = min(lognormal(rng, 240, 0.9), limit)
        job_conclusion = conclusion if conclusion != "failure" or j == 0 else "success"
        jobs.append((job_created, job_created + queue, duration, job_conclusion, labels,
                     f"job-{j}"))
    finished = max(started + duration for _, started, duration, *_ in jobs if started) + 5
    common: dict[str, Any] = {"run_id": run_id, "repo": repo, "workflow_name": workflow, "path": path,
              "head_sha": sha, "created_at": at(created), "run_started_at": at(created)}
    out = [
        delivery("workflow_run", p.workflow_run("requested", **common), created + 0.3, plan),
        delivery("workflow_run", p.workflow_run("in_progress", **common), created + 1.3, plan),
        delivery("workflow_run", p.workflow_run("completed", **common, conclusion=conclusion,
                                                updated_at=at(finished)), finished + 0.3, plan),
    ]
    for job_created, started, duration, job_conclusion, labels, job_name in jobs:
        assert started is not None
        job: dict[str, Any] = {"job_id": p.next_id(), "run_id": run_id, "repo": repo,
               "workflow_name": workflow, "name": job_name, "head_sha": sha, "labels": labels,
               "created_at": at(job_created)}
        done = started + duration
        out += [
            delivery("workflow_job", p.workflow_job("queued", **job), job_created + 0.3, plan),
            delivery("workflow_job", p.workflow_job("in_progress", **job, started_at=at(started)),
                     started + 0.3, plan),
            delivery("workflow_job", p.workflow_job("completed", **job, started_at=at(started),
                                                    completed_at=at(done),
                                                    conclusion=job_conclusion), done + 0.3, plan),
        ]
    plan.runs += 1
    plan.jobs += len(jobs)
    return out


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def delivery(event: str, payload: dict[str, Any], received: float, plan: Plan) -> Delivery:
    plan.events += 1
    return Delivery(delivery_id=uuid.UUID(int=random.getrandbits(128), version=4), event=event,
                    payload=payload, received_at=at(received))


# -- loading -----------------------------------------------------------------------------------


class Loader:
    """Bulk-writes deliveries the way ingest would have indexed them."""

    def __init__(self, store: Store, url: str) -> None:
        self.store = store
        self.url = url
        self.seconds = 0.0

    def load(self, deliveries: list[Delivery], timeouts: list[dict[str, Any]],
             events: list[dict[str, Any]]) -> None:
        began = time.perf_counter()
        self.write_events(events)
        runs = [row for d in deliveries if (row := run_row(d)) is not None]
        jobs = [row for d in deliveries if (row := job_row(d)) is not None]
        self.store.executemany(RUN_UPSERT, runs)
        self.store.executemany(JOB_UPSERT, jobs)
        if timeouts:
            self.store.executemany(INSERT_TIMEOUT, timeouts)
        self.seconds += time.perf_counter() - began

    def write_events(self, events: list[dict[str, Any]]) -> None:
        from cockpit.ci.index import INSERT_EVENT

        self.store.executemany(INSERT_EVENT, events)

    def finish(self) -> None:
        return None


class PostgresLoader(Loader):
    """``COPY`` for the raw rows (the same values ``event_row`` gives ingest)."""

    def __init__(self, store: Store, url: str) -> None:
        import psycopg

        super().__init__(store, url)
        self.conn = psycopg.connect(url, autocommit=True)

    def write_events(self, events: list[dict[str, Any]]) -> None:
        columns = ("delivery_id", "event", "action", "organization", "repository", "received_at",
                   "source", "payload")
        with self.conn.transaction(), self.conn.cursor() as cursor, cursor.copy(
                f"COPY events ({', '.join(columns)}) FROM STDIN") as copy:
            for row in events:
                copy.write_row(tuple(row[c] for c in columns))

    def finish(self) -> None:
        self.conn.close()


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Query:
    label: str
    run: Callable[[Store], Any]


def queries(now: float) -> list[Query]:
    window = facts.Window.last(30 * DAY, now)
    one_repo = facts.Window(window.since, window.until, "bench-org/repo-00")
    rules = load_rules(None)
    return [
        Query("runs per repository/workflow", lambda s: facts.run_stats(s, window)),
        Query("runs per repository per day",
              lambda s: facts.run_stats(s, window, by="repository", per_day=True)),
        Query("runs per workflow per day, one repository",
              lambda s: facts.run_stats(s, one_repo, per_day=True)),
        Query("jobs per job (duration, queue)", lambda s: facts.job_stats(s, window)),
        Query("jobs per workflow per day", lambda s: facts.job_stats(s, window, by="workflow",
                                                                    per_day=True)),
        Query("runner kinds (hosted vs self-hosted)", lambda s: facts.runner_split(s, window)),
        Query("jobs near their timeout", lambda s: facts.near_timeout(s, window)),
        Query("jobs stuck in queue > 30 min", lambda s: facts.stuck_jobs(s, now, 30)),
        Query("last webhook per repository", lambda s: facts.last_events(s, window)),
        Query("all default alert rules (evaluate)",
              lambda s: evaluate(s, rules, now, web_url="https://github.com")),
    ]


def size(result: Any) -> int:
    if isinstance(result, facts.NearTimeout):
        return len(result.jobs)
    if hasattr(result, "fired"):
        return len(result.fired)  # on the warm-up: the alerts this year fires
    return len(result)


def time_queries(store: Store, now: float, repeat: int) -> dict[str, tuple[float, int]]:
    store.execute("DELETE FROM alerts")  # each pass fires the year's alerts afresh
    out: dict[str, tuple[float, int]] = {}
    for query in queries(now):
        result = query.run(store)  # warm-up
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            query.run(store)
            samples.append(time.perf_counter() - began)
        out[query.label] = (statistics.median(samples), size(result))
    return out


def sqlite_size(path: Path, store: Store) -> int:
    store.query("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))


def pg_sizes(store: Store) -> dict[str, int]:
    rows = store.query(
        "SELECT relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c "
        "WHERE relname IN ('events', 'workflow_runs', 'workflow_jobs', 'workflow_timeouts', "
        "'alerts') AND relkind = 'r'")
    return {row["name"]: int(row["bytes"]) for row in rows}


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ci_receiver import throwaway_postgres  # the receiver bench's throwaway server

    with throwaway_postgres() as server:
        yield server.url()


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument("--pg-url", help="an empty PostgreSQL database to use instead of a "
                                         "throwaway server")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--keep", metavar="DIR", help="keep the SQLite file in DIR")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true", help="100k events")
    args = parser.parse_args()
    target = 100_000 if args.quick else args.events
    random.seed(args.seed)
    plan = Plan()
    now = END.timestamp()

    with contextlib.ExitStack() as stack:
        workdir = Path(args.keep) if args.keep else Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="cockpit-bench-ci-")))
        workdir.mkdir(parents=True, exist_ok=True)
        sqlite_path = workdir / "events.sqlite3"
        sqlite_path.unlink(missing_ok=True)
        stores: dict[str, tuple[Store, Loader]] = {}
        sqlite = open_store(f"sqlite:///{sqlite_path}")
        stack.callback(sqlite.close)
        stores["SQLite"] = (sqlite, Loader(sqlite, ""))
        if not args.no_postgres:
            pg_url = stack.enter_context(postgres(args.pg_url))
            pg = open_store(pg_url)
            stack.callback(pg.close)
            pg_loader = PostgresLoader(pg, pg_url)
            stack.callback(pg_loader.finish)
            stores["PostgreSQL"] = (pg, pg_loader)

        for deliveries, timeouts in generate(target, args.seed, plan):
            began = time.perf_counter()
            events = [event_row(d) for d in deliveries]
            plan.payload_bytes += sum(len(e["payload"]) for e in events)
            plan.generate_s += time.perf_counter() - began
            for _name, (_store, loader) in stores.items():
                loader.load(deliveries, timeouts, events)
            print(f"loaded {plan.events:,} events", file=sys.stderr, end="\r")
        print(file=sys.stderr)

        results: dict[str, dict[str, tuple[float, int]]] = {}
        sizes: dict[str, str] = {}
        for name, (_store, loader) in stores.items():
            plan.load_s[name] = loader.seconds
        if "PostgreSQL" in stores:
            # What autovacuum would do after such a load, done now so that it does not run
            # under the timings (on 2 cores it would skew both stores' numbers).
            pg = stores["PostgreSQL"][0]
            began = time.perf_counter()
            pg.execute("VACUUM ANALYZE")
            pg.execute("CHECKPOINT")
            plan.load_s["PostgreSQL after the load: VACUUM ANALYZE, CHECKPOINT"] = (
                time.perf_counter() - began)
        for name, (store, _loader) in stores.items():
            results[name] = time_queries(store, now, args.repeat)
            if name == "SQLite":
                total = sqlite_size(sqlite_path, store)
                sizes[name] = f"{mb(total)} file; {mb(total / plan.events * 1e6)} per 1M events"
            else:
                by_table = pg_sizes(store)
                total = sum(by_table.values())
                tables = ", ".join(f"{k} {mb(v)}" for k, v in sorted(by_table.items()))
                sizes[name] = (f"{mb(total)} in all ({tables}); "
                               f"{mb(total / plan.events * 1e6)} per 1M events")

    names = list(results)
    lines = []
    if args.markdown:
        lines.append("### ci_queries\n")
    lines.append(
        f"A year of a busy organization: {plan.events:,} events ({plan.runs:,} runs, "
        f"{plan.jobs:,} jobs, 20 repositories x 15 workflows, 365 days; "
        f"{mb(plan.payload_bytes)} of JSON payloads), {plan.timeouts:,} cached job timeouts. "
        f"Each query over the last 30 days (all repositories unless said), median of "
        f"{args.repeat} after a warm-up; rows returned in brackets (for the rules: alerts "
        "fired). SQLite as the store leaves it (never ANALYZEd); PostgreSQL after VACUUM "
        "ANALYZE. The schema's indexes are those of the store's migrations (version 2 added "
        "created_at on workflow_runs and workflow_jobs, after this bench measured them).\n")
    lines.append("| query | " + " | ".join(f"{n} ms" for n in names) + " |")
    lines.append("| --- | " + " | ".join("---:" for _ in names) + " |")
    for query in results[names[0]]:
        cells = [f"{results[n][query][0] * 1e3:.1f} ({results[n][query][1]})" for n in names]
        lines.append(f"| {query} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"- generating the payloads: {plan.generate_s:.1f} s (not in the load times)")
    for name, seconds in plan.load_s.items():
        if name in stores:
            lines.append(f"- load, {name}: {seconds:.1f} s, {plan.events / seconds:,.0f} events/s")
        else:
            lines.append(f"- {name}: {seconds:.1f} s")
    for name, text in sizes.items():
        lines.append(f"- size, {name}: {text}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
