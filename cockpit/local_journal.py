"""The local journal: an append-only JSONL file of engine events, one per release.

(Its copy on the tracking issue, shared between machines, is ``cockpit.sync.issue_journal``.)

It keeps working offline, survives crashes (one flushed line per event), and
lets ``cockpit status`` show what happened last alongside fresh checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from cockpit.events import ActionFinished, Event, LogLine, PromptAnswered, event_from_json, event_to_json
from cockpit.model import Outcome


class Journal:
    def __init__(self, state_dir: Path, release_key: str) -> None:
        self.path = Path(state_dir) / "journals" / f"{release_key}.jsonl"
        self._out: TextIO | None = None

    def append(self, event: Event) -> None:
        """Write one event line. Every line reaches the OS at once (a killed process loses
        nothing); state changes are also fsynced, log lines are not: an fsync per log line
        cost ~0.9 ms, so a stage streaming 100k lines would stall the UI for minutes, and
        the next state change syncs the lines before it anyway."""
        if self._out is None or self._out.closed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write(event_to_json(event) + "\n")
        self._out.flush()
        if not isinstance(event, LogLine):
            os.fsync(self._out.fileno())

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def events(self) -> Iterator[Event]:
        """Every event recorded; a torn last line (a crash mid-write) is ignored."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    yield event_from_json(line)
                except ValueError:
                    continue

    def last_outcomes(self) -> dict[tuple[str, str], ActionFinished]:
        found: dict[tuple[str, str], ActionFinished] = {}
        for event in self.events():
            if isinstance(event, ActionFinished):
                found[(event.stage, event.action)] = event
        return found

    def skipped(self) -> dict[tuple[str, str], str]:
        """(stage, action) → reason, for actions whose last recorded outcome is a skip."""
        return {key: event.reason for key, event in self.last_outcomes().items()
                if event.outcome is Outcome.SKIPPED}

    def manual_confirmations(self) -> set[tuple[str, str]]:
        """(stage, action) of manual steps the human said were done."""
        done: set[tuple[str, str]] = set()
        for event in self.events():
            if (isinstance(event, PromptAnswered) and event.prompt_id.endswith("/manual")
                    and event.answer.value is True):
                done.add((event.stage, event.action))
        return done
