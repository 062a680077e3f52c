"""A whole release under injected faults: it completes, or stops with a resumable error.

The sandbox injects one fault kind at a rate into every eligible request (GitHub API
and the announcement services; git and inspection are never faulted) for the whole
release, every stage. When a stage stops (exit 1), the driver does what the message
says — reruns the same command — with the faults still on, a few times; only then are
the faults turned off for one last rerun. The final world must equal the fault-free
baseline's: no artifact twice, nothing missing.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.release_runner import ReleaseDriver, ReleaseRun, StageRun, release_world
from tests.reliability.world_diff import Comparison, Json, compare, snapshot

JOURNAL_BEHIND = "journal: not written to the tracking issue"
"""What the cockpit says when the journal could not be written (``cockpit.sync``)."""
RERUNS_UNDER_FAULTS = 6
"""Reruns of a stopped stage with the faults still on, before one fault-free rerun."""

FULL_MATRIX = [f"{kind}:{rate}" for kind in ("5xx", "500", "502", "503", "504", "drop",
                                               "secondary", "ratelimit", "timeout")
               for rate in (0.1, 0.3)] + ["latency:200", "latency:50,5xx:0.3,drop:0.1"]
"""Every fault kind the sandbox offers (``cockpit.sandbox.faults.KINDS``) at 10% and
30%, latency, and a mix. ``timeout`` holds a request 3 s; the cockpit gives up after 1 s."""
CI_SPECS = ["5xx:0.15,drop:0.15"]
"""Two kinds, 30% of eligible requests in all: one release keeps CI under budget."""


@dataclass
class FaultResult:
    spec: str
    release: ReleaseRun
    injected: Counter[str] = field(default_factory=Counter)
    """Faults the sandbox injected, by kind."""
    stages_faulted: list[str] = field(default_factory=list)
    """Stages during which at least one fault fired."""
    unclear: list[str] = field(default_factory=list)
    """Stops whose output does not say plainly what stopped and how to resume."""
    fault_free_reruns: int = 0
    journal_reconciled: bool = False
    """The journal fell behind at the end, and one more run brought it up to date."""
    compared: Comparison = field(default_factory=Comparison)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.release.done and not self.unclear and self.compared.ok

    def describe(self) -> str:
        lines = [f"faults {self.spec}: {'ok' if self.ok else 'FAILED'} in {self.seconds:.0f}s, "
                 f"{sum(self.injected.values())} injected, "
                 f"{len(self.release.stops)} stops (all resumed by rerunning), "
                 f"{self.fault_free_reruns} fault-free reruns, "
                 f"{len(self.stages_faulted)} stages faulted, "
                 f"{self.compared.stale_claims} stale claims left"
                 + (", journal reconciled by one more run" if self.journal_reconciled else "")]
        if self.release.stopped:
            stop = self.release.stopped
            lines.append(f"  release stopped at {stop.stage} (exit {stop.exit_code}):\n"
                         + stop.output_tail[-1500:])
        lines += [f"  unclear stop: {u}" for u in self.unclear]
        lines += self.compared.lines()
        return "\n".join(lines)


def clear_stop(run: StageRun) -> str | None:
    """None when a stopped stage's output is a clear, resumable error; else why not.

    Clear: exit 1 (not 2, not a crash), no traceback, and a closing message that names
    the stage and tells the driver to rerun."""
    out = run.output_tail
    if "Traceback (most recent call last)" in out:
        return f"{run.stage}: a traceback:\n{out[-1200:]}"
    if run.exit_code != 1:
        return f"{run.stage}: exit {run.exit_code} (a stop is exit 1):\n{out[-800:]}"
    closing = out[out.rfind(f"stage {run.stage}"):] if f"stage {run.stage}" in out else ""
    if "rerun" not in closing:
        return f"{run.stage}: no closing message naming the stage and saying rerun:\n{out[-800:]}"
    return None


def run_faulted(spec: str, home: Path, baseline: Json, seed: int = 1,
                version: str = "v0.30.0-rc1") -> FaultResult:
    """One release with ``spec`` faults on from the first request to the last."""
    start = time.perf_counter()
    full_spec = f"{spec},seed={seed},hang=3"
    env = {"COCKPIT_HTTP_TIMEOUT_SECONDS": "1"} if "timeout" in spec else None
    with release_world(home, env, faults=full_spec) as world:
        handle = world.handle
        driver = ReleaseDriver(world, version=version, resume="same")
        reruns: Counter[str] = Counter()
        fault_free = 0

        faults_on = True

        def before_stage(stage: str) -> None:
            nonlocal faults_on
            if not faults_on:
                handle.set_faults(full_spec)
                faults_on = True

        def before_rerun(stopped: StageRun) -> None:
            nonlocal fault_free, faults_on
            reruns[stopped.stage] += 1
            if reruns[stopped.stage] == RERUNS_UNDER_FAULTS + 1:
                handle.set_faults("")
                faults_on = False
                fault_free += 1

        release = driver.run(reruns=RERUNS_UNDER_FAULTS + 1, before_rerun=before_rerun,
                             before_stage=before_stage)
        handle.set_faults("")
        behind = release.done and any(JOURNAL_BEHIND in run.output_tail for run in release.runs)
        if behind:
            # The journal could not reach the tracking issue at the very end; the cockpit
            # says "the next run reconciles it": one more (fault-free) run must do so.
            release.runs += driver.run([release.runs[-1].stage]).runs
        log = handle.requests()
        after = snapshot(handle)
    result = FaultResult(spec, release, fault_free_reruns=fault_free, journal_reconciled=behind)
    result.injected = Counter(str(r["fault"]) for r in log if r.get("fault"))
    for run in release.runs:
        first, last = run.requests
        if any(r.get("fault") for r in log[first:last]) and run.stage not in result.stages_faulted:
            result.stages_faulted.append(run.stage)
    result.unclear = [u for run in release.stops if (u := clear_stop(run))]
    result.compared = compare(after, baseline)
    result.seconds = time.perf_counter() - start
    return result
