"""The Matrix tests skip without Synapse on a laptop, but fail in CI: never a silent skip there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _matrix_tests(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "COCKPIT_SYNAPSE_PYTHON")}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/services/test_matrix.py::test_send_and_read_back"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_missing_synapse_fails_the_matrix_tests(ci: str) -> None:
    found = _matrix_tests(ci)
    assert found.returncode == 1, found.stdout
    assert "COCKPIT_SYNAPSE_PYTHON is not set in CI" in found.stdout


def test_outside_ci_a_missing_synapse_skips_them() -> None:
    found = _matrix_tests(None)
    assert found.returncode == 0 and "1 skipped" in found.stdout, found.stdout
