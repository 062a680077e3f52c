"""The log pane in a real terminal (tmux, 80x24): typing a search never runs a key."""

from __future__ import annotations

import time
from pathlib import Path

from tests.ui.helpers import SMALL
from tests.ui.tmux import Tmux, start


def test_typing_a_search_runs_nothing(tmux: Tmux, tmp_path: Path) -> None:
    """The checklist has focus; `/error` once ran the selected stage (r) and opened a link
    (o). Now `/` opens the log's search wherever the focus is and every letter is text."""
    start(tmux, tmp_path, "--playbook", str(SMALL), "demo", size=(80, 24))
    tmux.wait_for("1. Prepare the release branch", timeout=60)
    tmux.wait_for("next: 1. Prepare", timeout=60)
    tmux.keys("/")
    time.sleep(0.3)
    tmux.keys("error raoyc")
    time.sleep(1.5)
    screen = tmux.screen()
    assert "error raoyc" in screen, screen
    assert "running" not in screen and "opened" not in screen and "copied" not in screen
    assert "next: 1. Prepare" in screen, screen  # nothing ran
    tmux.keys("Enter")
    screen = tmux.wait_for("/error raoyc · no match")
    assert screen.count("error raoyc") == 2, screen  # the box and the pane's subtitle
    tmux.keys("Escape")
    time.sleep(0.5)
    screen = tmux.screen()
    assert screen.count("error raoyc") == 1, screen  # the box closed
    tmux.keys("j")  # the focus went back to the checklist: j moves its cursor
    tmux.wait_for("explain · tag")
    tmux.quit_and_check_clean()
