"""The workflow simulator: runs progress, logs are served like GitHub, effects are causal."""

from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


def wait_run(gh: httpx.Client, repo: str, workflow: str, timeout: float = 5.0
             ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = gh.get(f"/repos/{repo}/actions/workflows/{workflow}/runs").json()
        run = runs["workflow_runs"][0] if runs["workflow_runs"] else None
        if run and run["status"] == "completed":
            return dict(run)
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def job_log(gh: httpx.Client, repo: str, run_id: int) -> str:
    jobs = gh.get(f"/repos/{repo}/actions/runs/{run_id}/jobs").json()["jobs"]
    redirect = gh.get(f"/repos/{repo}/actions/jobs/{jobs[0]['id']}/logs")
    assert redirect.status_code == 302
    return httpx.get(redirect.headers["location"]).text


def test_tag_push_publishes_docker_image(sandbox: SandboxHandle, gh: httpx.Client,
                                         tmp_path: Path, git_env: dict[str, str]) -> None:
    registry = sandbox.base_url + "/docker/v2/repositories/ipfs/kubo/tags/v0.30.0-rc1"
    assert httpx.get(registry).status_code == 404
    work = tmp_path / "kubo"
    subprocess.run(["git", "clone", "-q", sandbox.clone_url("ipfs/kubo"), str(work)],
                   env=git_env, check=True)
    subprocess.run(["git", "tag", "-a", "v0.30.0-rc1", "-m", "Prerelease 0.30.0-rc1"],
                   cwd=work, env=git_env, check=True)
    subprocess.run(["git", "-c", f"http.extraHeader=Authorization: Bearer {sandbox.admin_token}",
                    "push", "-q", "origin", "v0.30.0-rc1"], cwd=work, env=git_env, check=True)
    first = gh.get(K + "/actions/runs", params={"event": "push"}).json()["workflow_runs"]
    assert [r["name"] for r in first] == ["Publish docker image"]
    assert first[0]["status"] in ("queued", "in_progress")
    assert first[0]["head_branch"] == "v0.30.0-rc1"
    run = wait_run(gh, "ipfs/kubo", "docker.yml")
    assert run["conclusion"] == "success"
    assert "Pushed ipfs/kubo:v0.30.0-rc1" in job_log(gh, "ipfs/kubo", run["id"])
    assert httpx.get(registry).json()["name"] == "v0.30.0-rc1"
    assert httpx.get(sandbox.base_url + "/docker/v2/ipfs/kubo/manifests/v0.30.0-rc1").is_success


def test_failing_workflow_and_rerun(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_workflow_outcome("ipfs/npm-go-ipfs", "main.yml", "failure", times=1)
    wf = "/repos/ipfs/npm-go-ipfs/actions/workflows/main.yml"
    assert gh.post(wf + "/dispatches", json={"ref": "master"}).status_code == 204
    run = wait_run(gh, "ipfs/npm-go-ipfs", "main.yml")
    assert run["conclusion"] == "failure" and run["event"] == "workflow_dispatch"
    assert "exit code 1" in job_log(gh, "ipfs/npm-go-ipfs", run["id"])
    assert "0.30.0" not in httpx.get(sandbox.base_url + "/npm/kubo").json()["versions"]
    assert gh.post(f"/repos/ipfs/npm-go-ipfs/actions/runs/{run['id']}/rerun").status_code == 201
    again = wait_run(gh, "ipfs/npm-go-ipfs", "main.yml")
    assert again["id"] == run["id"] and again["run_attempt"] == 2
    assert again["conclusion"] == "success"


def _file(gh: httpx.Client, repo: str, path: str, ref: str) -> tuple[str, str]:
    f = gh.get(f"/repos/{repo}/contents/{path}", params={"ref": ref}).json()
    return base64.b64decode(f["content"]).decode(), f["sha"]


def test_distributions_then_npm_then_assets(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    """Stage 5 → 6 → 7: each effect is caused by the previous one."""
    d = "/repos/ipfs/distributions"
    master = gh.get(d + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(d + "/git/refs", json={"ref": "refs/heads/release-kubo-0.30.0", "sha": master})
    for dist in ("kubo", "go-ipfs"):
        text, sha = _file(gh, "ipfs/distributions", f"dists/{dist}/versions", "master")
        gh.put(f"{d}/contents/dists/{dist}/versions", json={
            "message": f"{dist} v0.30.0", "branch": "release-kubo-0.30.0", "sha": sha,
            "content": base64.b64encode((text + "v0.30.0\n").encode()).decode()}
        ).raise_for_status()
    # npm runs before dist has the version: it discovers the old one (caches lag).
    npm_wf = "/repos/ipfs/npm-go-ipfs/actions/workflows/main.yml"
    gh.post(npm_wf + "/dispatches", json={"ref": "master"}).raise_for_status()
    early = wait_run(gh, "ipfs/npm-go-ipfs", "main.yml")
    assert "Discovered kubo version v0.29.0" in job_log(gh, "ipfs/npm-go-ipfs", early["id"])

    pr = gh.post(d + "/pulls", json={"title": "kubo v0.30.0", "head": "release-kubo-0.30.0",
                                     "base": "master"}).json()
    assert gh.put(f"{d}/pulls/{pr['number']}/merge").is_success
    assert "v0.30.0" not in httpx.get(sandbox.base_url + "/dist/kubo/versions").text
    ci = wait_run(gh, "ipfs/distributions", "main.yml")
    assert ci["head_branch"] == "master" and ci["event"] == "push"
    assert httpx.get(sandbox.base_url + "/dist/kubo/versions").text.endswith("v0.30.0\n")

    gh.post(npm_wf + "/dispatches", json={"ref": "master"}).raise_for_status()
    time.sleep(0.05)
    run = wait_run(gh, "ipfs/npm-go-ipfs", "main.yml")
    assert run["id"] != early["id"]
    assert "Discovered kubo version v0.30.0" in job_log(gh, "ipfs/npm-go-ipfs", run["id"])
    npm = httpx.get(sandbox.base_url + "/npm/kubo").json()
    assert npm["dist-tags"]["latest"] == "0.30.0"
    assert httpx.get(sandbox.base_url + "/npm/go-ipfs/latest").json()["version"] == "0.30.0"

    gh.post(K + "/releases", json={"tag_name": "v0.30.0", "target_commitish": "master",
                                   "name": "v0.30.0"}).raise_for_status()
    gh.post(K + "/actions/workflows/sync-release-assets.yml/dispatches",
            json={"ref": "master"}).raise_for_status()
    wait_run(gh, "ipfs/kubo", "sync-release-assets.yml")
    assets = gh.get(K + "/releases/tags/v0.30.0").json()["assets"]
    assert "kubo_v0.30.0_linux-amd64.tar.gz" in [a["name"] for a in assets]


def test_docs_workflow_opens_a_pr_and_pr_checks_run(sandbox: SandboxHandle,
                                                    gh: httpx.Client) -> None:
    docs = "/repos/ipfs/ipfs-docs"
    gh.post(docs + "/actions/workflows/update-on-new-ipfs-tag.yml/dispatches",
            json={"ref": "main", "inputs": {"version": "v0.30.0"}}).raise_for_status()
    wait_run(gh, "ipfs/ipfs-docs", "update-on-new-ipfs-tag.yml")
    pulls = gh.get(docs + "/pulls").json()
    assert [p["title"] for p in pulls] == ["Update Kubo: v0.30.0"]
    assert gh.put(f"{docs}/pulls/{pulls[0]['number']}/merge").is_success

    # A PR on kubo starts "Go Test" on its head; check-runs report it.
    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/version-update-v0.31",
                                   "sha": master}).raise_for_status()
    put = gh.put(K + "/contents/version.go", json={
        "message": "chore: update version to 0.31.0-dev", "branch": "version-update-v0.31",
        "sha": gh.get(K + "/contents/version.go").json()["sha"],
        "content": base64.b64encode(b'const CurrentVersionNumber = "0.31.0-dev"\n').decode()})
    head = put.json()["commit"]["sha"]
    gh.post(K + "/pulls", json={"title": "chore: update version to 0.31.0-dev",
                                "head": "version-update-v0.31", "base": "master"}
            ).raise_for_status()
    checks = gh.get(f"{K}/commits/{head}/check-runs").json()
    assert [c["name"] for c in checks["check_runs"]] == ["go-test"]
    wait_run(gh, "ipfs/kubo", "gotest.yml")
    done = gh.get(f"{K}/commits/version-update-v0.31/check-runs").json()["check_runs"]
    assert done[0]["conclusion"] == "success"
    prs = gh.get(K + "/actions/runs", params={"event": "pull_request"}).json()
    assert prs["workflow_runs"][0]["pull_requests"][0]["number"] > 0


def test_dispatch_errors(gh: httpx.Client) -> None:
    wf = K + "/actions/workflows/docker.yml/dispatches"
    assert gh.post(wf, json={"ref": "nope"}).status_code == 422
    assert gh.post(K + "/actions/workflows/nope.yml/dispatches",
                   json={"ref": "master"}).status_code == 404
    assert gh.get(K + "/actions/runs/1").status_code == 404
