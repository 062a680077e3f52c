"""`q` while a stage runs: the TUI asks, cancels the stage cleanly, withdraws its claim
and journals "cancelled", so another driver can run the stage at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cockpit.model import Release, Version
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle
from screens.launch import build_app
from screens.quit import QuitWhileRunning
from screens.state import State
from tests.multi.conftest import FAST, TRACKED, Machine

VERSION = "v5.2.0-rc1"


def _comments(sandbox: SandboxHandle) -> list[str]:
    return [c["body"] for c in sandbox.state()["repos"]["ipfs/kubo"]["comments"]]


async def test_quit_during_a_run_cancels_it_and_frees_the_stage_for_another_driver(
        sandbox: SandboxHandle, machines: dict[str, Machine], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = machines["alice"]
    done = await asyncio.to_thread(alice.run, "run", "preflight", "--playbook", TRACKED,
                                   "--version", VERSION, "--yes")
    assert done.returncode == 0, done.stderr
    for key, value in {**sandbox.env, **FAST, "COCKPIT_LOCK_LEASE_SECONDS": "120",
                       "COCKPIT_STATE_DIR": str(tmp_path / "tui-state"),
                       "COCKPIT_WORKSPACE_DIR": str(tmp_path / "tui-work")}.items():
        monkeypatch.setenv(key, value)
    playbook = load_playbook(Path(TRACKED))
    release = Release(playbook=playbook.name, version=Version.parse(VERSION), driver="carol",
                      host="laptop")
    app = build_app(playbook, release, "drive", auto_check=False)
    async with app.run_test(size=(100, 30)) as pilot:
        sandbox.set_faults("latency:300")  # the stage takes seconds: time to quit inside it
        await pilot.press("down", "r")
        deadline = time.monotonic() + 30
        while not any("<!-- cockpit:claim " in body for body in _comments(sandbox)):
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
    comments = _comments(sandbox)
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
