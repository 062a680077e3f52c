"""Reading the CI store from the release side: without writing, and cheaply while polling.

The release gate (``preflight.ci-health``), the wait-for-CI actions' ETA and ``cockpit ci
report`` only read. ``open_store`` would create the embedded SQLite file and migrate a
database; a driver who never set up a receiver must not find an empty store appear because
they ran a release, and a report must not change what it reports on. So ``open_for_reading``
opens only a store that is there: a missing file, a database without the CI schema, or one
that cannot be reached is "no store", said in words the caller can show.

A wait action polls every few seconds; its expected duration comes from 30 days of history,
which does not change while one run is watched. ``expected_duration`` keeps each answer for a
few minutes, so a poll costs no query (and a PostgreSQL store no connection) after the first.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cockpit.ci.store import BadDatabaseURL, Store, StoreError, default_sqlite_path, redact_url

DATABASE_ENV = "COCKPIT_CI_DATABASE"
HISTORY_DAYS = 30
CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class Opened:
    """A store opened for reading, or why there is none (``store`` None)."""

    store: Store | None
    where: str
    """The store's URL without a password (or the file that is missing)."""
    reason: str = ""
    """Why there is no store, as a sentence fragment: ``no CI store at …``."""
    unreachable: bool = False
    """The store is configured but could not be read (down, refused): an error for a
    report, a reason to fall back to the API for the release gate."""


def store_url() -> str | None:
    """``COCKPIT_CI_DATABASE`` when set, else None (the embedded SQLite file)."""
    return os.environ.get(DATABASE_ENV, "").strip() or None


def open_for_reading(url: str | None = None) -> Opened:
    """The store ``url`` names (default: ``COCKPIT_CI_DATABASE``, else the embedded file),
    only if it exists and holds the CI schema; never creates, migrates or writes."""
    url = url or store_url()
    if url is None:
        url = f"sqlite:///{default_sqlite_path()}"
    scheme = url.split(":", 1)[0].lower()
    store: Store
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
        if not path:
            raise BadDatabaseURL(f"{url!r} names no file: write sqlite:///PATH")
        if not Path(path).is_file():
            return Opened(None, url, f"no CI store at {path} (no receiver set up here: "
                                     "`cockpit ci serve`, or `cockpit ci sync` to fill one)")
        from cockpit.ci.sqlite import SQLiteStore

        store = SQLiteStore(Path(path))
    elif scheme in ("postgresql", "postgres"):
        from cockpit.ci.postgres import PostgresStore

        store = PostgresStore(url, min_size=1, max_size=2)
    else:
        raise BadDatabaseURL(f"{redact_url(url)!r} is not a database URL the cockpit reads: "
                             "use sqlite:///PATH or postgresql://USER@HOST/DB")
    where = store.display_url
    try:
        store.query("SELECT MAX(version) AS version FROM schema_version")
    except StoreError as exc:
        store.close()
        text = str(exc).lower()
        if "schema_version" in text and ("no such table" in text or "does not exist" in text):
            return Opened(None, where, f"the database {where} holds no CI store yet "
                                       "(`cockpit ci serve --database …` creates it)")
        return Opened(None, where, f"the CI store cannot be read: {exc}", unreachable=True)
    return Opened(store, where)


def has_runs(store: Store) -> bool:
    """Whether the store knows any workflow run at all (an empty store says so)."""
    return bool(store.query("SELECT 1 AS one FROM workflow_runs LIMIT 1"))


# -- expected durations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """How long a workflow's runs took over the last ``days`` (completed runs)."""

    repository: str
    workflow: str
    runs: int
    """Runs with a duration (completed, not skipped)."""
    p50: int
    p90: int
    days: int = HISTORY_DAYS


_cache: dict[tuple[str | None, str, str], tuple[float, Expected | None]] = {}
_cache_lock = threading.Lock()


def expected_duration(repository: str, workflow: str, *, url: str | None = None,
                      now: float | None = None, days: int = HISTORY_DAYS) -> Expected | None:
    """p50/p90 of ``repository``'s ``workflow`` (its name, as runs carry it) over ``days``
    from the store; None without a store or without a finished run. Cached for a while."""
    url = url or store_url()
    key = (url, repository, workflow)
    clock = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and clock - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = _read_expected(repository, workflow, url, now, days)
    with _cache_lock:
        _cache[key] = (clock, value)
    return value


def forget() -> None:
    """Drop the cached durations (a test seeds a new store)."""
    with _cache_lock:
        _cache.clear()


def _read_expected(repository: str, workflow: str, url: str | None, now: float | None,
                   days: int) -> Expected | None:
    from cockpit.ci import facts

    try:
        opened = open_for_reading(url)
    except BadDatabaseURL:
        return None
    if opened.store is None:
        return None
    try:
        window = facts.Window.last(days * facts.DAY, now, repository=repository,
                                   workflow=workflow)
        stats = facts.run_stats(opened.store, window)
    except StoreError:
        return None
    finally:
        opened.store.close()
    for row in stats:
        if row.duration_p50 is not None and row.duration_p90 is not None:
            counted = row.outcomes.completed - row.outcomes.skipped
            return Expected(repository, workflow, counted, row.duration_p50, row.duration_p90,
                            days)
    return None


async def expected_async(repository: str, workflow: str) -> Expected | None:
    """``expected_duration`` off the event loop (a database may take a moment)."""
    return await asyncio.to_thread(expected_duration, repository, workflow)


def minutes(seconds: float) -> str:
    """``14 min``; under two minutes in seconds (``45 s``); from two hours in hours."""
    if seconds < 120:
        return f"{max(round(seconds), 0)} s"
    whole = round(seconds / 60)
    if whole < 120:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def progress(expected: Expected | None, elapsed: float | None) -> str:
    """``usually 14 min, p90 20 min; 6 min in (about 8 min to go)``; ``no history yet``."""
    if expected is None:
        return "no history yet"
    text = f"usually {minutes(expected.p50)}, p90 {minutes(expected.p90)}"
    if elapsed is None:
        return text
    text += f"; {minutes(elapsed)} in"
    if elapsed < expected.p50:
        return text + f" (about {minutes(expected.p50 - elapsed)} to go)"
    if elapsed <= expected.p90:
        return text + f" (up to {minutes(expected.p90 - elapsed)} to go)"
    return text + " (longer than 9 in 10 runs took)"
