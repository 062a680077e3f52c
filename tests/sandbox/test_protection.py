"""Branch protection as GitHub enforces it: the resource, and its rules over git pushes,
the Git database API and pull request merges."""

from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from cockpit.sandbox import reviews
from cockpit.sandbox.github import pre_receive
from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


def _git(env: dict[str, str], *args: str, cwd: Path | None = None, check: bool = True
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, text=True, capture_output=True,
                          check=check)


def _clone(sb: SandboxHandle, env: dict[str, str], tmp_path: Path) -> tuple[Path, list[str]]:
    clone = tmp_path / "kubo"
    _git(env, "clone", "-q", sb.clone_url("ipfs/kubo"), str(clone))
    return clone, ["-c", f"http.extraHeader=Authorization: Bearer {sb.admin_token}"]


def test_seeded_branches_are_protected_and_the_rules_are_a_resource(gh: httpx.Client) -> None:
    listed = {b["name"]: b["protected"] for b in gh.get(K + "/branches").json()}
    assert listed["master"] and listed["release"]
    assert gh.get(K + "/branches", params={"protected": "false"}).json() == [
        b for b in gh.get(K + "/branches").json() if not b["protected"]]
    release = gh.get(K + "/branches/release/protection").json()
    assert release["allow_force_pushes"] == {"enabled": False}
    assert release["required_pull_request_reviews"]["required_approving_review_count"] == 1
    assert release["required_status_checks"]["contexts"] == ["go-test"]

    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/stable", "sha": master})
    assert gh.get(K + "/branches/stable").json()["protected"] is False
    assert gh.get(K + "/branches/stable/protection").status_code == 404
    put = gh.put(K + "/branches/stable/protection", json={
        "required_status_checks": {"strict": True, "contexts": ["ci"]},
        "enforce_admins": True, "required_pull_request_reviews": None, "restrictions": None})
    assert put.status_code == 200
    assert put.json()["required_status_checks"]["contexts"] == ["ci"]
    branch = gh.get(K + "/branches/stable").json()
    assert branch["protected"] and branch["protection"]["required_status_checks"]["contexts"] \
        == ["ci"]
    assert gh.delete(K + "/branches/stable/protection").status_code == 204
    assert gh.get(K + "/branches/stable").json()["protected"] is False


def test_git_refuses_force_push_and_deletion_as_github(sandbox: SandboxHandle,
                                                       git_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    clone, auth = _clone(sandbox, git_env, tmp_path)
    _git(git_env, "commit", "-q", "--amend", "-m", "rewritten", cwd=clone)
    forced = _git(git_env, *auth, "push", "-f", "origin", "HEAD:master", cwd=clone, check=False)
    assert forced.returncode != 0
    assert "GH006: Protected branch update failed for refs/heads/master." in forced.stderr
    assert "Cannot force-push to this branch" in forced.stderr
    deleted = _git(git_env, *auth, "push", "origin", ":release", cwd=clone, check=False)
    assert "Cannot delete this protected branch" in deleted.stderr
    assert deleted.returncode != 0
    direct = _git(git_env, *auth, "push", "origin", "origin/master:refs/heads/release",
                  cwd=clone, check=False)
    assert "At least 1 approving review is required" in direct.stderr
    heads = sandbox.sandbox.repos["ipfs/kubo"].branches()
    assert "release" in heads

    # once unprotected, master may be rewritten, yet, being the default, never deleted
    gh = httpx.Client(base_url=sandbox.api_url,
                      headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert gh.delete(K + "/branches/master/protection").status_code == 204
    _git(git_env, *auth, "push", "-q", "-f", "origin", "HEAD:master", cwd=clone)
    gone = _git(git_env, *auth, "push", "origin", ":master", cwd=clone, check=False)
    assert "refusing to delete the current branch: refs/heads/master" in gone.stderr
    assert "master" in sandbox.sandbox.repos["ipfs/kubo"].branches()
    # an ordinary branch is the pusher's to rewrite and delete
    _git(git_env, *auth, "push", "-q", "origin", "HEAD:refs/heads/topic", cwd=clone)
    _git(git_env, *auth, "push", "-q", "origin", ":topic", cwd=clone)


def test_the_api_refuses_the_same(gh: httpx.Client) -> None:
    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    release = gh.get(K + "/git/ref/heads/release").json()["object"]["sha"]
    forced = gh.patch(K + "/git/refs/heads/master", json={"sha": release, "force": True})
    assert (forced.status_code, forced.json()["message"]) == (
        422, "Cannot force-push to this branch")
    gone = gh.delete(K + "/git/refs/heads/release")
    assert (gone.status_code, gone.json()["message"]) == (
        422, "Cannot delete this protected branch")
    gh.delete(K + "/branches/master/protection")
    default = gh.delete(K + "/git/refs/heads/master")
    assert default.status_code == 422
    assert "refusing to delete the current branch" in default.json()["message"]
    assert gh.get(K + "/git/ref/heads/master").json()["object"]["sha"] == master
    put = gh.put(K + "/contents/x.txt", json={
        "message": "x", "content": base64.b64encode(b"x").decode(), "branch": "release"})
    assert put.status_code == 409
    assert "approving review" in put.json()["message"]


def _wait(predicate: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_merging_into_release_needs_green_checks_and_an_approval(
        sandbox: SandboxHandle, gh: httpx.Client) -> None:
    reviews.set_auto_reviewer(sandbox.sandbox, "ipfs/kubo", None)
    sandbox.set_workflow_outcome("ipfs/kubo", "gotest.yml", "failure", times=1)
    release = gh.get(K + "/git/ref/heads/release").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/fix", "sha": release})
    gh.put(K + "/contents/fix.txt", json={
        "message": "fix", "content": base64.b64encode(b"fix").decode(), "branch": "fix"})
    pr = gh.post(K + "/pulls", json={"title": "Fix", "head": "fix", "base": "release"}).json()
    merge = K + f"/pulls/{pr['number']}/merge"
    early = gh.put(merge, json={"merge_method": "merge"})
    assert (early.status_code, early.json()["message"]) == (
        405, "At least 1 approving review is required by reviewers with write access.")
    with httpx.Client(base_url=sandbox.api_url, headers={
            "Authorization": f"Bearer {sandbox.reviewer_token}"}) as reviewer:
        assert reviewer.post(K + f"/pulls/{pr['number']}/reviews",
                             json={"event": "APPROVE"}).status_code == 200
    runs = K + f"/commits/{pr['head']['sha']}/check-runs"
    _wait(lambda: all(c["status"] == "completed" for c in gh.get(runs).json()["check_runs"]))
    failing = gh.put(merge, json={"merge_method": "merge"})
    assert (failing.status_code, failing.json()["message"]) == (
        405, 'Required status check "go-test" is failing.')
    run_id = gh.get(K + "/actions/runs", params={"head_sha": pr["head"]["sha"]}
                    ).json()["workflow_runs"][0]["id"]
    gh.post(K + f"/actions/runs/{run_id}/rerun")
    _wait(lambda: [c["conclusion"] for c in gh.get(runs).json()["check_runs"]] == ["success"])
    assert gh.put(merge, json={"merge_method": "merge"}).json()["merged"] is True


POLICY = {"default": "master", "branches": {
    "master": {"force": False, "delete": False, "reviews": 0, "checks": [], "green": []},
    "release": {"force": False, "delete": False, "reviews": 1, "checks": [], "green": []},
    "ci": {"force": True, "delete": True, "reviews": 0, "checks": ["test"], "green": ["g"]}}}


@pytest.mark.parametrize(("ref", "old", "new", "ff", "last"), [
    ("refs/heads/master", "a", "b", True, None),
    ("refs/heads/master", "a", "b", False, "Cannot force-push to this branch"),
    ("refs/heads/master", "a", None, True,
     "refusing to delete the current branch: refs/heads/master"),
    ("refs/heads/release", "a", None, True, "Cannot delete this protected branch"),
    ("refs/heads/release", "a", "b", True,
     "At least 1 approving review is required by reviewers with write access."),
    ("refs/heads/ci", "a", "b", False, 'Required status check "test" is expected.'),
    ("refs/heads/ci", "a", "g", False, None),
    ("refs/heads/ci", "a", None, True, None),
    ("refs/heads/topic", "a", None, False, None),
    ("refs/heads/release", None, "b", True, None),
    ("refs/tags/v1", "a", "b", False, None),
], ids=["fast-forward", "force", "default", "delete", "reviews", "checks-missing",
        "checks-green", "deletable", "unprotected", "creation", "tag"])
def test_refusal_rules(ref: str, old: str | None, new: str | None, ff: bool,
                       last: str | None) -> None:
    lines = pre_receive.refusal(POLICY, ref, old, new, lambda _o, _n: ff)
    assert (lines[-1] if lines else None) == last
    if last and "GH006" not in last and "current branch" not in last:
        assert lines[0] == f"GH006: Protected branch update failed for {ref}."


def test_admins_skip_reviews_unless_enforced(sandbox: SandboxHandle, git_env: dict[str, str],
                                             tmp_path: Path) -> None:
    clone, auth = _clone(sandbox, git_env, tmp_path)
    with httpx.Client(base_url=sandbox.api_url, headers={
            "Authorization": f"Bearer {sandbox.admin_token}"}) as gh:
        gh.put(K + "/branches/release/protection", json={
            "required_status_checks": None, "enforce_admins": False, "restrictions": None,
            "required_pull_request_reviews": {"required_approving_review_count": 1}}
               ).raise_for_status()
    _git(git_env, "reset", "-q", "--hard", "origin/release", cwd=clone)
    _git(git_env, "commit", "-q", "--allow-empty", "-m", "hotfix", cwd=clone)
    reviewer = ["-c", f"http.extraHeader=Authorization: Bearer {sandbox.reviewer_token}"]
    refused = _git(git_env, *reviewer, "push", "origin", "HEAD:release", cwd=clone,
                   check=False)
    assert "At least 1 approving review is required" in refused.stderr
    _git(git_env, *auth, "push", "-q", "origin", "HEAD:release", cwd=clone)


def test_a_commit_status_satisfies_a_required_check(gh: httpx.Client) -> None:
    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/stable", "sha": master})
    gh.post(K + "/git/refs", json={"ref": "refs/heads/feature", "sha": master})
    gh.put(K + "/contents/f.txt", json={
        "message": "f", "content": base64.b64encode(b"f").decode(), "branch": "feature"})
    gh.put(K + "/branches/stable/protection", json={
        "required_status_checks": {"strict": False, "contexts": ["ci/external"]},
        "enforce_admins": True, "required_pull_request_reviews": None, "restrictions": None})
    pr = gh.post(K + "/pulls", json={"title": "F", "head": "feature", "base": "stable"}).json()
    merge = K + f"/pulls/{pr['number']}/merge"
    assert gh.put(merge, json={}).json()["message"] == \
        'Required status check "ci/external" is expected.'
    gh.post(K + f"/statuses/{pr['head']['sha']}", json={"state": "failure",
                                                        "context": "ci/external"})
    assert gh.put(merge, json={}).json()["message"] == \
        'Required status check "ci/external" is failing.'
    gh.post(K + f"/statuses/{pr['head']['sha']}", json={"state": "success",
                                                        "context": "ci/external"})
    assert gh.put(merge, json={}).json()["merged"] is True
