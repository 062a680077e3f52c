"""`cockpit demo` in a real terminal (tmux): keys in, screen text out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COCKPIT = Path(sys.executable).with_name("cockpit")
SMALL = Path(__file__).with_name("small.toml")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True)
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        size = self.run("display", "-p", "-t", self.name, "#{window_width}x#{window_height}")
        raise AssertionError(f"{text!r} not on screen after {timeout}s ({size.strip()}):\n"
                             f"{screen}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    name = f"cockpit-test-{uuid.uuid4().hex[:8]}"
    session = Tmux(name)
    yield session
    # Quit as a driver would, so a demo stops its sandbox and GPG agent and removes its
    # home; killing the session hangs the terminal up, which ends the process on the spot.
    subprocess.run(["tmux", "send-keys", "-t", name, "Escape", "Escape", "q"],
                   capture_output=True, check=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and subprocess.run(
            ["tmux", "has-session", "-t", name], capture_output=True, check=False).returncode == 0:
        time.sleep(0.2)
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def start(tmux: Tmux, tmp_path: Path, *args: str) -> None:
    env = {key: value for key, value in os.environ.items() if key.startswith(("COCKPIT_", "GIT_",
                                                                               "PYTHON"))}
    env.update(HOME=str(tmp_path), TERM="xterm-256color", COLORTERM="truecolor",
               PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
    command = f"cd {_quote(str(REPO))} && env -i {exports} {_quote(str(COCKPIT))} {' '.join(args)}"
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "160", "-y", "48", command)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_demo_runs_a_stage_to_done_after_its_prompt(tmux: Tmux, tmp_path: Path) -> None:
    start(tmux, tmp_path, "--playbook", str(SMALL), "demo")
    screen = tmux.wait_for("Prepare the release branch")
    for title in ("Tag the release", "Announce", "mode: DRIVE", "v0.30.0-rc1"):
        assert title in screen
    tmux.keys("r")
    tmux.wait_for("✔  1. Prepare the release branch")
    tmux.keys("j", "r")
    screen = tmux.wait_for("Type v0.30.0-rc1 to go ahead")
    assert "Tag v0.30.0-rc1 in ipfs/kubo" in screen and "on commit" in screen
    tmux.keys("v0.30.0-rc1")
    tmux.keys("Enter")
    tmux.wait_for("✔  2. Tag the release")
    tmux.keys("q")


def test_demo_with_the_built_in_playbook_shows_every_stage(tmux: Tmux, tmp_path: Path) -> None:
    from cockpit.playbook import load_playbook

    playbook = load_playbook()
    start(tmux, tmp_path, "demo")
    screen = tmux.wait_for(playbook.stages[-1].title, timeout=45)
    for stage in playbook.stages:
        assert stage.title in screen, screen
    tmux.keys("?")
    screen = tmux.wait_for("command palette")
    assert "this help" in screen and "Keys" in screen
    tmux.keys("Escape", "q")
