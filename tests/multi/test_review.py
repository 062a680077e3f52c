"""The two-person rule across machines: a driver's tag waits for a second maintainer.

The driver and the reviewer are separate ``cockpit`` processes with their own homes and
their own tokens (``release-driver`` and the sandbox's second maintainer,
``release-reviewer``), against one sandbox: real processes, real git, the tracking issue
as the only thing they share.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cockpit.sandbox.seed import REVIEWER_LOGIN
from cockpit.sandbox.testing import SandboxHandle
from tests.github_setup import push_to_branch
from tests.multi.conftest import Machine

PLAYBOOK = str(Path(__file__).parent / "data" / "reviewed.toml")
VERSION = "v0.30.0-rc1"
KUBO = "ipfs/kubo"
QUICK = {"COCKPIT_REVIEW_POLL_SECONDS": "0.3", "COCKPIT_REVIEW_WAIT_SECONDS": "300"}
ASK_ONLY = {"COCKPIT_REVIEW_WAIT_SECONDS": "0"}
"""The driver asks for review, then stops at once ("waiting for review", exit 1)."""


def _kubo(sandbox: SandboxHandle) -> Any:
    return sandbox.state()["repos"][KUBO]


def _marked(sandbox: SandboxHandle, kind: str) -> list[Any]:
    return [c for c in _kubo(sandbox)["comments"] if f"<!-- cockpit:{kind} " in c["body"]]


def _tag_pushes(sandbox: SandboxHandle) -> int:
    return len(sandbox.requests(service="git", mutating=True))


def _until(what: str, done: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def driver(machines: dict[str, Machine]) -> Machine:
    alice = machines["alice"]
    alice.settings = dict(QUICK)
    return alice


@pytest.fixture
def reviewer(tmp_path: Path, sandbox: SandboxHandle) -> Machine:
    return Machine("carol", tmp_path / "home-carol", sandbox, sandbox.reviewer_token)


def _drive(m: Machine, *extra: str) -> subprocess.Popen[str]:
    return m.start("run", "tag", "--playbook", PLAYBOOK, "--release", VERSION, "--yes", *extra)


def _review(m: Machine, *extra: str, version: str = VERSION
            ) -> subprocess.CompletedProcess[str]:
    return m.run("review", "--playbook", PLAYBOOK, "--release", version, *extra, timeout=60)


def _approve(m: Machine, version: str = VERSION) -> subprocess.CompletedProcess[str]:
    return _review(m, "--approve", "tag/tag", "--yes", version=version)


def _ask_only(driver: Machine) -> subprocess.CompletedProcess[str]:
    """One driver's run that asks and stops; it must not tag."""
    driver.settings = {**QUICK, **ASK_ONLY}
    found = driver.run("run", "tag", "--playbook", PLAYBOOK, "--release", VERSION, "--yes")
    assert found.returncode == 1, found.stderr
    assert "waiting for review" in found.stdout + found.stderr
    return found


def test_the_tag_waits_for_the_second_maintainer_then_is_pushed_once(
        sandbox: SandboxHandle, driver: Machine, reviewer: Machine) -> None:
    early = _approve(reviewer)
    assert early.returncode == 2 and "no review request pending" in early.stderr, early.stderr
    run = _drive(driver)
    try:
        _until("the review request", lambda: len(_marked(sandbox, "review")) == 1)
        _until("the journal's wait", lambda: any(
            "waiting for review" in c["body"] for c in _marked(sandbox, "journal")))
        issue = next(i for i in _kubo(sandbox)["issues"] if i["title"] == "Release v0.30.0")
        assert "**tag** — waiting for review" in issue["body"]  # the checklist says it too
        assert run.poll() is None and VERSION not in _kubo(sandbox)["tags"]
        master = _kubo(sandbox)["branches"]["master"]
        request = _marked(sandbox, "review")[0]["body"]
        assert master in request and "git push origin refs/tags/v0.30.0-rc1" in request

        listed = _review(reviewer, "--list")  # read-only: what is pending, side by side
        assert listed.returncode == 0 and "✔ commit" in listed.stdout, listed.stderr
        assert not _marked(sandbox, "approval")
        approved = _approve(reviewer)
        assert approved.returncode == 0, approved.stderr
        assert "approved: http" in approved.stdout and master in approved.stdout
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    assert f"approved by {REVIEWER_LOGIN}" in out + err
    assert _kubo(sandbox)["tags"][VERSION] == master
    assert _tag_pushes(sandbox) == 1
    assert len(_marked(sandbox, "review")) == 1 and len(_marked(sandbox, "approval")) == 1
    approval = _marked(sandbox, "approval")[0]
    assert approval["user"] == REVIEWER_LOGIN


def test_the_driver_cannot_approve_its_own_request(sandbox: SandboxHandle, driver: Machine
                                                   ) -> None:
    _ask_only(driver)
    own = _approve(driver)
    assert own.returncode == 2, own.stderr
    assert "the account that asked for this review" in own.stderr
    assert not _marked(sandbox, "approval")


def test_facts_that_differ_are_refused(sandbox: SandboxHandle, driver: Machine,
                                       reviewer: Machine) -> None:
    _ask_only(driver)
    moved = push_to_branch(sandbox, "ipfs/kubo", "NOTES.md", "landed after the request")
    refused = _approve(reviewer)
    assert refused.returncode == 2, refused.stderr
    assert "commit" in refused.stderr and "differ" in refused.stderr
    assert f"here:    {moved}" in refused.stdout  # shown side by side with the request
    assert not _marked(sandbox, "approval")


def test_an_approval_for_another_release_is_refused(sandbox: SandboxHandle, driver: Machine,
                                                    reviewer: Machine) -> None:
    _ask_only(driver)
    other = _approve(reviewer, version="v0.30.0-rc2")
    assert other.returncode == 2, other.stderr
    assert "another release" in other.stderr and "kubo-v0.30.0-rc1" not in other.stdout
    assert not _marked(sandbox, "approval")


def test_a_moved_branch_voids_the_approval(sandbox: SandboxHandle, driver: Machine,
                                           reviewer: Machine) -> None:
    _ask_only(driver)
    assert _approve(reviewer).returncode == 0
    moved = push_to_branch(sandbox, "ipfs/kubo", "NOTES.md", "landed after the approval")
    again = _ask_only(driver)  # recomputes: another commit, a new round, the approval void
    said = again.stdout + again.stderr
    assert "void" in said and "commit" in said, said
    assert VERSION not in _kubo(sandbox)["tags"]
    request = _marked(sandbox, "review")
    assert len(request) == 1 and moved in request[0]["body"] and "round 2" in request[0]["body"]
    assert _approve(reviewer).returncode == 0  # the new facts, approved afresh
    driver.settings = dict(QUICK)
    done = driver.run("run", "tag", "--playbook", PLAYBOOK, "--release", VERSION, "--yes")
    assert done.returncode == 0, done.stderr
    assert _kubo(sandbox)["tags"][VERSION] == moved and _tag_pushes(sandbox) == 1


def test_two_reviewers_at_once_one_approval_is_enough_both_recorded(
        sandbox: SandboxHandle, driver: Machine, reviewer: Machine, tmp_path: Path) -> None:
    second = Machine("dave", tmp_path / "home-dave", sandbox,
                     sandbox.sandbox.issue_token("write", login="alice"))
    _ask_only(driver)
    both = [m.start("review", "--playbook", PLAYBOOK, "--release", VERSION, "--approve",
                    "tag/tag", "--yes") for m in (reviewer, second)]
    for proc in both:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert sorted(c["user"] for c in _marked(sandbox, "approval")) == ["alice", REVIEWER_LOGIN]
    driver.settings = dict(QUICK)
    done = driver.run("run", "tag", "--playbook", PLAYBOOK, "--release", VERSION, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"approved by alice, {REVIEWER_LOGIN}" in done.stdout + done.stderr
    assert _tag_pushes(sandbox) == 1


def test_a_driver_killed_while_waiting_resumes_without_a_second_request_or_tag(
        sandbox: SandboxHandle, driver: Machine, reviewer: Machine) -> None:
    first = _drive(driver)
    try:
        _until("the review request", lambda: len(_marked(sandbox, "review")) == 1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    second = _drive(driver)
    try:
        _until("the resumed wait", lambda: any(
            "waiting for review" in c["body"] for c in _marked(sandbox, "journal")))
        time.sleep(1)  # a few polls of the resumed run
        assert len(_marked(sandbox, "review")) == 1
        assert "round 1" in _marked(sandbox, "review")[0]["body"]
        assert _approve(reviewer).returncode == 0
        _out, err = second.communicate(timeout=60)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, err
    assert VERSION in _kubo(sandbox)["tags"] and _tag_pushes(sandbox) == 1
    assert len(_marked(sandbox, "review")) == 1 and len(_marked(sandbox, "approval")) == 1


def test_solo_asks_a_typed_acknowledgement_instead(sandbox: SandboxHandle, driver: Machine
                                                   ) -> None:
    done = driver.run("run", "tag", "--playbook", PLAYBOOK, "--release", VERSION, "--yes",
                      "--solo")
    assert done.returncode == 0, done.stderr
    assert "skipped with --solo, acknowledged by alice" in done.stdout
    assert not _marked(sandbox, "review") and _tag_pushes(sandbox) == 1
    journal = (driver.home / "state").rglob("*.jsonl")
    assert any('"tag/tag/solo"' in path.read_text() for path in journal)


SIGNED = str(Path(__file__).parent / "data" / "reviewed-signed.toml")


def test_a_signed_tag_is_approved_only_with_a_key_registered_on_github(
        sandbox: SandboxHandle, driver: Machine, reviewer: Machine) -> None:
    """The request names the driver's key (a claim: only the driver's machine has it); both
    machines ask GitHub whether it is registered for the driver's account. Not registered:
    the reviewer refuses and says why. Registered: a new round, approved, tagged."""
    from tests.gpgkeys import gpg_key, register

    with gpg_key("Test Driver <driver@example.invalid>") as key:
        driver.settings = {**QUICK, **ASK_ONLY, "GNUPGHOME": str(key.home)}
        asked = driver.run("run", "tag", "--playbook", SIGNED, "--release", VERSION, "--yes")
        assert asked.returncode == 1, asked.stderr
        said = asked.stdout + asked.stderr
        assert "not registered on GitHub for release-driver" in said, said
        request = _marked(sandbox, "review")[0]["body"]
        assert key.fingerprint in request and "registered for release-driver: no" in request

        def review(*extra: str) -> subprocess.CompletedProcess[str]:
            return reviewer.run("review", "--playbook", SIGNED, "--release", VERSION, *extra,
                                timeout=60)

        refused = review("--approve", "tag/tag", "--yes")
        assert refused.returncode == 2, refused.stderr
        assert f"the signing key {key.fingerprint} is not registered on GitHub for " \
               "release-driver" in refused.stderr
        assert "registered for release-driver: no" in refused.stdout  # its own recomputation
        assert not _marked(sandbox, "approval")

        register(sandbox.api_url, sandbox.admin_token, key)
        again = driver.run("run", "tag", "--playbook", SIGNED, "--release", VERSION, "--yes")
        assert again.returncode == 1, again.stderr
        request = _marked(sandbox, "review")[0]["body"]
        assert "registered for release-driver: yes" in request and "round 2" in request
        approved = review("--approve", "tag/tag", "--yes")
        assert approved.returncode == 0, approved.stderr
        assert "✔ signing key on GitHub" in approved.stdout
        driver.settings = {**QUICK, "GNUPGHOME": str(key.home)}
        done = driver.run("run", "tag", "--playbook", SIGNED, "--release", VERSION, "--yes")
    assert done.returncode == 0, done.stderr
    assert VERSION in _kubo(sandbox)["tags"] and _tag_pushes(sandbox) == 1
