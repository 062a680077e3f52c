"""The local journal: an append-only JSONL file of engine events, one per release.

It keeps working offline, survives crashes (one flushed line per event), and
lets ``cockpit status`` show what happened last alongside fresh checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cockpit.events import ActionFinished, Event, PromptAnswered, event_from_json, event_to_json
from cockpit.model import Outcome


class Journal:
    def __init__(self, state_dir: Path, release_key: str) -> None:
        self.path = Path(state_dir) / "journals" / f"{release_key}.jsonl"

    def append(self, event: Event) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(event_to_json(event) + "\n")
            out.flush()
            os.fsync(out.fileno())

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
