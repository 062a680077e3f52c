"""Each job's ``timeout-minutes``, read from the workflow file at the run's commit, cached.

"Jobs within 10% of their timeout" is the symptom the team found too late (a test workflow
creeping up to its 20-minute limit), and neither webhooks nor the runs API say what a job's
limit is: only the workflow file does, and it may change from one commit to the next. So the
file is read once per (repository, head_sha, workflow_path) and its jobs' limits are kept in
``workflow_timeouts``; a file is never read again once its rows exist.

How a job's row is named — what the facts match a job's ``job_name`` against:

- the job's ``name:`` if it has one, else its key under ``jobs:`` (GitHub's display name);
- a matrix job is displayed as ``build (ubuntu, 3.12)``: it matches the row ``build`` by
  prefix (``build`` followed by `` (``), see ``timeout_for`` and ``JOB_MATCH_SQL``;
- a ``name:`` holding an expression (``Test ${{ matrix.os }}``) is stored as written and
  matches nothing, so such jobs get GitHub's default (as do jobs of a called reusable
  workflow, whose file is not followed);
- ``timeout-minutes`` that is not a number (an expression) counts as the default, 360;
- a file that declares no jobs, is gone at that commit, or is not a file at all (GitHub's
  ``dynamic/…`` workflows) gets one row with the empty job name (``NO_JOBS``): read, nothing
  declared, every job of it has the default.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from cockpit.ci.store import Store
from cockpit.services.github import GitHubClient

DEFAULT_TIMEOUT_MINUTES = 360
"""GitHub's limit for a job that declares none (6 hours)."""

NO_JOBS = ""
"""The job name of the one row that marks a file read with no job's limit in it."""

JOB_MATCH_SQL = ("(t.job_name = j.job_name OR substr(j.job_name, 1, length(t.job_name) + 2) "
                 "= t.job_name || ' (')")
"""How a ``workflow_jobs j`` row finds its ``workflow_timeouts t`` row (same repository,
head_sha and workflow path besides): by name, or a matrix job by its name's prefix. One text
for SQLite and PostgreSQL (``substr``/``length``; no LIKE, whose ``_`` and ``%`` job names
may contain)."""

INSERT_TIMEOUT = (
    "INSERT INTO workflow_timeouts (repository, head_sha, workflow_path, job_name, "
    "timeout_minutes) VALUES (:repository, :head_sha, :workflow_path, :job_name, "
    ":timeout_minutes) ON CONFLICT (repository, head_sha, workflow_path, job_name) DO NOTHING"
)

MISSING_SQL = """
SELECT DISTINCT r.repository, r.head_sha, r.workflow_path
FROM workflow_runs r
WHERE r.repository = :repository AND r.created_at >= :since
  AND r.head_sha IS NOT NULL AND r.workflow_path IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM workflow_timeouts t
                  WHERE t.repository = r.repository AND t.head_sha = r.head_sha
                    AND t.workflow_path = r.workflow_path)
ORDER BY r.head_sha, r.workflow_path
"""


@dataclass(frozen=True)
class WorkflowFile:
    """One (repository, commit, workflow path) whose jobs' limits are not cached yet."""

    repository: str
    head_sha: str
    workflow_path: str


def _minutes(value: Any) -> int:
    if isinstance(value, bool):
        return DEFAULT_TIMEOUT_MINUTES
    if isinstance(value, int | float) and value > 0:
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return DEFAULT_TIMEOUT_MINUTES  # an expression: known only at run time
        return int(number) if number > 0 else DEFAULT_TIMEOUT_MINUTES
    return DEFAULT_TIMEOUT_MINUTES


def parse_timeouts(text: str) -> dict[str, int]:
    """Job display name → ``timeout-minutes`` (default 360) of one workflow file's text.

    Empty when the text is not YAML or declares no jobs; the first of two jobs with one
    display name wins (GitHub would show both under that name)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    if not isinstance(jobs, dict):
        return {}
    out: dict[str, int] = {}
    for key, spec in jobs.items():
        if not isinstance(spec, dict):
            continue
        name = spec.get("name")
        display = name if isinstance(name, str) and name.strip() else str(key)
        out.setdefault(display, _minutes(spec.get("timeout-minutes")))
    return out


def timeout_for(timeouts: Mapping[str, int], job_name: str) -> int:
    """The limit of the job displayed as ``job_name`` (the rule ``JOB_MATCH_SQL`` writes in
    SQL): its own row, else the row of the matrix job it is an instance of, else 360."""
    if job_name in timeouts:
        return timeouts[job_name]
    for name, minutes in timeouts.items():
        if name and job_name.startswith(name + " ("):
            return minutes
    return DEFAULT_TIMEOUT_MINUTES


def missing(store: Store, repository: str, since_epoch: int) -> list[WorkflowFile]:
    """The files of ``repository``'s runs created since ``since_epoch`` not read yet."""
    rows = store.query(MISSING_SQL, {"repository": repository, "since": since_epoch})
    return [WorkflowFile(str(r["repository"]), str(r["head_sha"]), str(r["workflow_path"]))
            for r in rows]


def rows_for(file: WorkflowFile, timeouts: Mapping[str, int]) -> list[dict[str, Any]]:
    """The rows that cache ``timeouts`` for ``file`` (``NO_JOBS`` alone when empty)."""
    declared = timeouts or {NO_JOBS: DEFAULT_TIMEOUT_MINUTES}
    return [{"repository": file.repository, "head_sha": file.head_sha,
             "workflow_path": file.workflow_path, "job_name": name, "timeout_minutes": minutes}
            for name, minutes in declared.items()]


def is_file_path(path: str) -> bool:
    """A workflow the contents API can read (not GitHub's ``dynamic/…`` ones)."""
    return path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))


async def fill_timeouts(store: Store, client: GitHubClient, repositories: Sequence[str],
                        since_epoch: int, *,
                        may_request: Callable[[], Awaitable[bool]] | None = None
                        ) -> tuple[int, int]:
    """Read and cache the limits of every workflow file the recent runs ran; (files read,
    files left). ``may_request`` is asked before each read (the sync's rate budget): when it
    says no, the rest is left for the next time."""
    read = 0
    todo = [file for repo in repositories for file in missing(store, repo, since_epoch)]
    for n, file in enumerate(todo):
        if not is_file_path(file.workflow_path):
            store.executemany(INSERT_TIMEOUT, rows_for(file, {}))
            continue
        if may_request is not None and not await may_request():
            return read, len(todo) - n
        text = await client.workflow_file(file.repository, file.workflow_path, file.head_sha)
        read += 1
        store.executemany(INSERT_TIMEOUT, rows_for(file, parse_timeouts(text or "")))
    return read, 0
