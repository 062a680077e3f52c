"""The facts about CI health, as SQL that both stores run unchanged.

Why one text: the team's dashboards and the alerts must agree, and a query written twice
drifts. So every query here reads only the index tables (``workflow_runs``,
``workflow_jobs``, ``workflow_timeouts``), whose times are epoch seconds in both dialects:
a duration is ``completed_at - started_at``, a day is ``created_at / 86400`` (integer
division on integers in both), and a percentile is a nearest-rank one from window
functions — ``ROW_NUMBER()`` and ``COUNT(*) OVER`` — because SQLite has no
``percentile_cont``. The p-th percentile of n values is the smallest value whose rank is
at least ``ceil(p * n)``; for an integer rank that is ``100 * rank >= P * n``, so no
rounding function is needed either. Optional filters are appended as ``AND column =
:name`` (never ``:name IS NULL OR …``: PostgreSQL cannot type a bare NULL parameter, and
the planner could not use an index through the ``OR``).

How runs and jobs are counted (the same for both):

- a run or a job belongs to the window by its ``created_at`` (``since <= created_at <
  until``); a run *attempt* is a run (a re-run is counted again);
- ``completed`` counts those with status ``completed``; among them ``cancelled`` and
  ``skipped`` are counted apart and left out of the success rate: ``success_rate =
  successes / (completed - cancelled - skipped)``, so a cancelled run (superseded by a
  newer push) is neither a success nor a failure. ``failures`` is the rest of that
  denominator (``failure``, ``timed_out``, ``startup_failure``, ``action_required``…);
- a duration is taken from every completed run or job with both times, except skipped
  ones (they never ran). Cancelled ones stay in: GitHub cancels a job that exceeds its
  ``timeout-minutes``, and a duration statistic that dropped them would hide the very
  creep toward the timeout the team once found by hand;
- queue time is ``started_at - created_at`` of jobs a runner took (``started_at`` is only
  indexed from ``in_progress`` on); a job still queued has none, and is what
  ``stuck_jobs`` is for.

The one place the dialects differ is ``events.received_at`` (``timestamptz`` in
PostgreSQL, ISO-8601 text in SQLite): ``last_events`` reads it with the same SQL text and
converts the value it gets back in Python (``_epoch``), so no dialect-specific SQL is
needed. It is read from webhook deliveries only — an event gap repair stored just now
says nothing about whether webhooks arrive.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from cockpit.ci.store import Store

DAY = 86400
Grouping = Literal["repository", "workflow", "job"]
RunnerKind = Literal["self-hosted", "github-hosted", "unknown"]


@dataclass(frozen=True)
class Window:
    """``since <= created_at < until`` (epoch seconds), optionally one repository/workflow."""

    since: int
    until: int
    repository: str | None = None
    workflow: str | None = None
    """A workflow's name (``workflow_runs.workflow_name``, ``workflow_jobs.workflow_name``)."""

    @classmethod
    def last(cls, seconds: float, now: float | None = None, *, repository: str | None = None,
             workflow: str | None = None) -> Window:
        """The ``seconds`` before ``now`` (default: the clock), ``now`` excluded."""
        end = int(time.time() if now is None else now) + 1
        return cls(end - int(seconds), end, repository, workflow)

    def before(self) -> Window:
        """The window of the same length just before this one (for "vs the previous 7 days")."""
        length = self.until - self.since
        return Window(self.since - length, self.since, self.repository, self.workflow)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    """How many ran and how they ended (see the module docstring for what counts)."""

    total: int
    completed: int
    successes: int
    failures: int
    cancelled: int
    skipped: int

    @property
    def judged(self) -> int:
        """The success rate's denominator: completed, neither cancelled nor skipped."""
        return self.successes + self.failures

    @property
    def success_rate(self) -> float | None:
        """``successes / judged``; None when nothing was judged."""
        return self.successes / self.judged if self.judged else None


class _Counted:
    """What a row of counts per day says about itself: its successes, rate and date.

    Not a dataclass, so its two annotations are not fields: ``RunStats`` and ``JobStats``
    declare them (in their own order) and this only reads them.
    """

    outcomes: Outcomes
    day: int | None

    @property
    def successes(self) -> int:
        return self.outcomes.successes

    @property
    def success_rate(self) -> float | None:
        return self.outcomes.success_rate

    @property
    def date(self) -> date | None:
        return _date(self.day)


@dataclass(frozen=True)
class RunStats(_Counted):
    """Runs of one repository (/ workflow) (/ day) in a window."""

    repository: str
    workflow: str | None
    day: int | None
    """Epoch day (``created_at // 86400``) when grouped per day; see ``date``."""
    outcomes: Outcomes
    duration_p50: int | None
    duration_p90: int | None
    duration_max: int | None

    @property
    def runs(self) -> int:
        return self.outcomes.total


@dataclass(frozen=True)
class JobStats(_Counted):
    """Jobs of one repository (/ workflow) (/ job name) (/ runner kind) (/ day) in a window."""

    repository: str
    workflow: str | None
    job: str | None
    day: int | None
    runner_kind: str | None
    """``self-hosted``, ``github-hosted`` or ``unknown`` when grouped by kind, else None."""
    outcomes: Outcomes
    duration_p50: int | None
    duration_p90: int | None
    duration_max: int | None
    queued: int
    """Jobs with a queue time (a runner took them)."""
    queue_p50: int | None
    queue_p90: int | None

    @property
    def jobs(self) -> int:
        return self.outcomes.total


@dataclass(frozen=True)
class KindSplit:
    """Hosted vs self-hosted for one repository / workflow: job counts and queue p90 per kind."""

    repository: str
    workflow: str
    kinds: Mapping[str, JobStats]
    """``self-hosted`` / ``github-hosted`` / ``unknown`` (labels not known yet) → their jobs."""

    def jobs(self, kind: RunnerKind) -> int:
        stats = self.kinds.get(kind)
        return stats.jobs if stats else 0

    def queue_p90(self, kind: RunnerKind) -> int | None:
        stats = self.kinds.get(kind)
        return stats.queue_p90 if stats else None


@dataclass(frozen=True)
class NearTimeoutJob:
    """A completed job whose duration reached the threshold share of its ``timeout-minutes``."""

    repository: str
    workflow: str | None
    job: str | None
    job_id: int
    run_id: int | None
    head_sha: str | None
    conclusion: str | None
    created_at: int
    duration: int
    timeout_minutes: int
    html_url: str | None

    @property
    def ratio(self) -> float:
        """Duration over the timeout (1.0: it hit the timeout)."""
        return self.duration / (self.timeout_minutes * 60) if self.timeout_minutes else 0.0


@dataclass(frozen=True)
class NearTimeout:
    """Jobs within ``100 - percent`` % of their timeout, and how many could be judged at all.

    A job is judged only when ``workflow_timeouts`` knows its workflow file at the run's
    commit (see ``_FINISHED``: its own limit, its matrix parent's, or GitHub's default of
    360 minutes when the file declares none). Jobs whose file was not read yet, or whose run
    is not known, are ``unjudged``: counted, never silently "fine"."""

    percent: int
    judged: int
    unjudged: int
    jobs: tuple[NearTimeoutJob, ...]


@dataclass(frozen=True)
class StuckJob:
    """A job queued (or waiting) longer than the limit with no runner yet."""

    repository: str
    workflow: str | None
    job: str | None
    job_id: int
    run_id: int | None
    status: str
    created_at: int
    queued_seconds: int
    labels: tuple[str, ...]
    runner_kind: str | None
    html_url: str | None


@dataclass(frozen=True)
class RepositoryActivity:
    """When a repository's last webhook arrived, beside how many runs it had in the window."""

    repository: str
    runs: int
    """Runs created in the window."""
    last_received: float | None
    """Epoch seconds of the newest webhook delivery (``events.received_at``); None: never."""


# -- the SQL -------------------------------------------------------------------------------------


_KEYS: dict[str, str] = {
    "repository": "repository",
    "workflow": "workflow_name",
    "job": "job_name",
    "day": "created_at / 86400",
    "runner_kind": "COALESCE(runner_kind, 'unknown')",
}


def _keys(grouping: Grouping, per_day: bool, per_kind: bool = False) -> list[str]:
    keys = ["repository", "workflow", "job"][: ["repository", "workflow", "job"].index(grouping) + 1]
    if per_kind:
        keys.append("runner_kind")
    if per_day:
        keys.append("day")
    return keys


def _filters(window: Window, prefix: str = "") -> tuple[str, dict[str, Any]]:
    sql = f"{prefix}created_at >= :since AND {prefix}created_at < :until"
    params: dict[str, Any] = {"since": window.since, "until": window.until}
    if window.repository is not None:
        sql += f" AND {prefix}repository = :repository"
        params["repository"] = window.repository
    if window.workflow is not None:
        sql += f" AND {prefix}workflow_name = :workflow"
        params["workflow"] = window.workflow
    return sql, params


def _percentile(value: str, rank: str, count: str, percent: int) -> str:
    """Nearest-rank percentile as a conditional aggregate over ranked rows."""
    return (f"MIN(CASE WHEN {value} IS NOT NULL AND 100 * {rank} >= {percent} * {count} "
            f"THEN {value} END)")


_OUTCOME_COLUMNS = """
       COUNT(*) AS total,
       SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
       SUM(CASE WHEN status = 'completed' AND conclusion = 'success' THEN 1 ELSE 0 END)
           AS successes,
       SUM(CASE WHEN status = 'completed' AND conclusion = 'cancelled' THEN 1 ELSE 0 END)
           AS cancelled,
       SUM(CASE WHEN status = 'completed' AND conclusion = 'skipped' THEN 1 ELSE 0 END)
           AS skipped"""

_DURATION = ("CASE WHEN status = 'completed' AND COALESCE(conclusion, '') <> 'skipped' "
             "AND started_at IS NOT NULL AND completed_at IS NOT NULL "
             "THEN completed_at - started_at END")
_QUEUE = "CASE WHEN started_at IS NOT NULL THEN started_at - created_at END"


def run_stats_sql(keys: Sequence[str], where: str) -> str:
    """The runs query grouped by ``keys`` (names from ``_KEYS``); exposed for the bench."""
    select = ", ".join(f"{_KEYS[k]} AS {k}" for k in keys)
    group = ", ".join(keys)
    return f"""
WITH base AS (
    SELECT {select}, status, conclusion, {_DURATION} AS duration
    FROM workflow_runs
    WHERE {where}
), ranked AS (
    SELECT base.*,
           ROW_NUMBER() OVER (PARTITION BY {group}, duration IS NULL ORDER BY duration) AS d_rank,
           COUNT(duration) OVER (PARTITION BY {group}) AS d_count
    FROM base
)
SELECT {group},{_OUTCOME_COLUMNS},
       {_percentile("duration", "d_rank", "d_count", 50)} AS duration_p50,
       {_percentile("duration", "d_rank", "d_count", 90)} AS duration_p90,
       MAX(duration) AS duration_max
FROM ranked
GROUP BY {group}
ORDER BY {group}"""


def job_stats_sql(keys: Sequence[str], where: str) -> str:
    """The jobs query grouped by ``keys`` (names from ``_KEYS``); exposed for the bench."""
    select = ", ".join(f"{_KEYS[k]} AS {k}" for k in keys)
    group = ", ".join(keys)
    return f"""
WITH base AS (
    SELECT {select}, status, conclusion, {_DURATION} AS duration, {_QUEUE} AS queue
    FROM workflow_jobs
    WHERE {where}
), ranked AS (
    SELECT base.*,
           ROW_NUMBER() OVER (PARTITION BY {group}, duration IS NULL ORDER BY duration) AS d_rank,
           COUNT(duration) OVER (PARTITION BY {group}) AS d_count,
           ROW_NUMBER() OVER (PARTITION BY {group}, queue IS NULL ORDER BY queue) AS q_rank,
           COUNT(queue) OVER (PARTITION BY {group}) AS q_count
    FROM base
)
SELECT {group},{_OUTCOME_COLUMNS},
       {_percentile("duration", "d_rank", "d_count", 50)} AS duration_p50,
       {_percentile("duration", "d_rank", "d_count", 90)} AS duration_p90,
       MAX(duration) AS duration_max,
       COUNT(queue) AS queued,
       {_percentile("queue", "q_rank", "q_count", 50)} AS queue_p50,
       {_percentile("queue", "q_rank", "q_count", 90)} AS queue_p90
FROM ranked
GROUP BY {group}
ORDER BY {group}"""


def _outcomes(row: Mapping[str, Any]) -> Outcomes:
    total, completed = int(row["total"]), int(row["completed"] or 0)
    successes, cancelled = int(row["successes"] or 0), int(row["cancelled"] or 0)
    skipped = int(row["skipped"] or 0)
    return Outcomes(total=total, completed=completed, successes=successes,
                    failures=completed - successes - cancelled - skipped,
                    cancelled=cancelled, skipped=skipped)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def run_stats(store: Store, window: Window, *, by: Literal["repository", "workflow"] = "workflow",
              per_day: bool = False) -> list[RunStats]:
    """Runs, outcomes and duration p50/p90/max per repository (/ workflow) (/ day)."""
    keys = _keys(by, per_day)
    where, params = _filters(window)
    rows = store.query(run_stats_sql(keys, where), params)
    return [RunStats(repository=row["repository"], workflow=row.get("workflow"),
                     day=_opt_int(row.get("day")), outcomes=_outcomes(row),
                     duration_p50=_opt_int(row["duration_p50"]),
                     duration_p90=_opt_int(row["duration_p90"]),
                     duration_max=_opt_int(row["duration_max"])) for row in rows]


def job_stats(store: Store, window: Window, *, by: Grouping = "job", per_day: bool = False,
              per_kind: bool = False) -> list[JobStats]:
    """Jobs, outcomes, duration and queue-time percentiles per repository / workflow / job
    name (down to ``by``), optionally per runner kind and per day."""
    keys = _keys(by, per_day, per_kind)
    where, params = _filters(window)
    rows = store.query(job_stats_sql(keys, where), params)
    return [JobStats(repository=row["repository"], workflow=row.get("workflow"),
                     job=row.get("job"), day=_opt_int(row.get("day")),
                     runner_kind=row.get("runner_kind"), outcomes=_outcomes(row),
                     duration_p50=_opt_int(row["duration_p50"]),
                     duration_p90=_opt_int(row["duration_p90"]),
                     duration_max=_opt_int(row["duration_max"]),
                     queued=int(row["queued"] or 0),
                     queue_p50=_opt_int(row["queue_p50"]),
                     queue_p90=_opt_int(row["queue_p90"])) for row in rows]


def runner_split(store: Store, window: Window) -> list[KindSplit]:
    """Per repository / workflow: jobs and queue time on GitHub-hosted vs self-hosted runners."""
    out: dict[tuple[str, str], dict[str, JobStats]] = {}
    for stats in job_stats(store, window, by="workflow", per_kind=True):
        key = (stats.repository, stats.workflow or "")
        out.setdefault(key, {})[stats.runner_kind or "unknown"] = stats
    return [KindSplit(repo, workflow, kinds) for (repo, workflow), kinds in out.items()]


DEFAULT_TIMEOUT_MINUTES = 360
"""GitHub's limit for a job that declares none (``cockpit.ci.timeouts`` caches files)."""

_FINISHED = """
WITH finished AS (
    SELECT j.job_id, j.repository, j.workflow_name AS workflow, j.job_name AS job, j.run_id,
           j.head_sha, j.conclusion, j.created_at, j.html_url,
           j.completed_at - j.started_at AS duration,
           COALESCE(
               MIN(CASE WHEN t.job_name = j.job_name THEN t.timeout_minutes END),
               MIN(CASE WHEN t.job_name <> '' AND substr(j.job_name, 1, length(t.job_name) + 2)
                        = t.job_name || ' (' THEN t.timeout_minutes END),
               CASE WHEN COUNT(t.job_name) > 0 THEN {default} END) AS timeout_minutes
    FROM workflow_jobs j
    LEFT JOIN workflow_runs r ON r.run_id = j.run_id AND r.run_attempt = j.run_attempt
    LEFT JOIN workflow_timeouts t ON t.repository = j.repository AND t.head_sha = j.head_sha
                                 AND t.workflow_path = r.workflow_path
    WHERE {where}
      AND j.status = 'completed' AND COALESCE(j.conclusion, '') <> 'skipped'
      AND j.started_at IS NOT NULL AND j.completed_at IS NOT NULL
    GROUP BY j.job_id
)"""
"""Each finished job of the window with its ``timeout-minutes`` as ``cockpit.ci.timeouts``
caches them per workflow file at a commit (the file from the job's run): the row of the
job's name, else of the matrix job it is an instance of (``build (ubuntu, 3.12)`` → ``build``),
else GitHub's default when the file was read (it has rows) but declares none for the job.
NULL — the job is not judged — when the file was not read yet or the run is not known. One
join on the file's few rows, aggregated per job (no subquery per job: on PostgreSQL those
priced the plan into JIT compilation, ~120 ms of it)."""


def near_timeout_sql(where: str) -> str:
    """One statement (exposed for the bench): a first row with the counts (``kind`` 0:
    finished jobs, judged jobs), then the jobs at ``:percent`` % of their limit (``kind`` 1)."""
    return _FINISHED.format(default=DEFAULT_TIMEOUT_MINUTES, where=where) + """
SELECT 0 AS kind, COUNT(*) AS finished, COUNT(timeout_minutes) AS judged,
       NULL AS repository, NULL AS workflow, NULL AS job, NULL AS job_id, NULL AS run_id,
       NULL AS head_sha, NULL AS conclusion, NULL AS created_at, NULL AS html_url,
       NULL AS duration, NULL AS timeout_minutes
FROM finished
UNION ALL
SELECT 1, NULL, NULL, repository, workflow, job, job_id, run_id, head_sha, conclusion,
       created_at, html_url, duration, timeout_minutes
FROM finished
WHERE timeout_minutes IS NOT NULL AND 100 * duration >= :percent * 60 * timeout_minutes
ORDER BY 1, 4, 5, 6, 11, 7"""


def near_timeout(store: Store, window: Window, *, percent: int = 90) -> NearTimeout:
    """Completed jobs whose duration reached ``percent`` % of their ``timeout-minutes``."""
    where, params = _filters(window, "j.")
    params["percent"] = int(percent)
    rows = store.query(near_timeout_sql(where), params)
    counts, near = rows[0], rows[1:]
    jobs = tuple(
        NearTimeoutJob(repository=row["repository"], workflow=row["workflow"], job=row["job"],
                       job_id=int(row["job_id"]), run_id=_opt_int(row["run_id"]),
                       head_sha=row["head_sha"], conclusion=row["conclusion"],
                       created_at=int(row["created_at"]), duration=int(row["duration"]),
                       timeout_minutes=int(row["timeout_minutes"]), html_url=row["html_url"])
        for row in near)
    finished, judged = int(counts["finished"] or 0), int(counts["judged"] or 0)
    return NearTimeout(percent=int(percent), judged=judged, unjudged=finished - judged, jobs=jobs)


STUCK_SQL = """
SELECT repository, workflow_name AS workflow, job_name AS job, job_id, run_id, status,
       created_at, labels, runner_kind, html_url
FROM workflow_jobs
WHERE created_at >= :horizon AND created_at < :before
  AND status IN ('queued', 'waiting') AND started_at IS NULL{filters}
ORDER BY created_at, job_id"""

STUCK_HORIZON = DAY
"""How far back ``stuck_jobs`` looks by default: GitHub fails a job that waited 24 hours for a
runner, so a job still "queued" after that is a completion webhook that never came (gap
repair's business), not a queue."""


def stuck_jobs(store: Store, now: float, minutes: float, *, repository: str | None = None,
               workflow: str | None = None, horizon: int = STUCK_HORIZON) -> list[StuckJob]:
    """Jobs queued or waiting for more than ``minutes`` at ``now``, with no runner yet."""
    params: dict[str, Any] = {"before": int(now - minutes * 60), "horizon": int(now) - horizon}
    filters = ""
    if repository is not None:
        filters += " AND repository = :repository"
        params["repository"] = repository
    if workflow is not None:
        filters += " AND workflow_name = :workflow"
        params["workflow"] = workflow
    rows = store.query(STUCK_SQL.format(filters=filters), params)
    return [StuckJob(repository=row["repository"], workflow=row["workflow"], job=row["job"],
                     job_id=int(row["job_id"]), run_id=_opt_int(row["run_id"]),
                     status=row["status"], created_at=int(row["created_at"]),
                     queued_seconds=int(now) - int(row["created_at"]),
                     labels=_labels(row["labels"]), runner_kind=row["runner_kind"],
                     html_url=row["html_url"]) for row in rows]


LAST_EVENTS_SQL = """
SELECT a.repository, a.runs,
       (SELECT MAX(e.received_at) FROM events e
         WHERE e.repository = a.repository AND e.source = 'webhook') AS last_received
FROM (
    SELECT repository, SUM(CASE WHEN created_at >= :since AND created_at < :until
                                THEN 1 ELSE 0 END) AS runs
    FROM workflow_runs
    WHERE repository IS NOT NULL{filters}
    GROUP BY repository
) a
ORDER BY a.repository"""


def last_events(store: Store, window: Window) -> list[RepositoryActivity]:
    """Every repository that ever had a run: its runs in ``window`` and its last webhook.

    The newest delivery comes from ``events`` (an index lookup per repository on
    ``(repository, received_at)``); ``received_at`` comes back as a ``datetime`` from
    PostgreSQL and as ISO text from SQLite, and ``_epoch`` reads either."""
    params: dict[str, Any] = {"since": window.since, "until": window.until}
    filters = ""
    if window.repository is not None:
        filters = " AND repository = :repository"
        params["repository"] = window.repository
    rows = store.query(LAST_EVENTS_SQL.format(filters=filters), params)
    return [RepositoryActivity(repository=row["repository"], runs=int(row["runs"] or 0),
                               last_received=_epoch(row["last_received"])) for row in rows]


# -- small conversions ------------------------------------------------------------------------


def _epoch(value: object) -> float | None:
    """``received_at`` as epoch seconds: a ``datetime`` (PostgreSQL) or ISO text (SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    raise TypeError(f"received_at of an unexpected type: {type(value).__name__}")


def _labels(value: object) -> tuple[str, ...]:
    if not isinstance(value, str) or not value:
        return ()
    try:
        labels = json.loads(value)
    except ValueError:
        return ()
    return tuple(str(label) for label in labels) if isinstance(labels, list) else ()


def _date(day: int | None) -> date | None:
    return None if day is None else date(1970, 1, 1) + timedelta(days=day)
