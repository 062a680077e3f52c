"""Pytest-free helpers to run a sandbox in-process, for any engineer's tests.

    with running_sandbox(tmp_path, faults="5xx:req=3") as sb:
        env = sb.env                      # COCKPIT_* for a cockpit under test
        ... drive the cockpit ...
        assert len(sb.state()["repos"]["ipfs/kubo"]["releases"]) == 2
        assert not [r for r in sb.requests() if r["mutating"]]

Test-only; product code (``cockpit demo``) uses ``cockpit.sandbox.inprocess``, which
this module re-exports so a test needs one import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cockpit.sandbox.inprocess import SandboxHandle, start_sandbox, stop_sandbox

__all__ = ["SandboxHandle", "running_sandbox", "start_sandbox", "stop_sandbox"]


@contextmanager
def running_sandbox(tmp_path: Path | None = None, **options: Any) -> Iterator[SandboxHandle]:
    """A seeded sandbox on 127.0.0.1:<free port>, data in ``tmp_path/sandbox``.

    Options are ``SandboxOptions`` fields: ``faults``, ``latency_ms``,
    ``workflow_seconds``, ``time_scale``, ``fail_workflows``, ``port``.
    """
    data_dir = tmp_path / "sandbox" if tmp_path is not None else None
    handle = start_sandbox(data_dir, **options)
    try:
        yield handle
    finally:
        stop_sandbox(handle)
