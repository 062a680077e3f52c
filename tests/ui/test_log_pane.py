"""The log pane: every line kept, searchable and reachable; per action; polls folded; keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.pilot import Pilot
from textual.widgets import Input

from cockpit.events import ActionFinished, LogLine, StageStarted, Waiting
from cockpit.model import Outcome
from screens.widgets.checklist import Checklist, Item
from screens.widgets.line_store import CHUNK_LINES, LineStore
from screens.widgets.log_pane import LogPane
from tests.ui.helpers import frozen_app, screen_text, wait_for

T0 = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def test_line_store_reads_back_what_was_appended() -> None:
    store = LineStore()
    lines = [f"line {n}" for n in range(CHUNK_LINES * 2 + 7)]
    for number, line in enumerate(lines):
        assert store.append(line, tag=number % 3) == number
    store.append("two\nparts")
    assert len(store) == len(lines) + 1
    assert list(store)[:-1] == lines
    assert store[0] == "line 0" and store[CHUNK_LINES] == f"line {CHUNK_LINES}"
    assert store[-1] == "two parts"
    assert [len(chunk) for chunk in store.chunks(CHUNK_LINES - 1)] == [1, CHUNK_LINES, 8]
    assert [line for chunk in store.chunks(len(store) - 3) for line in chunk] == [
        lines[-2], lines[-1], "two parts"]
    assert store.indices(1)[:3] == [1, 4, 7]
    assert len(store.indices(2, start=CHUNK_LINES)) == len(range(CHUNK_LINES + 1, len(lines), 3))
    # A line rewritten in place, in a sealed chunk and in the open one.
    store.replace(5, "five")
    store.replace(len(store) - 1, "last")
    assert store[5] == "five" and store[4] == "line 4" and store[6] == "line 6"
    assert store[-1] == "last" and len(store) == len(lines) + 1


def test_line_store_search_runs_both_ways_across_chunks() -> None:
    store = LineStore()
    hits = {0, 7, CHUNK_LINES - 1, CHUNK_LINES, CHUNK_LINES + 1, 2 * CHUNK_LINES + 3}
    for number in range(2 * CHUNK_LINES + 5):
        store.append(f"{number}: Needle here, needle there" if number in hits else f"{number}")
    assert list(store.search("NEEDLE", 0)) == sorted(hits)  # once a line, any case
    assert list(store.search("needle", 8)) == sorted(hits - {0, 7})
    assert list(store.search("needle", CHUNK_LINES, backward=True)) == [
        CHUNK_LINES, CHUNK_LINES - 1, 7, 0]
    assert list(store.search("needle", len(store) - 1, backward=True)) == sorted(
        hits, reverse=True)
    assert list(store.search("needle", 0, stop=CHUNK_LINES)) == [0, 7, CHUNK_LINES - 1]
    assert list(store.search("needle", len(store), stop=CHUNK_LINES - 1, backward=True)) == [
        2 * CHUNK_LINES + 3, CHUNK_LINES + 1, CHUNK_LINES]
    # A needle never spans two lines (the store joins them with newlines inside).
    assert list(store.search("there\n1", 0)) == list(store.search("there1", 0)) == []
    assert list(store.search("needle", len(store))) == []



async def shown_stage(pilot: Pilot[object]) -> tuple[LogPane, str]:
    """The log pane once it shows a stage (the first, selected at start), and that stage."""
    pane = pilot.app.query_one(LogPane)
    await wait_for(pilot, lambda: pane.stage is not None, what="a stage shown")
    assert pane.stage is not None
    return pane, pane.stage

async def test_every_stored_line_is_found_scrolled_to_and_lit() -> None:
    app = frozen_app()
    total = 25_000
    async with app.run_test(size=(120, 36)) as pilot:
        pane, stage = await shown_stage(pilot)
        for number in range(total):
            pane.append(stage, f"line {number:06}")
        await wait_for(pilot, lambda: not pane._pending, what="log flushed")
        view = pane.log_widget
        assert view.store is pane.lines[stage]  # the one copy: the view draws from it
        assert view.line_count == total
        assert f"{total} lines" in str(pane.border_title)

        # The oldest lines too (the old pane kept only the last 20,000 on screen).
        pane._query = "line 000042"
        assert pane.find(+1) == 42
        assert not pane.follow
        assert "line 43 of 25000" in str(pane.border_subtitle)
        await pilot.pause()
        top = int(view.scroll_y)
        assert top <= 42 < top + view.size.height
        assert "line 000042" in screen_text(app)
        assert view.current == 42
        row = view.render_line(42 - top)
        lit = [segment for segment in row if segment.text.strip() and segment.style
               and segment.style.bgcolor is not None]
        assert any("000042" in segment.text for segment in lit)

        pane._query = f"line {total - 100:06}"
        assert pane.find(+1) == total - 100
        pane._query = "no such line"
        assert pane.find(+1) is None
        assert "no match" in str(pane.border_subtitle)

        # While paused, new lines are stored and counted, but the view does not jump.
        before = view.scroll_y
        pane.append(stage, "after the pause")
        await wait_for(pilot, lambda: not pane._pending, what="flushed while paused")
        assert pane.lines[stage][-1] == "after the pause"
        assert view.scroll_y == before
        view.focus()
        await pilot.press("f")
        await wait_for(pilot, lambda: pane.follow, what="follow resumed")


async def test_slash_searches_from_anywhere_and_letters_type_into_the_box() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        pane, stage = await shown_stage(pilot)
        for number in range(300):
            pane.append(stage, f"step {number}: {'error here' if number == 120 else 'ok'}")
        await wait_for(pilot, lambda: not pane._pending, what="log flushed")
        checklist = app.query_one(Checklist)
        assert checklist.has_focus
        # With the checklist focused, `/error` searches: r does not run, o does not open.
        await pilot.press("slash", *"error")
        search = pane.query_one("#log-search", Input)
        assert search.display and search.has_focus
        assert search.value == "error"
        # Every single-letter key of the app goes into the box while it has focus.
        await pilot.press(*"raoycSq", "backspace", "backspace", "backspace", "backspace",
                          "backspace", "backspace", "backspace")
        assert search.value == "error"
        assert not app.running and app.is_running
        await pilot.press("enter")
        assert pane._match == 120
        assert "line 121 of 300" in str(pane.border_subtitle)
        pane.append(stage, "another error")
        await wait_for(pilot, lambda: not pane._pending, what="flushed")
        await pilot.press("down")
        assert pane._match == 300
        await pilot.press("up")
        assert pane._match == 120
        # Esc closes the box and gives focus back to where it was.
        await pilot.press("escape")
        assert not search.display
        assert checklist.has_focus
        assert not app.running


async def test_lines_per_action_outcomes_and_folded_polls() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        pane, _ = await shown_stage(pilot)
        bus, key = app.engine.bus, app.engine.release_key
        stage = "prepare-branch"
        request = "$ gh api repos/ipfs/kubo/actions/runs?branch=x  → 200"
        bus.publish(StageStarted(release=key, stage=stage, driver="tester", host="h"))
        bus.publish(LogLine(release=key, stage=stage, action="create-branch",
                            line="$ git push origin HEAD:refs/heads/x"))
        bus.publish(ActionFinished(release=key, stage=stage, action="create-branch",
                                   outcome=Outcome.DONE, reason="branch exists"))
        bus.publish(LogLine(release=key, stage=stage, action="set-version", line=request))
        for poll in range(7):
            bus.publish(Waiting(release=key, stage=stage, action="set-version", seconds=5,
                                reason="2 checks still running",
                                at=T0 + timedelta(seconds=5 * poll)))
            bus.publish(LogLine(release=key, stage=stage, action="set-version", line=request))
            if poll == 3:
                bus.publish(LogLine(release=key, stage=stage, action="set-version",
                                    line=request.replace("200", "304 (cached)")))
        lines = list(pane.lines[stage])
        assert lines[3] == "set-version: " + request
        waiting = lines[4]
        assert waiting.startswith("set-version: ◐ waiting: 2 checks still running · 0:30 · 7 polls")
        assert "7 repeated lines folded" in waiting
        # A distinct line is never folded.
        assert lines[5] == "set-version: " + request.replace("200", "304 (cached)")
        assert len(lines) == 6
        bus.publish(ActionFinished(release=key, stage=stage, action="set-version",
                                   outcome=Outcome.NEEDS_HUMAN, reason="checks failed",
                                   at=T0 + timedelta(seconds=40)))
        lines = list(pane.lines[stage])
        assert lines[:2] == ["● stage started by tester@h",
                             "create-branch: $ git push origin HEAD:refs/heads/x"]
        assert lines[4].startswith("set-version: ◐ waited 0:40 · 7 polls")
        assert len(lines) == 7
        assert lines[-1] == "set-version: ! needs you — checks failed"
        assert lines.count("create-branch: ✔ done — branch exists") == 1

        # Selecting an action shows its lines alone; v shows the whole stage again.
        app.select(Item(stage, "create-branch"))
        await wait_for(pilot, lambda: pane.action == "create-branch", what="action shown")
        view = pane.log_widget
        assert view.line_count == 2
        assert str(pane.border_title) == "log · create-branch · 2 of 7"
        assert str(pane.border_subtitle).endswith("v: all")
        view.focus()
        await pilot.press("v")
        assert view.line_count == 7
        assert str(pane.border_title) == "log · prepare-branch · 7 lines"
        assert str(pane.border_subtitle).endswith("v: this action")
        await pilot.press("v")
        assert view.line_count == 2
        # Search reaches the shown lines only.
        pane._query = "gh api"
        assert pane.find(+1) is None
        pane._query = "git push"
        assert pane.find(+1) == 1 and "line 1 of 2" in str(pane.border_subtitle)
        assert pane.find(-1) == 1  # round the view, back to the same line


async def test_wrap_toggle_breaks_long_lines_into_rows() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        pane, stage = await shown_stage(pilot)
        long = "x" * 500 + " END"
        pane.append(stage, "short")
        pane.append(stage, long)
        pane.append(stage, "tail")
        pane.append(stage, "界" * 200 + " WIDE")  # two cells a character
        await wait_for(pilot, lambda: not pane._pending, what="log flushed")
        view = pane.log_widget
        assert view.virtual_size.height == 4
        assert "END" not in screen_text(app) and "WIDE" not in screen_text(app)
        view.focus()
        await pilot.press("w")
        await pilot.pause()
        assert view.wrap and view.virtual_size.height > 5
        assert "END" in screen_text(app) and "WIDE" in screen_text(app)
        assert "wrap" in str(pane.border_subtitle)
        # Search lands on the right row of a wrapped view.
        pane._query = "tail"
        assert pane.find(+1) == 2
        # Lines that come while wrapped take a row each (when they fit).
        rows = view.virtual_size.height
        pane.append(stage, "one more")
        pane.append(stage, "and the last")
        await wait_for(pilot, lambda: not pane._pending, what="flushed while wrapped")
        assert view.virtual_size.height == rows + 2 and view.row_of(5) == rows + 1
        await pilot.press("w")
        assert not view.wrap and view.virtual_size.height == 6


async def test_a_wrapped_poll_line_rewraps_in_place() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        pane, stage = await shown_stage(pilot)
        key = app.engine.release_key
        for number in range(50):
            pane.append(stage, f"line {number}")
        app.engine.bus.publish(Waiting(release=key, stage=stage, action="push-tag", seconds=5,
                                       reason="short", at=T0))
        pane.append(stage, "after")
        await wait_for(pilot, lambda: not pane._pending, what="flushed")
        view = pane.log_widget
        view.focus()
        await pilot.press("w")
        rows = view.virtual_size.height
        assert rows == 52
        app.engine.bus.publish(Waiting(release=key, stage=stage, action="push-tag", seconds=5,
                                       reason="a reason long enough to wrap " * 8,
                                       at=T0 + timedelta(seconds=5)))
        await pilot.pause()
        assert view.virtual_size.height > rows
        # "after" is still one row, the last, after the longer line.
        assert view.row_of(51) == view.virtual_size.height - 1
        assert view.store[51] == "after"
