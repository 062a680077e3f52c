"""Driving the real GitHub CLI (Debian's ``gh``) against a sandbox served over HTTPS.

    def test_whoami(tls_sandbox: SandboxHandle) -> None:
        out = run_gh(tls_sandbox, "api", "/user", "--jq", ".login")
        assert out.stdout == "release-driver\\n"

``gh`` talks to any host but github.com as GitHub Enterprise, over HTTPS only: the
``tls_sandbox`` fixture (``tests/conftest.py``, one per session) is a seeded sandbox
with a local CA (``cockpit.sandbox.tls``), and ``gh_env`` is everything ``gh`` needs to
use it and nothing of the developer's own: ``GH_HOST``, ``GH_ENTERPRISE_TOKEN``, the CA
in ``SSL_CERT_FILE``, a config directory of its own, no prompts, no colour, no pager, no
update check. Output is ``gh``'s machine form (stdout is not a terminal) unless
``tty=True`` asks for what a person sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cockpit.sandbox.testing import SandboxHandle

GH = shutil.which("gh")

needs_gh = pytest.mark.skipif(GH is None, reason="the GitHub CLI (gh) is not installed")
"""Mark for tests that run ``gh`` (installed in CI by ``.ci/run``; Debian's 2.23)."""


def gh_home(sandbox: SandboxHandle) -> Path:
    """A home of gh's own beside the sandbox's data: its config, cache and state."""
    home = sandbox.data_dir.parent / "gh-home"
    (home / "config").mkdir(parents=True, exist_ok=True)
    return home


def gh_env(sandbox: SandboxHandle, *, token: str | None = None, tty: bool = False
           ) -> dict[str, str]:
    """The environment for ``gh`` against ``sandbox`` (which must serve TLS) as the
    release driver, or as whoever ``token`` belongs to."""
    client = sandbox.sandbox.client_env()
    if not client:
        raise ValueError("gh speaks HTTPS only: start the sandbox with tls=True")
    home = gh_home(sandbox)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home), "LANG": "C.UTF-8", "TZ": "UTC",
        "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"), "XDG_DATA_HOME": str(home / "data"),
        "GH_CONFIG_DIR": str(home / "config"),
        "GH_PROMPT_DISABLED": "1", "GH_NO_UPDATE_NOTIFIER": "1", "GH_PAGER": "",
        "NO_COLOR": "1", "CLICOLOR": "0", "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        **client,
    }
    if token is not None:
        env["GH_ENTERPRISE_TOKEN"] = token
    if tty:
        env["GH_FORCE_TTY"] = "120"  # a 120-column terminal, as a person would see it
    return env


def run_gh(sandbox: SandboxHandle, *args: str, token: str | None = None, tty: bool = False,
           check: bool = True, input: str | None = None, cwd: Path | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``gh ARGS`` against ``sandbox``; with ``check`` a failure raises with gh's
    stderr in the message (the sandbox's admin token never appears in it)."""
    if GH is None:
        pytest.skip("the GitHub CLI (gh) is not installed")
    done = subprocess.run([GH, *args], env=gh_env(sandbox, token=token, tty=tty), cwd=cwd,
                          input=input, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"gh {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stderr}{done.stdout}")
    return done


def artifact_workflow(artifact: str, path: str) -> str:
    """A dispatchable workflow whose run builds and uploads ``artifact`` from ``path``: what
    the sandbox's simulator turns into a run with a job log and an artifact."""
    return f"""\
name: Build binaries
on: workflow_dispatch
jobs:
  build:
    name: Build (linux)
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Compile
        run: make build
      - uses: actions/upload-artifact@v4
        with:
          name: {artifact}
          path: {path}
"""
