"""The embedded event store: one SQLite file (stdlib ``sqlite3``), the default for one machine.

WAL lets readers (facts, alerts) run while the receiver writes; ``synchronous=NORMAL`` in WAL
keeps every committed delivery across a killed process (only a power cut can lose the last
ones) and keeps a write well under a millisecond. The receiver calls from a thread pool, so
each thread gets its own connection; writers queue on SQLite's lock (``busy_timeout``) and a
write that waits longer than that, or a full disk, is a ``StoreError`` naming the file (the
receiver answers 503 and GitHub redelivers later).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal

from cockpit.ci import schema
from cockpit.ci.index import INSERT_EVENT, event_row, index_statements
from cockpit.ci.store import Delivery, StoreError, delivery_stored

BUSY_TIMEOUT_S = 5.0
"""How long a write waits for another writer before giving up (GitHub waits 10 s in all)."""


class SQLiteStore:
    """The ``Store`` on one SQLite file (created with its directory when missing)."""

    dialect: Literal["sqlite", "postgresql"] = "sqlite"

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.display_url = f"sqlite:///{self.path}"
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    # -- connections -------------------------------------------------------------------------

    def _error(self, what: str, exc: BaseException) -> StoreError:
        hint = ""
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            hint = f" (another process held the database for over {self._busy_timeout:g} s)"
        elif "full" in text:
            hint = " (the disk is full: free space there)"
        elif "unable to open" in text or "readonly" in text or "read-only" in text:
            hint = " (check the directory exists and is writable)"
        return StoreError(f"event store {self.path}: {what} failed: {exc}{hint}")

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"event store {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            self._wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise self._error("opening", exc) from exc
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL. On a new file opened by several processes at once, the
        switch needs the whole file and SQLite answers "locked" at once, without waiting
        for the busy timeout: retry it, within that timeout, like any other lock wait."""
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def _transaction(self, what: str) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: the write lock first, so no deadlock on upgrade."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(what, exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(what, exc) from exc
            raise

    # -- Store ---------------------------------------------------------------------------------

    def migrate(self) -> None:
        with self._transaction("migrating") as conn:
            conn.execute(schema.SCHEMA_VERSION_TABLE)
            current = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
            for version, statements in schema.pending("sqlite", current):
                for statement in statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def ingest(self, delivery: Delivery) -> bool:
        with self._transaction("storing a delivery") as conn:
            if conn.execute(INSERT_EVENT, event_row(delivery)).rowcount == 0:
                return False  # a redelivery: the events row is there, the index already has it
            for sql, params in index_statements(delivery):
                conn.execute(sql, params)
        return True

    def has_delivery(self, delivery_id: uuid.UUID) -> bool:
        return delivery_stored(self, delivery_id)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        conn = self._connection()
        try:
            return [dict(row) for row in conn.execute(sql, dict(params or {})).fetchall()]
        except sqlite3.Error as exc:
            raise self._error("a query", exc) from exc

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        conn = self._connection()
        try:
            return conn.execute(sql, dict(params or {})).rowcount
        except sqlite3.Error as exc:
            raise self._error("a write", exc) from exc

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        with self._transaction("a batch write") as conn:
            conn.executemany(sql, [dict(row) for row in rows])

    def close(self) -> None:
        """Close every thread's connection (a thread's next call after this is an error)."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            with suppress(sqlite3.Error):
                conn.close()
