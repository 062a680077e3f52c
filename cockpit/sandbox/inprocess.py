"""A sandbox running in this process, on a background thread, and the handle to it.

    handle = start_sandbox(home / "sandbox")
    env = handle.env                      # COCKPIT_* for a cockpit pointed at it
    ...
    stop_sandbox(handle)

``cockpit demo`` runs its release against one of these; tests use the context manager
``cockpit.sandbox.testing.running_sandbox`` over the same two calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cockpit.sandbox.core import Sandbox, SandboxOptions
from cockpit.sandbox.faults import FaultSpec
from cockpit.sandbox.holds import RequestHold
from cockpit.sandbox.server import ThreadedServer
from cockpit.sandbox.world import Json


class SandboxHandle:
    """A running sandbox: its URLs, tokens, and the Python side of inspection."""

    def __init__(self, sandbox: Sandbox, server: ThreadedServer) -> None:
        self.sandbox = sandbox
        self._server = server

    @property
    def base_url(self) -> str:
        return self.sandbox.base_url

    @property
    def api_url(self) -> str:
        """GitHub REST base (``{base_url}/api/v3``)."""
        return self.sandbox.api_url

    @property
    def git_base_url(self) -> str:
        """Clone URLs are ``{git_base_url}/{owner}/{name}.git``."""
        return self.sandbox.git_base_url

    @property
    def env(self) -> dict[str, str]:
        return self.sandbox.env()

    @property
    def admin_token(self) -> str:
        return self.sandbox.admin_token

    @property
    def readonly_token(self) -> str:
        return self.sandbox.readonly_token

    @property
    def reviewer_token(self) -> str:
        """The second maintainer's token (``release-reviewer``)."""
        return self.sandbox.reviewer_token

    @property
    def data_dir(self) -> Path:
        return self.sandbox.data_dir

    def clone_url(self, repo: str) -> str:
        return f"{self.git_base_url}/{repo}.git"

    def state(self) -> Json:
        """See ``/_sandbox/state``: the world plus branches/tags/pulls per repository."""
        return self.sandbox.state()

    def requests(self, *, mutating: bool | None = None, service: str | None = None
                 ) -> list[Json]:
        """The request log (oldest first), optionally filtered."""
        out = self.sandbox.requests()
        if mutating is not None:
            out = [r for r in out if r["mutating"] == mutating]
        if service is not None:
            out = [r for r in out if r["service"] == service]
        return out

    def clear_requests(self) -> None:
        self.sandbox.clear_requests()

    def set_faults(self, spec: str) -> None:
        """Replace the fault SPEC at runtime; request numbering restarts at 1."""
        self.sandbox.faults.set(FaultSpec.parse(spec))

    @property
    def hold(self) -> RequestHold:
        """Crash tests: ``hold.arm(n, "before"|"after")``, wait ``hold.reached``, kill the
        client, ``hold.release()`` (see ``cockpit.sandbox.holds``)."""
        return self.sandbox.hold

    def set_workflow_outcome(self, repo: str, workflow: str, conclusion: str = "failure",
                             times: int | None = None) -> None:
        """E.g. ``("ipfs/kubo", "docker.yml", "failure", times=1)``; success clears it."""
        self.sandbox.sim.set_outcome(repo, workflow, conclusion, times)

    def issue_token(self, scope: str = "write") -> str:
        return self.sandbox.issue_token(scope)

    def tick(self) -> None:
        """Advance the workflow simulator now (requests do this implicitly)."""
        self.sandbox.sim.tick()


def start_sandbox(data_dir: Path | None = None, **options: Any) -> SandboxHandle:
    """Start a sandbox on a background thread; call ``stop_sandbox`` when done."""
    sb = Sandbox(SandboxOptions(data_dir=data_dir, **options))
    server = ThreadedServer(sb)
    server.start()
    return SandboxHandle(sb, server)


def stop_sandbox(handle: SandboxHandle) -> None:
    handle._server.stop()
    handle.sandbox.cleanup()

