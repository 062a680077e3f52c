"""Reliability fixtures: hypothesis profiles, an in-process CLI call, one shared baseline.

Hypothesis runs the ``ci`` profile unless ``COCKPIT_HYPOTHESIS=full`` (see
``scripts/bad_input_suite.py``). The profiles are applied per test (``@PROFILE``), so
they never change another folder's hypothesis settings.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from cockpit.cli import main
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from tests.reliability.crash import Baseline, run_baseline

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("full", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings(settings.get_profile(os.environ.get("COCKPIT_HYPOTHESIS", "ci")))
"""Decorate a ``@given`` test with this to run it under the selected profile."""

TRIED: Counter[str] = Counter()
"""Bad inputs tried, by suite (reported at the end; written to COCKPIT_FIGURES if set)."""


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> CliResult:
    """``cockpit ARGV`` in this process; any exception but SystemExit propagates (a crash)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return CliResult(code, out.getvalue(), err.getvalue())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TRIED:
        return
    terminalreporter.write_line(
        "bad inputs tried: " + ", ".join(f"{k} {n}" for k, n in sorted(TRIED.items())))
    target = os.environ.get("COCKPIT_FIGURES")
    if target:
        Path(target).write_text(json.dumps(dict(TRIED), indent=1))


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One sandbox for many fast examples that must not change it."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as sb:
        yield sb


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """The uninterrupted fault-free RC release, run once per session."""
    return run_baseline(tmp_path_factory.mktemp("baseline"))
