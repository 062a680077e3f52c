"""What the multi-driver tests read off the sandbox and how they put a TUI driver beside the
``cockpit`` processes.

Why here: the race, claim and quit tests each read the tracking comments on ``ipfs/kubo``
with their own ``_comments``, and the two TUI tests each ran alice's preflight and then
built carol's drive-mode app the same way, line for line.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cockpit.model import Release, Version
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle
from screens.app import CockpitApp
from screens.launch import build_app
from tests.multi.conftest import FAST, TRACKED, Machine


def kubo_comments(sandbox: SandboxHandle) -> list[str]:
    """The bodies of every comment on ``ipfs/kubo`` (claims, journal records, ...)."""
    return [c["body"] for c in sandbox.state()["repos"]["ipfs/kubo"]["comments"]]


async def run_preflight(machine: Machine, version: str) -> None:
    """``cockpit run preflight`` of the tracked playbook on ``machine``; it must pass."""
    done = await asyncio.to_thread(machine.run, "run", "preflight", "--playbook", TRACKED,
                                   "--version", version, "--yes")
    assert done.returncode == 0, done.stderr


def carol_app(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
              version: str, settings: dict[str, str] | None = None, *,
              auto_check: bool = True) -> CockpitApp:
    """The TUI in drive mode on the tracked playbook, as carol on her laptop: this process
    pointed at the sandbox with the short timings (and ``settings``) and a home of its own."""
    for key, value in {**sandbox.env, **FAST, **(settings or {}),
                       "COCKPIT_STATE_DIR": str(tmp_path / "tui-state"),
                       "COCKPIT_WORKSPACE_DIR": str(tmp_path / "tui-work")}.items():
        monkeypatch.setenv(key, value)
    playbook = load_playbook(Path(TRACKED))
    release = Release(playbook=playbook.name, version=Version.parse(version), driver="carol",
                      host="laptop")
    return build_app(playbook, release, "drive", auto_check=auto_check)
