"""The TUI's drive mode claims stages as `cockpit run` does: held means a dialog, not a run."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from cockpit.sandbox.testing import SandboxHandle
from screens.modals import ErrorModal
from screens.state import State
from tests.multi.conftest import TRACKED, Machine
from tests.multi.helpers import carol_app, kubo_comments, run_preflight
from tests.ui.helpers import screen_text

VERSION = "v5.1.0-rc1"


async def test_tui_driver_is_told_who_holds_a_stage_then_takes_it_over(
        sandbox: SandboxHandle, machines: dict[str, Machine], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = machines["alice"]
    alice.settings["COCKPIT_LOCK_LEASE_SECONDS"] = "120"
    await run_preflight(alice, VERSION)
    # Alice claims "prepare", then her machine dies: the claim stays for its 120 s lease.
    victim = alice.start("run", "prepare", "--playbook", TRACKED, "--version", VERSION, "--yes")
    deadline = time.monotonic() + 30
    while not any("<!-- cockpit:claim " in body for body in kubo_comments(sandbox)):
        assert time.monotonic() < deadline, "alice never claimed prepare"
        await asyncio.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=10)

    app = carol_app(sandbox, monkeypatch, tmp_path, VERSION)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("down", "r")
        deadline = time.monotonic() + 30
        while not isinstance(app.screen, ErrorModal):
            assert time.monotonic() < deadline, "no dialog about the held stage"
            await pilot.pause(0.1)
        text = screen_text(app)
        assert "stage prepare is held by alice@" in text, text
        assert app.state.stages["prepare"].status is not State.DONE
        await pilot.press("escape")
        await pilot.press("S")
        deadline = time.monotonic() + 60
        while app.state.stages["prepare"].status is not State.DONE:
            assert time.monotonic() < deadline, app.state.stages["prepare"]
            await pilot.pause(0.1)
        while "prepare" in app.running:  # the claim is withdrawn as the worker ends
            assert time.monotonic() < deadline, "the stage's worker did not end"
            await pilot.pause(0.1)
        await pilot.press("q")
    journal = [body for body in kubo_comments(sandbox) if "<!-- cockpit:journal " in body]
    assert any("taken over from alice@" in body for body in journal), journal
    branches = sandbox.state()["repos"]["ipfs/kubo"]["branches"]
    assert sum(1 for name in branches if name.startswith("release-v5.1")) == 1, branches
    assert not any("<!-- cockpit:claim " in body for body in kubo_comments(sandbox)), \
        "the claim was not withdrawn after the stage"
