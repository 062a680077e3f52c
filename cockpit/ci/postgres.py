"""The team's event store: PostgreSQL through psycopg 3 and a small connection pool.

The ``events`` table is the shape the team's Grafana already queries (uuid, timestamptz,
jsonb), so their dashboards carry over. Several receivers may share one database: ``ingest``
inserts the raw row with ``ON CONFLICT (delivery_id) DO NOTHING RETURNING``, so of two
receivers storing one delivery at once, one stores and indexes it and the other waits for that
commit and answers "known"; the index upsert is the same SQL text as SQLite's
(``cockpit.ci.index``).

Rows come back as SQLite gives them, so callers and tests read one shape from both stores:
json/jsonb as text, uuid as its string, timestamptz as the ISO-8601 UTC text SQLite stores,
numeric as int or float. The pool opens on first use with a short connect and wait timeout
(~3 s): an unreachable database is a ``StoreError`` quickly, which the receiver answers with
503 well inside GitHub's 10 s. Errors name the URL with its password removed.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.adapt import Buffer, Loader
from psycopg.rows import dict_row
from psycopg.types.datetime import TimestamptzLoader
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool, PoolTimeout

from cockpit.ci import schema
from cockpit.ci.index import INSERT_EVENT, event_row, index_statements
from cockpit.ci.store import Delivery, StoreError, delivery_stored, redact_url

CONNECT_TIMEOUT_S = 3
"""libpq's connect_timeout: how long one connection attempt may take."""
POOL_TIMEOUT_S = 3.0
"""How long a call waits for a pooled connection before ``StoreError`` (GitHub waits 10 s)."""

RECONNECT_TIMEOUT_S = 5.0
"""How long the pool retries a lost connection (backing off) before it gives up on it and
connects afresh at the next call. psycopg-pool's default, 5 minutes, backs off to minutes
between attempts: after a long outage the receiver would answer 503 long after the database
is back."""

_PLACEHOLDER = re.compile(r"[A-Za-z_]\w*")


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """``:name`` parameters (sqlite3's style) as psycopg's ``%(name)s``; ``%`` as ``%%``.

    String literals, quoted identifiers and comments are copied as they are (a ``'12:30'``
    stays), and ``::type`` casts are left alone."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == char:
                    if end + 1 < n and sql[end + 1] == char:  # '' or "" inside: an escaped quote
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("::", i):
            out.append("::")
            i += 2
        elif char == ":" and (match := _PLACEHOLDER.match(sql, i + 1)):
            out.append(f"%({match.group()})s")
            i = match.end()
        elif char == "%":
            out.append("%%")
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


class _NumberLoader(Loader):
    """numeric as SQLite gives it: ``42`` an int (a SUM), ``42.5`` a float (an AVG)."""

    def load(self, data: Buffer) -> int | float:
        text = bytes(data).decode()
        return float(text) if any(c in text for c in ".eEN") else int(text)


class _IsoTimestamptzLoader(TimestamptzLoader):
    """timestamptz as SQLite stores ``received_at``: ``2026-11-30T05:00:00.123456+00:00``."""

    def load(self, data: Buffer) -> str:  # type: ignore[override]
        return super().load(data).astimezone(UTC).isoformat(timespec="microseconds")


def _configure(conn: psycopg.Connection[Any]) -> None:
    adapters = conn.adapters
    for name in ("json", "jsonb", "uuid"):
        adapters.register_loader(name, TextLoader)
    adapters.register_loader("numeric", _NumberLoader)
    adapters.register_loader("timestamptz", _IsoTimestamptzLoader)


class PostgresStore:
    """The ``Store`` on a PostgreSQL database named by a ``postgresql://`` URL."""

    dialect: Literal["sqlite", "postgresql"] = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8,
                 timeout: float = POOL_TIMEOUT_S, connect_timeout: int = CONNECT_TIMEOUT_S,
                 reconnect_timeout: float = RECONNECT_TIMEOUT_S) -> None:
        self._url = url
        self.display_url = redact_url(url)
        self._password = urlsplit(url).password
        self._min_size, self._max_size = min_size, max_size
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._reconnect_timeout = reconnect_timeout
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._lock = threading.Lock()
        self._closed = False

    # -- errors and connections ----------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """An error's text from libpq without the URL's password (it never echoes it; belt
        and braces, in both its URL-encoded and its plain form)."""
        text = text.replace(self._url, self.display_url)
        if self._password:
            for secret in {self._password, unquote(self._password)}:
                text = text.replace(secret, "***")
        return text

    def _error(self, what: str, exc: BaseException) -> StoreError:
        if isinstance(exc, PoolTimeout):
            detail = (f"no connection within {self._timeout:g} s: check that PostgreSQL is running "
                      "and reachable at that host and port, and accepts that user and database")
        elif isinstance(exc, psycopg.OperationalError):
            detail = (f"{str(exc).strip()} (check that PostgreSQL is running and reachable at "
                      "that host and port, and accepts that user, password and database)")
        else:
            detail = str(exc).strip()
        return StoreError(f"event store {self.display_url}: {what} failed: {self._scrub(detail)}")

    def _kwargs(self) -> dict[str, Any]:
        # JIT compiling a facts query cost ~120 ms more than it saved (bench/ci_queries.py).
        return {"autocommit": True, "connect_timeout": self._connect_timeout,
                "application_name": "cockpit-ci", "options": "-c jit=off"}

    def _get_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        with self._lock:
            if self._closed:
                raise StoreError(f"event store {self.display_url} is closed")
            if self._pool is None:
                pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
                    self._url, kwargs=self._kwargs(), min_size=self._min_size,
                    max_size=self._max_size, open=False, configure=_configure,
                    check=ConnectionPool.check_connection, timeout=self._timeout,
                    reconnect_timeout=self._reconnect_timeout,
                    name="cockpit-ci")
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    @contextmanager
    def _connection(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._get_pool().connection() as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(what, exc) from exc

    # -- Store ---------------------------------------------------------------------------------

    def migrate(self) -> None:
        """On a connection of its own (its failure says why the database is out of reach)."""
        try:
            with psycopg.connect(self._url, **self._kwargs()) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (schema.ADVISORY_LOCK_KEY,))
                conn.execute(schema.SCHEMA_VERSION_TABLE)
                row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
                for version, statements in schema.pending("postgresql", row[0] if row else None):
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        except psycopg.Error as exc:
            raise self._error("migrating", exc) from exc

    def ingest(self, delivery: Delivery) -> bool:
        with self._connection("storing a delivery") as conn, conn.transaction():
            stored = conn.execute(translate(INSERT_EVENT + " RETURNING delivery_id"),
                                  event_row(delivery)).fetchone()
            if stored is None:
                return False  # a redelivery, or another receiver stored it first
            for sql, params in index_statements(delivery):
                conn.execute(translate(sql), params)
        return True

    def has_delivery(self, delivery_id: uuid.UUID) -> bool:
        return delivery_stored(self, delivery_id)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._connection("a query") as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(translate(sql), dict(params or {}))
            return cursor.fetchall()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        with self._connection("a write") as conn:
            return conn.execute(translate(sql), dict(params or {})).rowcount

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        with self._connection("a batch write") as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(translate(sql), [dict(row) for row in rows])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
