"""A whole RC release with faults injected into every stage: done, or a clear stop.

CI runs ``COCKPIT_FAULT_SPECS`` (default: 5xx and dropped connections, 15% each, so 30%
of eligible requests fail) through ``tests.reliability.faulted``; the full matrix (every
fault kind at 10% and 30%) is ``scripts/fault_suite.py``. Every stop must be a clear,
resumable error, and the final world must equal the fault-free baseline's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.crash import Baseline
from tests.reliability.faulted import CI_SPECS, run_faulted
from tests.reliability.release_runner import stage_ids

SPECS = os.environ.get("COCKPIT_FAULT_SPECS", ";".join(CI_SPECS)).split(";")
SEED = int(os.environ.get("COCKPIT_FAULT_SEED", "20261125"))


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS)
def test_release_under_faults(spec: str, baseline: Baseline, tmp_path: Path) -> None:
    result = run_faulted(spec, tmp_path, baseline.world, seed=SEED)
    assert result.ok, result.describe()
    assert sum(result.injected.values()) > 50, result.describe()
    assert len(result.stages_faulted) >= len(stage_ids()) * 2 // 3, result.describe()
