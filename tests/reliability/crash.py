"""Kill points: where to SIGKILL a release, how to land the kill there, what came of it.

A plan of kill points is a pure function of a seed and the baseline's shape (how
many mutating requests, how many requests, how long), so a failing point is
reproduced by its label alone. Points inside a mutating request come first — one
per mutating request while the count allows, the release's own writes before the
journal's, the phase (``before`` the server acts, or ``after`` it acted but before it
answered) chosen by the seed — then points inside arbitrary requests (reads included)
and at arbitrary times.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.reliability.release_runner import ReleaseDriver, ReleaseRun, Resume, release_world
from tests.reliability.world_diff import CLAIM_MARK, JOURNAL_MARK, Comparison, Json, compare, snapshot

Kind = Literal["before", "after", "request", "time"]


@dataclass(frozen=True)
class KillPoint:
    kind: Kind
    """``before``/``after``: inside the N-th mutating request; ``request``: after the
    server answered the N-th request of any kind; ``time``: T seconds into the release."""
    at: float
    resume: Resume
    """How the killed stage is resumed: a fresh cockpit home, or the same one."""

    @property
    def label(self) -> str:
        where = f"{self.at:.1f}s" if self.kind == "time" else f"#{int(self.at)}"
        return f"{self.kind}:{where}:{self.resume}"

    @classmethod
    def parse(cls, label: str) -> KillPoint:
        kind, where, resume = label.split(":")
        at = float(where.rstrip("s").lstrip("#"))
        return cls(kind, at, resume)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Shape:
    """What the uninterrupted release looked like: where kills can land."""

    mutating: int
    requests: int
    wall: float
    journal_writes: frozenset[int] = frozenset()
    """Which mutating requests (1-based) only wrote the journal or a stage claim."""


def plan(count: int, seed: int, shape: Shape) -> list[KillPoint]:
    """``count`` kill points for ``seed``: the same arguments give the same points."""
    rng = random.Random(seed)
    artifacts = [n for n in range(1, shape.mutating + 1) if n not in shape.journal_writes]
    journal = sorted(shape.journal_writes)
    rng.shuffle(artifacts)
    rng.shuffle(journal)
    writes = artifacts + journal  # the release's own writes first, then the journal's
    inside = min(shape.mutating, count - count // 3)
    points: list[KillPoint] = []
    for n in writes[:inside]:
        phase: Kind = rng.choice(["before", "after"])
        points.append(KillPoint(phase, n, _resume(rng)))
    for i in range(count - inside):
        if i % 2 == 0:
            # Reads vary a little with polling: stay within the part every run reaches.
            n = rng.randint(1, max(1, int(shape.requests * 0.85)))
            points.append(KillPoint("request", n, _resume(rng)))
        else:
            t = round(rng.uniform(0.5, shape.wall * 0.9), 1)
            points.append(KillPoint("time", t, _resume(rng)))
    rng.shuffle(points)
    return points


def _resume(rng: random.Random) -> Resume:
    return "fresh" if rng.random() < 0.7 else "same"


@dataclass
class PointResult:
    point: KillPoint
    release: ReleaseRun
    landed: bool
    """A cockpit process really died by SIGKILL at this point."""
    held: Json | None
    """The request the kill happened inside (method, path), for hold points."""
    compared: Comparison = field(default_factory=Comparison)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.landed and self.release.done and self.compared.ok

    def describe(self) -> str:
        lines = [f"kill point {self.point.label}: "
                 f"{'ok' if self.ok else 'FAILED'} in {self.seconds:.0f}s"]
        if not self.landed:
            lines.append("  the kill did not land (no cockpit process died there)")
        if self.held:
            lines.append(f"  inside {self.held['method']} {self.held['path']}")
        killed = [r.stage for r in self.release.runs if r.killed]
        lines.append(f"  killed in stage(s): {', '.join(killed) or 'none'}; resumed with "
                     f"--steal: {self.release.steals}; stale claims left: "
                     f"{self.compared.stale_claims}")
        if self.release.stopped:
            stop = self.release.stopped
            lines.append(f"  release stopped at {stop.stage} (exit {stop.exit_code}):\n"
                         + stop.output_tail[-1500:])
        lines += self.compared.lines()
        return "\n".join(lines)


class Killer:
    """Lands one kill point on a running release, from a thread of its own."""

    def __init__(self, point: KillPoint, driver: ReleaseDriver) -> None:
        self.point = point
        self.driver = driver
        self.hold = driver.world.handle.hold
        self.landed = False
        self.held: Json | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        kind = self.point.kind
        if kind in ("before", "after"):
            self.hold.arm(int(self.point.at), kind)
        elif kind == "request":
            self.hold.arm(int(self.point.at), "after", mutating_only=False)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.hold.release()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        if self.point.kind == "time":
            self._kill_at_time(time.monotonic() + self.point.at)
            return
        while not self.hold.reached.wait(0.05):
            if self._stop.is_set():
                return
        self.held = self.hold.held
        self._kill()
        self.hold.release()

    def _kill_at_time(self, when: float) -> None:
        while time.monotonic() < when:
            if self._stop.wait(0.02):
                return
        while not self._stop.is_set():
            if self._kill():
                return
            self.driver.spawned.wait(0.02)

    def _kill(self) -> bool:
        proc = self.driver.kill_current()
        if proc is None:
            return False
        proc.wait()
        self.landed = True
        return True


def run_point(point: KillPoint, home: Path, baseline: Json,
              **sandbox_options: Any) -> PointResult:
    """One release in a fresh world, killed at ``point``, resumed to the end, compared."""
    start = time.perf_counter()
    with release_world(home, **sandbox_options) as world:
        driver = ReleaseDriver(world, resume=point.resume)
        killer = Killer(point, driver)
        killer.start()
        try:
            release = driver.run()
        finally:
            killer.stop()
        after = snapshot(world.handle)
    result = PointResult(point, release, killer.landed and release.kills > 0, killer.held)
    result.compared = compare(after, baseline)
    result.seconds = time.perf_counter() - start
    return result


@dataclass
class Baseline:
    world: Json
    shape: Shape


def run_baseline(home: Path, **sandbox_options: Any) -> Baseline:
    """The uninterrupted release every kill point is compared with."""
    with release_world(home, **sandbox_options) as world:
        release = ReleaseDriver(world).run()
        if not release.done:
            stop = release.stopped
            raise RuntimeError(f"the uninterrupted release did not finish: {stop}")
        requests = world.handle.requests()
        writes = [r for r in requests if r["mutating"]]
        journal = frozenset(n for n, r in enumerate(writes, 1) if _journal_write(r))
        shape = Shape(mutating=len(writes), requests=len(requests), wall=release.wall,
                      journal_writes=journal)
        return Baseline(snapshot(world.handle), shape)


def _journal_write(request: Json) -> bool:
    """A write of the journal (entry, claim, checklist) rather than of the release."""
    body = str(request.get("body", ""))
    with contextlib.suppress(ValueError):  # the log keeps the JSON as sent (\u-escaped)
        sent = json.loads(body)
        body = str(sent.get("body", "")) if isinstance(sent, dict) else body
    return (JOURNAL_MARK in body or CLAIM_MARK in body or "cockpit:checklist" in body
            or (request["method"] == "DELETE" and "/issues/comments/" in request["path"]))
