"""Creating a repository through the API: real git at once, and every resource on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.conftest import validating_client
from tests.sandbox.contract import Contract

WORKFLOW = b"""name: CI
on:
  workflow_dispatch:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest
"""


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True, timeout=30).stdout


def test_created_repository_is_real_and_works_with_every_resource(
        gh: httpx.Client, sandbox: SandboxHandle, tmp_path: Path,
        git_env: dict[str, str]) -> None:
    created = gh.post("/orgs/ipfs/repos", json={
        "name": "widgets", "description": "A widget library", "auto_init": True})
    assert created.status_code == 201
    repo = created.json()
    assert repo["full_name"] == "ipfs/widgets" and repo["default_branch"] == "main"
    assert repo["owner"]["type"] == "Organization" and repo["license"] is None
    assert created.headers["location"].endswith("/repos/ipfs/widgets")
    assert gh.get("/repos/ipfs/widgets").json()["id"] == repo["id"]
    assert "ipfs/widgets" in [r["full_name"] for r in gh.get("/user/repos").json()]

    work = tmp_path / "widgets"
    git("clone", "-q", sandbox.clone_url("ipfs/widgets"), str(work), cwd=tmp_path, env=git_env)
    assert (work / "README.md").read_text() == "# widgets\nA widget library\n"
    assert git("log", "--format=%s", cwd=work, env=git_env) == "Initial commit\n"
    (work / ".github" / "workflows").mkdir(parents=True)
    (work / ".github" / "workflows" / "ci.yml").write_bytes(WORKFLOW)
    git("checkout", "-q", "-b", "feat/ci", cwd=work, env=git_env)
    git("add", ".", cwd=work, env=git_env)
    git("commit", "-qm", "ci: run the tests", cwd=work, env=git_env)
    git("-c", f"http.extraHeader=Authorization: Bearer {sandbox.admin_token}", "push", "-q",
        "origin", "feat/ci", cwd=work, env=git_env)

    base = "/repos/ipfs/widgets"
    issue = gh.post(base + "/issues", json={"title": "Release 1.0.0"}).json()
    assert issue["number"] == 1
    pull = gh.post(base + "/pulls", json={"title": "CI", "head": "feat/ci",
                                         "base": "main"}).json()
    assert pull["number"] == 2
    assert gh.put(f"{base}/pulls/2/merge", json={"merge_method": "merge"}).status_code == 200
    assert gh.post(base + "/actions/workflows/ci.yml/dispatches",
                   json={"ref": "main"}).status_code == 204
    assert gh.get(base + "/actions/workflows").json()["total_count"] == 1
    release = gh.post(base + "/releases", json={"tag_name": "1.0.0", "name": "1.0.0"})
    assert release.status_code == 201
    assert gh.get(base + "/git/ref/tags/1.0.0").status_code == 200


def test_names_as_github_checks_them(gh: httpx.Client) -> None:
    made = gh.post("/user/repos", json={"name": "my tool!", "private": True}).json()
    assert made["full_name"] == "release-driver/my-tool-" and made["private"] is True
    assert made["owner"]["type"] == "User" and made["visibility"] == "private"
    empty = gh.get("/repos/release-driver/my-tool-").json()
    assert empty["size"] == 0 and gh.get("/repos/release-driver/my-tool-/branches").json() == []
    again = gh.post("/orgs/ipfs/repos", json={"name": "Kubo"})
    assert again.status_code == 422
    assert again.json()["errors"][0]["message"] == "name already exists on this account"
    assert gh.post("/user/repos", json={"name": ".."}).status_code == 422
    assert gh.post("/user/repos", json={"name": "x" * 101}).status_code == 422
    assert gh.post("/orgs/no-such-org/repos", json={"name": "x"}).status_code == 404


def test_who_may_create_and_delete(gh: httpx.Client, sandbox: SandboxHandle,
                                   contract: Contract) -> None:
    with validating_client(sandbox, contract, sandbox.reviewer_token) as reviewer:
        assert reviewer.post("/orgs/ipfs/repos", json={"name": "x"}).status_code == 403
        assert reviewer.delete("/repos/ipfs/kubo").status_code == 403
    with validating_client(sandbox, contract, sandbox.readonly_token) as watcher:
        assert watcher.post("/user/repos", json={"name": "x"}).status_code == 403
    gh.post("/user/repos", json={"name": "scratch", "auto_init": True})
    assert gh.delete("/repos/release-driver/scratch").status_code == 204
    assert gh.get("/repos/release-driver/scratch").status_code == 404
    assert not (sandbox.data_dir / "repos" / "release-driver" / "scratch.git").exists()
    assert httpx.get(sandbox.clone_url("release-driver/scratch") + "/info/refs",
                     params={"service": "git-upload-pack"}).status_code == 404


def test_a_private_repository_is_hidden_from_others(gh: httpx.Client, sandbox: SandboxHandle,
                                                    contract: Contract) -> None:
    gh.post("/orgs/ipfs/repos", json={"name": "secret", "private": True, "auto_init": True})
    assert gh.get("/repos/ipfs/secret").json()["visibility"] == "private"
    with validating_client(sandbox, contract, sandbox.reviewer_token) as member:
        assert member.get("/repos/ipfs/secret").status_code == 200  # an ipfs member
    with validating_client(sandbox, contract, sandbox.readonly_token) as outsider, \
            validating_client(sandbox, contract, None) as anon:
        assert outsider.get("/repos/ipfs/secret").status_code == 404
        assert anon.get("/repos/ipfs/secret").status_code == 404
        assert "ipfs/secret" not in [r["full_name"] for r in anon.get("/orgs/ipfs/repos",
                                                                      params={"per_page": 100}).json()]
    refs = sandbox.clone_url("ipfs/secret") + "/info/refs"
    assert httpx.get(refs, params={"service": "git-upload-pack"}).status_code == 401
    assert httpx.get(refs, params={"service": "git-upload-pack"}, headers={
        "Authorization": f"Bearer {sandbox.readonly_token}"}).status_code == 404
    assert httpx.get(refs, params={"service": "git-upload-pack"}, headers={
        "Authorization": f"Bearer {sandbox.admin_token}"}).status_code == 200
