"""SIGKILL a whole RC release at seeded points, resume with fresh processes, compare.

CI runs a seeded subset of ``scripts/crash_suite.py``'s plan (``COCKPIT_CRASH_POINTS``,
default 3, about 27 s each; ``COCKPIT_CRASH_SEED``): most points inside a mutating request (before the
server acted, or after it acted but before it answered — the ambiguous case), the rest
inside any request or at a time. Each point runs the release in a fresh sandbox world;
the final world must equal the uninterrupted baseline's, with no artifact created twice.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.crash import Baseline, plan, run_point

CI_POINTS = int(os.environ.get("COCKPIT_CRASH_POINTS", "3"))
SEED = int(os.environ.get("COCKPIT_CRASH_SEED", "20261125"))


@pytest.mark.slow
@pytest.mark.parametrize("index", range(CI_POINTS))
def test_kill_point(index: int, baseline: Baseline, tmp_path: Path) -> None:
    point = plan(CI_POINTS, SEED, baseline.shape)[index]
    result = run_point(point, tmp_path, baseline.world)
    assert result.landed, result.describe()
    assert result.ok, result.describe()


def test_plan_is_reproducible_and_covers_writes() -> None:
    from tests.reliability.crash import Shape

    journal = frozenset(range(30, 90))
    shape = Shape(mutating=89, requests=600, wall=30.0, journal_writes=journal)
    first = plan(50, 7, shape)
    assert first == plan(50, 7, shape)
    assert first != plan(50, 8, shape)
    inside = sorted(int(p.at) for p in first if p.kind in ("before", "after"))
    assert inside[:29] == list(range(1, 30)), "every write of the release gets a kill point"
    assert len(inside) == 50 - 50 // 3 and set(inside[29:]) <= journal
    assert {p.kind for p in first} == {"before", "after", "request", "time"}
    assert all(type(p).parse(p.label) == p for p in first)
