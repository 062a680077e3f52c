"""The PostgreSQL tests skip without a server on a laptop, but fail in CI: never a silent skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TEST = "tests/ci/test_store.py::test_a_wrong_database_says_so"


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_missing_server_binaries(tmp_path: Path, ci: str, outcome: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "COCKPIT_PG_BINDIR")}
    env["COCKPIT_PG_BINDIR"] = str(tmp_path / "no-postgresql-here")
    if ci:
        env["CI"] = ci
    found = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
                           capture_output=True, text=True, env=env, timeout=120,
                           cwd=Path(__file__).resolve().parents[2], check=False)
    assert outcome in found.stdout, found.stdout + found.stderr
    assert "no PostgreSQL server binaries" in found.stdout
