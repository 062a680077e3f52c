"""The kinds' sandbox: its settings exported, so the engine's session talks to it.

Every kind test runs actions through the engine (``tests/kinds/harness.py``); the
session reads its settings (service URLs, tokens) from the environment, which this
points at the test's sandbox. A module sets the sandbox's workflow speed with
``pytestmark = pytest.mark.sandbox(workflow_seconds=...)``.
"""

from __future__ import annotations

import pytest

from tests.sandboxes import SandboxSetup


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    return SandboxSetup(export_env=True, env={"COCKPIT_POLL_INITIAL_SECONDS": "0.01"})
