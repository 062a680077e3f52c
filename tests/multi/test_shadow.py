"""A shadow (``cockpit status --watch``, read-only token) follows a whole release."""

from __future__ import annotations

import json
import signal
import statistics
import time

from cockpit.sandbox.testing import SandboxHandle
from tests.multi.conftest import FAST, TRACKED, Machine

VERSION = "v2.0.0-rc1"
STAGES = ("preflight", "prepare", "finish")
INTERVAL = float(FAST["COCKPIT_SHADOW_POLL_SECONDS"])
SLACK = 0.5
"""A poll's own time and the journal write after the event: well under an interval."""


def test_shadow_sees_every_transition_within_one_poll_and_never_writes(
        sandbox: SandboxHandle, machines: dict[str, Machine]) -> None:
    alice, shadow = machines["alice"], machines["shadow"]
    watcher = shadow.start("status", "--watch", "--json", "--playbook", TRACKED, "--version",
                           VERSION)
    time.sleep(1.5)  # it starts before the tracking issue exists, and waits for it
    for stage in STAGES:
        done = alice.run("run", stage, "--playbook", TRACKED, "--version", VERSION, "--yes")
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    driver_done = time.time()
    time.sleep(4 * INTERVAL + 1)  # the last rechecks, then steady polling
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]

    transitions = {(e["stage"], e["status"]): e for e in lines if e["kind"] == "transition"}
    assert set(transitions) == {(s, t) for s in STAGES for t in ("running", "done")}, lines
    latency = [e["seen"] - e["at"] for e in transitions.values()]
    assert max(latency) <= INTERVAL + SLACK, sorted(latency)
    assert any(e["kind"] == "issue" for e in lines)
    checks = {e["stage"]: e for e in lines if e["kind"] == "checks"}
    assert all(checks[s]["done"] == checks[s]["total"] for s in STAGES), checks
    assert all("(alice@" in e["text"] for e in transitions.values()), "who drives is shown"

    mine = sandbox.requests(service="github")
    mine = [r for r in mine if r["auth"] == "read"]
    assert mine and not [r for r in mine if r["mutating"]], "the shadow sent a write"
    git = [r for r in sandbox.requests(service="git") if r["auth"] == "read"]
    assert not [r for r in git if r["mutating"]]
    steady = [r for r in mine if r["time"] > driver_done + 2 * INTERVAL + 0.5]
    assert len(steady) >= 2 and all(r["status"] == 304 for r in steady), steady
    ratio = sum(r["status"] == 304 for r in mine) / len(mine)

    kubo = sandbox.state()["repos"]["ipfs/kubo"]
    journal_text = str(kubo["comments"]) + str(kubo["issues"])
    assert "cockpit:journal" in journal_text and sandbox.admin_token not in journal_text

    # A machine that never ran anything knows from the journal who did what.
    status = shadow.run("status", "--json", "--playbook", TRACKED, "--version", VERSION)
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["actions"]
    assert rows and all(row["status"] == "done" for row in rows)
    assert all(row["journal"].startswith("done by alice@") for row in rows), rows

    # Rerunning a finished stage (twice: the second also reconciles the first's local
    # journal) writes nothing, not even to the journal.
    since = len(sandbox.requests())
    for _ in range(2):
        again = alice.run("run", "prepare", "--playbook", TRACKED, "--version", VERSION, "--yes")
        assert again.returncode == 0, again.stderr
    assert [r for r in sandbox.requests()[since:] if r["mutating"]] == []
    print(f"\nshadow: {len(mine)} GitHub requests, {ratio:.0%} answered 304; transition "
          f"latency mean {statistics.mean(latency):.2f}s, max {max(latency):.2f}s "
          f"(poll every {INTERVAL}s); steady state {len(steady)} polls, all 304")
