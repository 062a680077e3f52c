"""The ETag cache on disk, shared by every cockpit process of one user.

Why on disk: a driver's CLI, its TUI, a shadow on the same machine and the next
``cockpit status`` all ask GitHub the same questions. In memory, each process pays
for its first answer again; on disk, a repeated status is mostly ``304 Not Modified``,
which GitHub does not count against the 5,000-requests-an-hour budget that every tool
on the account shares.

Why SQLite (the standard library's ``sqlite3``): several processes read and write the
store at once, and SQLite's write-ahead log makes that safe without a lock of ours.
A row is one answer: the URL and a hash of the credential it was fetched with (a
cached answer is never shown to another credential), the ETag, and the 200's headers
and body. The store holds at most ``max_entries`` answers; the least recently used go
first. Failing to read or write the store never fails a request: the answer is then
simply fetched in full, as without a cache.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    url TEXT NOT NULL,
    credential TEXT NOT NULL,
    etag TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY (url, credential)
)
"""


@dataclass(frozen=True)
class StoredAnswer:
    """A 200 kept for revalidation: sent again as is when the server says 304."""

    etag: str
    headers: list[tuple[str, str]]
    body: bytes


class DiskEtagStore:
    """``(url, credential hash) → StoredAnswer`` in one SQLite file under ``directory``."""

    def __init__(self, directory: Path, *, max_entries: int = 4096) -> None:
        self.path = directory / "etags.sqlite3"
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def get(self, url: str, credential: str) -> StoredAnswer | None:
        db = self._connect()
        if db is None:
            return None
        try:
            with self._lock:
                row = db.execute("SELECT etag, headers, body FROM answers "
                                 "WHERE url = ? AND credential = ?", (url, credential)).fetchone()
                if row is not None:
                    db.execute("UPDATE answers SET used = ? WHERE url = ? AND credential = ?",
                               (time.time(), url, credential))
        except sqlite3.Error:
            return None
        if row is None:
            return None
        etag, headers, body = row
        return StoredAnswer(etag, [(k, v) for k, v in json.loads(headers)], bytes(body))

    def put(self, url: str, credential: str, answer: StoredAnswer) -> None:
        db = self._connect()
        if db is None:
            return
        try:
            with self._lock:
                db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                           (url, credential, answer.etag, json.dumps(answer.headers),
                            answer.body, time.time()))
                db.execute("DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers "
                           "ORDER BY used DESC LIMIT -1 OFFSET ?)", (self.max_entries,))
        except sqlite3.Error:
            return

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _connect(self) -> sqlite3.Connection | None:
        """Open on first use (a process that never GETs never touches the disk); a store
        that cannot be opened is left alone for the rest of the process."""
        if self._db is not None or self._broken:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None,
                                 check_same_thread=False)
            os.chmod(self.path, 0o600)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(SCHEMA)
        except (OSError, sqlite3.Error):
            self._broken = True
            return None
        self._db = db
        return db
