"""git.file-contains, git.is-ancestor, git.tag-verify, git.merge against the sandbox."""

from __future__ import annotations

from pathlib import Path

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.github_setup import lift_protection
from tests.gitworld import git
from tests.kinds.harness import KUBO, Action, Run


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
    assert run.applied == []
    assert not sandbox.requests(mutating=True)

    missing = Run([("contains", "git.file-contains",
                    {"repo": KUBO, "ref": "master", "path": "version.go", "text": "0.31.0"})],
                  "v0.30.0", abort=True)
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
                  abort=True)
        report = await run()
        assert report.outcome is Outcome.ABORTED
        assert why in report.actions[0].reason, report.actions[0].reason


async def test_is_ancestor_fails_for_a_commit_not_in_the_branch(sandbox: SandboxHandle) -> None:
    run = Run([("a", "git.is-ancestor", {"repo": KUBO, "ancestor": "origin/master",
                                         "ref": "release"})], "v0.30.0",
              abort=True)
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
    assert first.applied == ["branch", "merge"]
    clone = tmp_path / "check"
    git("clone", "-q", sandbox.clone_url(KUBO), str(clone), cwd=tmp_path)
    subjects = git("log", "--format=%s %p", "-1", "origin/merge-release-v0.29.0", cwd=clone)
    assert subjects.startswith("Merge master into merge-release-v0.29.0")
    assert len(subjects.split()) >= 2

    sandbox.clear_requests()
    second = Run(actions, "v0.29.0")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == []
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
    lift_protection(sandbox, KUBO, "release")  # the notes land on release by hand
    for branch, text in (("release", "release notes\n"), ("master", "master notes\n")):
        git("checkout", "-q", "-B", branch, f"origin/{branch}", cwd=clone)
        (clone / notes).write_text(text)
        git("commit", "-qam", f"docs: {branch} changelog", cwd=clone)
        git(*auth, "push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=clone)
    actions: list[Action] = [
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
    assert again.applied == []
    assert "has landed in master" in report.actions[1].reason
    assert not sandbox.requests(mutating=True)
