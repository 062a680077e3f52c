"""`cockpit demo` in a real terminal (tmux): keys in, screen text out.

Every test quits the demo as a driver would and asserts that it exited and cleaned up: its
temporary home (under the test's own TMPDIR) removed and its throwaway gpg-agent gone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ui.helpers import SMALL
from tests.ui.tmux import REPO, Tmux, leftovers, processes_under, start

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_demo_runs_a_stage_to_done_after_its_prompt(tmux: Tmux, tmp_path: Path) -> None:
    start(tmux, tmp_path, "--playbook", str(SMALL), "demo")
    screen = tmux.wait_for("Prepare the release branch")
    for title in ("Tag the release", "Announce", "│ DRIVE │", "v0.30.0-rc1"):
        assert title in screen
    tmux.keys("r")
    tmux.wait_for("✔  1. Prepare the release branch")
    tmux.keys("j", "r")
    screen = tmux.wait_for("Type v0.30.0-rc1 to go ahead")
    assert "Tag v0.30.0-rc1 in ipfs/kubo" in screen and "on commit" in screen
    tmux.keys("v0.30.0-rc1")
    tmux.keys("Enter")  # the typed confirmation moves the focus to "Yes, go ahead"...
    time.sleep(0.3)
    tmux.keys("Enter")  # ...and only that button answers
    # A real terminal draws the point-of-no-return flag in one cell: the row stays aligned.
    tmux.wait_for("✔  2. ⚑ Tag the release  done")
    tmux.quit_and_check_clean()


def test_demo_with_the_built_in_playbook_shows_every_stage(tmux: Tmux, tmp_path: Path) -> None:
    from cockpit.playbook import load_playbook

    playbook = load_playbook()
    start(tmux, tmp_path, "demo")
    screen = tmux.wait_for(playbook.stages[-1].title, timeout=45)
    for stage in playbook.stages:
        assert stage.title in screen, screen
    screen = tmux.settled()
    assert "✘" not in screen and "failed" not in screen, screen  # the demo's key works
    tmux.keys("?")
    screen = tmux.wait_for("What it does")
    assert "Keys" in screen and "search the log" in screen
    tmux.quit_and_check_clean()  # Escape closes the help, q quits


def test_fresh_demo_80x24(tmux: Tmux, tmp_path: Path) -> None:
    """A newcomer's first screen: after its opening check (and after a), no stage of a
    release not yet started shows failed; the final-only stages 11-15 of an RC show
    "not applicable"; the header names the next step. (A short test name: the demo's
    gpg-agent socket lives under tmp_path, and a Unix socket path is limited to 108
    bytes.)"""
    start(tmux, tmp_path, "demo", size=(80, 24))
    tmux.wait_for("1. Preflight", timeout=60)
    screen = tmux.wait_for("next: 1. Preflight", timeout=60)
    screen = tmux.settled()
    assert "failed" not in screen and "✘" not in screen, screen
    tmux.keys("a")
    time.sleep(1)
    tmux.wait_for("next: 1. Preflight", timeout=60)
    screen = tmux.settled()
    assert "failed" not in screen and "✘" not in screen, screen
    rows = {n: next(line for line in screen.splitlines()
                    if line.startswith("│") and f" {n}. " in line) for n in range(1, 16)}
    assert "○" in rows[1] and "to do" in rows[1], rows[1]
    for n in range(2, 11):
        assert "⊘" in rows[n], rows[n]  # blocked: waits on preflight
    for n in range(11, 16):
        assert f"· {n}. " in rows[n], rows[n]  # the not-applicable glyph (the word is cut)
    tmux.quit_and_check_clean()


def test_second_tui_sees_done_elsewhere(tmux: Tmux, tmp_path: Path) -> None:
    """Stages 1-3 run by alice's `cockpit run` in other processes; bob's TUI, opened
    afterwards on another home at 80x24, shows them done with her name and their
    durations, read from the tracking issue's journal."""
    from cockpit.sandbox.testing import running_sandbox

    tracked = str(REPO / "tests" / "multi" / "data" / "tracked.toml")
    with running_sandbox(tmp_path / "world") as sandbox:
        alice = {**os.environ, **sandbox.env, "COCKPIT_DRIVER": "alice",
                 "COCKPIT_STATE_DIR": str(tmp_path / "alice" / "state"),
                 "COCKPIT_WORKSPACE_DIR": str(tmp_path / "alice" / "work")}
        for stage in ("preflight", "prepare", "finish"):
            done = subprocess.run([sys.executable, "-m", "screens.main", "run", stage,
                                   "--playbook", tracked, "--release", "v5.4.0-rc1", "--yes"],
                                  env=alice, capture_output=True, text=True, timeout=120,
                                  check=False)
            assert done.returncode == 0, done.stderr
        start(tmux, tmp_path, "--playbook", tracked, "--release", "v5.4.0-rc1",
              size=(80, 24), env_extra={**sandbox.env, "COCKPIT_DRIVER": "bob"})
        tmux.wait_for("3/3 done", timeout=60)
        screen = tmux.settled()
        for number, title in ((1, "Preflight"), (2, "Prepare"), (3, "Finish")):
            line = next(row for row in screen.splitlines() if f"{number}. {title}" in row)
            # At 80 columns the driver's name may be cut; the explanation has it.
            assert "✔" in line and "done" in line, line
            assert re.search(r"done · \d\d:\d\d", line), f"no duration: {line}"
        assert "3/3 done · release" in screen  # "release complete", cut at 80 columns
        tmux.wait_for("done — by alice@")  # the selected stage (preflight), explained
        assert tmux.quit() == 0, tmux.screen()


def test_hangup_cleans_up(tmux: Tmux, tmp_path: Path) -> None:
    """A closed terminal (SIGHUP) during a TUI demo ends it like q: its temporary home,
    sandbox seed and gpg-agent are gone. (A short name: see test_fresh_demo_80x24.)"""
    start(tmux, tmp_path, "demo", size=(80, 24))
    tmux.wait_for("next: 1. Preflight", timeout=60)
    assert leftovers(tmp_path), "the demo has a temporary home while it runs"
    tmux.run("kill-session", "-t", tmux.name)  # the terminal goes away: SIGHUP
    deadline = time.monotonic() + 30
    while (list((tmp_path / "tmp").iterdir()) or processes_under(tmp_path)) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list((tmp_path / "tmp").iterdir()) == [], "a hung-up demo left files behind"
    assert processes_under(tmp_path) == [], "a hung-up demo left processes running"
