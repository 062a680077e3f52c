"""UI fixtures: a sandbox world with the cockpit's environment pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.sandbox.testing import SandboxHandle, running_sandbox


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path) as handle:
        for name, value in handle.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("COCKPIT_POLL_INITIAL_SECONDS", "0.2")
        monkeypatch.setenv("COCKPIT_POLL_MAX_SECONDS", "1")
        yield handle
