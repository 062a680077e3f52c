"""UI fixtures: a sandbox world with the cockpit's environment pointed at it."""

from __future__ import annotations

import pytest

from tests.sandboxes import SandboxSetup


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    return SandboxSetup(export_env=True, env={"COCKPIT_POLL_INITIAL_SECONDS": "0.2",
                                              "COCKPIT_POLL_MAX_SECONDS": "1"})
