"""`q` while a stage runs: the TUI asks, cancels the stage cleanly, withdraws its claim
and journals "cancelled", so another driver can run the stage at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cockpit.sandbox.testing import SandboxHandle
from screens.quit import QuitWhileRunning
from screens.state import State
from tests.multi.conftest import TRACKED, Machine
from tests.multi.helpers import carol_app, kubo_comments, run_preflight

VERSION = "v5.2.0-rc1"


async def test_quit_during_a_run_cancels_it_and_frees_the_stage_for_another_driver(
        sandbox: SandboxHandle, machines: dict[str, Machine], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = machines["alice"]
    await run_preflight(alice, VERSION)
    app = carol_app(sandbox, monkeypatch, tmp_path, VERSION,
                    {"COCKPIT_LOCK_LEASE_SECONDS": "120"}, auto_check=False)
    async with app.run_test(size=(100, 30)) as pilot:
        sandbox.set_faults("latency:300")  # the stage takes seconds: time to quit inside it
        await pilot.press("down", "r")
        deadline = time.monotonic() + 30
        while not any("<!-- cockpit:claim " in body for body in kubo_comments(sandbox)):
            assert time.monotonic() < deadline, "carol never claimed prepare"
            await pilot.pause(0.05)
        assert app.state.stages["prepare"].status in (State.RUNNING, State.CHECKING)
        await pilot.press("q")
        await pilot.pause(0.2)
        assert isinstance(app.screen, QuitWhileRunning), "q during a run must ask"
        await pilot.press("enter")  # the focused, safe answer: keep running
        assert not isinstance(app.screen, QuitWhileRunning) and "prepare" in app.running
        await pilot.press("q")
        await pilot.pause(0.2)
        await pilot.click("#quit")
        deadline = time.monotonic() + 30
        while app.is_running:
            assert time.monotonic() < deadline, "the app did not exit"
            await asyncio.sleep(0.1)
    sandbox.set_faults("")
    comments = kubo_comments(sandbox)
    assert not any("<!-- cockpit:claim " in body for body in comments), \
        "the claim must be withdrawn when the run is cancelled"
    journal = [body for body in comments if "<!-- cockpit:journal " in body
               and "stage **prepare**" in body]
    assert journal and "cancelled" in journal[-1], journal

    started = time.monotonic()
    bob = await asyncio.to_thread(machines["bob"].run, "run", "prepare", "--playbook", TRACKED,
                                  "--version", VERSION, "--yes")
    assert bob.returncode == 0, bob.stderr
    assert "held by" not in bob.stderr
    assert time.monotonic() - started < 60
    branches = sandbox.state()["repos"]["ipfs/kubo"]["branches"]
    assert sum(1 for name in branches if name.startswith("release-v5.2")) == 1, branches
