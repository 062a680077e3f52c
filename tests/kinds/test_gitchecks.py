"""git.file-contains, git.is-ancestor, git.tag-verify, git.merge against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.github_setup import lift_protection, push_to_branch
from tests.gitworld import git
from tests.kinds.harness import KUBO, Action, Run, built_in


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


RC1_VERSION_GO = 'const CurrentVersionNumber = "0.29.0-rc1"'


async def _checked(actions: list[Action], version: str) -> dict[str, tuple[Outcome, str]]:
    """Each action's outcome and reason, one stage run that aborts on a failure."""
    run = Run(actions, version, abort=True)
    report = await run()
    assert run.applied == []
    return {a.action: (a.outcome, a.reason) for a in report.actions}


async def test_an_older_release_is_read_at_its_tag_once_a_later_one_moved_the_branch(
        sandbox: SandboxHandle) -> None:
    """The seeded release branch went on from v0.29.0-rc1 to v0.29.0: version.go on it
    reads 0.29.0, at the tag v0.29.0-rc1 still 0.29.0-rc1, and the tag is no longer the
    head. Judged for v0.29.0-rc1, both are done and say where they looked."""
    version = {"repo": KUBO, "ref": "release", "path": "version.go", "text": RC1_VERSION_GO}
    done = await _checked([
        ("version", "git.file-contains", {**version, "tag": "v0.29.0-rc1"}),
        ("tag", "git.tag-verify", {"repo": KUBO, "tag": "v0.29.0-rc1", "ref": "release",
                                   "message": "Prerelease 0.29.0-rc1"}),
    ], "v0.29.0-rc1")
    assert done["version"] == (Outcome.DONE, f"version.go at tag v0.29.0-rc1 contains text "
                                             f"{RC1_VERSION_GO!r}")
    outcome, reason = done["tag"]
    assert outcome is Outcome.DONE and reason.endswith("(v0.29.0 was made after)"), reason
    # Without the tag to read, the branch is read as before: it has moved on.
    branch = await _checked([("version", "git.file-contains", version)], "v0.29.0-rc1")
    assert branch["version"][0] is Outcome.ABORTED
    assert "version.go on release does not contain" in branch["version"][1]


async def test_while_the_release_is_untagged_and_nothing_is_later_the_branch_decides(
        sandbox: SandboxHandle) -> None:
    """v0.30.0 is not tagged: its file is read on the branch, as the release needs; and a
    tag behind the branch with no later release tagged on it stays a wrong commit."""
    read = await _checked([("version", "git.file-contains", {
        "repo": KUBO, "ref": "master", "path": "version.go", "tag": "v0.30.0",
        "text": 'CurrentVersionNumber = "0.30.0-dev"'})], "v0.30.0")
    assert read["version"][0] is Outcome.DONE and " on master contains" in read["version"][1]
    behind = await _checked([("tag", "git.tag-verify", {
        "repo": KUBO, "tag": "v0.29.0-rc1", "ref": "release"})], "v0.30.0")
    assert behind["tag"][0] is Outcome.ABORTED and "but release is at" in behind["tag"][1]


@pytest.mark.parametrize(("version", "outcome", "says"), [
    ("v0.28.0", Outcome.DONE, "names v0.29.0, newer than v0.28.0: a later release rewrote it"),
    ("v0.30.0", Outcome.ABORTED, "does not contain"),
], ids=["a-later-release-rewrote-it", "an-older-version-is-no-excuse"])
async def test_a_file_a_later_release_rewrites_elsewhere_names_the_newer_version(
        sandbox: SandboxHandle, version: str, outcome: Outcome, says: str) -> None:
    """The docs' config names Kubo v0.29.0: for v0.28.0 a later release rewrote it."""
    report = await Run(built_in("update-ipfs-docs/docs-config-verify"), version,
                       abort=True)()
    (action,) = report.actions
    assert action.outcome is outcome and says in action.reason, action.reason


@pytest.mark.parametrize(("page", "outcome", "says"), [
    ("kubo v0.31.0, installed by ipfs-update v1.9.0", Outcome.DONE,
     "names v0.31.0, newer than v0.30.0"),
    ("kubo v0.29.0, installed by ipfs-update v1.9.0", Outcome.ABORTED, "does not contain"),
], ids=["every-version-named-is-later", "an-older-one-is-still-there"])
async def test_a_later_version_counts_only_where_the_page_moved_past_this_release(
        sandbox: SandboxHandle, page: str, outcome: Outcome, says: str) -> None:
    """The docs' install page missed v0.30.0 if it still names v0.29.0, whatever newer
    number of another tool stands beside it; it was moved on if all it names is newer."""
    push_to_branch(sandbox, "ipfs/ipfs-docs", "docs/install/command-line.md", page,
                   branch="main")
    report = await Run(built_in("update-ipfs-docs/docs-verify"), "v0.30.0", abort=True)()
    (action,) = report.actions
    assert action.outcome is outcome and says in action.reason, action.reason
