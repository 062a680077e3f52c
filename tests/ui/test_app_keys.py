"""Single-letter keys never act while text is being typed; `/` searches from anywhere."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from cockpit.prompts import PromptAnswer, TextInput
from screens.app import CockpitApp
from screens.modals import TextModal
from screens.widgets.checklist import Checklist
from screens.widgets.log_pane import LogPane
from tests.ui.helpers import frozen_app, wait_for

LETTERS = "racSyoqfwvnN"
"""Every single-letter key the app and its panes bind (and a few they may bind later)."""


def _bindings(owner: type) -> list[Binding]:
    return [b for b in getattr(owner, "BINDINGS", []) if isinstance(b, Binding)]


def test_no_printable_key_is_a_priority_binding() -> None:
    """A text box gets a key before any non-priority binding does (textual's order); a
    priority binding would fire while typing. So none of ours is one."""
    for owner in (CockpitApp, LogPane, Checklist):
        for binding in _bindings(owner):
            for key in binding.key.split(","):
                printable = len(key) == 1 or key in ("slash", "question_mark")
                assert not (printable and binding.priority), (owner.__name__, binding.key)


async def test_letters_typed_in_a_dialog_go_into_its_text_box() -> None:
    app = frozen_app()
    answers: list[PromptAnswer] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.query_one(LogPane).stage is not None, what="ready")
        prompt = TextInput(id="announce/post-forum/url", title="Forum post URL",
                           message="Paste the URL.", default="")
        await app.push_screen(TextModal(prompt, answers.append))
        await pilot.pause()
        box = app.screen.query_one("#text", Input)
        assert box.has_focus
        await pilot.press(*LETTERS, "slash", "question_mark")
        assert box.value == LETTERS + "/?"
        assert app.is_running and not app.running
        assert not app.query_one(LogPane).query_one("#log-search", Input).display
        assert isinstance(app.screen, TextModal) and not answers


async def test_slash_from_the_explanation_and_back() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(LogPane)
        await wait_for(pilot, lambda: pane.stage is not None, what="ready")
        explanation = app.query_one("#explanation")
        explanation.focus()
        await pilot.pause()
        await pilot.press("slash")
        search = pane.query_one("#log-search", Input)
        assert search.has_focus
        await pilot.press(*LETTERS)
        assert search.value == LETTERS and not app.running and app.is_running
        await pilot.press("escape")
        assert explanation.has_focus and not search.display
