"""git smart HTTP and the API over the same bare repositories, with real git."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import httpx

from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


def git(*args: str, cwd: Path, env: dict[str, str], check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=check, timeout=30)


def auth(token: str) -> list[str]:
    return ["-c", f"http.extraHeader=Authorization: Bearer {token}"]


def test_clone_push_branch_and_tag_agree_with_api(sandbox: SandboxHandle, gh: httpx.Client,
                                                  tmp_path: Path, git_env: dict[str, str]
                                                  ) -> None:
    work = tmp_path / "kubo"
    git("clone", "-q", sandbox.clone_url("ipfs/kubo"), str(work), cwd=tmp_path, env=git_env)
    head = git("rev-parse", "HEAD", cwd=work, env=git_env).stdout.strip()
    assert gh.get(K + "/branches/master").json()["commit"]["sha"] == head
    assert "v0.29.0" in git("tag", cwd=work, env=git_env).stdout

    git("checkout", "-q", "-b", "release-v0.30.0", cwd=work, env=git_env)
    (work / "version.go").write_text('const CurrentVersionNumber = "0.30.0-rc1"\n')
    git("commit", "-qam", "chore: set version to 0.30.0-rc1", cwd=work, env=git_env)
    git("tag", "-a", "v0.30.0-rc1", "-m", "Prerelease 0.30.0-rc1", cwd=work, env=git_env)
    sha = git("rev-parse", "HEAD", cwd=work, env=git_env).stdout.strip()
    git(*auth(sandbox.admin_token), "push", "-q", "origin", "release-v0.30.0",
        "refs/tags/v0.30.0-rc1", cwd=work, env=git_env)

    branch = gh.get(K + "/branches/release-v0.30.0").json()
    assert branch["commit"]["sha"] == sha
    ref = gh.get(K + "/git/ref/tags/v0.30.0-rc1").json()
    tag = gh.get(f"{K}/git/tags/{ref['object']['sha']}").json()
    assert tag["object"]["sha"] == sha and tag["message"].startswith("Prerelease 0.30.0-rc1")
    content = gh.get(K + "/contents/version.go", params={"ref": "release-v0.30.0"}).json()
    assert b"0.30.0-rc1" in base64.b64decode(content["content"])
    assert gh.get(f"{K}/compare/master...release-v0.30.0").json()["ahead_by"] == 1
    state = sandbox.state()["repos"]["ipfs/kubo"]
    assert state["branches"]["release-v0.30.0"] == sha and state["tags"]["v0.30.0-rc1"] == sha
    pushes = sandbox.requests(mutating=True, service="git")
    assert [p["status"] for p in pushes] == [200]

    # ...and the other way round: an API write is visible to the next fetch.
    put = gh.put(K + "/contents/docs/changelogs/v0.30.md", json={
        "message": "docs: changelog", "branch": "release-v0.30.0",
        "sha": gh.get(K + "/contents/docs/changelogs/v0.30.md").json()["sha"],
        "content": base64.b64encode(b"# Kubo changelog v0.30\n").decode()}).json()
    git("fetch", "-q", "origin", cwd=work, env=git_env)
    fetched = git("rev-parse", "origin/release-v0.30.0", cwd=work, env=git_env).stdout.strip()
    assert fetched == put["commit"]["sha"]


def test_push_auth(sandbox: SandboxHandle, tmp_path: Path, git_env: dict[str, str]) -> None:
    work = tmp_path / "dist"
    git("clone", "-q", sandbox.clone_url("ipfs/distributions"), str(work), cwd=tmp_path,
        env=git_env)
    git("checkout", "-q", "-b", "release-kubo-0.30.0", cwd=work, env=git_env)
    git("commit", "-q", "--allow-empty", "-m", "x", cwd=work, env=git_env)
    anon = git("push", "origin", "HEAD", cwd=work, env=git_env, check=False)
    assert anon.returncode != 0
    ro = git(*auth(sandbox.readonly_token), "push", "origin", "HEAD", cwd=work, env=git_env,
             check=False)
    assert ro.returncode != 0 and "403" in ro.stderr
    bad = git(*auth("ghp_wrong"), "push", "origin", "HEAD", cwd=work, env=git_env, check=False)
    assert bad.returncode != 0
    assert "release-kubo-0.30.0" not in sandbox.state()["repos"]["ipfs/distributions"]["branches"]
    # Basic auth with the token as password, as `git credential` would send it.
    url = sandbox.clone_url("ipfs/distributions").replace(
        "http://", f"http://x-access-token:{sandbox.admin_token}@")
    ok = git("push", url, "HEAD", cwd=work, env=git_env, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "release-kubo-0.30.0" in sandbox.state()["repos"]["ipfs/distributions"]["branches"]
    statuses = [r["status"] for r in sandbox.requests(service="git", mutating=True)]
    assert statuses[-1] == 200 and 403 not in statuses[-1:]


def test_unknown_repository_is_404(sandbox: SandboxHandle, tmp_path: Path,
                                   git_env: dict[str, str]) -> None:
    r = git("clone", sandbox.clone_url("ipfs/nope"), str(tmp_path / "nope"), cwd=tmp_path,
            env=git_env, check=False)
    assert r.returncode != 0 and "not found" in r.stderr.lower()
