"""The second maintainer: a login and token of its own, push and triage on the release
repositories only (what ``cockpit review`` acts with in the tests and the demo)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from cockpit.sandbox.seed import REVIEWER_LOGIN
from cockpit.sandbox.testing import SandboxHandle

from .test_git import auth, git


def test_reviewer_has_its_own_login_and_token(sandbox: SandboxHandle, gh: httpx.Client
                                               ) -> None:
    token = sandbox.reviewer_token
    assert token not in (sandbox.admin_token, sandbox.readonly_token)
    assert sandbox.env["COCKPIT_REVIEWER_TOKEN"] == token
    me = httpx.get(sandbox.api_url + "/user", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["login"] == REVIEWER_LOGIN
    assert gh.get("/user").json()["login"] != REVIEWER_LOGIN  # the driver is someone else


def test_reviewer_comments_on_release_repos_but_not_elsewhere(sandbox: SandboxHandle,
                                                               gh: httpx.Client) -> None:
    number = gh.post("/repos/ipfs/kubo/issues", json={"title": "Release v0.30.0"}
                     ).json()["number"]
    headers = {"Authorization": f"Bearer {sandbox.reviewer_token}"}
    with httpx.Client(base_url=sandbox.api_url, headers=headers) as reviewer:
        ok = reviewer.post(f"/repos/ipfs/kubo/issues/{number}/comments", json={"body": "LGTM"})
        assert ok.status_code == 201 and ok.json()["user"]["login"] == REVIEWER_LOGIN
        refused = reviewer.post("/repos/ipfs/infra/issues", json={"title": "not mine"})
        assert refused.status_code == 403
    titles = [i["title"] for i in sandbox.state()["repos"]["ipfs/infra"]["issues"]]
    assert "not mine" not in titles


def test_reviewer_pushes_to_release_repos_only(sandbox: SandboxHandle, tmp_path: Path,
                                               git_env: dict[str, str]) -> None:
    token = sandbox.reviewer_token
    for repo, allowed in (("ipfs/kubo", True), ("ipfs/infra", False)):
        work = tmp_path / repo.replace("/", "-")
        git("clone", "-q", sandbox.clone_url(repo), str(work), cwd=tmp_path, env=git_env)
        git("checkout", "-q", "-b", "reviewed", cwd=work, env=git_env)
        git("commit", "-q", "--allow-empty", "-m", "x", cwd=work, env=git_env)
        pushed: subprocess.CompletedProcess[str] = git(*auth(token), "push", "origin", "HEAD",
                                                       cwd=work, env=git_env, check=False)
        assert (pushed.returncode == 0) is allowed, pushed.stderr
        assert ("reviewed" in sandbox.state()["repos"][repo]["branches"]) is allowed
        if not allowed:
            assert "403" in pushed.stderr
