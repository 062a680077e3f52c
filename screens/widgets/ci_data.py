"""What the CI screen shows, read from the event store: plain data, no widgets.

Why apart from the screen: the screen must never block, so every function here runs on the
store's own thread (``ci_reader.StoreReader``) and returns frozen dataclasses the UI thread
only draws. The numbers are the facts' (``cockpit.ci.facts``: one SQL text for SQLite and
PostgreSQL, the same the alerts and the dashboards use); the few queries written here are
lists (a workflow's runs, a run's jobs) and the cheap change signal the screen polls.

The runner-kind filter applies to what has a kind — jobs: the job counts and queue time
columns show that kind's jobs, and a workflow with no job of that kind is left out; runs
(count, success rate, duration) are the workflow's runs, which have no kind of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from cockpit.ci import facts
from cockpit.ci.index import received_at_iso
from cockpit.ci.store import Store

RunnerFilter = Literal["all", "github-hosted", "self-hosted"]
RUNNER_FILTERS: tuple[RunnerFilter, ...] = ("all", "github-hosted", "self-hosted")
WINDOWS: Mapping[str, int] = {"1d": facts.DAY, "7d": 7 * facts.DAY, "30d": 30 * facts.DAY}
NEAR_TIMEOUT_PERCENT = 90
"""A job that ran this share of its ``timeout-minutes`` or more is marked (the facts' default)."""
RUN_LIMIT = 200
"""The newest runs of a workflow listed (the title says how many there are in all)."""


@dataclass(frozen=True)
class Filters:
    """What the screen shows: one repository or all, workflows whose name contains a text
    (case-insensitive), a runner kind, and the window (``1d``, ``7d``, ``30d``)."""

    repository: str | None = None
    workflow: str = ""
    runner: RunnerFilter = "all"
    window: str = "7d"

    def window_at(self, now: float, *, repository: str | None = None,
                  workflow: str | None = None) -> facts.Window:
        return facts.Window.last(WINDOWS[self.window], now,
                                 repository=repository or self.repository, workflow=workflow)

    def described(self) -> str:
        parts = [f"repo {self.repository or 'all'}", f"runner {self.runner}",
                 f"last {self.window}"]
        if self.workflow.strip():
            parts.insert(1, f"workflow ~ {self.workflow.strip()!r}")
        return " · ".join(parts)


@dataclass(frozen=True)
class DayPoint:
    """One day of one workflow: its runs, how they ended, durations; queue when loaded."""

    day: int
    runs: int = 0
    judged: int = 0
    successes: int = 0
    duration_p50: int | None = None
    duration_p90: int | None = None
    queue_p90: int | None = None


@dataclass(frozen=True)
class WorkflowRow:
    """One workflow of one repository over the window."""

    repository: str
    workflow: str
    runs: facts.RunStats | None
    """None: no run of it is known in the window (its jobs may be: runs lost, sync fills)."""
    jobs: int
    """Jobs in the window (of the filtered kind)."""
    queue_p90: int | None
    hosted: int
    self_hosted: int
    unknown_kind: int
    days: tuple[DayPoint, ...]

    @property
    def key(self) -> str:
        return row_key(self.repository, self.workflow)


@dataclass(frozen=True)
class RepoSection:
    repository: str
    workflows: tuple[WorkflowRow, ...]
    last_webhook: float | None
    """The newest webhook delivery from it (gap repair's events do not count)."""


@dataclass(frozen=True)
class Overview:
    """Everything the CI screen's first view draws, as of ``now``."""

    now: float
    filters: Filters
    window: facts.Window
    days: tuple[int, ...]
    """The epoch days the window touches, oldest first."""
    alerts: tuple[Any, ...]
    """Firing alerts (``cockpit.ci.alerts.Alert``), oldest first, in the repository filter."""
    repos: tuple[RepoSection, ...]
    store_empty: bool
    """No run and no job at all: nothing was ever received or synced."""
    repositories: tuple[str, ...] = ()
    """Every repository the store knows (what the repository filter cycles through)."""
    hidden: int = 0
    """Workflows in the window left out by the runner filter."""

    @property
    def workflow_count(self) -> int:
        return sum(len(repo.workflows) for repo in self.repos)

    def visible(self, text: str) -> tuple[RepoSection, ...]:
        """The repositories with a workflow whose name contains ``text`` (case-insensitive),
        each with those workflows only (the workflow filter needs no query: it is typed)."""
        needle = text.strip().lower()
        if not needle:
            return self.repos
        out = []
        for repo in self.repos:
            kept = tuple(row for row in repo.workflows if needle in row.workflow.lower())
            if kept:
                out.append(replace(repo, workflows=kept))
        return tuple(out)


def row_key(repository: str, workflow: str) -> str:
    return f"{repository}\x1f{workflow}"


def split_key(key: str) -> tuple[str, str]:
    repository, _, workflow = key.partition("\x1f")
    return repository, workflow


def window_days(window: facts.Window) -> tuple[int, ...]:
    return tuple(range(window.since // facts.DAY, (window.until - 1) // facts.DAY + 1))


# -- the overview ---------------------------------------------------------------------------


def store_is_empty(store: Store) -> bool:
    for table in ("workflow_runs", "workflow_jobs"):
        if store.query(f"SELECT 1 AS found FROM {table} LIMIT 1"):
            return False
    return True


def known_repositories(store: Store) -> tuple[str, ...]:
    """Every repository with a run (``DISTINCT`` walks the (repository, created_at) index)."""
    rows = store.query("SELECT DISTINCT repository FROM workflow_runs "
                       "WHERE repository IS NOT NULL ORDER BY repository")
    return tuple(str(row["repository"]) for row in rows)


def load_overview(store: Store, filters: Filters, now: float) -> Overview:
    """The overview as of ``now``: alerts, then per repository its workflows' facts."""
    window = filters.window_at(now)
    days = window_days(window)
    alerts = _firing(store, filters)
    if store_is_empty(store):
        return Overview(now, filters, window, days, alerts, (), True)
    runs = {(s.repository, s.workflow or ""): s for s in facts.run_stats(store, window)}
    per_day: dict[tuple[str, str], dict[int, DayPoint]] = {}
    for stats in facts.run_stats(store, window, per_day=True):
        per_day.setdefault((stats.repository, stats.workflow or ""), {})[stats.day or 0] = \
            _day_point(stats)
    kinds = kind_counts(store, window)
    if filters.runner == "all":  # the queue over every kind: one pass of the facts
        queues = {(s.repository, s.workflow or ""): s.queue_p90
                  for s in facts.job_stats(store, window, by="workflow")}
    else:  # the queue of one kind: the facts' split by kind
        queues = {(s.repository, s.workflow): s.queue_p90(filters.runner)
                  for s in facts.runner_split(store, window)}
    rows: list[WorkflowRow] = []
    hidden = 0
    for key in sorted(set(runs) | set(kinds)):
        row = _workflow_row(key, runs.get(key), kinds.get(key, {}), queues.get(key),
                            per_day.get(key, {}), days, filters)
        if row is None:
            hidden += 1
            continue
        rows.append(row)
    # Every repository that ever had a run (in the repository filter), with its last webhook.
    activity = {a.repository: a.last_received for a in facts.last_events(store, window)}
    repos = [RepoSection(repo, tuple(r for r in rows if r.repository == repo), activity.get(repo))
             for repo in sorted({row.repository for row in rows})]
    known = (known_repositories(store) if filters.repository is not None
             else tuple(sorted(activity)))
    return Overview(now, filters, window, days, alerts, tuple(repos), False, known, hidden)


def _day_point(stats: facts.RunStats) -> DayPoint:
    return DayPoint(day=stats.day or 0, runs=stats.runs, judged=stats.outcomes.judged,
                    successes=stats.successes, duration_p50=stats.duration_p50,
                    duration_p90=stats.duration_p90)


def _workflow_row(key: tuple[str, str], runs: facts.RunStats | None, kinds: Mapping[str, int],
                  queue: int | None, per_day: Mapping[int, DayPoint], days: Sequence[int],
                  filters: Filters) -> WorkflowRow | None:
    """None when the runner filter leaves the workflow out (no job of that kind)."""
    hosted, self_hosted = kinds.get("github-hosted", 0), kinds.get("self-hosted", 0)
    unknown = kinds.get("unknown", 0)
    if filters.runner == "all":
        jobs = hosted + self_hosted + unknown
    else:
        jobs = kinds.get(filters.runner, 0)
        if jobs == 0:
            return None
        hosted, self_hosted, unknown = ((hosted, 0, 0) if filters.runner == "github-hosted"
                                        else (0, self_hosted, 0))
    points = tuple(per_day.get(day, DayPoint(day)) for day in days)
    return WorkflowRow(key[0], key[1], runs, jobs, queue, hosted, self_hosted, unknown, points)


KIND_COUNTS_SQL = """
SELECT repository, workflow_name AS workflow, COALESCE(runner_kind, 'unknown') AS runner_kind,
       COUNT(*) AS jobs
FROM workflow_jobs
WHERE {where}
GROUP BY repository, workflow_name, COALESCE(runner_kind, 'unknown')"""


def kind_counts(store: Store, window: facts.Window) -> dict[tuple[str, str], dict[str, int]]:
    """Jobs per repository / workflow / runner kind in the window (as the facts count them:
    by ``created_at``; ``unknown`` while the labels are not known). A plain count: the
    split's percentiles are not needed for it."""
    where, params = facts._filters(window)
    out: dict[tuple[str, str], dict[str, int]] = {}
    for row in store.query(KIND_COUNTS_SQL.format(where=where), params):
        key = (str(row["repository"]), row["workflow"] or "")
        out.setdefault(key, {})[str(row["runner_kind"])] = int(row["jobs"])
    return out


def _firing(store: Store, filters: Filters) -> tuple[Any, ...]:
    from cockpit.ci.alerts import open_alerts

    firing = open_alerts(store)
    if filters.repository:
        prefix = filters.repository + "/"
        firing = [a for a in firing if a.scope == filters.repository or a.scope.startswith(prefix)]
    return tuple(firing)


# -- the selected workflow, per day -----------------------------------------------------------


def workflow_days(store: Store, row: WorkflowRow, filters: Filters, now: float
                  ) -> tuple[DayPoint, ...]:
    """``row``'s days with the queue p90 of each (of the filtered runner kind)."""
    window = filters.window_at(now, repository=row.repository, workflow=row.workflow)
    per_kind = filters.runner != "all"
    queue: dict[int, int | None] = {}
    for stats in facts.job_stats(store, window, by="workflow", per_day=True, per_kind=per_kind):
        if not per_kind or stats.runner_kind == filters.runner:
            queue[stats.day or 0] = stats.queue_p90
    return tuple(replace(point, queue_p90=queue.get(point.day)) for point in row.days)


def newest_run_url(store: Store, repository: str, workflow: str) -> str | None:
    rows = store.query("SELECT html_url FROM workflow_runs WHERE repository = :repository "
                       "AND workflow_name = :workflow ORDER BY created_at DESC LIMIT 1",
                       {"repository": repository, "workflow": workflow})
    return rows[0]["html_url"] if rows else None


# -- a workflow's runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    run_id: int
    run_attempt: int
    status: str | None
    conclusion: str | None
    branch: str | None
    sha: str | None
    event: str | None
    created_at: int | None
    started_at: int | None
    completed_at: int | None
    html_url: str | None
    queue: int | None
    """The longest any of its jobs waited for a runner (None: no job started, or unknown)."""
    jobs: int

    @property
    def key(self) -> str:
        return f"{self.run_id}:{self.run_attempt}"

    def duration(self, now: float) -> int | None:
        """Completed: ``completed_at - started_at``; running: so far; else None."""
        return _duration(self.status, self.started_at, self.completed_at, now)


@dataclass(frozen=True)
class RunList:
    repository: str
    workflow: str
    window: facts.Window
    total: int
    runs: tuple[RunRow, ...]


_RUN_JOBS = "j.run_id = r.run_id AND j.run_attempt = r.run_attempt"
_RUN_ROWS = f"""
SELECT r.run_id, r.run_attempt, r.status, r.conclusion, r.head_branch, r.head_sha, r.event,
       r.created_at, r.started_at, r.completed_at, r.html_url,
       (SELECT MAX(j.started_at - j.created_at) FROM workflow_jobs j WHERE {_RUN_JOBS}) AS queue,
       (SELECT COUNT(*) FROM workflow_jobs j WHERE {_RUN_JOBS}) AS jobs
FROM workflow_runs r"""
"""What ``_run`` reads: the columns of a ``RunRow``, for the list and for one run."""
RUNS_SQL = _RUN_ROWS + """
WHERE r.repository = :repository AND r.workflow_name = :workflow
  AND r.created_at >= :since AND r.created_at < :until{kind}
ORDER BY r.created_at DESC, r.run_id DESC, r.run_attempt DESC
LIMIT :limit"""
RUN_COUNT_SQL = """
SELECT COUNT(*) AS n FROM workflow_runs r
WHERE r.repository = :repository AND r.workflow_name = :workflow
  AND r.created_at >= :since AND r.created_at < :until{kind}"""
_KIND = (f"\n  AND EXISTS (SELECT 1 FROM workflow_jobs j WHERE {_RUN_JOBS} "
         "AND j.runner_kind = :runner)")


def load_runs(store: Store, repository: str, workflow: str, filters: Filters, now: float,
              limit: int = RUN_LIMIT) -> RunList:
    """The workflow's runs in the window, newest first (with a runner filter: the runs
    that had a job of that kind)."""
    window = filters.window_at(now, repository=repository)
    params: dict[str, Any] = {"repository": repository, "workflow": workflow,
                              "since": window.since, "until": window.until, "limit": limit}
    kind = ""
    if filters.runner != "all":
        kind, params["runner"] = _KIND, filters.runner
    rows = store.query(RUNS_SQL.format(kind=kind), params)
    total = int(store.query(RUN_COUNT_SQL.format(kind=kind), params)[0]["n"] or 0)
    return RunList(repository, workflow, window, total, tuple(_run(row) for row in rows))


def _run(row: Mapping[str, Any]) -> RunRow:
    return RunRow(run_id=int(row["run_id"]), run_attempt=int(row["run_attempt"]),
                  status=row["status"], conclusion=row["conclusion"], branch=row["head_branch"],
                  sha=row["head_sha"], event=row["event"], created_at=_int(row["created_at"]),
                  started_at=_int(row["started_at"]), completed_at=_int(row["completed_at"]),
                  html_url=row["html_url"], queue=_int(row["queue"]), jobs=int(row["jobs"] or 0))


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _duration(status: str | None, started_at: int | None, completed_at: int | None,
              now: float) -> int | None:
    """A run's or a job's: completed, ``completed_at - started_at``; running, so far."""
    if started_at is None:
        return None
    if status == "completed":
        return None if completed_at is None else completed_at - started_at
    return max(int(now) - started_at, 0)


# -- a run's jobs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    job_id: int
    name: str | None
    status: str | None
    conclusion: str | None
    runner_kind: str | None
    labels: tuple[str, ...]
    runner_name: str | None
    created_at: int | None
    started_at: int | None
    completed_at: int | None
    html_url: str | None
    timeout_minutes: int | None = None
    """Set when the job ran ``NEAR_TIMEOUT_PERCENT`` % or more of its timeout."""

    @property
    def queue(self) -> int | None:
        if self.started_at is None or self.created_at is None:
            return None
        return self.started_at - self.created_at

    def duration(self, now: float) -> int | None:
        """Completed: ``completed_at - started_at``; running: so far; else None."""
        return _duration(self.status, self.started_at, self.completed_at, now)

    @property
    def timeout_share(self) -> float | None:
        """Duration over the timeout, when near it (else None)."""
        if self.timeout_minutes is None or self.completed_at is None or self.started_at is None:
            return None
        return (self.completed_at - self.started_at) / (self.timeout_minutes * 60)


@dataclass(frozen=True)
class JobList:
    repository: str
    workflow: str
    run: RunRow
    jobs: tuple[JobRow, ...]
    near_timeout_unjudged: int = 0
    """Finished jobs of the run whose timeout is not known (the workflow file not read yet)."""
    labels: Mapping[str, int] = field(default_factory=dict)


JOBS_SQL = """
SELECT job_id, job_name, status, conclusion, runner_kind, labels, runner_name, created_at,
       started_at, completed_at, html_url
FROM workflow_jobs
WHERE run_id = :run_id AND run_attempt = :run_attempt
ORDER BY created_at, job_id"""


RUN_SQL = _RUN_ROWS + """
WHERE r.run_id = :run_id AND r.run_attempt = :run_attempt"""


def load_jobs(store: Store, repository: str, workflow: str, run: RunRow) -> JobList:
    """The run attempt (read again: it may have moved on) and its jobs, each marked when it
    ran near its timeout."""
    key = {"run_id": run.run_id, "run_attempt": run.run_attempt}
    found = store.query(RUN_SQL, key)
    run = _run(found[0]) if found else run
    rows = store.query(JOBS_SQL, key)
    near: dict[int, int] = {}
    unjudged = 0
    created = [int(row["created_at"]) for row in rows if row["created_at"] is not None]
    if created:
        window = facts.Window(min(created), max(created) + 1, repository, workflow)
        report = facts.near_timeout(store, window, percent=NEAR_TIMEOUT_PERCENT)
        near = {job.job_id: job.timeout_minutes for job in report.jobs if job.run_id == run.run_id}
        unjudged = report.unjudged
    jobs = tuple(JobRow(job_id=int(row["job_id"]), name=row["job_name"], status=row["status"],
                        conclusion=row["conclusion"], runner_kind=row["runner_kind"],
                        labels=facts._labels(row["labels"]), runner_name=row["runner_name"],
                        created_at=_int(row["created_at"]), started_at=_int(row["started_at"]),
                        completed_at=_int(row["completed_at"]), html_url=row["html_url"],
                        timeout_minutes=near.get(int(row["job_id"])))
                 for row in rows)
    return JobList(repository, workflow, run, jobs, unjudged)


# -- the change signal ------------------------------------------------------------------------


POLL_SQL = """
SELECT (SELECT MAX(received_at) FROM events WHERE event = 'workflow_run') AS last_run,
       (SELECT MAX(received_at) FROM events WHERE event = 'workflow_job') AS last_job,
       {recent} AS recent,
       (SELECT MAX(id) FROM alerts) AS last_alert,
       (SELECT MAX(resolved_at) FROM alerts) AS last_resolved,
       (SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL) AS firing"""
RECENT_SQL = ("(SELECT COUNT(*) FROM events WHERE event IN ('workflow_run', 'workflow_job') "
              "AND received_at >= :horizon)")


@dataclass(frozen=True)
class Signature:
    """What the screen polls (every 2 s): when it differs, the facts are read again.

    Each part is an index lookup on ``events (event, received_at)`` — the newest
    ``workflow_run`` and ``workflow_job`` delivery — plus a count of those received since
    a horizon a minute before the newest (a range of that index), which also catches a
    delivery whose transaction committed after a newer one's; and the alerts' newest id,
    newest resolution and firing count (a handful of rows)."""

    last_run: str | None
    last_job: str | None
    recent: int
    last_alert: int | None
    last_resolved: float | None
    firing: int

    @property
    def newest(self) -> str | None:
        known = [value for value in (self.last_run, self.last_job) if value is not None]
        return max(known) if known else None


LATE_COMMIT_SECONDS = 60
"""How late a delivery's commit may be (after a newer one's) and still be noticed."""


def poll_signature(store: Store, horizon: str | None) -> Signature:
    """The signature; without a horizon (nothing seen yet) no count (it would count all)."""
    if horizon is None:
        row = store.query(POLL_SQL.format(recent="0"))[0]
    else:
        row = store.query(POLL_SQL.format(recent=RECENT_SQL), {"horizon": horizon})[0]
    return Signature(last_run=_text(row["last_run"]), last_job=_text(row["last_job"]),
                     recent=int(row["recent"] or 0), last_alert=_int(row["last_alert"]),
                     last_resolved=(None if row["last_resolved"] is None
                                    else float(row["last_resolved"])),
                     firing=int(row["firing"] or 0))


def horizon_before(newest: str | None) -> str | None:
    """``received_at`` ``LATE_COMMIT_SECONDS`` before ``newest``, in the stored text form
    (SQLite compares the text; PostgreSQL casts it to timestamptz)."""
    if newest is None:
        return None
    moment = datetime.fromisoformat(newest) - timedelta(seconds=LATE_COMMIT_SECONDS)
    return received_at_iso(moment)


class ChangeWatch:
    """``changed(store)``: whether anything the screen shows may have changed since the
    previous call (True the first time). Two cheap queries when something did (the second
    sets the count's baseline at the new horizon), one when nothing did."""

    def __init__(self) -> None:
        self.horizon: str | None = None
        self.last: Signature | None = None

    def changed(self, store: Store) -> bool:
        seen = poll_signature(store, self.horizon)
        if seen == self.last:
            return False
        horizon = horizon_before(seen.newest)
        if horizon != self.horizon:
            self.horizon = horizon
            seen = poll_signature(store, horizon)
        self.last = seen
        return True


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()  # type: ignore[attr-defined]
