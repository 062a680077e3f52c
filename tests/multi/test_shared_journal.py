"""The shared journal: offline then reconciled; memory for a fresh machine; --steal."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import pytest

from cockpit.events import ActionFinished, PromptAnswered, StageFinished, StageStarted
from cockpit.local_journal import Journal
from cockpit.model import Outcome
from cockpit.playbook import load_playbook
from cockpit.prompts import PromptAnswer
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from cockpit.services.http import RetryPolicy
from cockpit.sync.driver import SyncedRun
from cockpit.sync.issue_journal import RemoteJournal
from cockpit.sync.lock import LeaseLost, Me, StageLock
from cockpit.sync.thread import Thread, locate
from tests.kinds.harness import make_engine
from tests.multi.conftest import TRACKED, Machine
from tests.sandboxes import SandboxSetup

PLAYBOOK = load_playbook(Path(TRACKED))


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    """The engine runs in this process here: its settings come from the sandbox's env."""
    return SandboxSetup(export_env=True)


def _journal_bodies(handle: SandboxHandle) -> list[str]:
    return [c["body"] for c in handle.state()["repos"]["ipfs/kubo"]["comments"]
            if "<!-- cockpit:journal " in c["body"]]


async def test_offline_stage_is_reconciled_once_and_never_over_a_newer_record(
        sandbox: SandboxHandle, tmp_path: Path) -> None:
    engine, _ = make_engine(PLAYBOOK, "v3.0.0-rc1")
    target = locate(engine)
    assert target is not None
    online = Thread(GitHubClient(sandbox.api_url, sandbox.admin_token), target)
    await online.bootstrap(engine)
    # The issue is known, then the network goes: every journal write is refused.
    dead = GitHubClient("http://127.0.0.1:9", sandbox.admin_token,
                        retry=RetryPolicy(max_attempts=1))
    offline_thread = Thread(dead, target)
    offline_thread.issue = online.issue
    said: list[str] = []
    local = Journal(tmp_path / "state", engine.release_key)
    remote = RemoteJournal(offline_thread, engine.release_key, "t", ["preflight"], {},
                           flush_seconds=0.1, redact=engine.session.redact, say=said.append)
    engine.bus.listen(local.append)
    engine.bus.listen(remote.listen)
    try:
        report = await engine.run_stage("preflight")
        await remote.close()
    finally:
        await engine.session.aclose()
        await dead.aclose()
    assert report.outcome.value == "done"
    assert remote.offline and any("not written to the tracking issue" in s for s in said)
    assert _journal_bodies(sandbox) == []

    async def reconcile() -> tuple[list[str], int]:
        snap = await online.snapshot()
        journal = RemoteJournal(online, engine.release_key, "t", ["preflight"], snap.records,
                                flush_seconds=0.1, redact=str, say=said.append)
        return await journal.reconcile(local.events(), held=set()), journal.calls

    assert await reconcile() == (["preflight"], 2)  # the comment, then the checklist
    [body] = _journal_bodies(sandbox)
    assert "stage **preflight**: ✔ done" in body and "Driver: d@h" in body
    assert await reconcile() == ([], 0)  # already there: nothing is written again

    # Another machine reran the stage later: its newer record is not overwritten.
    newer, _ = make_engine(PLAYBOOK, "v3.0.0-rc1")
    snap = await online.snapshot()
    theirs = RemoteJournal(online, engine.release_key, "t", ["preflight"], snap.records,
                           flush_seconds=0.1, redact=str, say=said.append)
    newer.bus.listen(theirs.listen)
    try:
        await newer.run_stage("preflight")
        theirs.builder.records["preflight"].driver = "bob"
        await theirs.flush()
    finally:
        await newer.session.aclose()
    assert await reconcile() == ([], 0)
    [body] = _journal_bodies(sandbox)
    assert "Driver: bob@h" in body
    await online.gh.aclose()


async def test_steal_takes_the_stage_and_the_holder_learns_it(sandbox: SandboxHandle,
                                                              tmp_path: Path) -> None:
    bob = Machine("bob", tmp_path / "home-bob", sandbox)
    version = "v4.0.0-rc1"
    first = bob.run("run", "preflight", "--playbook", TRACKED, "--version", version, "--yes")
    assert first.returncode == 0, first.stderr
    engine, _ = make_engine(PLAYBOOK, version)
    target = locate(engine)
    assert target is not None
    thread = Thread(GitHubClient(sandbox.api_url, sandbox.admin_token), target)
    await thread.find()
    lock = StageLock(thread, "tracked-" + version, "prepare", Me.new("alice", "laptop"),
                     lease_seconds=600, grace=1)
    lease = await lock.acquire()
    try:
        args = ("run", "prepare", "--playbook", TRACKED, "--version", version, "--yes")
        held = bob.run(*args)
        assert held.returncode == 1
        assert "stage prepare is held by alice@laptop until " in held.stderr
        stolen = bob.run(*args, "--steal")
        assert stolen.returncode == 0, stolen.stderr
        assert "prepare: taken over from alice@laptop (--steal)" in stolen.stderr
        with pytest.raises(LeaseLost, match="took it over"):
            await lease.renew()
    finally:
        await engine.session.aclose()
        await thread.gh.aclose()
    [journal] = [b for b in _journal_bodies(sandbox) if "stage **prepare**" in b]
    assert "taken over from alice@laptop (--steal)" in journal
    assert '"stolen_from":"alice@laptop (--steal)"' in journal


async def test_a_fresh_machine_learns_skips_and_manual_steps_from_the_journal(
        sandbox: SandboxHandle) -> None:
    engine, _ = make_engine(PLAYBOOK, "v6.0.0-rc1")
    target = locate(engine)
    assert target is not None
    thread = Thread(GitHubClient(sandbox.api_url, sandbox.admin_token), target)
    await thread.bootstrap(engine)
    key = engine.release_key
    journal = RemoteJournal(thread, key, "t", ["prepare"], {}, flush_seconds=0.1,
                            redact=str, say=print)
    for event in (
        StageStarted(release=key, stage="prepare", driver="alice", host="a"),
        PromptAnswered(release=key, stage="prepare", action="branch",
                       prompt_id="prepare/branch/manual", answer=PromptAnswer(value=True)),
        ActionFinished(release=key, stage="prepare", action="branch", outcome=Outcome.DONE,
                       reason="done by hand"),
        ActionFinished(release=key, stage="prepare", action="set-version",
                       outcome=Outcome.SKIPPED, reason="skipped: bumped by hand"),
        StageFinished(release=key, stage="prepare", outcome=Outcome.DONE, reason="ok"),
    ):
        journal.listen(event)
    await journal.flush()
    await engine.session.aclose()
    await thread.gh.aclose()

    fresh, _ = make_engine(PLAYBOOK, "v6.0.0-rc1")  # another machine: no local journal
    said: list[str] = []
    sync = await SyncedRun.open(fresh, said.append)
    assert sync is not None
    try:
        assert fresh.session.skipped == {("prepare", "set-version"): "skipped: bumped by hand"}
        assert ("prepare", "branch") in fresh.session.manual_confirmations
        assert any(line.startswith("journal: ") for line in said)
    finally:
        await sync.close()
        await fresh.session.aclose()


async def test_two_drivers_creating_the_tracking_issue_at_once_converge_on_one(
        sandbox: SandboxHandle) -> None:
    """The one unlockable step: both may create it; the newer is closed, both use the older."""
    engines = [make_engine(PLAYBOOK, "v7.0.0-rc1")[0] for _ in range(2)]
    threads = []
    for engine in engines:
        target = locate(engine)
        assert target is not None
        threads.append(Thread(GitHubClient(sandbox.api_url, sandbox.admin_token), target))
    try:
        issues = await asyncio.gather(*(t.bootstrap(e) for t, e in zip(threads, engines,
                                                                         strict=True)))
    finally:
        for thread, engine in zip(threads, engines, strict=True):
            await thread.gh.aclose()
            await engine.session.aclose()
    assert issues[0].number == issues[1].number
    same = [i for i in sandbox.state()["repos"]["ipfs/kubo"]["issues"]
            if i["title"] == "Release v7.0.0"]
    assert [i["state"] for i in same if i["number"] == issues[0].number] == ["open"]
    assert all(i["state"] == "closed" for i in same if i["number"] != issues[0].number)
    print(f"\nissues created at once: {len(same)} (the newer closed as a duplicate)")


async def test_a_claim_whose_process_is_gone_is_taken_over_at_once_by_its_driver(
        sandbox: SandboxHandle, tmp_path: Path) -> None:
    """Rerunning after a crash on the same machine need not wait out the lease."""
    alice = Machine("alice", tmp_path / "home-alice", sandbox)
    bob = Machine("bob", tmp_path / "home-bob", sandbox)
    version = "v8.0.0-rc1"
    args = ("run", "prepare", "--playbook", TRACKED, "--version", version, "--yes")
    assert alice.run("run", "preflight", "--playbook", TRACKED, "--version", version,
                     "--yes").returncode == 0
    dead_pid = subprocess.Popen(["true"])  # a pid that no longer runs
    dead_pid.wait()
    engine, _ = make_engine(PLAYBOOK, version)
    target = locate(engine)
    assert target is not None
    thread = Thread(GitHubClient(sandbox.api_url, sandbox.admin_token), target)
    await thread.find()
    crashed = Me("alice", socket.gethostname(), "crashed", dead_pid.pid)
    try:
        await StageLock(thread, "tracked-" + version, "prepare", crashed, lease_seconds=600,
                        grace=1).acquire()
    finally:
        await engine.session.aclose()
        await thread.gh.aclose()
    held = bob.run(*args)  # another driver still waits: it cannot see the process
    assert held.returncode == 1 and "is held by alice@" in held.stderr
    resumed = alice.run(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"prepare: taken over from alice@{socket.gethostname()} (pid {dead_pid.pid}, gone)" \
        in resumed.stderr
