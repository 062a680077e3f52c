"""The release cycle the end-to-end tests drive: v0.30.0-rc1 → -rc2 → v0.30.0 → v0.30.1.

Before each release the driver does by hand what the playbook leaves to a human: the
final release's dependency update (which its prepare-next asks for), and the fix a
patch release exists for (landed on master, cherry-picked onto its version branch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cockpit.demo_history import stand_in_work
from cockpit.model import Version
from cockpit.sandbox.testing import SandboxHandle
from tests.e2e.driver import ReleaseDriver, StageRun
from tests.e2e.world import release_problems
from tests.reliability.world_diff import Json, snapshot

CYCLE = ("v0.30.0-rc1", "v0.30.0-rc2", "v0.30.0", "v0.30.1")


def by_hand(handle: SandboxHandle, version: str) -> dict[str, Callable[[], object]]:
    """The driver's own work in ``version``'s release, by the stage it comes before: the
    stand-in maintainer ``cockpit demo`` uses, before the first stage as there."""
    return {"preflight": lambda: stand_in_work(handle, Version.parse(version))}


@dataclass
class ReleasePass:
    """One pass of all stages of one release, and what it cost."""

    version: str
    runs: list[StageRun]
    seconds: float
    requests: int
    mutating: int
    snapshot: Json = field(repr=False)
    """The normalised world right after this pass."""
    problems: list[str]
    """How the world right after this pass falls short of the Kubo checklist."""
    changes: list[str]
    """The mutating requests of this pass, as ``METHOD path (stage)``."""

    @property
    def stage_runs(self) -> int:
        return len(self.runs)

    def row(self, label: str) -> str:
        slowest = max(self.runs, key=lambda run: run.seconds)
        return (f"{label} {self.version}: {self.seconds:.1f} s, {self.requests} requests, "
                f"{self.mutating} mutating, {self.stage_runs} stage runs "
                f"(slowest: {slowest.stage} {slowest.seconds:.1f} s)")


def drive(handle: SandboxHandle, driver: ReleaseDriver, version: str, *,
          with_hands: bool = True, reruns: int = 0) -> ReleasePass:
    """All stages of one release, measured against the sandbox's request log."""
    first = len(handle.sandbox.request_log)
    start = time.perf_counter()
    runs = driver.run_release(version, by_hand(handle, version) if with_hands else None,
                              reruns=reruns)
    seconds = time.perf_counter() - start
    new = handle.requests()[first:]
    return ReleasePass(version, runs, seconds, len(new),
                       sum(1 for r in new if r["mutating"]), snapshot(handle),
                       release_problems(handle, version),
                       [f"{r['method']} {r['path']}" for r in new if r["mutating"]])
