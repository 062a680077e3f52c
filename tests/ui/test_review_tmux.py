"""The reviewer's screen in a real terminal (tmux, 80x24): a driver's process asks for
review of the tag, the second maintainer's ``cockpit review`` shows the facts side by side,
``A`` approves, ``q`` quits."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.sandbox.seed import REVIEWER_LOGIN
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from tests.ui.tmux import REPO, Tmux, start

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PLAYBOOK = str(REPO / "tests" / "multi" / "data" / "reviewed.toml")
VERSION = "v0.30.0-rc1"


def _driver_asks(sandbox: SandboxHandle, home: Path) -> None:
    env = {**sandbox.env, "PATH": "/usr/bin:/bin", "COCKPIT_DRIVER": "alice",
           "COCKPIT_STATE_DIR": str(home / "state"), "COCKPIT_WORKSPACE_DIR": str(home / "work"),
           "COCKPIT_REVIEW_WAIT_SECONDS": "0", "PYTHONPATH": str(REPO),
           "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.invalid",
           "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.invalid",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    asked = subprocess.run([sys.executable, "-m", "screens.main", "run", "tag", "--playbook",
                            PLAYBOOK, "--release", VERSION, "--yes"], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert asked.returncode == 1 and "waiting for review" in asked.stdout, asked.stderr


def test_reviewer_screen_80x24(tmux: Tmux, tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "world") as sandbox:
        _driver_asks(sandbox, tmp_path / "alice")
        start(tmux, tmp_path, "review", "--playbook", PLAYBOOK, "--release", VERSION,
              size=(80, 24), env_extra={**sandbox.env,
                                        "COCKPIT_GITHUB_TOKEN": sandbox.reviewer_token,
                                        "COCKPIT_WORKSPACE_DIR": str(tmp_path / "carol")})
        screen = tmux.wait_for("every fact matches: A approves them", timeout=60)
        master = sandbox.state()["repos"]["ipfs/kubo"]["branches"]["master"]
        assert "REVIEW · v0.30.0-rc1" in screen and master in screen
        assert "asked by release-driver (alice@" in screen
        tmux.keys("A")
        tmux.wait_for("approved: http", timeout=30)
        assert tmux.quit() == 0, tmux.screen()
        approvals = [c["user"] for c in sandbox.state()["repos"]["ipfs/kubo"]["comments"]
                     if "<!-- cockpit:approval " in c["body"]]
        assert approvals == [REVIEWER_LOGIN]
