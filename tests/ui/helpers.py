"""Helpers for the UI tests: build apps on the small playbook, read the screen as text."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from cockpit.cli import make_release
from cockpit.model import Release, Version
from cockpit.playbook import Playbook, load_playbook
from cockpit.settings import Settings
from screens.app import CockpitApp, Mode
from screens.launch import build_app

HERE = Path(__file__).parent
SMALL = HERE / "small.toml"
VERSION = "v0.30.0-rc1"


def small_playbook() -> Playbook:
    return load_playbook(SMALL)


def fixed_release(playbook: Playbook, version: str = VERSION) -> Release:
    return Release(playbook=playbook.name, version=Version.parse(version), driver="tester",
                   host="cockpit-host")


def frozen_app(mode: Mode = "drive", **options: object) -> CockpitApp:
    """A deterministic app: fixed release, driver and host, github.com URLs, a frozen clock."""
    playbook = small_playbook()
    settings = Settings(git_base_url="https://github.com", github_api_url="https://api.github.com")
    return build_app(playbook, fixed_release(playbook), mode, settings=settings,
                     clock=lambda: 1000.0, journal=False, auto_check=False,
                     **options)  # type: ignore[arg-type]


def sandbox_app(mode: Mode = "drive", **options: object) -> CockpitApp:
    """An app on the small playbook against the sandbox whose COCKPIT_* env is set."""
    playbook = small_playbook()
    release = make_release(playbook, Version.parse(VERSION), "tester")
    return build_app(playbook, release, mode, **options)  # type: ignore[arg-type]


def screen_text(app: App[object]) -> str:
    """The current screen (with the screens below a modal) as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    console.print(update)
    return console.export_text()


async def wait_for(pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 20.0,
                   what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{screen_text(pilot.app)}")
        await pilot.pause(0.05)
    await pilot.pause()
