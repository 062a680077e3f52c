"""A live log per stage, buffered: lines gather in memory and reach the screen in batches.

``Log.write_line`` one line at a time manages under 1,000 lines/s here; ``write_lines``
with a batch does 150-200k/s. So ``append`` only stores the line, and a timer flushes
whatever arrived every ``FLUSH_SECONDS``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Log

from screens.widgets.line_store import LineStore

FLUSH_SECONDS = 0.08
MAX_BATCH = 2_000
"""Lines per write: a bigger backlog is written in several steps so keys get in between."""
REPLAY_LINES = 20_000
"""The screen holds at most this many of a stage's last lines (all stay searchable): a
stage streaming a million lines must not keep a million rendered lines in the widget."""


class LogPane(Vertical):
    """The log of the selected stage, with follow/pause and search."""

    BINDINGS = [
        Binding("f", "toggle_follow", "Follow/pause"),
        Binding("slash", "search", "Search log"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines: dict[str, LineStore] = {}
        """Every line of every stage, kept so switching stages can replay them."""
        self.stage: str | None = None
        """The stage shown."""
        self._pending: list[str] = []
        self.follow = True
        self._query = ""
        self._match = -1
        self.flushes = 0
        """Batches written (the benchmark reports lines per batch)."""

    def compose(self) -> ComposeResult:
        yield Log(id="log", highlight=False, auto_scroll=True, max_lines=REPLAY_LINES)
        yield Input(placeholder="search the log (Enter: next, Esc: close)", id="log-search")

    def on_mount(self) -> None:
        self.query_one("#log-search", Input).display = False
        self.set_interval(FLUSH_SECONDS, self.flush)
        self._title()

    @property
    def log_widget(self) -> Log:
        return self.query_one("#log", Log)

    def append(self, stage: str, line: str) -> None:
        """Store a line; cheap enough to call 100k times in a burst."""
        store = self.lines.get(stage)
        if store is None:
            store = self.lines[stage] = LineStore()
        store.append(line)
        if stage == self.stage:
            self._pending.append(line)

    def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        self.log_widget.write_lines(batch, scroll_end=self.follow)
        self.flushes += 1
        self._title()
        if self._pending:
            self.set_timer(0.001, self.flush)

    def show(self, stage: str) -> None:
        """Switch to a stage's log (replaying what it has so far)."""
        if stage == self.stage:
            return
        self.stage = stage
        self._pending = []
        log = self.log_widget
        log.clear()
        lines = self.lines.get(stage)
        if lines is not None:
            log.write_lines(lines.tail(REPLAY_LINES), scroll_end=self.follow)
        self._match = -1
        self._title()

    @property
    def _offset(self) -> int:
        """Index (in ``lines``) of the first line the Log widget holds (it keeps the last
        ``REPLAY_LINES`` written; what is pending comes after them)."""
        stored = len(self.lines.get(self.stage or "", ()))
        return stored - len(self._pending) - self.log_widget.line_count

    def _title(self) -> None:
        count = len(self.lines.get(self.stage or "", ()))
        self.border_title = f"log · {self.stage or '—'} · {count} lines"
        state = "following" if self.follow else "paused"
        search = f" · /{self._query}" if self._query else ""
        self.border_subtitle = f"{state}{search}"

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.log_widget.auto_scroll = self.follow
        if self.follow:
            self.flush()
            self.log_widget.scroll_end(animate=False)
        self._title()

    def action_search(self) -> None:
        search = self.query_one("#log-search", Input)
        search.display = True
        search.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._query = event.value
        self.find(+1)

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        search = self.query_one("#log-search", Input)
        if key == "escape" and search.has_focus:
            search.display = False
            self.log_widget.focus()

    def find(self, step: int) -> int | None:
        """Scroll to the next (or previous) line containing the query; pauses following."""
        lines = self.lines.get(self.stage or "")
        needle = self._query.lower()
        if not needle or lines is None or not len(lines):
            return None
        count = len(lines)
        start = self._match if self._match >= 0 else (count - 1 if step > 0 else 0)
        for offset in range(1, count + 1):
            index = (start + step * offset) % count
            if needle in lines[index].lower():
                self._match = index
                if self.follow:
                    self.action_toggle_follow()
                shown = index - self._offset
                where = f"line {index + 1}" if shown >= 0 else f"line {index + 1} (not replayed)"
                self.log_widget.scroll_to(y=max(0, shown - 2), animate=False)
                self.border_subtitle = f"paused · /{self._query} · {where}"
                return index
        self.border_subtitle = f"paused · /{self._query} · no match"
        return None

    def action_next_match(self) -> None:
        self.find(+1)

    def action_previous_match(self) -> None:
        self.find(-1)
