"""What a raw delivery says about a workflow run or a job: the rows both stores upsert.

Pure functions and SQL text, shared by the SQLite and the PostgreSQL store so the rule is
written once. GitHub delivers out of order and more than once, and gap repair later adds the
same runs from the REST API, so the upsert keeps the *latest known state*:

- status only moves forward (queued, requested, pending < waiting < in_progress < completed):
  a delivery whose status is behind the stored one is kept raw but changes nothing in the row
  except filling columns still NULL; one at or ahead of it overwrites what it knows;
- ``source`` is ``webhook`` once any webhook delivery told of the run or job (an API-sourced
  event after a webhook never flips it back — that is how "N runs had no webhook" is counted);
- times are epoch seconds (int), labels a JSON array as text, and ``runner_kind`` is
  ``self-hosted`` when a label says so (case-insensitive), ``github-hosted`` once the labels
  are known without it (or the runner group is GitHub's own), NULL until then.

``check_run`` / ``check_suite`` and every other event are stored raw only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cockpit.ci.store import Delivery
from cockpit.model import github_time

STATUS_RANK: Mapping[str, int] = {
    "requested": 0,
    "pending": 0,
    "queued": 0,
    "waiting": 1,
    "in_progress": 2,
    "completed": 3,
}
"""How far along a run or a job is; a NULL or unknown status ranks below all (-1)."""

GITHUB_HOSTED_GROUP = "GitHub Actions"
"""The runner group GitHub's own runners report."""

RUN_COLUMNS: tuple[str, ...] = (
    "run_id", "run_attempt", "repository", "workflow_id", "workflow_name", "workflow_path",
    "event", "head_branch", "head_sha", "status", "conclusion", "created_at", "started_at",
    "completed_at", "html_url", "source", "last_delivery",
)
JOB_COLUMNS: tuple[str, ...] = (
    "job_id", "run_id", "run_attempt", "repository", "workflow_name", "job_name", "head_sha",
    "head_branch", "status", "conclusion", "created_at", "started_at", "completed_at", "labels",
    "runner_name", "runner_group_name", "runner_kind", "html_url", "source",
)


def status_rank(status: str | None) -> int:
    """The Python twin of the SQL rank (tests and callers that reason about order)."""
    return STATUS_RANK.get(status, -1) if status is not None else -1


def _rank_sql(expr: str) -> str:
    whens = " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in STATUS_RANK.items())
    return f"(CASE {expr} {whens} ELSE -1 END)"


def _upsert(table: str, columns: Sequence[str], key: Sequence[str], *,
            forward_only: Sequence[str] = ()) -> str:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` in the dialect SQLite and PostgreSQL share.

    A delivery at or ahead of the stored status (``forward``) overwrites every column it knows
    (``COALESCE(excluded.c, stored.c)``); one behind it only fills NULLs
    (``COALESCE(stored.c, excluded.c)``). ``status`` and the ``forward_only`` columns change
    only going forward; ``source`` becomes ``webhook`` for good."""
    forward = f"{_rank_sql('excluded.status')} >= {_rank_sql(f'{table}.status')}"
    sets: list[str] = []
    for column in columns:
        if column in key:
            continue
        stored, new = f"{table}.{column}", f"excluded.{column}"
        if column == "source":
            expr = (f"CASE WHEN {stored} = 'webhook' OR {new} = 'webhook' "
                    "THEN 'webhook' ELSE 'api' END")
        elif column == "status" or column in forward_only:
            expr = f"CASE WHEN {forward} THEN COALESCE({new}, {stored}) ELSE {stored} END"
        else:
            expr = (f"CASE WHEN {forward} THEN COALESCE({new}, {stored}) "
                    f"ELSE COALESCE({stored}, {new}) END")
        sets.append(f"{column} = {expr}")
    names = ", ".join(columns)
    values = ", ".join(f":{column}" for column in columns)
    return (f"INSERT INTO {table} ({names}) VALUES ({values}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(sets))


RUN_UPSERT = _upsert("workflow_runs", RUN_COLUMNS, ("run_id", "run_attempt"),
                     forward_only=("last_delivery",))
"""Upsert one ``workflow_runs`` row (``:name`` parameters: ``RUN_COLUMNS``)."""
JOB_UPSERT = _upsert("workflow_jobs", JOB_COLUMNS, ("job_id",))
"""Upsert one ``workflow_jobs`` row (``:name`` parameters: ``JOB_COLUMNS``)."""


def epoch_seconds(value: object) -> int | None:
    """A GitHub timestamp (``2026-11-30T05:00:00Z``) as epoch seconds; None if absent/garbled."""
    moment = github_time(value)
    return None if moment is None else int(moment.timestamp())


def runner_kind(labels: Sequence[str] | None, runner_group_name: str | None) -> str | None:
    """``self-hosted`` / ``github-hosted`` from a job's labels (and runner group); None if unknown."""
    if labels and any(label.lower() == "self-hosted" for label in labels):
        return "self-hosted"
    if labels or runner_group_name == GITHUB_HOSTED_GROUP:
        return "github-hosted"
    return None


def _int(value: object) -> int | None:
    """An id or a count as both stores keep it (a signed 64-bit integer), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def run_row(delivery: Delivery) -> dict[str, Any] | None:
    """The ``workflow_runs`` row a ``workflow_run`` delivery describes (None: not one)."""
    if delivery.event != "workflow_run":
        return None
    run = delivery.payload.get("workflow_run")
    if not isinstance(run, Mapping):
        return None
    run_id = _int(run.get("id"))
    if run_id is None:
        return None
    status = _str(run.get("status"))
    return {
        "run_id": run_id,
        "run_attempt": _int(run.get("run_attempt")) or 1,
        "repository": delivery.repository,
        "workflow_id": _int(run.get("workflow_id")),
        "workflow_name": _str(run.get("name")),
        "workflow_path": _str(run.get("path")),
        "event": _str(run.get("event")),
        "head_branch": _str(run.get("head_branch")),
        "head_sha": _str(run.get("head_sha")),
        "status": status,
        "conclusion": _str(run.get("conclusion")),
        "created_at": epoch_seconds(run.get("created_at")),
        "started_at": epoch_seconds(run.get("run_started_at")),
        "completed_at": epoch_seconds(run.get("updated_at")) if status == "completed" else None,
        "html_url": _str(run.get("html_url")),
        "source": delivery.source,
        "last_delivery": str(delivery.delivery_id),
    }


def job_row(delivery: Delivery) -> dict[str, Any] | None:
    """The ``workflow_jobs`` row a ``workflow_job`` delivery describes (None: not one)."""
    if delivery.event != "workflow_job":
        return None
    job = delivery.payload.get("workflow_job")
    if not isinstance(job, Mapping):
        return None
    job_id = _int(job.get("id"))
    if job_id is None:
        return None
    raw_labels = job.get("labels")
    labels = ([label for label in raw_labels if isinstance(label, str)]
              if isinstance(raw_labels, list) else None)
    group = _str(job.get("runner_group_name"))
    status = _str(job.get("status"))
    return {
        "job_id": job_id,
        "run_id": _int(job.get("run_id")),
        "run_attempt": _int(job.get("run_attempt")) or 1,
        "repository": delivery.repository,
        "workflow_name": _str(job.get("workflow_name")),
        "job_name": _str(job.get("name")),
        "head_sha": _str(job.get("head_sha")),
        "head_branch": _str(job.get("head_branch")),
        "status": status,
        "conclusion": _str(job.get("conclusion")),
        "created_at": epoch_seconds(job.get("created_at")),
        # A queued job's payload already carries a started_at (its creation); the queue time
        # is only real once a runner took it: from in_progress on.
        "started_at": (epoch_seconds(job.get("started_at"))
                       if status_rank(status) >= STATUS_RANK["in_progress"] else None),
        "completed_at": (epoch_seconds(job.get("completed_at"))
                         if status == "completed" else None),
        "labels": json.dumps(labels) if labels else None,
        "runner_name": _str(job.get("runner_name")) or None,
        "runner_group_name": group or None,
        "runner_kind": runner_kind(labels, group),
        "html_url": _str(job.get("html_url")),
        "source": delivery.source,
    }


def index_statements(delivery: Delivery) -> list[tuple[str, dict[str, Any]]]:
    """The upserts (SQL with ``:name`` parameters, values) that index ``delivery``; often none."""
    run = run_row(delivery)
    if run is not None:
        return [(RUN_UPSERT, run)]
    job = job_row(delivery)
    if job is not None:
        return [(JOB_UPSERT, job)]
    return []


def received_at_iso(moment: datetime) -> str:
    """``received_at`` as SQLite stores it: ISO-8601 UTC with microseconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


INSERT_EVENT = (
    "INSERT INTO events (delivery_id, event, action, organization, repository, received_at, "
    "source, payload) VALUES (:delivery_id, :event, :action, :organization, :repository, "
    ":received_at, :source, :payload) ON CONFLICT (delivery_id) DO NOTHING"
)
"""The raw row; each store supplies the values in its own types (see ``event_row``)."""


def event_row(delivery: Delivery) -> dict[str, Any]:
    """The ``events`` row's values common to both stores (ids, times and payload as each
    dialect wants them are the stores' own: ``delivery_id``, ``received_at``, ``payload``)."""
    return {
        "delivery_id": str(delivery.delivery_id),
        "event": delivery.event,
        "action": delivery.action,
        "organization": delivery.organization,
        "repository": delivery.repository,
        "received_at": received_at_iso(delivery.received_at),
        "source": delivery.source,
        "payload": json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False),
    }
