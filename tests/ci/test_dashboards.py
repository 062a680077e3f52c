"""The Grafana dashboards under dashboards/: their shape, and every query they run, executed.

A dashboard's SQL is only checked when a Grafana shows it, and a wrong number on a graph looks
as plausible as a right one. So here every panel's SQL (and the variables' and the annotation's)
runs against a real PostgreSQL holding deliveries ingested through the cockpit's own store,
as the read-only role dashboards/README.md tells people to create, and each result is compared
with numbers computed below in plain Python from the seeded plan — not from the database.

Grafana's part is emulated by ``expand``: first the template variables as Grafana's SQL data
sources format them (a multi-value or All variable becomes ``'a','b'``, a quote doubled), then
the PostgreSQL macros the panels use, as Grafana's backend writes them. Anything still holding a
``$`` afterwards fails: a macro this file does not know is a panel nobody checked.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
import pytest
import yaml

from cockpit.ci.store import Delivery, Store, open_store
from tests.ci import payloads as gh

if TYPE_CHECKING:
    from tests.ci.conftest import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
DASHBOARD_JSON = DASHBOARDS / "json" / "cockpit-ci.json"
DATASOURCE_YAML = DASHBOARDS / "provisioning" / "datasources" / "cockpit-ci.yaml"
PROVIDER_YAML = DASHBOARDS / "provisioning" / "dashboards" / "cockpit.yaml"
README = DASHBOARDS / "README.md"

DAY = 86400
WIDGETS, GADGETS = "acme/widgets", "acme/gadgets"
LINT = "Bob's lint"
"""A workflow name with a quote: the variable expansion must escape it."""
READER = "grafana_ci"
"""The read-only role of dashboards/README.md."""


def load_dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD_JSON.read_text())
    return data


def panel_queries(dashboard: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Every SQL text the dashboard runs: name -> (format, SQL)."""
    queries: dict[str, tuple[str, str]] = {}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            queries[panel["title"]] = (target.get("format", "table"), target["rawSql"])
    for variable in dashboard["templating"]["list"]:
        queries[f"variable {variable['name']}"] = ("table", variable["query"])
    for annotation in dashboard["annotations"]["list"]:
        if "target" in annotation:
            queries[f"annotation {annotation['name']}"] = ("table", annotation["target"]["rawSql"])
    return queries


# -- Grafana's expansion, emulated ---------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")
_MACRO = re.compile(r"\$(__\w+)\(([^)]*)\)")


def _literal(value: str) -> str:
    """Grafana's SQL ``quoteLiteral``: single quotes around, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"


def _rfc3339(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expand(sql: str, *, start: int, end: int, variables: Mapping[str, Sequence[str]]) -> str:
    """``sql`` as Grafana sends it to PostgreSQL for the range [start, end] (epoch seconds).

    Variables are multi-value (a multi/All variable's values, each quoted, comma-separated),
    then the backend's macros; an unknown name or a ``$`` left over is a failure."""

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        fmt = match.group(2)
        if name.startswith("__"):
            return match.group(0)  # a macro: the backend's turn
        assert name in variables, f"the SQL uses ${name}, which the test does not set"
        assert fmt in (None, "singlequote", "sqlstring"), f"unemulated format ${{{name}:{fmt}}}"
        return ",".join(_literal(value) for value in variables[name])

    def macro(match: re.Match[str]) -> str:
        name = match.group(1)
        args = [arg.strip() for arg in match.group(2).split(",")] if match.group(2).strip() else []
        if name == "__unixEpochFilter":
            (column,) = args
            return f"{column} >= {start} AND {column} <= {end}"
        if name == "__timeFilter":
            (column,) = args
            return f"{column} BETWEEN '{_rfc3339(start)}' AND '{_rfc3339(end)}'"
        if name in ("__unixEpochFrom", "__unixEpochTo"):
            assert not args
            return str(start if name == "__unixEpochFrom" else end)
        if name in ("__timeFrom", "__timeTo"):
            assert not args
            return f"'{_rfc3339(start if name == '__timeFrom' else end)}'"
        raise AssertionError(f"the SQL uses the macro ${name}(), which the test does not emulate")

    out = _MACRO.sub(macro, _VARIABLE.sub(variable, sql))
    assert "$" not in out, f"unexpanded $ in:\n{out}"
    return out


def test_expand_writes_what_grafana_sends() -> None:
    sql = ("SELECT 1 FROM t WHERE $__unixEpochFilter(t.c) AND r IN ($repository) "
           "AND w IN (${workflow}) AND $__timeFilter(e.at) AND x < $__unixEpochTo()")
    out = expand(sql, start=1_700_000_000, end=1_700_086_400,
                 variables={"repository": ["a/b", "c/d"], "workflow": [LINT]})
    assert out == ("SELECT 1 FROM t WHERE t.c >= 1700000000 AND t.c <= 1700086400 AND r IN "
                   "('a/b','c/d') AND w IN ('Bob''s lint') AND e.at BETWEEN "
                   "'2023-11-14T22:13:20Z' AND '2023-11-15T22:13:20Z' AND x < 1700086400")
    with pytest.raises(AssertionError, match="does not set"):
        expand("SELECT $runner", start=0, end=1, variables={})
    with pytest.raises(AssertionError, match="does not emulate"):
        expand("SELECT $__timeGroup(x, '1d')", start=0, end=1, variables={})


# -- the provisioning files ---------------------------------------------------------------------


def test_every_panel_reads_the_provisioned_data_source() -> None:
    dashboard = load_dashboard()
    assert dashboard["uid"] == "cockpit-ci"
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert dashboard["time"] == {"from": "now-30d", "to": "now"}
    assert dashboard.get("id") is None, "a provisioned dashboard carries no database id"
    source = yaml.safe_load(DATASOURCE_YAML.read_text())["datasources"][0]
    ref = {"type": source["type"], "uid": source["uid"]}
    assert ref == {"type": "grafana-postgresql-datasource", "uid": "cockpit-ci"}

    ids: list[int] = []
    occupied: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        ids.append(panel["id"])
        assert panel["datasource"] == ref, where
        assert panel["targets"] and all(t["datasource"] == ref for t in panel["targets"]), where
        assert all(t["rawQuery"] and t["editorMode"] == "code" for t in panel["targets"]), where
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"]), where
        grid = panel["gridPos"]
        assert set(grid) == {"x", "y", "w", "h"} and all(isinstance(v, int) for v in grid.values())
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & occupied, f"{where} overlaps another panel"
        occupied |= cells
        assert panel.get("description"), f"{where} says nothing about what it shows"
    assert len(ids) == len(set(ids)), f"panel ids repeat: {sorted(ids)}"

    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == {"repository", "workflow"}
    for variable in variables.values():
        assert variable["type"] == "query" and variable["datasource"] == ref
        assert variable["multi"] is True and variable["includeAll"] is True
        assert "FROM workflow_runs" in variable["query"]
        assert variable["definition"] == variable["query"]
    for annotation in dashboard["annotations"]["list"]:
        if "target" in annotation:
            assert annotation["datasource"] == ref == annotation["target"]["datasource"]


def test_the_provisioning_files_point_at_each_other_and_hold_no_secret() -> None:
    source_file = yaml.safe_load(DATASOURCE_YAML.read_text())
    assert source_file["apiVersion"] == 1
    (source,) = source_file["datasources"]
    env = re.compile(r"^\$\{COCKPIT_CI_PG_[A-Z]+\}$")
    settings = {"url": source["url"], "user": source["user"],
                "database": source["jsonData"]["database"],
                "sslmode": source["jsonData"]["sslmode"],
                "password": source["secureJsonData"]["password"]}
    for name, value in settings.items():
        assert env.match(value), f"{name} is {value!r}, not an environment variable"
    assert "password" not in source and "password" not in source["jsonData"]

    provider_file = yaml.safe_load(PROVIDER_YAML.read_text())
    assert provider_file["apiVersion"] == 1
    (provider,) = provider_file["providers"]
    assert provider["type"] == "file"
    path = provider["options"]["path"]
    readme = README.read_text()
    # The README's container mounts the JSON folder where the provider looks, and the
    # provisioning folder where Grafana reads it; and it names every variable the file reads.
    assert f'"$PWD/dashboards/json:{path}:ro"' in readme
    assert '"$PWD/dashboards/provisioning:/etc/grafana/provisioning:ro"' in readme
    for value in settings.values():
        name = value.strip("${}")
        assert f"-e {name}" in readme and f"`{name}`" in readme, name
    # The dashboards name the data source by the uid the data source file gives it.
    assert source["uid"] in {p["datasource"]["uid"] for p in load_dashboard()["panels"]}


def test_every_query_has_a_check_here() -> None:
    dashboard = load_dashboard()
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert len(titles) == len(set(titles)), "panel titles repeat"
    assert set(panel_queries(dashboard)) == set(CHECKS)


def test_the_readme_describes_every_panel() -> None:
    rows = {line.split("|")[1].strip() for line in README.read_text().splitlines()
            if line.startswith("| ")}
    missing = [p["title"] for p in load_dashboard()["panels"] if p["title"] not in rows]
    assert not missing, f"dashboards/README.md's panel table lacks {missing}"


# -- the seeded world ---------------------------------------------------------------------------


@dataclass
class Job:
    job_id: int
    run: Run
    name: str
    labels: tuple[str, ...]
    status: str
    created: int
    started: int | None = None
    completed: int | None = None
    conclusion: str | None = None

    @property
    def kind(self) -> str:
        return "self-hosted" if any(x.lower() == "self-hosted" for x in self.labels) \
            else "github-hosted"


@dataclass
class Run:
    run_id: int
    repo: str
    workflow: str
    path: str
    head_sha: str
    status: str
    created: int
    started: int | None = None
    completed: int | None = None
    conclusion: str | None = None
    jobs: list[Job] = field(default_factory=list)


@dataclass
class Seeded:
    url: str
    now: int
    start: int
    end: int
    runs: list[Run]
    timeouts: dict[tuple[str, str, str, str], int]
    alerts: list[dict[str, Any]]
    deliveries: list[Delivery]

    def jobs(self) -> list[Job]:
        return [job for run in self.runs for job in run.jobs]


def nearest_rank(values: Sequence[int], percent: int) -> int | None:
    """The smallest value whose rank is at least ceil(p * n): computed exactly, in fractions."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(Fraction(percent, 100) * len(ordered)) - 1]


def _plan(now: int) -> tuple[list[Run], dict[tuple[str, str, str, str], int]]:
    """Runs over three past UTC days (and one long ago), with jobs on both runner kinds; the
    near-timeout jobs and the stuck ones are placed by hand."""
    rng = random.Random(1414)
    today = now // DAY * DAY
    runs: list[Run] = []
    timeouts: dict[tuple[str, str, str, str], int] = {}
    paths = {"CI": ".github/workflows/ci.yml", LINT: ".github/workflows/lint.yml"}

    def run(repo: str, workflow: str, created: int, *, conclusion: str = "success",
            status: str = "completed", duration: int | None = None) -> Run:
        run_id = gh.next_id()
        started = created + rng.randint(2, 40)
        the_run = Run(run_id=run_id, repo=repo, workflow=workflow, path=paths[workflow],
                      head_sha=gh.sha(f"{repo}#{run_id}"), status=status, created=created,
                      started=started)
        if status == "completed":
            the_run.completed = started + (duration or rng.randint(60, 1800))
            the_run.conclusion = conclusion
        runs.append(the_run)
        return the_run

    def job(the_run: Run, name: str, labels: tuple[str, ...], *, queue: int | None = None,
            duration: int | None = None, status: str = "completed",
            conclusion: str | None = None, created: int | None = None) -> Job:
        created = the_run.created + rng.randint(1, 20) if created is None else created
        the_job = Job(job_id=gh.next_id(), run=the_run, name=name, labels=labels,
                      status=status, created=created)
        if status in ("in_progress", "completed"):
            the_job.started = created + (queue if queue is not None else rng.randint(3, 900))
        if status == "completed":
            assert the_job.started is not None
            the_job.completed = the_job.started + (duration or rng.randint(30, 1500))
            the_job.conclusion = conclusion or the_run.conclusion or "success"
        the_run.jobs.append(the_job)
        return the_job

    hosted, self_hosted = gh.HOSTED_LABELS, gh.SELF_HOSTED_LABELS
    outcomes = ["success"] * 7 + ["failure", "failure", "cancelled", "timed_out", "skipped"]
    for days_ago, count in ((3, 12), (2, 10), (1, 7)):
        day = today - days_ago * DAY
        for repo, workflow, scale in ((WIDGETS, "CI", 1.0), (GADGETS, "CI", 0.5),
                                      (WIDGETS, LINT, 0.4)):
            for _ in range(max(2, int(count * scale))):
                the_run = run(repo, workflow, day + rng.randint(3600, 20 * 3600),
                              conclusion=rng.choice(outcomes))
                job(the_run, "build", hosted)
                if workflow == "CI":
                    job(the_run, "test", self_hosted if repo == GADGETS else hosted)

    # Jobs near their timeout (timeouts read from the workflow file at the run's commit):
    # 19 of 20 minutes and exactly 18 of 20 (90 %) are near; 10 of 20 and 26 of 30 are not.
    # Every other run's file was not read: its jobs are not judged.
    creep = run(WIDGETS, "CI", today - 2 * DAY + 21 * 3600, conclusion="success",
                duration=1500)
    near = [job(creep, "test", hosted, duration=19 * 60), job(creep, "e2e", self_hosted,
                                                               duration=18 * 60)]
    far = [job(creep, "build", hosted, duration=10 * 60), job(creep, "docs", hosted,
                                                              duration=26 * 60)]
    for the_job, minutes in zip([*near, *far], (20, 20, 20, 30), strict=True):
        timeouts[(WIDGETS, creep.head_sha, creep.path, the_job.name)] = minutes
    # The same job name at the same commit in another workflow file: not this job's timeout.
    timeouts[(WIDGETS, creep.head_sha, paths[LINT], "build")] = 5
    # A skipped job is never near its timeout (it never ran).
    job(creep, "deploy", hosted, duration=19 * 60, conclusion="skipped")
    timeouts[(WIDGETS, creep.head_sha, creep.path, "deploy")] = 20
    # A matrix instance takes its job's limit; a job the file gives none has GitHub's 360.
    job(creep, "unit (ubuntu, 3.12)", hosted, duration=19 * 60 + 30)
    timeouts[(WIDGETS, creep.head_sha, creep.path, "unit")] = 20
    job(creep, "package", self_hosted, duration=330 * 60)
    job(creep, "lint", hosted, duration=300 * 60)

    # Now: one job stuck for 30 minutes (self-hosted, no runner), one queued 3 minutes ago,
    # one a runner took after 25 minutes, and one "queued" for 30 hours (a lost webhook).
    live = run(WIDGETS, "CI", now - 31 * 60, status="in_progress")
    job(live, "test", self_hosted, status="queued", created=now - 30 * 60)
    job(live, "build", hosted, status="queued", created=now - 3 * 60)
    job(live, "lint", hosted, status="in_progress", created=now - 30 * 60, queue=25 * 60)
    lost = run(GADGETS, "CI", now - 30 * 3600, status="in_progress")
    job(lost, "test", self_hosted, status="waiting", created=now - 30 * 3600)

    # Long before the dashboard's 30 days: outside every panel.
    old = run(WIDGETS, "CI", today - 40 * DAY + 3600, conclusion="failure")
    job(old, "build", hosted)
    return runs, timeouts


def _at(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _deliveries(runs: Sequence[Run], rng: random.Random) -> list[Delivery]:
    """Each run's and job's deliveries as GitHub would send them (some only their last one,
    as a receiver that missed the rest would have; some out of order)."""
    out: list[Delivery] = []
    for number, the_run in enumerate(runs):
        common: dict[str, Any] = {
            "run_id": the_run.run_id, "repo": the_run.repo, "workflow_name": the_run.workflow,
            "path": the_run.path, "head_sha": the_run.head_sha, "created_at": _at(the_run.created),
            "run_started_at": _at(the_run.started or the_run.created)}
        steps: list[Delivery] = []
        if the_run.status != "completed" or number % 4 == 0:
            steps.append(gh.run_delivery("requested", **common, received_at=_at(the_run.created)))
            steps.append(gh.run_delivery("in_progress", **common,
                                         received_at=_at(the_run.started or the_run.created)))
        if the_run.status == "completed":
            assert the_run.completed is not None
            steps.append(gh.run_delivery("completed", **common, conclusion=the_run.conclusion,
                                         updated_at=_at(the_run.completed),
                                         received_at=_at(the_run.completed)))
        if number % 8 == 4:
            steps.reverse()  # the completion overtook the others: the index must keep it
        out.extend(steps)
        for the_job in the_run.jobs:
            fields: dict[str, Any] = {
                "job_id": the_job.job_id, "run_id": the_run.run_id, "repo": the_run.repo,
                "workflow_name": the_run.workflow, "name": the_job.name,
                "head_sha": the_run.head_sha, "labels": the_job.labels,
                "created_at": _at(the_job.created)}
            if the_job.status in ("queued", "waiting") or rng.random() < 0.3:
                out.append(gh.job_delivery("queued", **fields, received_at=_at(the_job.created)))
            if the_job.status == "waiting":
                out.append(gh.job_delivery("waiting", **fields,
                                           received_at=_at(the_job.created + 1)))
            if the_job.started is not None and (the_job.status == "in_progress"
                                                or rng.random() < 0.3):
                out.append(gh.job_delivery("in_progress", **fields,
                                           started_at=_at(the_job.started),
                                           received_at=_at(the_job.started)))
            if the_job.status == "completed":
                assert the_job.started is not None and the_job.completed is not None
                out.append(gh.job_delivery("completed", **fields, conclusion=the_job.conclusion,
                                           started_at=_at(the_job.started),
                                           completed_at=_at(the_job.completed),
                                           received_at=_at(the_job.completed)))
    return out


def _seed_alerts(store: Store, now: int) -> list[dict[str, Any]]:
    alerts = [
        {"rule": "queue_p90", "scope": WIDGETS, "fired_at": now - 7200.5, "resolved_at": None,
         "facts": {"queue_p90_s": 1800, "threshold_s": 600}},
        {"rule": "success_rate_drop", "scope": f"{GADGETS}/CI", "fired_at": now - 3 * DAY,
         "resolved_at": now - 3 * DAY + 3600.25, "facts": {"success_rate": 0.5}},
        {"rule": "webhook_outage", "scope": GADGETS, "fired_at": now - 40 * DAY,
         "resolved_at": now - 39 * DAY, "facts": {}},
    ]
    for alert in alerts:
        store.execute("INSERT INTO alerts (rule, scope, fired_at, resolved_at, facts) "
                      "VALUES (:rule, :scope, :fired_at, :resolved_at, CAST(:facts AS jsonb))",
                      {**alert, "facts": json.dumps(alert["facts"])})
    return alerts


@pytest.fixture(scope="module")
def seeded(pg_server: PostgresServer) -> Iterator[Seeded]:
    """One database for the module: seeded through the store, read through Grafana's eyes."""
    name = f"cockpit_dashboards_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.url(), autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_server.url(name)
    try:
        now = int(time.time())
        runs, timeouts = _plan(now)
        deliveries = _deliveries(runs, random.Random(7))
        store = open_store(url)
        try:
            stored = [*deliveries,
                      gh.delivery("check_suite", {"action": "completed",
                                                  "repository": gh.repository(WIDGETS),
                                                  "check_suite": {"id": 1}},
                                  received_at=_at(now - DAY)),
                      gh.delivery("ping", {"zen": "Keep it simple.", "hook_id": 1},
                                  received_at=_at(now - DAY))]  # no repository: in no volume
            for delivery in stored:
                assert store.ingest(delivery)
            assert not store.ingest(stored[0]), "a redelivery is stored once"
            for (repo, head_sha, path, job_name), minutes in timeouts.items():
                store.execute("INSERT INTO workflow_timeouts (repository, head_sha, "
                              "workflow_path, job_name, timeout_minutes) VALUES (:repo, "
                              ":sha, :path, :job, :minutes)",
                              {"repo": repo, "sha": head_sha, "path": path, "job": job_name,
                               "minutes": minutes})
            alerts = _seed_alerts(store, now)
        finally:
            store.close()
        _grant_readme_role(pg_server, name)
        yield Seeded(url=url, now=now, start=now - 30 * DAY, end=now + 5, runs=runs,
                     timeouts=timeouts, alerts=alerts, deliveries=stored)
    finally:
        with psycopg.connect(pg_server.url(), autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f"DROP ROLE IF EXISTS {READER}")


def _readme_role_sql() -> str:
    text = README.read_text()
    marker = text.index("<!-- read-only-role")
    block = re.search(r"```sql\n(.*?)```", text[marker:], re.S)
    assert block, "the README's read-only role block"
    return block.group(1)


def _grant_readme_role(server: PostgresServer, database: str) -> None:
    """The README's role, as written (its database name and password swapped for ours)."""
    sql = _readme_role_sql().replace("DATABASE cockpit_ci", f'DATABASE "{database}"')
    with psycopg.connect(server.url(database), autocommit=True, connect_timeout=10) as conn:
        for statement in filter(str.strip, sql.split(";")):
            conn.execute(statement.encode())


@pytest.fixture(scope="module")
def reader(seeded: Seeded, pg_server: PostgresServer) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the README's read-only role, in a time zone far from UTC: the panels'
    days must not depend on the session's zone (Grafana sets none)."""
    url = seeded.url.replace("postgresql://postgres@", f"postgresql://{READER}@")
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SET TIME ZONE 'Pacific/Chatham'")
        yield conn


def test_the_readme_role_reads_but_cannot_write(reader: psycopg.Connection[Any]) -> None:
    assert reader.execute("SELECT current_user").fetchone() == (READER,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("DELETE FROM alerts")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("SELECT * FROM schema_version")


# -- every query, run and checked ---------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What the dashboard's variables hold (None: All, i.e. every value the variable lists)."""

    name: str
    repos: tuple[str, ...] | None
    workflows: tuple[str, ...] | None


SELECTIONS = (Selection("all", None, None), Selection("widgets-ci", (WIDGETS,), ("CI",)),
              Selection("lint", (WIDGETS, GADGETS), (LINT,)))


@dataclass(frozen=True)
class View:
    """The seeded world as one panel sees it: the variables resolved, the rows it got."""

    world: Seeded
    repos: tuple[str, ...]
    workflows: tuple[str, ...]
    rows: list[dict[str, Any]]

    def in_range(self, moment: int) -> bool:
        return self.world.start <= moment <= self.world.end

    def runs(self) -> list[Run]:
        return [r for r in self.world.runs if self.in_range(r.created)
                and r.repo in self.repos and r.workflow in self.workflows]

    def jobs(self) -> list[Job]:
        return [j for j in self.world.jobs() if self.in_range(j.created)
                and j.run.repo in self.repos and j.run.workflow in self.workflows]


def repositories(world: Seeded) -> list[str]:
    """What the repository variable lists: repositories with runs in the range."""
    return sorted({r.repo for r in world.runs if world.start <= r.created <= world.end})


def workflows_of(world: Seeded, repos: Sequence[str]) -> list[str]:
    return sorted({r.workflow for r in world.runs
                   if world.start <= r.created <= world.end and r.repo in repos})


def day(moment: int) -> int:
    return moment // DAY * DAY


def epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def ran(item: Run | Job) -> bool:
    """Has a duration: completed, not skipped, both times known."""
    return (item.status == "completed" and item.conclusion != "skipped"
            and item.started is not None and item.completed is not None)


def duration(item: Run | Job) -> int:
    assert item.started is not None and item.completed is not None
    return item.completed - item.started


def queue(the_job: Job) -> int:
    assert the_job.started is not None
    return the_job.started - the_job.created


def counted(the_run: Run) -> bool:
    """In a success rate's denominator: completed, neither cancelled nor skipped."""
    return the_run.status == "completed" and the_run.conclusion not in ("cancelled", "skipped")


K = TypeVar("K")
T = TypeVar("T")


def grouped(items: Sequence[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    groups: dict[K, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return dict(groups)


def p50_p90(values: Sequence[int]) -> tuple[int | None, int | None]:
    return nearest_rank(values, 50), nearest_rank(values, 90)


def rate(runs: Sequence[Run]) -> float | None:
    denominator = [r for r in runs if counted(r)]
    if not denominator:
        return None
    return sum(r.conclusion == "success" for r in denominator) / len(denominator)


def is_stuck(the_job: Job, now: int) -> bool:
    return (the_job.status in ("queued", "waiting") and the_job.started is None
            and now - DAY <= the_job.created < now - 600)


def timeout_of(the_job: Job, world: Seeded) -> int | None:
    """The job's own row in its run's file, else its matrix job's (``unit (ubuntu, 3.12)``:
    ``unit``), else 360 when the file was read (has rows); None when it was not."""
    run = the_job.run
    same_file = {name: minutes for (repo, sha, path, name), minutes in world.timeouts.items()
                 if (repo, sha, path) == (run.repo, run.head_sha, run.path)}
    if the_job.name in same_file:
        return same_file[the_job.name]
    parents = [minutes for name, minutes in same_file.items()
               if name and the_job.name.startswith(f"{name} (")]
    if parents:
        return min(parents)
    return 360 if same_file else None


def overlapping_alerts(world: Seeded) -> list[dict[str, Any]]:
    return [a for a in world.alerts if a["fired_at"] <= world.end
            and (a["resolved_at"] is None or a["resolved_at"] >= world.start)]


def check_firing(view: View) -> None:
    assert view.rows == [{"firing": sum(a["resolved_at"] is None for a in view.world.alerts)}]
    assert view.rows[0]["firing"] == 1


def check_success_rate(view: View) -> None:
    expected = rate(view.runs())
    got = view.rows[0]["success_rate"]
    assert (None if got is None else float(got)) == pytest.approx(expected)


def check_queue_p90(view: View) -> None:
    expected = nearest_rank([queue(j) for j in view.jobs() if j.started is not None], 90)
    assert view.rows == [{"queue_p90": expected}]


def check_stuck_count(view: View) -> None:
    expected = sum(is_stuck(j, view.world.now) for j in view.world.jobs()
                   if j.run.repo in view.repos and j.run.workflow in view.workflows)
    assert view.rows == [{"stuck": expected}]


def check_run_duration(view: View) -> None:
    groups = grouped([r for r in view.runs() if ran(r)], lambda r: (day(r.created), r.repo,
                                                                    r.workflow))
    expected = {key: p50_p90([duration(r) for r in runs]) for key, runs in groups.items()}
    got = {(epoch(row["time"]), row["repository"], row["workflow"]): (row["p50"], row["p90"])
           for row in view.rows}
    assert got == expected
    assert len(got) == len(view.rows)


def check_job_duration(view: View) -> None:
    groups = grouped([j for j in view.jobs() if ran(j)],
                     lambda j: (day(j.created), j.run.repo, j.run.workflow, j.name))
    expected = {key: p50_p90([duration(j) for j in jobs]) for key, jobs in groups.items()}
    got = {(epoch(row["time"]), row["repository"], row["workflow"], row["job"]):
           (row["p50"], row["p90"]) for row in view.rows}
    assert got == expected
    assert len(got) == len(view.rows)


def check_queue_per_day(view: View) -> None:
    groups = grouped([j for j in view.jobs() if j.started is not None], lambda j: day(j.created))
    expected = [(moment, *p50_p90([queue(j) for j in jobs])) for moment, jobs in
                sorted(groups.items())]
    assert [(epoch(row["time"]), row["p50"], row["p90"]) for row in view.rows] == expected


def check_success_per_day(view: View) -> None:
    groups = grouped([r for r in view.runs() if counted(r)],
                     lambda r: (day(r.created), r.repo, r.workflow))
    expected = {key: rate(runs) for key, runs in groups.items()}
    got = {(epoch(row["time"]), row["repository"], row["workflow"]): float(row["success_rate"])
           for row in view.rows}
    assert got == pytest.approx(expected)
    assert len(got) == len(view.rows)


def check_success_table(view: View) -> None:
    groups = grouped([r for r in view.runs() if r.status == "completed"],
                     lambda r: (r.repo, r.workflow))
    expected = []
    for (repo, workflow), runs in groups.items():
        denominator = [r for r in runs if counted(r)]
        succeeded = sum(r.conclusion == "success" for r in runs)
        expected.append({
            "repository": repo, "workflow": workflow, "runs": len(runs),
            "succeeded": succeeded, "failed": len(denominator) - succeeded,
            "cancelled": len(runs) - len(denominator), "success_rate": rate(runs),
            "duration_p50": nearest_rank([duration(r) for r in runs if ran(r)], 50),
            "duration_p90": nearest_rank([duration(r) for r in runs if ran(r)], 90),
            "last_run": max(r.created for r in runs)})
    # Worst first (no rate last), then by name.
    expected.sort(key=lambda e: (e["success_rate"] is None, e["success_rate"] or 0,
                                 e["repository"], e["workflow"]))
    got = [{**row, "last_run": epoch(row["last_run"])} for row in view.rows]
    assert got == [{**e, "success_rate": pytest.approx(e["success_rate"])} for e in expected]


def check_runner_split(view: View) -> None:
    expected = []
    for kind, jobs in sorted(grouped(view.jobs(), lambda j: j.kind).items()):
        started = [queue(j) for j in jobs if j.started is not None]
        expected.append({"runner_kind": kind, "jobs": len(jobs),
                         "waiting": sum(j.started is None for j in jobs),
                         "queue_p50": nearest_rank(started, 50),
                         "queue_p90": nearest_rank(started, 90)})
    assert view.rows == expected


def check_runner_queue_per_day(view: View) -> None:
    groups = grouped([j for j in view.jobs() if j.started is not None],
                     lambda j: (day(j.created), j.kind))
    expected = [(moment, kind, nearest_rank([queue(j) for j in jobs], 90))
                for (moment, kind), jobs in sorted(groups.items())]
    assert [(epoch(r["time"]), r["runner_kind"], r["queue_p90"]) for r in view.rows] == expected


def check_near_timeout(view: View) -> None:
    expected = []
    for the_job in view.jobs():
        minutes = timeout_of(the_job, view.world)
        # Judged only with a timeout read from the file; near: 10 * duration >= 9 * timeout.
        if minutes is not None and ran(the_job) and 10 * duration(the_job) >= 9 * 60 * minutes:
            expected.append((the_job.run.repo, the_job.run.workflow, the_job.name,
                             duration(the_job), minutes, duration(the_job) / (60 * minutes)))
    expected.sort(key=lambda e: -e[5])
    got: list[tuple[object, ...]] = [
        (r["repository"], r["workflow"], r["job"], r["duration"], r["timeout_minutes"],
         float(r["share_of_timeout"])) for r in view.rows]
    assert got == [(*e[:5], pytest.approx(e[5])) for e in expected]
    if view.repos == tuple(repositories(view.world)):
        assert [(e[2], e[4]) for e in expected] == [
            ("unit (ubuntu, 3.12)", 20), ("test", 20), ("package", 360), ("e2e", 20)]


def check_stuck_table(view: View) -> None:
    world = view.world
    stuck = sorted((j for j in world.jobs() if is_stuck(j, world.now)
                    and j.run.repo in view.repos and j.run.workflow in view.workflows),
                   key=lambda j: j.created)
    assert [(r["repository"], r["workflow"], r["job"], r["status"], r["runner_kind"],
             json.loads(r["labels"]), r["html_url"].endswith(f"/job/{j.job_id}"))
            for r, j in zip(view.rows, stuck, strict=False)] == [
        (j.run.repo, j.run.workflow, j.name, j.status, j.kind, list(j.labels), True)
        for j in stuck]
    assert len(view.rows) == len(stuck)
    for row, the_job in zip(view.rows, stuck, strict=True):
        assert epoch(row["queued_since"]) == the_job.created
        assert 0 <= row["waiting"] - (world.now - the_job.created) < 120


def check_alerts(view: View) -> None:
    expected = sorted(overlapping_alerts(view.world),
                      key=lambda a: (a["resolved_at"] is not None, -a["fired_at"]))
    got: list[tuple[object, ...]] = [
        (r["state"], r["rule"], r["scope"], epoch(r["fired"]), epoch(r["resolved"]),
         json.loads(r["facts"])) for r in view.rows]
    assert got == [
        ("firing" if a["resolved_at"] is None else "resolved", a["rule"], a["scope"],
         pytest.approx(a["fired_at"]), pytest.approx(a["resolved_at"]), a["facts"])
        for a in expected]
    resolved = [(r, a) for r, a in zip(view.rows, expected, strict=True) if a["resolved_at"]]
    assert [r["lasted"] for r, _ in resolved] == [
        pytest.approx(a["resolved_at"] - a["fired_at"]) for _, a in resolved]
    assert [a["rule"] for a in expected] == ["queue_p90", "success_rate_drop"]


def check_annotation(view: View) -> None:
    expected = sorted(overlapping_alerts(view.world), key=lambda a: a["fired_at"])
    got: list[tuple[object, ...]] = [
        (epoch(r["time"]), epoch(r["timeend"]), r["text"], r["tags"]) for r in view.rows]
    assert got == [
        (pytest.approx(a["fired_at"]), pytest.approx(a["resolved_at"]),
         f"{a['rule']}: {a['scope']}", f"cockpit-alert,{a['rule']}") for a in expected]


def check_event_volume(view: View) -> None:
    world = view.world
    counts = Counter((day(int(d.received_at.timestamp())), d.event) for d in world.deliveries
                     if d.repository in view.repos
                     and world.start <= d.received_at.timestamp() <= world.end)
    assert [(epoch(r["time"]), r["event"], r["deliveries"]) for r in view.rows] == [
        (moment, event, n) for (moment, event), n in sorted(counts.items())]


def check_repository_variable(view: View) -> None:
    assert [row["repository"] for row in view.rows] == repositories(view.world)
    assert view.rows, "the seeded runs name repositories"


def check_workflow_variable(view: View) -> None:
    assert [row["workflow_name"] for row in view.rows] == workflows_of(view.world, view.repos)


CHECKS: dict[str, Callable[[View], None]] = {
    "Firing alerts": check_firing,
    "Success rate": check_success_rate,
    "Queue time p90": check_queue_p90,
    "Stuck jobs now": check_stuck_count,
    "Workflow duration per day (p50, p90)": check_run_duration,
    "Job duration per day (p50, p90)": check_job_duration,
    "Queue time per day (p50, p90)": check_queue_per_day,
    "Success rate per day": check_success_per_day,
    "Success rate per workflow": check_success_table,
    "Hosted vs self-hosted runners": check_runner_split,
    "Queue time p90 per day, by runner kind": check_runner_queue_per_day,
    "Jobs near their timeout": check_near_timeout,
    "Stuck jobs": check_stuck_table,
    "Alerts": check_alerts,
    "Raw event volume per day, by event": check_event_volume,
    "annotation Cockpit alerts": check_annotation,
    "variable repository": check_repository_variable,
    "variable workflow": check_workflow_variable,
}


def run_query(conn: psycopg.Connection[Any], name: str, *, start: int, end: int,
              repos: Sequence[str], workflows: Sequence[str]) -> list[dict[str, Any]]:
    """One of the dashboard's queries, expanded as Grafana would, run as the reader."""
    fmt, sql = panel_queries(load_dashboard())[name]
    text = expand(sql, start=start, end=end,
                  variables={"repository": repos, "workflow": workflows})
    cursor = conn.execute(text.encode())
    assert cursor.description is not None
    columns = [column.name for column in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if fmt == "time_series":
        # Grafana wants a `time` column, sorted ascending.
        assert "time" in columns, name
        assert [r["time"] for r in rows] == sorted(r["time"] for r in rows), name
    return rows


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: s.name)
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_query_result_matches_the_seeded_data(name: str, selection: Selection, seeded: Seeded,
                                              reader: psycopg.Connection[Any]) -> None:
    repos = selection.repos or tuple(repositories(seeded))
    workflows = selection.workflows or tuple(workflows_of(seeded, repos))
    rows = run_query(reader, name, start=seeded.start, end=seeded.end, repos=repos,
                     workflows=workflows)
    if selection.repos is None:
        assert rows, f"{name}: the seeded data should give this query something to show"
    CHECKS[name](View(world=seeded, repos=repos, workflows=workflows, rows=rows))


def test_the_time_range_bounds_the_panels(seeded: Seeded, reader: psycopg.Connection[Any]) -> None:
    """The run from 40 days ago shows once the range reaches back to it."""
    old_day = day(min(r.created for r in seeded.runs))
    repos, workflows = (WIDGETS,), ("CI",)
    wide = run_query(reader, "Workflow duration per day (p50, p90)", start=old_day,
                     end=seeded.end, repos=repos, workflows=workflows)
    narrow = run_query(reader, "Workflow duration per day (p50, p90)", start=seeded.start,
                       end=seeded.end, repos=repos, workflows=workflows)
    assert [epoch(r["time"]) for r in wide] == [old_day] + [epoch(r["time"]) for r in narrow]
