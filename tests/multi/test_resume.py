"""A driver is SIGKILLed mid-stage; another, on a fresh machine, finishes once the lease
lapses. The world ends as an uninterrupted run leaves it (the real Kubo playbook)."""

from __future__ import annotations

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from tests.multi.conftest import Machine
from tests.reliability.world_diff import differences, duplicates, snapshot

VERSION = "v0.30.0-rc1"
STAGE = "prepare-branch"
KILL_AFTER = "   release-pr-rc: done"
"""The stage is killed once its draft PR exists: branch, version commit and PR are made,
the missing-commits comparison, cherry-pick question and dev PR are not."""
LEASE = 6
_DRIVER = re.compile(r"\b(alice|bob)@[\w.-]+")
_JOURNAL = re.compile(r"stage \*\*([\w-]+)\*\*: \S+ (\w[\w ]*)")


def _answers() -> Path:
    with resources.as_file(resources.files("cockpit.playbooks")
                           .joinpath("kubo-demo-answers.toml")) as path:
        return Path(path)


def _run_args() -> tuple[str, ...]:
    return ("run", STAGE, "--version", VERSION, "--yes", "--answers", str(_answers()))


def _settle(handle: SandboxHandle, timeout: float = 30) -> None:
    """Wait for the workflow runs the stage started (CI of its PRs) to complete: a run
    still queued in one world and running in the other is timing, not a difference."""
    deadline = time.monotonic() + timeout
    while any(run["status"] != "completed" for repo in handle.state()["repos"].values()
              for run in repo["runs"]):
        assert time.monotonic() < deadline, "workflow runs never completed"
        time.sleep(0.2)


def _world(handle: SandboxHandle) -> Any:
    """The settled, normalised world, with who drove each stage left out (that is what
    differs): journal comments reduce to their stage and status, the checklist to its
    ticks."""
    _settle(handle)
    world = snapshot(handle)
    for repo in world["repos"].values():
        for comment in repo["comments"]:
            if "<!-- cockpit:journal " in comment["body"]:
                found = _JOURNAL.search(comment["body"])
                comment["body"] = f"journal {found.groups() if found else None}"
        for issue in repo["issues"]:
            issue["body"] = _DRIVER.sub("<driver>", issue.get("body") or "")
    return world


def test_sigkilled_driver_is_resumed_on_a_fresh_machine(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "baseline") as base, \
            running_sandbox(tmp_path / "crash") as sandbox, \
            ThreadPoolExecutor(1) as pool:
        # The uninterrupted run, in a world of its own, meanwhile.
        solo = Machine("alice", tmp_path / "home-solo", base)
        uninterrupted = pool.submit(solo.run, *_run_args())
        # A lease long enough that bob's first try surely finds it held, even on a busy box.
        alice = Machine("alice", tmp_path / "home-alice", sandbox,
                        settings={"COCKPIT_LOCK_LEASE_SECONDS": str(LEASE)})
        bob = Machine("bob", tmp_path / "home-bob", sandbox)
        victim = alice.start(*_run_args())
        assert victim.stdout is not None
        seen = []
        for line in victim.stdout:
            seen.append(line)
            if line.startswith(KILL_AFTER):
                break
        assert seen and seen[-1].startswith(KILL_AFTER), "".join(seen[-30:])
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait(timeout=10)
        victim.stdout.close()
        assert victim.stderr is not None
        victim.stderr.close()

        early = bob.run(*_run_args())
        assert time.monotonic() - killed_at < LEASE, "too slow to see the lease held"
        assert early.returncode == 1, early.stdout[-2000:] + early.stderr
        assert f"stage {STAGE} is held by alice@" in early.stderr, early.stderr
        assert "== stage" not in early.stdout

        deadline = time.monotonic() + 30
        while True:
            attempt = time.monotonic()
            resumed = bob.run(*_run_args())
            if resumed.returncode == 0 or "is held by" not in resumed.stderr:
                break
            assert time.monotonic() < deadline, "the dead driver's lease never lapsed"
            time.sleep(0.5)
        assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr
        lapse = attempt - killed_at
        assert "claimed by bob@" in resumed.stderr
        comments = sandbox.state()["repos"]["ipfs/kubo"]["comments"]
        assert not [c for c in comments if "<!-- cockpit:claim " in c["body"]], \
            "the dead driver's claim was not cleared"
        resumed_world = _world(sandbox)
        done = uninterrupted.result(timeout=120)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
        baseline = _world(base)

    assert duplicates(resumed_world, baseline) == []
    assert differences(resumed_world, baseline) == []
    print(f"\ntaken over by a run started {lapse:.1f}s after the SIGKILL (lease {LEASE}s, grace 1s)")
