"""A live log per stage: every line kept, drawn straight from the store, in batches.

Lines are stored as they come (``LogBook``: cheap enough for 100k lines in a burst) and
the view only learns how many there are every ``FLUSH_SECONDS``. The view is a line-API
widget over the store (as Textualize/toolong does): it renders just the rows on screen,
so every stored line can be scrolled to, searched and highlighted, however many there
are. The store is the only copy of the lines: the view caches the strips of the rows it
drew lately, and keeps per line only what its mode needs (one action's indices; where
each line's wrapped rows begin). It can wrap long lines (``w``), and show only the action
selected in the checklist (``v`` toggles between that and the whole stage).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from rich.cells import cell_len, chop_cells
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from cockpit.events import Event
from screens.widgets.line_store import LineStore
from screens.widgets.log_book import LogBook

FLUSH_SECONDS = 0.08
"""How often the view catches up with the stored lines."""


class LogView(ScrollView, can_focus=True):
    """The rows of one stage's store (all its lines, or one action's), with matches lit."""

    COMPONENT_CLASSES = {"log-view--match", "log-view--current"}
    DEFAULT_CSS = """
    LogView { background: $surface; color: $foreground; overflow-y: scroll; }
    LogView > .log-view--match { background: $warning 45%; text-style: bold; }
    LogView > .log-view--current { background: $accent 35%; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = LineStore()
        self.view: array[int] | None = None
        """Store indices shown (one action's lines, 8 bytes each), or None: every line."""
        self.wrap = False
        self.query_text = ""
        self.current = -1
        """Store index of the current search match (lit), or -1."""
        self._first_row = array("q")
        """Wrapping: the first row of each view position wrapped so far (8 bytes a line)."""
        self._row_count = 0
        """Wrapping: the rows of the positions wrapped so far."""
        self._wrap_width = 0
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(1024)

    @property
    def line_count(self) -> int:
        """Lines in the view (what ``wrap`` breaks into rows)."""
        return len(self.view) if self.view is not None else len(self.store)

    def index(self, position: int) -> int:
        """The store index of a view position."""
        return self.view[position] if self.view is not None else position

    def position(self, index: int) -> int | None:
        """The view position of a store index (None: filtered out)."""
        if self.view is None:
            return index if 0 <= index < len(self.store) else None
        found = bisect_left(self.view, index)
        return found if found < len(self.view) and self.view[found] == index else None

    def show(self, store: LineStore, view: list[int] | None) -> None:
        self.store, self.view = store, (array("q", view) if view is not None else None)
        self._unwrap()
        self.invalidate()
        self.update_size()

    def invalidate(self) -> None:
        self._cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()  # a theme or focus change restyles every row

    def line_changed(self, index: int) -> None:
        """A stored line was rewritten in place (its rows, and those after it, re-wrap)."""
        position = self.position(index)
        if self.wrap and position is not None and position < len(self._first_row):
            self._row_count = self._first_row[position]
            del self._first_row[position:]
            self.update_size()
        self.invalidate()

    # -- rows --------------------------------------------------------------------------

    def _width(self) -> int:
        return max(1, self.scrollable_content_region.width or self.size.width or 80)

    def _unwrap(self) -> None:
        """Forget where the wrapped rows begin (the next use wraps again)."""
        self._first_row, self._row_count, self._wrap_width = array("q"), 0, 0

    def _wrap_rows(self) -> None:
        """Bring the wrapped rows up to date (new lines only, unless the width changed)."""
        width = self._width()
        if width != self._wrap_width:
            self._unwrap()
            self._wrap_width = width
            self._cache.clear()  # rows cut at another width
        done = len(self._first_row)
        pieces: Iterable[list[str]] = (
            self.store.chunks(done) if self.view is None
            else [[self.store[index] for index in self.view[done:]]])
        for lines in pieces:
            self._add_rows(lines, width)

    def _add_rows(self, lines: list[str], width: int) -> None:
        """Wrap the next ``lines`` of the view (most often each is one row)."""
        first = self._row_count
        if all(map(str.isascii, lines)) and max(map(len, lines), default=0) <= width:
            self._first_row.extend(range(first, first + len(lines)))
            self._row_count += len(lines)
            return
        counts = [_row_count(line, width) for line in lines]
        if counts:
            self._first_row.extend(accumulate(counts[:-1], initial=first))
            self._row_count += sum(counts)

    def _row_starts(self, line: str) -> range | list[int]:
        """Where each wrapped row of ``line`` begins (a character offset)."""
        width = self._wrap_width
        if line.isascii():
            return range(0, max(1, len(line)), width)
        starts, at = [], 0
        for piece in chop_cells(line, width) or [""]:
            starts.append(at)
            at += len(piece)
        return starts

    def update_size(self) -> None:
        if self.wrap:
            self._wrap_rows()
            self.virtual_size = Size(self._width(), self._row_count)
        else:
            self.virtual_size = Size(self.store.width + 1, self.line_count)

    def row_of(self, position: int) -> int:
        if not self.wrap:
            return position
        self._wrap_rows()
        return self._first_row[position] if position < len(self._first_row) else 0

    def on_resize(self) -> None:
        if self.wrap:
            self.update_size()
            self.invalidate()

    def set_wrap(self, wrap: bool) -> None:
        """Wrap long lines, or scroll sideways; the top line stays in view."""
        top = self._position_at_row(int(self.scroll_y))
        self.wrap = wrap
        self._unwrap()
        self.update_size()
        self.invalidate()
        self.scroll_to(x=0, y=self.row_of(top), animate=False, immediate=True)

    def _position_at_row(self, row: int) -> int:
        if not self.wrap:
            return row
        return bisect_right(self._first_row, row) - 1 if 0 <= row < self._row_count else 0

    # -- drawing -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if row >= (self._row_count if self.wrap else self.line_count):
            return Strip.blank(width, style)
        position = self._position_at_row(row)
        key = (position, row - self._first_row[position] if self.wrap else 0)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._cache[key] = self._strip(position, key[1], style)
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, row)

    def _strip(self, position: int, part: int, style: Style) -> Strip:
        """Row ``part`` of the line at ``position`` (0: the whole line, unless wrapping)."""
        index = self.index(position)
        line = self.store[index]
        start, end = 0, None
        if self.wrap:
            starts = self._row_starts(line)
            start, end = starts[part], (starts[part + 1] if part + 1 < len(starts) else None)
        piece = line[start:end]
        text = Text(piece, no_wrap=True, end="")
        text.stylize(style)
        if index == self.current:
            text.stylize(self.get_component_rich_style("log-view--current", partial=True))
        needle = self.query_text.lower()
        if needle:
            lit = self.get_component_rich_style("log-view--match", partial=True)
            lower = line.lower()
            at = lower.find(needle)
            while at >= 0:
                left, right = max(at, start) - start, min(at + len(needle), start + len(piece)) - start
                if left < right:
                    text.stylize(lit, left, right)
                at = lower.find(needle, at + 1)
        return Strip(text.render(self.app.console), cell_len(piece))


def _row_count(line: str, width: int) -> int:
    """How many rows ``line`` wraps into at ``width`` cells."""
    if line.isascii():
        return -(-len(line) // width) or 1
    return len(chop_cells(line, width)) or 1


class SearchInput(Input):
    """The log's search box: Enter or ↓ finds the next match, ↑ the previous, Esc closes."""

    BINDINGS = [
        Binding("escape", "close", "Close search", show=False),
        Binding("down", "step(1)", "Next match", show=False),
        Binding("up", "step(-1)", "Previous match", show=False),
    ]

    @property
    def pane(self) -> LogPane | None:
        return next((a for a in self.ancestors if isinstance(a, LogPane)), None)

    def action_close(self) -> None:
        if self.pane is not None:
            self.pane.close_search()

    def action_step(self, step: int) -> None:
        if self.pane is not None:
            self.pane.search_for(self.value, step)


class LogPane(Vertical):
    """The log of the selected stage (or action), with follow/pause, wrap and search."""

    BINDINGS = [
        Binding("f", "toggle_follow", "Follow/pause"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("v", "toggle_filter", "This action/stage"),
        Binding("slash", "search", "Search log"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = LogBook(on_change=self._line_changed)
        self.stage: str | None = None
        """The stage shown."""
        self.action: str | None = None
        """The action selected in the checklist (its lines alone are shown if ``only``)."""
        self.only_action = True
        """Show only the selected action's lines (when an action, not a stage, is selected)."""
        self.follow = True
        self._query = ""
        self._match = -1
        """Store index of the current match, or -1."""
        self._shown = 0
        """Stored lines the view has been told about (of the shown stage)."""
        self._return_focus: Widget | None = None
        self.flushes = 0
        """Batches the view caught up with (the benchmark reports lines per batch)."""

    @property
    def lines(self) -> dict[str, LineStore]:
        """Every line of every stage (the stores of the book)."""
        return self.book.stores

    def compose(self) -> ComposeResult:
        yield LogView(id="log")
        yield SearchInput(placeholder="search: Enter/↓ next, ↑ prev, Esc",
                          id="log-search")

    def on_mount(self) -> None:
        self.query_one("#log-search", Input).display = False
        self.set_interval(FLUSH_SECONDS, self.flush)
        self.set_interval(1.0, self._tick)
        self._title()

    @property
    def log_widget(self) -> LogView:
        return self.query_one("#log", LogView)

    @property
    def _pending(self) -> int:
        """Lines stored for the shown stage that the view does not count yet."""
        return len(self.lines.get(self.stage or "", ())) - self._shown

    # -- input ---------------------------------------------------------------------------

    def append(self, stage: str, line: str, action: str | None = None) -> None:
        """Store a line; cheap enough to call 100k times in a burst."""
        self.book.append(stage, line, action)

    def observe(self, event: Event) -> None:
        """An engine event: log lines, waits (folded), outcomes."""
        self.book.observe(event)

    def _line_changed(self, stage: str, index: int) -> None:
        if stage == self.stage and index < self._shown:
            self.log_widget.line_changed(index)

    def _tick(self) -> None:
        if self.stage is not None:
            self.book.tick(self.stage)

    def flush(self) -> None:
        """Let the view know of the lines stored since the last flush."""
        store = self.lines.get(self.stage or "")
        if store is None or len(store) == self._shown:
            return
        view = self.log_widget
        if view.view is not None:
            view.view.extend(store.indices(self.book.tag(self.action), self._shown))
        self._shown = len(store)
        view.update_size()
        view.refresh()
        if self.follow:
            view.scroll_end(animate=False, immediate=True, x_axis=False)
        self.flushes += 1
        self._title()

    # -- what is shown -------------------------------------------------------------------

    def show(self, stage: str, action: str | None = None) -> None:
        """Show a stage's log (only ``action``'s lines, if one is selected and ``v`` says so)."""
        if (stage, action) == (self.stage, self.action) and self.stage is not None:
            return
        self.stage, self.action = stage, action
        self._refill()

    def _refill(self) -> None:
        store = self.book.store(self.stage or "")
        filtered = self.only_action and self.action is not None
        view = store.indices(self.book.tag(self.action)) if filtered else None
        self._shown = len(store)
        self._match = -1
        widget = self.log_widget
        widget.current = -1
        widget.show(store, view)
        if self.follow:
            widget.scroll_end(animate=False, immediate=True, x_axis=False)
        self._title()

    def _title(self) -> None:
        """Short enough for an 80-column screen: what is shown on top, keys below."""
        store = self.lines.get(self.stage or "")
        count = len(store) if store is not None else 0
        view = self.log_widget.view if self.is_mounted else None
        hint = ""
        if view is not None and self.action:
            # The stage is the explanation's title; 80 columns leave the log ~40.
            self.border_title = f"log · {self.action} · {len(view)} of {count}"
            hint = " · v: all"
        else:
            self.border_title = f"log · {self.stage or '—'} · {count} lines"
            hint = " · v: this action" if self.action else ""
        state = "following" if self.follow else "paused"
        wrap = " · wrap" if self.log_widget.wrap else ""
        search = f" · /{self._query}" if self._query else ""
        self.border_subtitle = f"{state}{wrap}{search}{hint}"

    # -- keys ----------------------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self.flush()
            self.log_widget.scroll_end(animate=False, immediate=True, x_axis=False)
        self._title()

    def action_toggle_wrap(self) -> None:
        view = self.log_widget
        view.set_wrap(not view.wrap)
        if self.follow:
            view.scroll_end(animate=False, immediate=True, x_axis=False)
        self._title()

    def action_toggle_filter(self) -> None:
        self.only_action = not self.only_action
        self._refill()
        if self.action is None:
            self.notify("select an action in the checklist to see its lines alone"
                        if self.only_action else "showing whole stages")

    def action_search(self) -> None:
        self.open_search()

    def open_search(self) -> None:
        """Open the search box from anywhere; Esc gives focus back where it was."""
        if self.screen is not self.app.screen:
            return  # a dialog is open: the log underneath is not what the keys are for
        search = self.query_one("#log-search", Input)
        focused = self.app.focused
        if focused is not search:
            self._return_focus = focused
        search.display = True
        search.focus()

    def close_search(self) -> None:
        search = self.query_one("#log-search", Input)
        search.display = False
        back = self._return_focus
        self._return_focus = None
        if back is not None and back.is_attached and back.focusable:
            back.focus()
        else:
            self.log_widget.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search_for(event.value, +1)

    def search_for(self, query: str, step: int) -> int | None:
        if query != self._query:
            self._query = query
            self.log_widget.query_text = query
            self.log_widget.invalidate()
        return self.find(step)

    def find(self, step: int) -> int | None:
        """Scroll to and light the next (or previous) line holding the query; this pauses
        following. Every stored line of the view is searched. The store index, or None."""
        view = self.log_widget
        needle = self._query.lower()
        view.query_text = self._query
        count = view.line_count
        if not needle or not count:
            self._title()
            return None
        here = view.position(self._match) if self._match >= 0 else None
        start = here + step if here is not None else (0 if step > 0 else count - 1)
        begin = view.index(start) if 0 <= start < count else None
        backward = step < 0
        # On from here, then round from the other end (back to here at the latest).
        passes = [] if begin is None else [view.store.search(needle, begin, backward=backward)]
        passes.append(view.store.search(needle, view.index(count - 1) if backward else 0,
                                        stop=begin, backward=backward))
        for found in passes:
            for index in found:
                position = view.position(index)
                if position is not None:
                    return self._land(position, index, count)
        self.border_subtitle = f"paused · /{self._query} · no match"
        view.current = self._match = -1
        view.invalidate()
        return None

    def _land(self, position: int, index: int, count: int) -> int:
        view = self.log_widget
        self._match = view.current = index
        if self.follow:
            self.follow = False
        row, x = view.row_of(position), view.scroll_x
        if not view.wrap:  # the match itself in view, not just its line
            column = view.store[index].lower().find(self._query.lower())
            width = view.scrollable_content_region.width
            if not x <= column <= x + width - len(self._query):
                x = max(0, column - width // 3)
        view.scroll_to(x=x, y=max(0, row - view.size.height // 2), animate=False,
                       immediate=True)
        view.invalidate()
        self.border_subtitle = f"paused · /{self._query} · line {position + 1} of {count}"
        return index

    def action_next_match(self) -> None:
        self.find(+1)

    def action_previous_match(self) -> None:
        self.find(-1)
