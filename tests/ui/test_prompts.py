"""Prompts: one dialog at a time, the real release in every title, nothing answered by
Enter alone, and every prompt kind readable with its buttons on screen at 80x24.

Update the snapshots after an intended change with
``pytest tests/ui/test_prompts.py --snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from cockpit.cli import make_release
from cockpit.events import ActionChecked
from cockpit.model import CheckResult, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import Choose, Confirm, Manual, Prompt, PromptAnswer, TextInput, fill_notation
from cockpit.sandbox.testing import SandboxHandle
from screens.app import CockpitApp
from screens.launch import build_app
from screens.modals import (
    ChooseModal,
    ConfirmModal,
    ErrorModal,
    HelpScreen,
    ManualModal,
    PromptModal,
    choice_keys,
    modal_for,
)
from screens.widgets.checklist import Checklist
from tests.ui.helpers import VERSION, frozen_app, screen_text, wait_for
from tests.ui.snapshot_apps import KEY
from tests.ui.tmux import Tmux, quote, start

HERE = Path(__file__).parent
PROMPTS = HERE / "prompts.toml"
"""Titles in the playbook's vX.Y.Z notation; a long manual step, a branch, a signed tag."""
REPO = HERE.parents[1]
Snap = Callable[..., bool]

# -- the prompts the tests ask, as the engine and the Kubo playbook build them ------------

TAG = Confirm(
    id="tag/push-tag/confirm",
    title="Confirm: Tag v0.30.0-rc1 on release-v0.30.0 (signed) and push it",
    message="This is hard to reverse. Check it, then type the confirmation.",
    detail="Tag v0.30.0-rc1 in ipfs/kubo\non commit 3aa4eed47e4a262881f13e2849cfe2235c0e3350 "
           "(release-v0.30.0)\n  chore: set version to 0.30.0-rc1",
    typed_confirmation="v0.30.0-rc1")
MERGE = Confirm(id="merge/merge-pr/confirm", title="Confirm: Merge the release pull request",
                message="Merge ipfs/kubo#10500 into release?")
FAILED = Choose(
    id="docker/wait-image/failed",
    title='Failed: Wait for the "Publish docker image" run of v0.30.0-rc1',
    message="timed out after 1800s: run 9912 of docker-image.yml on v0.30.0-rc1 is still "
            "queued (no runner has picked it up)\n"
            "http://127.0.0.1:8321/ipfs/kubo/actions/runs/9912",
    choices=["retry", "skip", "abort"])
OUTCOME = Choose(id="staging/outcome/outcome", title="Staging outcome",
                 message="How did v0.30.0-rc1 compare against the last release on staging?",
                 choices=["no regression", "regression found (stop the release)"])
NOTES = TextInput(id="staging/outcome/notes", title="Staging notes",
                  message="Notes for the record (links, numbers)", required=False)
STEPS = "\n".join(f"{n}. {step}" for n, step in enumerate([
    "Open the marketing requests channel.", "Paste the text below.",
    "Mention the release driver of v0.30.0-rc1.", "Wait for a thumbs up.",
    "Link the post on the tracking issue.", "Check that the post went out.",
    "Thank the team."], 1))
TWEET = Manual(
    id="announce/tweet/manual",
    title="By hand: Ask for a tweet about v0.30.0-rc1 in the marketing requests channel",
    message="Do this by hand, then press Done.",
    instructions="Ask the communications team for a post on the IPFS social accounts: paste "
                 "the text below into the marketing requests channel. Press Done once the "
                 "request is posted.\n\n" + STEPS,
    copy_text="Kubo v0.30.0-rc1 is out! Release notes: "
              "http://127.0.0.1:8321/ipfs/kubo/releases/tag/v0.30.0-rc1",
    link="http://127.0.0.1:8321/ipfs/kubo/issues/12")
KINDS: dict[str, Prompt] = {"confirm": TAG, "choose": FAILED, "choose-long": OUTCOME,
                            "text": NOTES, "manual": TWEET}


def _ignore(_: PromptAnswer) -> None:
    return None


class DialogHost(App[None]):
    """Only the dialog, on the cockpit's stylesheet: these snapshots do not change when
    the main screen does."""

    CSS_PATH = str(REPO / "screens" / "cockpit.tcss")

    def __init__(self, dialog: ModalScreen[Any]) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


def dialogs(app: App[Any]) -> list[type]:
    return [type(screen) for screen in app.screen_stack if isinstance(screen, PromptModal)]


# -- titles -------------------------------------------------------------------------------

@pytest.mark.parametrize(("version", "title", "filled"), [
    ("v0.30.0-rc1", "Tag vX.Y.Z-rcN on release-vX.Y.Z (signed) and push it",
     "Tag v0.30.0-rc1 on release-v0.30.0 (signed) and push it"),
    ("v0.30.0", "ipfs/kubo:vX.Y.Z[-rcN] is on Docker Hub", "ipfs/kubo:v0.30.0 is on Docker Hub"),
    ("v0.30.0-rc2", "package.json on kubo-vX.Y.Z[-rcN] depends on kubo X.Y.Z[-rcN]",
     "package.json on kubo-v0.30.0-rc2 depends on kubo 0.30.0-rc2"),
    ("v0.30.1", "Set version.go to X.(Y+1).0-dev on version-update-vX.Y",
     "Set version.go to 0.31.0-dev on version-update-v0.30"),
    ("v0.30.0", "Fill the Changelog section of docs/changelogs/vX.Y.md",
     "Fill the Changelog section of docs/changelogs/v0.30.md"),
    ("v0.30.0", "Close the tracking issue \"Release vX.Y.Z\"",
     "Close the tracking issue \"Release v0.30.0\""),
])
def test_titles_name_the_release(version: str, title: str, filled: str) -> None:
    assert fill_notation(title, Version.parse(version)) == filled


def test_titles_keep_the_notation_without_a_release() -> None:
    from cockpit.context import SymbolicVersion

    title = "Tag vX.Y.Z-rcN on release-vX.Y.Z"
    assert fill_notation(title, SymbolicVersion()) == title


def test_no_title_of_the_kubo_playbook_keeps_its_notation_for_a_release() -> None:
    playbook = load_playbook()
    for text in ("v0.30.0-rc1", "v0.30.0", "v0.30.1"):
        version = Version.parse(text)
        for stage in playbook.stages:
            for spec in stage.actions:
                if stage.applies_to(version) and spec.applies_to(version):
                    filled = fill_notation(spec.title, version)
                    assert "X." not in filled and "rcN" not in filled, (text, filled)


def test_each_choice_has_its_own_key() -> None:
    assert choice_keys(["retry", "skip", "abort"]) == ["r", "s", "a"]
    assert choice_keys(["no regression", "regression found (stop the release)"]) == ["n", "r"]
    assert choice_keys(["same", "same again", "other"]) == ["1", "2", "o"]


# -- one dialog at a time -----------------------------------------------------------------

async def test_two_prompts_asked_at_once_show_one_dialog_then_the_other() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = asyncio.create_task(app.prompter.ask(MERGE))
        second = asyncio.create_task(app.prompter.ask(FAILED))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="first dialog")
        await pilot.pause(0.2)
        assert dialogs(app) == [ConfirmModal] and not second.done()
        assert app.prompter.waiting == 1
        assert "1 more question waiting" in screen_text(app)  # on the dialog's border
        await pilot.press("n")
        assert (await first).value is False
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal), what="second dialog")
        assert dialogs(app) == [ChooseModal]
        text = screen_text(app)
        assert "Publish docker image" in text and "waiting" not in text
        await pilot.press("r")
        assert (await second).value == "retry"
        await wait_for(pilot, lambda: not dialogs(app), what="no dialog left")


@pytest.mark.parametrize(("result", "toast"), [
    (CheckResult.done("confirmed done by hand"), "✔ Check passed: confirmed done by hand"),
    (CheckResult.failed("no request posted in #marketing"),
     "✘ Check did not pass: no request posted in #marketing"),
])
async def test_after_done_the_verdict_is_a_notification_and_the_next_prompt_waits_for_it(
        result: CheckResult, toast: str) -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        manual = asyncio.create_task(app.prompter.ask(TWEET))
        await wait_for(pilot, lambda: isinstance(app.screen, ManualModal), what="manual dialog")
        await pilot.press("d")
        assert (await manual).value is True
        # The engine checks the action again and, if it failed, asks what to do next.
        after = asyncio.create_task(app.prompter.ask(FAILED))
        await wait_for(pilot, lambda: "Checking the action" in screen_text(app),
                       what="the dialog says it is checking")
        await pilot.pause(0.2)
        assert dialogs(app) == [ManualModal] and not after.done()
        app.prompter.observe(ActionChecked(
            release=KEY, stage="announce", action="tweet", result=result))
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal), what="next dialog")
        assert dialogs(app) == [ChooseModal]
        assert toast in [note.message for note in app._notifications]
        after.cancel()
        await wait_for(pilot, lambda: not dialogs(app), what="withdrawn")


async def test_a_cancelled_question_closes_its_dialog_and_lets_the_next_one_show() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = asyncio.create_task(app.prompter.ask(MERGE))
        second = asyncio.create_task(app.prompter.ask(NOTES))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="first dialog")
        first.cancel()
        await wait_for(pilot, lambda: dialogs(app) == [modal_for(NOTES, _ignore).__class__],
                       what="the second dialog, alone")
        await pilot.press(*"p95 unchanged", "enter")
        assert (await second).value == "p95 unchanged"


async def test_a_question_cancelled_under_another_dialog_closes_when_uncovered() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = asyncio.create_task(app.prompter.ask(MERGE))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="first dialog")
        app.push_screen(HelpScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help on top")
        second = asyncio.create_task(app.prompter.ask(FAILED))
        first.cancel()  # its stage was cancelled (the quit question, say) while covered
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen), "the help stays: the cancel closes no other"
        assert dialogs(app) == [ConfirmModal] and not second.done()
        await pilot.press("escape")  # closes the help; the withdrawn question goes with it
        await wait_for(pilot, lambda: dialogs(app) == [ChooseModal], what="only the next one")
        await pilot.press("a")
        assert (await second).value == "abort"


async def test_a_prompt_waits_for_another_dialog_to_close() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ErrorModal("stage:tag", "GitError: push rejected", "press r"))
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal), what="error dialog")
        asked = asyncio.create_task(app.prompter.ask(MERGE))
        await pilot.pause(0.3)
        assert not dialogs(app) and isinstance(app.screen, ErrorModal)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the prompt")
        assert [type(s) for s in app.screen_stack if isinstance(s, ModalScreen)] == [ConfirmModal]
        await pilot.press("y")
        assert (await asked).value is True


# -- Enter alone answers nothing ----------------------------------------------------------

@pytest.mark.parametrize("prompt", [MERGE, TAG, FAILED, OUTCOME, TWEET],
                         ids=["confirm", "confirm-typed", "choose", "choose-long", "manual"])
async def test_enter_alone_answers_nothing(prompt: Prompt) -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        asked = asyncio.create_task(app.prompter.ask(prompt))
        await wait_for(pilot, lambda: isinstance(app.screen, PromptModal), what="dialog")
        await pilot.press("enter", "enter", "enter")
        await pilot.pause(0.2)
        assert not asked.done() and isinstance(app.screen, PromptModal)
        assert not isinstance(app.screen.focused, Button)
        asked.cancel()


async def test_the_typed_confirmation_then_enter_moves_to_yes_and_only_then_answers() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        asked = asyncio.create_task(app.prompter.ask(TAG))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="dialog")
        modal = app.screen
        assert isinstance(modal.focused, Input)
        await pilot.press("y")  # a key typed into the field is not the button's key
        assert not asked.done() and modal.query_one("#typed", Input).value == "y"
        await pilot.press("backspace", *"v0.30.0-rc1", "enter")
        await pilot.pause(0.1)
        assert not asked.done()
        yes = modal.query_one("#yes", Button)
        assert yes.has_focus and not yes.disabled
        await pilot.press("enter")
        assert (await asked).value is True


async def test_a_skip_asks_why_and_escape_goes_back_to_the_choices() -> None:
    app = frozen_app()
    async with app.run_test(size=(80, 24)) as pilot:
        asked = asyncio.create_task(app.prompter.ask(FAILED))
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal), what="dialog")
        await pilot.press("s")
        note = app.screen.query_one("#note", Input)
        assert note.display and note.has_focus
        await pilot.press("enter", "a")  # no reason yet; "a" goes into the field
        assert not asked.done() and note.value == "a"
        await pilot.press("escape")
        assert not note.display and not asked.done()
        await pilot.press("s", "backspace", *"runner pool is down", "enter")
        answer = await asked
        assert (answer.value, answer.note) == ("skip", "runner pool is down")


async def test_the_error_dialog_is_information_and_enter_closes_it() -> None:
    app = DialogHost(ErrorModal("stage:tag", "GitError: push rejected", "press r to resume"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorModal), what="error dialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ErrorModal), what="closed")


# -- at 80x24: everything reachable -------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
async def test_at_80x24_the_title_is_whole_and_the_buttons_are_on_screen(kind: str) -> None:
    prompt = KINDS[kind]
    app = DialogHost(modal_for(prompt, _ignore))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        text = " ".join(screen_text(app).split())
        assert prompt.title in text
        for button in app.screen.query(".buttons Button").results(Button):
            assert str(button.label) in text, (button.label, screen_text(app))
            assert button.region.bottom <= 24
        body = app.screen.query_one(".modal-body")
        dialog = app.screen.query_one(".dialog")
        longer = body.max_scroll_y > 0
        assert ("more below" in str(dialog.border_subtitle)) is longer
        await pilot.press("end")
        await pilot.pause(0.2)
        assert f"prompt {prompt.id}" in screen_text(app)  # the body's last line, reached
        assert not dialog.border_subtitle
        if isinstance(prompt, Manual):
            assert longer, "this manual step is longer than 80x24 shows"
            assert f"Where: {prompt.link}" in screen_text(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_prompt_snapshot(snap_compare: Snap, kind: str, size: tuple[int, int]) -> None:
    assert snap_compare(DialogHost(modal_for(KINDS[kind], _ignore)), terminal_size=size)


def test_manual_prompt_scrolled_to_its_link_at_80x24(snap_compare: Snap) -> None:
    assert snap_compare(DialogHost(modal_for(TWEET, _ignore)), terminal_size=(80, 24),
                        press=["end"])


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_error_dialog_snapshot(snap_compare: Snap, size: tuple[int, int]) -> None:
    dialog = ErrorModal(
        "stage:tag",
        "GitError: git push origin refs/tags/v0.30.0-rc1 failed: remote rejected "
        "(HTTP 503 from 127.0.0.1)",
        "Fix the cause, then select tag and press r (or run `cockpit run tag --release "
        "v0.30.0-rc1`). Every action checks the world first, so finished steps are not redone.")
    assert snap_compare(DialogHost(dialog), terminal_size=size)


# -- the engine's prompts, against the sandbox --------------------------------------------

def prompts_app() -> CockpitApp:
    playbook = load_playbook(PROMPTS)
    return build_app(playbook, make_release(playbook, Version.parse(VERSION), "tester"))


async def test_the_engine_names_the_release_in_its_prompts(sandbox: SandboxHandle) -> None:
    app = prompts_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(Checklist).select_stage("ask")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualModal), what="manual dialog")
        text = " ".join(screen_text(app).split())
        assert ("By hand: Ask for a tweet about v0.30.0-rc1 in the marketing requests channel"
                in text)
        await pilot.press("d")
        await wait_for(pilot, lambda: not dialogs(app) and "ask" not in app.running,
                       what="ask done")
        app.query_one(Checklist).select_stage("prepare-branch")
        await pilot.press("r")
        await wait_for(pilot, lambda: "prepare-branch" not in app.running
                       and app.reports.get("prepare-branch") is not None, what="branch")
        app.query_one(Checklist).select_stage("tag")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        text = " ".join(screen_text(app).split())
        assert "Confirm: Tag v0.30.0-rc1 on release-v0.30.0 (signed) and push it" in text
        assert "vX.Y.Z" not in text
        await pilot.press("escape")  # No: the field has the keys, Escape changes nothing
        await wait_for(pilot, lambda: "tag" not in app.running, what="tag stops")
        assert "v0.30.0-rc1" not in sandbox.state()["repos"]["ipfs/kubo"]["tags"]


# -- in a real terminal at 80x24 ----------------------------------------------------------

def test_at_80x24_a_prompt_is_answered_by_its_visible_button(tmux: Tmux,
                                                             tmp_path: Path) -> None:
    start(tmux, tmp_path, "--playbook", quote(str(PROMPTS)), "demo", size=(80, 24))
    tmux.wait_for("Ask for a tweet")
    tmux.keys("r")
    screen = tmux.wait_for("Done (d)")
    assert "By hand: Ask for a tweet about v0.30.0-rc1 in the marketing requests channel" in (
        screen)
    assert "Not yet (n)" in screen
    tmux.keys("End")  # the body scrolls to the link; the buttons stay
    screen = tmux.wait_for("Where: https://discuss.ipfs.tech/c/news/v0.30.0-rc1")
    assert "Done (d)" in screen
    tmux.click("Done (d)")
    screen = tmux.wait_for("✔ Check passed")
    assert "Done (d)" not in screen and "Where:" not in screen
    assert tmux.quit() == 0, f"the cockpit did not exit 0 on Escape, q:\n{tmux.screen()}"
