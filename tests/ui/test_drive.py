"""Pilot tests that drive real stages against the sandbox: run, answer the modal, see done."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from cockpit.secrets import STORE
from screens.app import CockpitApp
from screens.modals import ChooseModal, ConfirmModal, ManualModal
from screens.state import State
from screens.widgets.checklist import Checklist
from screens.widgets.log_pane import LogPane
from tests.ui.helpers import SMALL, VERSION, frozen_app, sandbox_app, screen_text, wait_for

SIZE = (120, 36)


def stage_status(app: CockpitApp, stage: str) -> State:
    return app.state.stages[stage].status


async def run_announce_to_its_manual_step(app: CockpitApp, pilot: Pilot[object]) -> None:
    """Select the announce stage, run it, and wait for its manual step's dialog."""
    app.query_one(Checklist).select_stage("announce")
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, ManualModal), what="manual modal")


async def test_drive_prepare_branch_then_tag_with_typed_confirmation(
        sandbox: SandboxHandle) -> None:
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: stage_status(app, "prepare-branch") is State.DONE,
                       what="prepare-branch done")
        await wait_for(pilot, lambda: "prepare-branch" not in app.running, what="worker ends")
        assert app.reports["prepare-branch"].outcome is Outcome.DONE
        branches = sandbox.state()["repos"]["ipfs/kubo"]["branches"]
        assert "release-v0.30.0" in branches
        # The log pane got the stage's lines, in batches.
        pane = app.query_one(LogPane)
        await wait_for(pilot, lambda: pane.log_widget.line_count > 3, what="log flushed")
        assert any("git" in line and "push" in line for line in pane.lines["prepare-branch"])
        # The manual equivalents of what ran appear under the explanation.
        text = screen_text(app)
        assert "✔  1. Prepare the release branch" in text

        # Tag: a dangerous step. The modal shows the tag and commit; Yes needs the typed tag.
        await pilot.press("down", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm modal")
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        text = screen_text(app)
        assert "Tag v0.30.0-rc1 in ipfs/kubo" in text and "on commit" in text
        assert modal.query_one("#yes", Button).disabled
        await pilot.press(*"v0.30.0-rc")
        assert modal.query_one("#yes", Button).disabled
        await pilot.press("1")
        assert not modal.query_one("#yes", Button).disabled
        await pilot.press("enter", "enter")  # the first moves to "Yes", the second presses it
        await wait_for(pilot, lambda: stage_status(app, "tag") is State.DONE, what="tag done")
        assert "v0.30.0-rc1" in sandbox.state()["repos"]["ipfs/kubo"]["tags"]


async def test_manual_step_done_then_check_passes(sandbox: SandboxHandle) -> None:
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_announce_to_its_manual_step(app, pilot)
        text = screen_text(app)
        assert "Post the release announcement on the forum." in text
        assert "Kubo v0.30.0-rc1 is out!" in text
        modal = app.screen
        assert isinstance(modal, ManualModal)
        await pilot.click("#done")
        await wait_for(pilot, lambda: modal.result is not None, what="verdict")
        await wait_for(pilot, lambda: app.screen is not modal, what="the dialog closes")
        await wait_for(pilot, lambda: stage_status(app, "announce") is State.DONE,
                       what="announce done")


async def test_manual_not_yet_leaves_the_stage_needing_you(sandbox: SandboxHandle) -> None:
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_announce_to_its_manual_step(app, pilot)
        await pilot.click("#not-yet")
        await wait_for(pilot, lambda: "announce" not in app.running, what="stage ends")
        assert stage_status(app, "announce") is State.NEEDS_YOU


async def test_failed_action_asks_to_choose_and_skip_needs_a_reason(
        sandbox: SandboxHandle) -> None:
    # The tag's branch does not exist yet: the check fails, the engine asks what to do.
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(Checklist).select_stage("tag")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal), what="choose modal")
        assert "does not exist" in screen_text(app)
        await pilot.press("s")  # skip
        note = app.screen.query_one("#note", Input)
        assert note.display and note.has_focus
        await pilot.press(*"branch comes later", "enter")
        await wait_for(pilot, lambda: "tag" not in app.running, what="stage ends")
        action = app.state.stages["tag"].actions["push-tag"]
        assert action.status is State.SKIPPED
        assert "branch comes later" in action.reason


async def test_cancel_a_running_stage(sandbox: SandboxHandle) -> None:
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_announce_to_its_manual_step(app, pilot)
        assert app.cancel_stage("announce")
        await wait_for(pilot, lambda: "announce" not in app.running, what="cancelled")
        assert not isinstance(app.screen, ManualModal)
        assert stage_status(app, "announce") is State.CANCELLED
        assert "cancelled" in app.state.stages["announce"].reason


async def test_tokens_are_looked_up_after_the_first_paint_and_a_missing_keyring_is_a_toast(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The keyring lookup (~0.1 s) happens in a worker once the screen is up; with no
    keyring, the warning is a notification, not a line drawn over the screen on stderr."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()  # an earlier test may have installed a usable one
    keyring.set_keyring(fail.Keyring())
    try:
        await _toast_test(monkeypatch, capsys)
    finally:
        keyring.set_keyring(previous)
        STORE.forget()


async def _toast_test(monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(STORE, "_warned", False)
    monkeypatch.setenv("COCKPIT_GITHUB_TOKEN", "ghp_deferredLookupToken1234")
    STORE.forget()
    app = frozen_app("walkthrough")
    assert app.engine.session.redact._pending, "nothing is looked up before the app runs"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: "no system keyring" in screen_text(app),
                       what="the no-keyring toast")
        assert not app.engine.session.redact._pending
        assert app.engine.session.redact("x ghp_deferredLookupToken1234 y") == "x *** y"
    assert "no system keyring" not in capsys.readouterr().err


async def test_collection_paused_for_start_up_resumes_after_the_first_paint() -> None:
    gc.disable()  # as screens.main does before the first import
    try:
        app = frozen_app("walkthrough")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, gc.isenabled, what="the collector back on")
    finally:
        gc.enable()


async def test_check_all_shows_a_stage_done_elsewhere_and_r_does_not_wait_for_it(
        sandbox: SandboxHandle, tmp_path: Path) -> None:
    """A stage done elsewhere (another machine's `cockpit run`) shows as done as the app
    opens (its opening check), and again after `a`; pressing r while that check runs
    cancels it and runs the stage at once."""
    elsewhere = {**os.environ, "COCKPIT_STATE_DIR": str(tmp_path / "other-machine")}
    done = subprocess.run([sys.executable, "-m", "screens.main", "run", "prepare-branch",
                           "--version", VERSION, "--yes", "--playbook", str(SMALL)],
                          capture_output=True, text=True, env=elsewhere, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: stage_status(app, "prepare-branch") is State.DONE,
                       what="prepare-branch shown done by the opening check")
        assert stage_status(app, "tag") is State.TO_DO
        assert stage_status(app, "announce") is State.BLOCKED
        await wait_for(pilot, lambda: "*" not in app.running, what="the opening check ends")
        asked = len(sandbox.requests())
        await pilot.press("a")
        await wait_for(pilot, lambda: len(sandbox.requests()) > asked, what="a checks again")
        await wait_for(pilot, lambda: "*" not in app.running, what="the check ends")
        assert stage_status(app, "prepare-branch") is State.DONE
        # What the check cost is on the status line (this playbook's checks read git,
        # not the API: no request, no GitHub point; tests/test_status_cost.py counts them).
        line = str(app.query_one("#status-line", Static).render())
        assert line == "checked: 0 req, 0 cached, 0 GitHub pts", line
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal),
                       what="the tag stage running (its confirmation)")
        assert "*" not in app.running


async def test_solo_driver_types_the_acknowledgement_then_the_tag(
        sandbox: SandboxHandle, tmp_path: Path) -> None:
    """``cockpit --solo``: a step that needs a second maintainer's review (here the tag)
    asks the lone driver to type ``solo`` first, journals it, then the tag's own typed
    confirmation follows; nothing waits for a reviewer who does not exist."""
    from cockpit.cli import make_release
    from cockpit.model import Version
    from cockpit.playbook import parse_playbook
    from screens.launch import build_app

    text = SMALL.read_text().replace('kind = "git.tag"', 'kind = "git.tag"\nreview = "required"')
    assert 'review = "required"' in text
    playbook = parse_playbook(text, "reviewed.toml")
    app = build_app(playbook, make_release(playbook, Version.parse(VERSION), "tester"),
                    "drive", solo=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: stage_status(app, "prepare-branch") is State.DONE,
                       what="prepare-branch done")
        await wait_for(pilot, lambda: "prepare-branch" not in app.running, what="worker ends")
        await pilot.press("down", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="solo modal")
        assert "--solo" in screen_text(app)
        await pilot.press(*"solo", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal)
                       and "on commit" in screen_text(app), what="the tag's own confirmation")
        await pilot.press(*VERSION, "enter", "enter")
        await wait_for(pilot, lambda: stage_status(app, "tag") is State.DONE, what="tag done")
        assert VERSION in sandbox.state()["repos"]["ipfs/kubo"]["tags"]
        assert any("skipped with --solo, acknowledged by" in line
                   for line in app.query_one(LogPane).lines["tag"])
