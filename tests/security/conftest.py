"""Security fixtures: a sandbox, a test keyring file, and ``cockpit`` as a subprocess.

Subprocesses get a throwaway HOME, the sandbox's endpoints, and (unless a test says
otherwise) the test-only file keyring, with no token in their environment: whatever
token they use came from the keyring or from what the test put in ``env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cockpit.sandbox.testing import SandboxHandle
from cockpit.secrets import TOKEN_ENV
from tests.security.file_keyring import FILE_VARIABLE, SELECT

ROOT = Path(__file__).resolve().parents[2]
TOKEN_VARIABLES = {name for names in TOKEN_ENV.values() for name in names}


@dataclass
class Cockpit:
    """Runs ``cockpit`` in a subprocess with a fixed environment."""

    env: dict[str, str]
    keyring_file: Path

    def __call__(self, *args: str, stdin: str | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "screens.main", *args], input=stdin,
                              capture_output=True, text=True, env={**self.env, **(env or {})},
                              timeout=120, check=False, cwd=ROOT)

    def stored(self) -> dict[str, dict[str, str]]:
        """What the test keyring holds (a test may read it; the product never can)."""
        import json

        return json.loads(self.keyring_file.read_text()) if self.keyring_file.exists() else {}


@pytest.fixture
def cockpit(sandbox: SandboxHandle, tmp_path: Path) -> Cockpit:
    home = tmp_path / "home"
    home.mkdir()
    keyring_file = tmp_path / "test-keyring.json"
    base = {k: v for k, v in os.environ.items() if k not in TOKEN_VARIABLES}
    sandbox_env = {k: v for k, v in sandbox.env.items() if k not in TOKEN_VARIABLES}
    env = {**base, **sandbox_env, **SELECT, FILE_VARIABLE: str(keyring_file),
           "HOME": str(home), "PYTHONPATH": str(ROOT)}
    return Cockpit(env, keyring_file)


IDENTITY_OVERRIDES = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                      "GIT_COMMITTER_EMAIL")
"""The test-wide identity (tests/conftest.py) would shadow the demo's, whose signing key
matches the demo's email: a driver's machine has none of these set."""


@pytest.fixture
def demo_world(tmp_path: Path) -> Iterator[SandboxHandle]:
    """``cockpit demo``'s environment (sandbox, git identity, GPG key) in os.environ."""
    from cockpit.demo import demo_environment

    with demo_environment(tmp_path / "demo", workflow_seconds=0.3) as handle:
        for name in IDENTITY_OVERRIDES:
            os.environ.pop(name, None)
        yield handle
