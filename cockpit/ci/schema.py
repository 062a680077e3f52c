"""The event store's tables, as versioned migrations: one list of statements per dialect.

Version N is ``MIGRATIONS[dialect][N - 1]``; ``schema_version`` holds one row per version
applied. A store applies what is missing inside one transaction that first takes a lock
(PostgreSQL: ``pg_advisory_xact_lock``; SQLite: ``BEGIN IMMEDIATE``), so two receivers starting
at once on one database do not both create the tables, and a crash mid-migration leaves the
previous version. A new version is appended, never edited: stores already in use have run the
old ones.

The two lists describe the same tables: ``events`` is the team's Grafana shape (uuid, jsonb,
timestamptz on PostgreSQL; TEXT on SQLite), the index tables keep times as epoch seconds so
the facts' SQL is one text for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

ADVISORY_LOCK_KEY = 0x636F636B_70697443  # "cockpitC": one number all cockpit receivers agree on
"""The PostgreSQL advisory lock taken while migrating (a bigint)."""

SCHEMA_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY)"

_SQLITE_V1: tuple[str, ...] = (
    """CREATE TABLE events (
        delivery_id  TEXT PRIMARY KEY,
        event        TEXT NOT NULL,
        action       TEXT,
        organization TEXT,
        repository   TEXT,
        received_at  TEXT NOT NULL,
        source       TEXT NOT NULL DEFAULT 'webhook',
        payload      TEXT NOT NULL
    )""",
    "CREATE INDEX events_repository_received_at ON events (repository, received_at)",
    "CREATE INDEX events_event_received_at ON events (event, received_at)",
    """CREATE TABLE workflow_runs (
        run_id        INTEGER NOT NULL,
        run_attempt   INTEGER NOT NULL,
        repository    TEXT,
        workflow_id   INTEGER,
        workflow_name TEXT,
        workflow_path TEXT,
        event         TEXT,
        head_branch   TEXT,
        head_sha      TEXT,
        status        TEXT,
        conclusion    TEXT,
        created_at    INTEGER,
        started_at    INTEGER,
        completed_at  INTEGER,
        html_url      TEXT,
        source        TEXT NOT NULL,
        last_delivery TEXT,
        PRIMARY KEY (run_id, run_attempt)
    )""",
    "CREATE INDEX workflow_runs_repository_created_at ON workflow_runs (repository, created_at)",
    """CREATE TABLE workflow_jobs (
        job_id            INTEGER PRIMARY KEY,
        run_id            INTEGER,
        run_attempt       INTEGER,
        repository        TEXT,
        workflow_name     TEXT,
        job_name          TEXT,
        head_sha          TEXT,
        head_branch       TEXT,
        status            TEXT,
        conclusion        TEXT,
        created_at        INTEGER,
        started_at        INTEGER,
        completed_at      INTEGER,
        labels            TEXT,
        runner_name       TEXT,
        runner_group_name TEXT,
        runner_kind       TEXT,
        html_url          TEXT,
        source            TEXT NOT NULL
    )""",
    "CREATE INDEX workflow_jobs_repository_created_at ON workflow_jobs (repository, created_at)",
    "CREATE INDEX workflow_jobs_run_id ON workflow_jobs (run_id)",
    """CREATE TABLE workflow_timeouts (
        repository      TEXT NOT NULL,
        head_sha        TEXT NOT NULL,
        workflow_path   TEXT NOT NULL,
        job_name        TEXT NOT NULL,
        timeout_minutes INTEGER NOT NULL,
        PRIMARY KEY (repository, head_sha, workflow_path, job_name)
    )""",
    """CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        rule        TEXT NOT NULL,
        scope       TEXT NOT NULL,
        fired_at    REAL NOT NULL,
        resolved_at REAL,
        facts       TEXT NOT NULL DEFAULT '{}',
        notified_at REAL
    )""",
    "CREATE UNIQUE INDEX alerts_open ON alerts (rule, scope) WHERE resolved_at IS NULL",
)

_POSTGRES_V1: tuple[str, ...] = (
    """CREATE TABLE events (
        delivery_id  uuid PRIMARY KEY,
        event        text NOT NULL,
        action       text,
        organization text,
        repository   text,
        received_at  timestamptz NOT NULL,
        source       text NOT NULL DEFAULT 'webhook',
        payload      jsonb NOT NULL
    )""",
    "CREATE INDEX events_repository_received_at ON events (repository, received_at)",
    "CREATE INDEX events_event_received_at ON events (event, received_at)",
    """CREATE TABLE workflow_runs (
        run_id        bigint NOT NULL,
        run_attempt   integer NOT NULL,
        repository    text,
        workflow_id   bigint,
        workflow_name text,
        workflow_path text,
        event         text,
        head_branch   text,
        head_sha      text,
        status        text,
        conclusion    text,
        created_at    bigint,
        started_at    bigint,
        completed_at  bigint,
        html_url      text,
        source        text NOT NULL,
        last_delivery text,
        PRIMARY KEY (run_id, run_attempt)
    )""",
    "CREATE INDEX workflow_runs_repository_created_at ON workflow_runs (repository, created_at)",
    """CREATE TABLE workflow_jobs (
        job_id            bigint PRIMARY KEY,
        run_id            bigint,
        run_attempt       integer,
        repository        text,
        workflow_name     text,
        job_name          text,
        head_sha          text,
        head_branch       text,
        status            text,
        conclusion        text,
        created_at        bigint,
        started_at        bigint,
        completed_at      bigint,
        labels            text,
        runner_name       text,
        runner_group_name text,
        runner_kind       text,
        html_url          text,
        source            text NOT NULL
    )""",
    "CREATE INDEX workflow_jobs_repository_created_at ON workflow_jobs (repository, created_at)",
    "CREATE INDEX workflow_jobs_run_id ON workflow_jobs (run_id)",
    """CREATE TABLE workflow_timeouts (
        repository      text NOT NULL,
        head_sha        text NOT NULL,
        workflow_path   text NOT NULL,
        job_name        text NOT NULL,
        timeout_minutes integer NOT NULL,
        PRIMARY KEY (repository, head_sha, workflow_path, job_name)
    )""",
    """CREATE TABLE alerts (
        id          bigserial PRIMARY KEY,
        rule        text NOT NULL,
        scope       text NOT NULL,
        fired_at    double precision NOT NULL,
        resolved_at double precision,
        facts       jsonb NOT NULL DEFAULT '{}',
        notified_at double precision
    )""",
    "CREATE UNIQUE INDEX alerts_open ON alerts (rule, scope) WHERE resolved_at IS NULL",
)

_V2: tuple[str, ...] = (
    # The facts' windows over every repository (stuck jobs, the alert rules' scans) filter on
    # created_at alone; the (repository, created_at) indexes cannot serve them. At 1M events:
    # stuck jobs 33 ms → 0.1 ms, a whole alert evaluation 138 → 67 ms (SQLite), 145 → 44 ms.
    "CREATE INDEX workflow_runs_created_at ON workflow_runs (created_at)",
    "CREATE INDEX workflow_jobs_created_at ON workflow_jobs (created_at)",
)

MIGRATIONS: dict[Dialect, tuple[tuple[str, ...], ...]] = {
    "sqlite": (_SQLITE_V1, _V2),
    "postgresql": (_POSTGRES_V1, _V2),
}

LATEST = len(MIGRATIONS["sqlite"])
assert len(MIGRATIONS["postgresql"]) == LATEST, "both dialects have the same versions"


def pending(dialect: Dialect, current: int | None) -> Sequence[tuple[int, tuple[str, ...]]]:
    """The versions to apply after ``current`` (None: a fresh database), oldest first."""
    done = current or 0
    return [(number, statements) for number, statements in enumerate(MIGRATIONS[dialect], start=1)
            if number > done]
