"""The log pane: bounded on screen, every line kept and searchable, follow and pause."""

from __future__ import annotations

from textual.widgets import Input

from screens.widgets.line_store import CHUNK_LINES, LineStore
from screens.widgets.log_pane import REPLAY_LINES, LogPane
from tests.ui.helpers import frozen_app, wait_for


def test_line_store_reads_back_what_was_appended() -> None:
    store = LineStore()
    lines = [f"line {n}" for n in range(CHUNK_LINES * 2 + 7)]
    for line in lines:
        store.append(line)
    store.append("two\nparts")
    assert len(store) == len(lines) + 1
    assert list(store)[:-1] == lines
    assert store[0] == "line 0" and store[CHUNK_LINES] == f"line {CHUNK_LINES}"
    assert store[-1] == "two parts"
    assert store.tail(3) == [lines[-2], lines[-1], "two parts"]
    assert store.tail(10**6)[: len(lines)] == lines


async def test_a_long_stage_log_is_bounded_on_screen_and_searchable() -> None:
    app = frozen_app()
    total = REPLAY_LINES + 5_000
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(LogPane)
        stage = pane.stage
        assert stage is not None
        for number in range(total):
            pane.append(stage, f"line {number:06}")
        await wait_for(pilot, lambda: not pane._pending, what="log flushed")
        assert len(pane.lines[stage]) == total
        assert pane.log_widget.line_count == REPLAY_LINES
        assert f"{total} lines" in str(pane.border_title)

        # A line still on screen: found, following pauses, the widget scrolls to it.
        pane._query = f"line {total - 100:06}"
        assert pane.find(+1) == total - 100
        assert not pane.follow
        assert f"line {total - 99}" in str(pane.border_subtitle)
        # A line only in the store (older than what the screen holds) is still found.
        pane._query = "line 000042"
        assert pane.find(+1) == 42
        assert "not replayed" in str(pane.border_subtitle)
        pane._query = "no such line"
        assert pane.find(+1) is None
        assert "no match" in str(pane.border_subtitle)

        # While paused, new lines are stored and written, but the view does not jump.
        pane.append(stage, "after the pause")
        await wait_for(pilot, lambda: not pane._pending, what="flushed while paused")
        assert pane.lines[stage][-1] == "after the pause"
        await pilot.press("tab", "tab", "f")
        await wait_for(pilot, lambda: pane.follow, what="follow resumed")


async def test_search_box_opens_with_slash_and_finds_on_enter() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(LogPane)
        stage = pane.stage
        assert stage is not None
        for number in range(300):
            pane.append(stage, f"step {number}: {'push' if number == 120 else 'ok'}")
        await wait_for(pilot, lambda: not pane._pending, what="log flushed")
        pane.log_widget.focus()
        await pilot.press("slash")
        search = pane.query_one("#log-search", Input)
        assert search.display and search.has_focus
        await pilot.press(*"push", "enter")
        assert pane._match == 120
        await pilot.press("escape")
        assert not search.display
