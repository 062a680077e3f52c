"""Fan-out of engine events to any number of subscribers (TUI, journal, terminal)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from cockpit.events import Event

Listener = Callable[[Event], None]


class EventBus:
    """Synchronous listeners (journal writers) plus async-iterator subscribers (front ends)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._queues: list[asyncio.Queue[Event | None]] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)
        for queue in self._queues:
            queue.put_nowait(event)

    def close(self) -> None:
        for queue in self._queues:
            queue.put_nowait(None)

    async def subscribe(self) -> AsyncIterator[Event]:
        """Every event published from now on, until ``close()``."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._queues.remove(queue)
