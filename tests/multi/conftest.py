"""Separate ``cockpit`` processes, each a "machine" with its own home, against one sandbox.

Leases, renewals, batching and polls are short here (seconds, not minutes) so that a
lease can lapse inside a test; everything else is the real thing: real processes, the
sandbox over loopback HTTP, real git.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cockpit.sandbox.testing import SandboxHandle

TRACKED = str(Path(__file__).parent / "data" / "tracked.toml")
FAST = {
    "COCKPIT_LOCK_LEASE_SECONDS": "3",
    "COCKPIT_LOCK_RENEW_SECONDS": "1",
    "COCKPIT_LOCK_SKEW_SECONDS": "1",
    "COCKPIT_JOURNAL_FLUSH_SECONDS": "0.2",
    "COCKPIT_SHADOW_POLL_SECONDS": "0.5",
    "COCKPIT_POLL_INITIAL_SECONDS": "0.2",
    "COCKPIT_POLL_MAX_SECONDS": "1",
}


@dataclass
class Machine:
    """One driver on one machine: a name and a home of its own (no files shared)."""

    name: str
    home: Path
    sandbox: SandboxHandle
    token: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    """``COCKPIT_*`` overrides for this machine (a longer lease, say)."""

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, **self.sandbox.env, **FAST, **self.settings,
               "COCKPIT_STATE_DIR": str(self.home / "state"),
               "COCKPIT_WORKSPACE_DIR": str(self.home / "work"),
               "COCKPIT_DRIVER": self.name}
        if self.token is not None:
            env["COCKPIT_GITHUB_TOKEN"] = self.token
        return env

    def elsewhere(self, n: int) -> Machine:
        """The same driver on another machine (a home of its own)."""
        return Machine(self.name, self.home.with_name(f"{self.home.name}-{n}"), self.sandbox,
                       self.token, self.settings)

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "screens.main", *args]

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)


@pytest.fixture
def machines(tmp_path: Path, sandbox: SandboxHandle) -> dict[str, Machine]:
    """``machines["alice"]``, ``["bob"]``: two drivers; ``["shadow"]`` reads only."""
    return {name: Machine(name, tmp_path / f"home-{name}", sandbox,
                          sandbox.readonly_token if name == "shadow" else None)
            for name in ("alice", "bob", "shadow")}
