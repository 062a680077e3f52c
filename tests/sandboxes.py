"""How a test directory wants its sandbox: the one setup type the ``sandbox`` fixture reads.

The fixture itself is defined once, in ``tests/conftest.py``; a directory's conftest
overrides ``sandbox_setup`` with one of these, and imports it from here (a module meant
for sharing, not another test module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SandboxSetup:
    """How the ``sandbox`` fixture runs the sandbox: a directory's conftest overrides the
    ``sandbox_setup`` fixture; a module adjusts the sandbox's own options with
    ``pytestmark = pytest.mark.sandbox(workflow_seconds=0.5)``."""

    options: dict[str, Any] = field(default_factory=dict)
    """``running_sandbox`` options (``workflow_seconds``, ``faults``...)."""
    export_env: bool = False
    """Set the sandbox's ``COCKPIT_*`` variables for the test, so code that reads its
    settings from the environment (``Settings()``) talks to the sandbox."""
    env: dict[str, str] = field(default_factory=dict)
    """More variables to set with them (quick polls, say)."""
