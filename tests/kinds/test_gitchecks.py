"""git.file-contains, git.is-ancestor, git.tag-verify, git.merge against the sandbox."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine, StageReport
from cockpit.events import ActionApplying, Event, LogLine
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import parse_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from cockpit.settings import Settings


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        pairs = (f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def playbook_text(actions: list[tuple[str, str, dict[str, Any]]]) -> str:
    """One stage ``s`` with actions (id, kind, params)."""
    out = ['name = "t"', 'title = "T"', "[[stages]]", 'id = "s"', 'title = "S"',
           'summary = "s"']
    for action_id, kind, params in actions:
        out += ["[[stages.actions]]", f'id = "{action_id}"', f'kind = "{kind}"',
                f'title = "{action_id}"', f"params = {_toml(params)}"]
    return "\n".join(out) + "\n"


class Run:
    """Runs stage ``s`` of an inline playbook through the engine, collecting events."""

    def __init__(self, actions: list[tuple[str, str, dict[str, Any]]], version: str,
                 answers: dict[str, Any] | None = None) -> None:
        self.playbook = parse_playbook(playbook_text(actions), "inline.toml")
        self.version = version
        self.answers = answers or {}
        self.events: list[Event] = []

    async def __call__(self) -> StageReport:
        release = Release(playbook="t", version=Version.parse(self.version), driver="t",
                          host="h")
        prompter = AnswersPrompter({k: PromptAnswer(value=v) for k, v in self.answers.items()})
        session = Session(settings=Settings(), prompter=prompter, release=release)
        engine = Engine(self.playbook, session, EventBus())
        engine.bus.listen(self.events.append)
        try:
            return await engine.run_stage("s")
        finally:
            await session.aclose()

    @property
    def applied(self) -> int:
        return sum(isinstance(e, ActionApplying) for e in self.events)

    def log_text(self) -> str:
        return "\n".join(e.line for e in self.events if isinstance(e, LogLine))


def outcomes(report: StageReport) -> dict[str, Outcome]:
    return {a.action: a.outcome for a in report.actions}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path) as sb:
        for key, value in sb.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("COCKPIT_POLL_INITIAL_SECONDS", "0.01")
        yield sb


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


KUBO = "ipfs/kubo"


async def test_checks_pass_on_the_seeded_world_and_fail_without_mutating(
        sandbox: SandboxHandle) -> None:
    run = Run([
        ("contains", "git.file-contains", {"repo": KUBO, "ref": "master", "path": "version.go",
                                           "text": 'CurrentVersionNumber = "0.30.0-dev"'}),
        ("matches", "git.file-contains", {"repo": KUBO, "ref": "master", "path": "version.go",
                                          "pattern": r'"[0-9.]+-dev"'}),
        ("ancestor", "git.is-ancestor", {"repo": KUBO, "ancestor": "refs/tags/v0.29.0",
                                         "ref": "master"}),
        ("tag", "git.tag-verify", {"repo": KUBO, "tag": "v0.29.0", "ref": "release",
                                   "message": "Release 0.29.0", "signed": False}),
    ], "v0.30.0")
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == 0
    assert not sandbox.requests(mutating=True)

    missing = Run([("contains", "git.file-contains",
                    {"repo": KUBO, "ref": "master", "path": "version.go", "text": "0.31.0"})],
                  "v0.30.0", {"s/contains/failed": "abort"})
    report = await missing()
    assert report.outcome is Outcome.ABORTED
    assert "does not contain" in report.actions[0].reason


async def test_tag_verify_refuses_unsigned_and_wrong_commit(sandbox: SandboxHandle) -> None:
    for params, why in [
        ({"tag": "v0.29.0", "ref": "release", "signed": True}, "not signed"),
        ({"tag": "v0.29.0-rc1", "ref": "release"}, "but release is at"),
        ({"tag": "v0.29.0", "ref": "release", "message": "Release 9"}, "expected"),
    ]:
        run = Run([("v", "git.tag-verify", {"repo": KUBO, **params})], "v0.30.0",
                  {"s/v/failed": "abort"})
        report = await run()
        assert report.outcome is Outcome.ABORTED
        assert why in report.actions[0].reason, report.actions[0].reason


async def test_is_ancestor_fails_for_a_commit_not_in_the_branch(sandbox: SandboxHandle) -> None:
    run = Run([("a", "git.is-ancestor", {"repo": KUBO, "ancestor": "origin/master",
                                         "ref": "release"})], "v0.30.0",
              {"s/a/failed": "abort"})
    report = await run()
    assert report.outcome is Outcome.ABORTED
    assert "is not in release" in report.actions[0].reason


async def test_merge_once_keeping_theirs(sandbox: SandboxHandle, tmp_path: Path) -> None:
    actions = [
        ("branch", "git.branch", {"repo": KUBO, "branch": "merge-release-v0.29.0",
                                  "base": "release"}),
        ("merge", "git.merge", {"repo": KUBO, "branch": "merge-release-v0.29.0",
                                "merge": "master", "keep_theirs": ["version.go"],
                                "message": "Merge master into merge-release-v0.29.0"}),
        ("dev", "git.file-contains", {"repo": KUBO, "ref": "merge-release-v0.29.0",
                                      "path": "version.go",
                                      "pattern": r'CurrentVersionNumber = "[0-9.]+-dev"'}),
        ("in", "git.is-ancestor", {"repo": KUBO, "ancestor": "refs/tags/v0.29.0",
                                   "ref": "merge-release-v0.29.0"}),
    ]
    first = Run(actions, "v0.29.0")
    report = await first()
    assert report.outcome is Outcome.DONE, report
    assert first.applied == 2
    clone = tmp_path / "check"
    git("clone", "-q", sandbox.clone_url(KUBO), str(clone), cwd=tmp_path)
    subjects = git("log", "--format=%s %p", "-1", "origin/merge-release-v0.29.0", cwd=clone)
    assert subjects.startswith("Merge master into merge-release-v0.29.0")
    assert len(subjects.split()) >= 2

    sandbox.clear_requests()
    second = Run(actions, "v0.29.0")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == 0
    assert not sandbox.requests(mutating=True)
    assert sandbox.admin_token not in first.log_text() + second.log_text()


async def test_merge_keeps_ours_and_is_done_once_the_branch_landed(
        sandbox: SandboxHandle, tmp_path: Path) -> None:
    """A changelog both sides changed keeps the receiving branch's copy (keep_ours); once
    the branch is merged into master and master moves on, a rerun merges nothing."""
    clone = tmp_path / "human"
    auth = ["-c", f"http.extraHeader=Authorization: Bearer {sandbox.admin_token}"]
    git("clone", "-q", sandbox.clone_url(KUBO), str(clone), cwd=tmp_path)
    notes = "docs/changelogs/v0.29.md"
    for branch, text in (("release", "release notes\n"), ("master", "master notes\n")):
        git("checkout", "-q", "-B", branch, f"origin/{branch}", cwd=clone)
        (clone / notes).write_text(text)
        git("commit", "-qam", f"docs: {branch} changelog", cwd=clone)
        git(*auth, "push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=clone)
    actions: list[tuple[str, str, dict[str, Any]]] = [
        ("branch", "git.branch", {"repo": KUBO, "branch": "merge-release-v0.29.0",
                                  "base": "release"}),
        ("merge", "git.merge", {"repo": KUBO, "branch": "merge-release-v0.29.0",
                                "merge": "master", "keep_theirs": ["version.go"],
                                "keep_ours": [notes],
                                "message": "Merge master into merge-release-v0.29.0"}),
        ("notes", "git.file-contains", {"repo": KUBO, "ref": "merge-release-v0.29.0",
                                        "path": notes, "text": "release notes"}),
    ]
    report = await Run(actions, "v0.29.0")()
    assert report.outcome is Outcome.DONE, report
    git(*auth, "fetch", "-q", "origin", cwd=clone)
    git("checkout", "-q", "-B", "master", "origin/merge-release-v0.29.0", cwd=clone)
    (clone / "later.txt").write_text("master moves on\n")
    git("add", "later.txt", cwd=clone)
    git("commit", "-qm", "feat: later work", cwd=clone)
    git(*auth, "push", "-q", "origin", "HEAD:refs/heads/master", cwd=clone)
    sandbox.clear_requests()
    again = Run(actions, "v0.29.0")
    report = await again()
    assert report.outcome is Outcome.DONE, report
    assert again.applied == 0
    assert "has landed in master" in report.actions[1].reason
    assert not sandbox.requests(mutating=True)
