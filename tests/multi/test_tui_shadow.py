"""The TUI's shadow mode follows a release driven by another process, read-only."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cockpit.model import Release, Version
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle
from screens.launch import build_app
from screens.state import State
from tests.multi.conftest import FAST, TRACKED, Machine

VERSION = "v5.0.0-rc1"


async def test_tui_shadow_shows_the_drivers_stages_as_they_finish(
        sandbox: SandboxHandle, machines: dict[str, Machine],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {**sandbox.env, **FAST,
                       "COCKPIT_GITHUB_TOKEN": sandbox.readonly_token}.items():
        monkeypatch.setenv(key, value)
    playbook = load_playbook(Path(TRACKED))
    release = Release(playbook=playbook.name, version=Version.parse(VERSION), driver="watcher",
                      host="elsewhere")
    app = build_app(playbook, release, "shadow", shadow_interval=0.3, journal=False)
    alice = machines["alice"]
    async with app.run_test() as pilot:
        for stage in ("preflight", "prepare"):
            done = await asyncio.to_thread(alice.run, "run", stage, "--playbook", TRACKED,
                                           "--version", VERSION, "--yes")
            assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 10
        while app.state.stages["prepare"].status is not State.DONE:
            assert time.monotonic() < deadline, app.state.stages["prepare"]
            await pilot.pause(0.1)
        prepare = app.state.stages["prepare"]
        assert "done — by alice@" in prepare.view.sentence()
        assert prepare.elapsed(app.clock()) is not None and prepare.finished is not None, \
            "the shadow shows how long the driver's stage took"
        assert all(a.status is State.DONE for a in prepare.actions.values())
    reads = [r for r in sandbox.requests() if r["auth"] == "read"]
    assert reads and not [r for r in reads if r["mutating"]], "the shadow sent a write"
