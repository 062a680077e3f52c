"""App-level messages, declared in one place."""

from __future__ import annotations

from textual.message import Message

from cockpit.events import Event


class EngineEvent(Message):
    """One engine event (log lines excepted: those go straight into the log buffer)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
