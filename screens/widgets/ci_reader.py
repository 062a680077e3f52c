"""The CI screen's one thread for the event store: the UI awaits it, never waits on it.

Why one long-lived thread rather than a thread worker per query: the SQLite store keeps a
connection per thread (and keeps each until it is closed), so a fresh thread every 2-second
poll would pile up connections; and one thread runs the queries one after another, so a
slow query delays the next poll instead of racing it. The store is opened (and migrated) on
that thread at the first call, so even opening a remote PostgreSQL never blocks the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cockpit.ci.store import Store, default_sqlite_path, open_store, redact_url

T = TypeVar("T")
DATABASE_ENV = "COCKPIT_CI_DATABASE"


def database_url(explicit: str | None = None) -> str:
    """``--database``, else ``COCKPIT_CI_DATABASE``, else the embedded SQLite file."""
    return (explicit or os.environ.get(DATABASE_ENV)
            or f"sqlite:///{default_sqlite_path()}")


class StoreReader:
    """Runs ``fn(store)`` on the reader's thread; ``await reader.call(fn)``."""

    def __init__(self, url: str | None = None, *, store: Store | None = None,
                 label: str | None = None) -> None:
        self.url = database_url(url) if store is None else store.display_url
        self._display = redact_url(self.url) if store is None else store.display_url
        self.label = label
        """What the screen calls the store, when not its URL (the snapshots' temporary path)."""
        self._store = store
        self._owned = store is None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cockpit-ci-store")
        self.last_seconds = 0.0
        """How long the latest call took on the thread (the status line and the bench)."""

    @property
    def display_url(self) -> str:
        """The store's URL without its password (or the label given)."""
        return self.label or self._display

    def _run(self, fn: Callable[[Store], T]) -> T:
        started = time.perf_counter()
        try:
            if self._store is None:
                self._store = open_store(self.url)
                self._display = self._store.display_url
            return fn(self._store)
        finally:
            self.last_seconds = time.perf_counter() - started

    def warm(self) -> None:
        """Open the store on the thread now (the screen is still being composed)."""
        with contextlib.suppress(RuntimeError):
            self._executor.submit(self._run, lambda store: None)

    async def call(self, fn: Callable[[Store], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, fn)

    def close(self) -> None:
        """Close the store (if this reader opened it) on its thread, then end the thread."""
        def shut() -> None:
            if self._owned and self._store is not None:
                with contextlib.suppress(Exception):
                    self._store.close()

        with contextlib.suppress(RuntimeError):
            self._executor.submit(shut)
        self._executor.shutdown(wait=False)
