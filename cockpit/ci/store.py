"""One small interface over the two event stores (SQLite embedded, PostgreSQL for a team).

Every delivery is stored raw (``events``: the table shape the team's Grafana queries already
read) and, in the same transaction, indexed: ``workflow_runs`` and ``workflow_jobs`` hold the
latest known state of each run attempt and each job, with times as epoch seconds so the facts'
SQL (``cockpit.ci.facts``) is one text for both dialects. Deliveries arrive out of order and
more than once; ``ingest`` is idempotent by delivery id and never moves a run or job back to an
earlier status.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import platformdirs

from cockpit.errors import BadInput, CockpitError

Source = Literal["webhook", "api"]


class StoreError(CockpitError, RuntimeError):
    """The store cannot be reached or refused a write; the receiver answers 503."""


class BadDatabaseURL(BadInput, ValueError):
    """A ``--database`` value that is neither ``sqlite:///PATH`` nor ``postgresql://…``."""


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery (or one event synthesised from the REST API by gap repair)."""

    delivery_id: uuid.UUID
    event: str
    """``X-GitHub-Event``: ``workflow_run``, ``workflow_job``, ``ping``, …"""
    payload: Mapping[str, Any]
    received_at: datetime
    source: Source = "webhook"

    @property
    def action(self) -> str | None:
        value = self.payload.get("action")
        return value if isinstance(value, str) else None

    @property
    def repository(self) -> str | None:
        repo = self.payload.get("repository")
        name = repo.get("full_name") if isinstance(repo, Mapping) else None
        return name if isinstance(name, str) else None

    @property
    def organization(self) -> str | None:
        org = self.payload.get("organization")
        login = org.get("login") if isinstance(org, Mapping) else None
        if isinstance(login, str):
            return login
        repo = self.payload.get("repository")
        owner = repo.get("owner") if isinstance(repo, Mapping) else None
        login = owner.get("login") if isinstance(owner, Mapping) else None
        return login if isinstance(login, str) else None


@dataclass(frozen=True)
class AlertRecord:
    """One alert's life in the store: fired once, resolved once."""

    rule: str
    scope: str
    """What it is about, e.g. ``ipfs/kubo`` or ``ipfs/kubo/Go Test/unit``."""
    fired_at: float
    facts: Mapping[str, Any] = field(default_factory=dict)
    resolved_at: float | None = None
    id: int | None = None


class Store(Protocol):
    """What the receiver, gap repair, facts, alerts and (later) the CI screen need."""

    display_url: str
    """The URL with any password removed: safe for logs and errors."""
    dialect: Literal["sqlite", "postgresql"]

    def migrate(self) -> None:
        """Bring the schema to the newest version (idempotent; safe from two processes)."""

    def ingest(self, delivery: Delivery) -> bool:
        """Store ``delivery`` raw and index it, in one transaction. False when its id was
        already stored (a redelivery): nothing changes. Raises ``StoreError`` when the
        database cannot take it — then nothing was written."""

    def has_delivery(self, delivery_id: uuid.UUID) -> bool: ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read-only statement written with ``:name`` parameters (sqlite3's style;
        the PostgreSQL store translates them) and return rows as dicts."""

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one writing statement (``:name`` parameters); return the rows affected."""

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...


def delivery_stored(store: Store, delivery_id: uuid.UUID) -> bool:
    """Whether ``events`` holds that delivery: ``has_delivery`` of both stores."""
    rows = store.query("SELECT 1 AS found FROM events WHERE delivery_id = :id",
                       {"id": str(delivery_id)})
    return bool(rows)


def default_sqlite_path() -> Path:
    """The embedded store: a file under the user data dir (shared by demo and ``ci serve``)."""
    return Path(platformdirs.user_data_dir("cockpit")) / "ci" / "events.sqlite3"


def redact_url(url: str) -> str:
    """``postgresql://user:secret@host/db?password=x`` → ``postgresql://user:***@host/db?password=***``.

    libpq reads a password from the user-info part and from the ``password`` parameter."""
    parts = urlsplit(url)
    if parts.password is None and "password=" not in parts.query.lower():
        return url  # nothing to hide (and urlunsplit would fold sqlite:////abs into sqlite://abs)
    if parts.password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1))
    if parts.query:
        query = [(key, "***" if key.lower() == "password" else value)
                 for key, value in parse_qsl(parts.query, keep_blank_values=True)]
        parts = parts._replace(query=urlencode(query, safe="*"))
    return urlunsplit(parts)


def open_store(url: str | None = None) -> Store:
    """The store ``url`` names (``sqlite:///PATH``, ``postgresql://…``), migrated.

    ``None`` is the embedded SQLite file (``default_sqlite_path``)."""
    if url is None:
        url = f"sqlite:///{default_sqlite_path()}"
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from cockpit.ci.sqlite import SQLiteStore

        path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
        if not path:
            raise BadDatabaseURL(f"{url!r} names no file: write sqlite:///PATH "
                                 "(an absolute path has four slashes: sqlite:////var/ci.db)")
        store: Store = SQLiteStore(Path(path))
    elif scheme in ("postgresql", "postgres"):
        from cockpit.ci.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise BadDatabaseURL(f"{redact_url(url)!r} is not a database URL the cockpit reads: "
                             "use sqlite:///PATH or postgresql://USER@HOST/DB")
    store.migrate()
    return store
