"""UI fixtures: a sandbox world with the cockpit's environment pointed at it, and a tmux
session to run the cockpit in a real terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandboxes import SandboxSetup
from tests.ui.tmux import Tmux, session


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    return SandboxSetup(export_env=True, env={"COCKPIT_POLL_INITIAL_SECONDS": "0.2",
                                              "COCKPIT_POLL_MAX_SECONDS": "1"})


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    """A tmux session for one test (skipped without tmux); the cockpit in it quit after."""
    yield from session(tmp_path)
