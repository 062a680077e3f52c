"""What the log pane shows, decided from the engine's events (no textual here).

Every line is filed under the stage and action that caused it (the engine's
``LogLine`` carries both, taken from the running task's context) and tagged with the
action, so the pane can show one action's lines. Two things are written by the book,
not by the engine:

- one outcome line per action when it finishes (``✔ done — reason``), and
- one updating line per action that waits for something in progress: the first
  ``Waiting`` event appends "◐ waiting: REASON · 0:00 · 1 poll", later ones rewrite
  that line in place, and while the action polls, a line identical to one it already
  logged (the same request, the same answer) is counted on that line instead of
  appended. A line that differs is always appended: distinct lines are never folded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cockpit.events import (
    ActionFinished,
    Event,
    LogLine,
    StageFinished,
    StageStarted,
    Waiting,
)
from screens.widgets.line_store import LineStore

OUTCOME_WORDS: dict[str, str] = {
    "done": "✔ done",
    "failed": "✘ failed",
    "skipped": "↷ skipped",
    "needs_human": "! needs you",
    "aborted": "✘ aborted",
    "cancelled": "■ cancelled",
    "not_applicable": "\u2013 not applicable",
}
"""How an outcome reads in the log (never its internal name); the glyphs are the
checklist's."""

LOOK_BACK = 200
"""Lines searched back, when an action starts waiting, for what it logged before the
first wait (the first check's requests, which every poll repeats)."""


def outcome_words(value: str) -> str:
    return OUTCOME_WORDS.get(value, value.replace("_", " "))


def _clock(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@dataclass
class Poll:
    """An action waiting for something in progress: its one updating line."""

    action: str
    index: int
    """The line (in its stage's store) that says how the wait goes."""
    since: datetime
    last: datetime
    reason: str
    polls: int = 1
    folded: int = 0
    """Repeated lines counted here instead of appended."""
    seen: set[str] = field(default_factory=set)

    def text(self, now: datetime | None = None) -> str:
        elapsed = ((now or self.last) - self.since).total_seconds()
        polls = f"{self.polls} poll{'s' if self.polls != 1 else ''}"
        repeats = f" · {self.folded} repeated lines folded" if self.folded else ""
        return f"{self.action}: ◐ waiting: {self.reason} · {_clock(elapsed)} · {polls}{repeats}"

    def final(self) -> str:
        elapsed = (self.last - self.since).total_seconds()
        polls = f"{self.polls} poll{'s' if self.polls != 1 else ''}"
        repeats = f" · {self.folded} repeated lines folded" if self.folded else ""
        return f"{self.action}: ◐ waited {_clock(elapsed)} · {polls}{repeats} · last: {self.reason}"


class LogBook:
    """Every stage's lines, with their actions; outcome lines; polls folded."""

    def __init__(self, on_change: Callable[[str, int], None] = lambda *_: None) -> None:
        self.stores: dict[str, LineStore] = {}
        self.tags: dict[str, int] = {}
        """Action id → its tag in every store (0: a line of no action)."""
        self.polls: dict[tuple[str, str], Poll] = {}
        """(stage, action) → the wait under way."""
        self.on_change = on_change
        """Called with (stage, index) when a stored line is rewritten in place."""

    def store(self, stage: str) -> LineStore:
        store = self.stores.get(stage)
        if store is None:
            store = self.stores[stage] = LineStore()
        return store

    def tag(self, action: str | None) -> int:
        if not action:
            return 0
        found = self.tags.get(action)
        if found is None:
            found = self.tags[action] = len(self.tags) + 1
        return found

    def append(self, stage: str, line: str, action: str | None = None) -> None:
        """A line as it comes (``action: `` is prefixed here, the tag added)."""
        poll = self.polls.get((stage, action)) if action else None
        if poll is not None:
            if line in poll.seen:
                poll.folded += 1
                self._rewrite(stage, poll.index, poll.text())
                return
            poll.seen.add(line)
        self.store(stage).append(f"{action}: {line}" if action else line, self.tag(action))

    def observe(self, event: Event) -> None:
        """Fold one engine event into the book."""
        match event:
            case LogLine():
                self.append(event.stage, event.line, event.action)
            case Waiting():
                self._waiting(event)
            case ActionFinished():
                self._finished(event.stage, event.action, event.outcome.value, event.reason,
                               event.at)
            case StageStarted():
                # (Not its read_only flag: a shadow replays another driver's start with it.)
                by = f" by {event.driver}@{event.host}" if event.driver else ""
                self.store(event.stage).append(f"● stage started{by}")
            case StageFinished():
                for (stage, action), _ in list(self.polls.items()):
                    if stage == event.stage:
                        self._end_poll(stage, action, event.at)
                self.store(event.stage).append(
                    f"stage {outcome_words(event.outcome.value)} — {event.reason}")
            case _:
                pass

    def _waiting(self, event: Waiting) -> None:
        key = (event.stage, event.action)
        poll = self.polls.get(key)
        if poll is None:
            store = self.store(event.stage)
            poll = Poll(event.action, -1, event.at, event.at, event.reason,
                        seen=self._recent(event.stage, event.action))
            poll.index = store.append(poll.text(), self.tag(event.action))
            self.polls[key] = poll
            return
        poll.polls += 1
        poll.last = event.at
        poll.reason = event.reason
        self._rewrite(event.stage, poll.index, poll.text())

    def _recent(self, stage: str, action: str) -> set[str]:
        """What ``action`` logged lately (without its prefix): the lines a poll repeats."""
        store = self.store(stage)
        tag, prefix = self.tag(action), f"{action}: "
        found: set[str] = set()
        for index in range(len(store) - 1, max(-1, len(store) - 1 - LOOK_BACK), -1):
            if store.tags[index] == tag:
                found.add(store[index].removeprefix(prefix))
        return found

    def _finished(self, stage: str, action: str, outcome: str, reason: str,
                  at: datetime) -> None:
        self._end_poll(stage, action, at)
        line = f"{action}: {outcome_words(outcome)}" + (f" — {reason}" if reason else "")
        self.store(stage).append(line, self.tag(action))

    def _end_poll(self, stage: str, action: str, at: datetime) -> None:
        poll = self.polls.pop((stage, action), None)
        if poll is not None:
            poll.last = max(poll.last, at)
            self._rewrite(stage, poll.index, poll.final())

    def _rewrite(self, stage: str, index: int, text: str) -> None:
        store = self.store(stage)
        if store[index] == text:
            return
        store.replace(index, text)
        self.on_change(stage, index)

    def tick(self, stage: str, now: datetime | None = None) -> None:
        """Bring the running clocks of ``stage``'s waits up to ``now``."""
        now = now or datetime.now(UTC)
        for (where, _), poll in self.polls.items():
            if where == stage:
                self._rewrite(stage, poll.index, poll.text(max(now, poll.last)))
