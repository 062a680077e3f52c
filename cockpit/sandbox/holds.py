"""Hold one mutating request at a chosen instant, so a test can kill the client there.

A crash test wants to SIGKILL the cockpit at the worst moments: while its N-th
mutating request is in flight. ``arm(n, phase)`` picks the request (counting
mutating requests, git pushes included, from the moment it is armed):

- ``before``: the request has arrived but the server has not acted on it. The
  server waits; once released, it drops the request unprocessed (the client is
  gone), as when a connection dies before the server reads it.
- ``after``: the server has acted on it (the change landed) but its answer is held
  back; once released it is sent to a client that no longer listens. This is the
  ambiguous case: the world changed and the client never knew.

``arm(n, phase, mutating_only=False)`` counts every request instead (reads too), for
kill points between the writes. The test waits for ``reached``, kills the client,
then calls ``release()``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Literal

Phase = Literal["before", "after"]


class RequestHold:
    """One-shot trap on the N-th (mutating) request since ``arm``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reached = threading.Event()
        """Set when the chosen request is being held."""
        self._released = threading.Event()
        self.target: int | None = None
        self.phase: Phase = "before"
        self.count = 0
        self.mutating_only = True
        self.held: dict[str, Any] | None = None
        """The held request's log entry (method, path, ...), once reached."""

    def arm(self, n: int, phase: Phase, *, mutating_only: bool = True) -> None:
        if n < 1:
            raise ValueError("request numbers start at 1")
        with self._lock:
            self.target, self.phase, self.count, self.held = n, phase, 0, None
            self.mutating_only = mutating_only
            self.reached.clear()
            self._released.clear()

    def release(self) -> None:
        """Let the held request go on (or be dropped); disarms the trap."""
        with self._lock:
            self.target = None
        self._released.set()

    def claim(self, entry: dict[str, Any]) -> Phase | None:
        """Count a request; the phase to hold it in if it is the chosen one."""
        with self._lock:
            if self.target is None or (self.mutating_only and not entry.get("mutating")):
                return None
            self.count += 1
            if self.count != self.target:
                return None
            self.held = dict(entry)
            return self.phase

    async def wait(self) -> None:
        """Signal the test, then wait (without blocking the server) until released."""
        self.reached.set()
        while not self._released.is_set():
            await asyncio.sleep(0.01)
