"""Drive a whole release as ``cockpit run STAGE`` processes against a sandbox (pytest-free).

Shared by the crash and fault suites in this folder and by ``scripts/crash_suite.py``
and ``scripts/fault_suite.py``: one release is the 15 stage commands a driver types,
each a fresh process, so a SIGKILL lands on a real cockpit process exactly as it would
on a driver's machine. A killed stage is resumed by a new process (with a fresh home,
or the same one), then the release carries on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from cockpit.demo import demo_environment
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle

VERSION = "v0.30.0-rc1"
FAST_SANDBOX: dict[str, Any] = {"workflow_seconds": 0.4, "rate_limit": 100_000,
                                "secondary_writes": 1_000}
"""Workflow runs take 0.4 s: the release's shape is unchanged, its waits are short. The
rate limits are raised with the clock: a session drives several releases (each one a day's
work on GitHub, ~1,000-2,000 requests a pass) in minutes, so GitHub's 5,000 requests an
hour and 80 writes a minute would be spent by the compressed clock, not by the cockpit
(measured: ~6,400 requests in 8 minutes, 86 writes in the busiest minute). The limits
themselves are tested in tests/sandbox/test_enforcement.py."""
RUN_ENV = {"COCKPIT_POLL_INITIAL_SECONDS": "0.05", "COCKPIT_POLL_MAX_SECONDS": "0.2",
           "COCKPIT_HTTP_RETRY_BASE_SECONDS": "0.05", "COCKPIT_DISPATCH_GRACE_SECONDS": "5",
           "COCKPIT_DRIVER": "reliability"}
"""Short polls, retry backoffs and dispatch grace (the same decisions, less waiting: the
sandbox lists a dispatched run at once, where GitHub may take a while), and one driver name
whatever the caller's environment, so every world of a session is comparable."""
STAGE_TIMEOUT = 240.0
"""A stage process that runs longer than this is hung: the suite fails and says so."""

OUTPUT_KEPT = 20_000
"""Characters of each stage process's output kept for the report (its end)."""

Resume = Literal["fresh", "same"]


def stage_ids() -> list[str]:
    return [s.id for s in load_playbook().stages]


@dataclass
class StageRun:
    """One ``cockpit run STAGE`` process."""

    stage: str
    exit_code: int
    seconds: float
    home: str
    killed: bool = False
    output_tail: str = ""
    requests: tuple[int, int] = (0, 0)
    """The sandbox request log's length before and after this process ran."""


@dataclass
class ReleaseRun:
    """Every process one release took, in order."""

    runs: list[StageRun] = field(default_factory=list)
    wall: float = 0.0
    stopped: StageRun | None = None
    """The stage that ended the release without a kill (exit 1 or 2), if any."""
    steals: int = 0
    """Stages rerun with ``--steal`` because a killed run of ours still held the lock."""
    stops: list[StageRun] = field(default_factory=list)
    """Every stage process that stopped (exit 1 or 2) rather than finishing, rerun or not."""

    @property
    def done(self) -> bool:
        return self.stopped is None

    @property
    def kills(self) -> int:
        return sum(1 for r in self.runs if r.killed)


@dataclass
class World:
    """A sandbox plus the environment a cockpit process needs to drive a release in it."""

    handle: SandboxHandle
    home: Path
    answers: Path


@contextmanager
def release_world(home: Path, env: dict[str, str] | None = None,
                  **sandbox_options: Any) -> Iterator[World]:
    """A fresh seeded sandbox, demo identity and signing key, fast polling (+ ``env``)."""
    source = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    options = {**FAST_SANDBOX, **sandbox_options}
    with demo_environment(home, **options) as handle, resources.as_file(source) as answers, \
            scoped_env({**RUN_ENV, **(env or {})}):
        yield World(handle, home, answers)


@contextmanager
def scoped_env(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block, then put back what was there.

    (``monkeypatch`` is per test; hypothesis examples and session fixtures need this.)"""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class ReleaseDriver:
    """Runs the stages in order, one process each; knows which process is running now."""

    def __init__(self, world: World, version: str = VERSION, resume: Resume = "fresh") -> None:
        self.world = world
        self.version = version
        self.resume = resume
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._homes = 0
        self.home: Path | None = None
        """The cockpit home (state, workspace) the next stage process uses; a later
        ``run`` carries on in it, as the same driver on the same machine would."""
        self.spawned = threading.Event()
        """Set whenever a stage process starts (a kill by time may wait for one)."""

    def _new_home(self) -> Path:
        self._homes += 1
        home = self.world.home / f"driver-{self._homes}"
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        return home

    def kill_current(self) -> subprocess.Popen[bytes] | None:
        """SIGKILL the running stage process and its children (git), as a crash would.

        Returns the killed process (wait on it before releasing a held request), or
        None when no stage process was running."""
        with self._lock:
            proc = self._current
            if proc is None or proc.poll() is not None:
                return None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            return proc

    def run(self, stages: list[str] | None = None, *, reruns: int = 0,
            before_rerun: Callable[[StageRun], None] | None = None,
            before_stage: Callable[[str], None] | None = None) -> ReleaseRun:
        """Run the stages in order; a killed stage is resumed by a new process.

        A stage that stops (exit 1) is rerun up to ``reruns`` times, as a driver who
        reads "rerun `cockpit run STAGE`" would (``before_rerun`` may change the world
        first, e.g. turn faults off); after that the release stops there."""
        release = ReleaseRun()
        start = time.perf_counter()
        home = self.home or self._new_home()
        for stage in stages or stage_ids():
            stops = 0
            steal = False
            if before_stage is not None:
                before_stage(stage)
            while True:
                run = self._run_stage(stage, home, steal)
                release.runs.append(run)
                if run.killed:
                    if self.resume == "fresh":
                        home = self._new_home()
                    self.home = home
                    continue
                if run.exit_code == 1 and "pass --steal" in run.output_tail and not steal:
                    # Our own crashed run still holds the stage's lock: the message says
                    # to take it over, and a driver would.
                    release.steals += 1
                    steal = True
                    continue
                if run.exit_code != 0:
                    release.stops.append(run)
                    if stops < reruns and run.exit_code == 1:
                        stops += 1
                        if before_rerun is not None:
                            before_rerun(run)
                        continue
                    release.stopped = run
                    release.wall = time.perf_counter() - start
                    return release
                break
        release.wall = time.perf_counter() - start
        return release

    def _run_stage(self, stage: str, home: Path, steal: bool = False) -> StageRun:
        env = {**os.environ, "COCKPIT_STATE_DIR": str(home / "state"),
               "COCKPIT_WORKSPACE_DIR": str(home / "work")}
        log = self.world.handle.sandbox.request_log
        first = len(log)
        with tempfile.TemporaryFile() as out:
            started = time.perf_counter()
            with self._lock:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "screens.main", "run", stage, "--version",
                     self.version, "--yes", "--answers", str(self.world.answers),
                     "--solo",  # crashes and faults, not the review gate (tests/multi)
                     *(["--steal"] if steal else [])],
                    stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL,
                    start_new_session=True)
                self._current = proc
            self.spawned.set()
            try:
                code = proc.wait(timeout=STAGE_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = 124
            finally:
                with self._lock:
                    self._current = None
                self.spawned.clear()
            out.seek(0)
            tail = out.read().decode("utf-8", "replace")[-OUTPUT_KEPT:]
        killed = code == -signal.SIGKILL
        return StageRun(stage, code, time.perf_counter() - started, str(home), killed, tail,
                        (first, len(log)))
