"""The API root, release assets (upload, list, get, rename, delete, download), a run's log
archive, artifacts, cancellation and annotations, and disabled workflows, each exchange
validated against GitHub's OpenAPI description."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from typing import Any

import httpx

from cockpit.sandbox.testing import SandboxHandle
from tests.gh_setup import artifact_workflow
from tests.sandbox.conftest import validating_client
from tests.sandbox.contract import Contract

K = "/repos/ipfs/kubo"


def test_root_names_the_api_and_the_token_scopes(gh: httpx.Client, gh_readonly: httpx.Client,
                                                 sandbox: SandboxHandle) -> None:
    root = gh.get("/")
    assert root.status_code == 200
    assert root.json()["current_user_url"] == sandbox.api_url + "/user"
    assert root.json()["repository_url"] == sandbox.api_url + "/repos/{owner}/{repo}"
    scopes = {s.strip() for s in root.headers["x-oauth-scopes"].split(",")}
    assert {"repo", "read:org", "workflow"} <= scopes  # what gh auth status requires
    assert "read:org" not in gh_readonly.get("/").headers.get("x-oauth-scopes", "")
    assert gh.get("/meta").json()["verifiable_password_authentication"] is False
    anonymous = httpx.get(sandbox.api_url + "/", headers={"Authorization": "token nope"})
    assert anonymous.status_code == 401


def _upload(sb: SandboxHandle, contract: Contract, release: dict[str, Any], name: str,
            data: bytes, token: str | None = None, content_type: str = "application/zip",
            validate: bool = True) -> httpx.Response:
    """POST to the release's upload_url as GitHub's clients do (the ``{?name,label}``
    template cut off), validated like every other exchange (unless the request is
    deliberately one GitHub's description forbids)."""
    url = release["upload_url"].split("{", 1)[0]
    headers = {"Authorization": f"Bearer {token or sb.admin_token}",
               "Content-Type": content_type}
    answer = httpx.post(url, params={"name": name}, content=data, headers=headers)
    if not validate:
        return answer
    prefix = httpx.URL(sb.base_url + "/api/uploads").path
    contract.check("POST", answer.request.url.path[len(prefix):],
                   answer.request.url.query.decode(), dict(answer.request.headers), data,
                   answer.status_code, dict(answer.headers), answer.content)
    return answer


def test_assets_upload_to_the_upload_url_and_download_byte_for_byte(
        sandbox: SandboxHandle, gh: httpx.Client, contract: Contract) -> None:
    release = gh.post(K + "/releases", json={"tag_name": "v0.31.0-rc1", "draft": True}).json()
    assert release["upload_url"] == (f"{sandbox.base_url}/api/uploads/repos/ipfs/kubo/"
                                     f"releases/{release['id']}/assets{{?name,label}}")
    data = bytes(range(256)) * 400
    made = _upload(sandbox, contract, release, "kubo_v0.31.0-rc1_linux-amd64.tar.gz", data,
                   content_type="application/gzip")
    assert made.status_code == 201
    asset = made.json()
    assert (asset["name"], asset["size"], asset["content_type"], asset["uploader"]["login"]
            ) == ("kubo_v0.31.0-rc1_linux-amd64.tar.gz", len(data), "application/gzip",
                  "release-driver")

    again = _upload(sandbox, contract, release, asset["name"], b"other")
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "already_exists"
    nameless = _upload(sandbox, contract, release, "", b"x", validate=False)
    assert (nameless.status_code, nameless.json()["errors"][0]["field"]) == (422, "name")
    read_only = _upload(sandbox, contract, release, "x.txt", b"x",
                        token=sandbox.readonly_token)
    assert read_only.status_code == 403

    listed = gh.get(f"{K}/releases/{release['id']}/assets").json()
    assert [a["id"] for a in listed] == [asset["id"]]
    assert gh.get(f"{K}/releases/assets/{asset['id']}").json()["size"] == len(data)
    raw = gh.get(f"{K}/releases/assets/{asset['id']}",
                 headers={"Accept": "application/octet-stream"})
    assert raw.status_code == 302  # a draft's asset, to whoever may read the release
    assert httpx.get(raw.headers["location"]).content == data
    assert httpx.get(asset["browser_download_url"]).status_code == 404  # no link: a draft

    gh.patch(f"{K}/releases/{release['id']}", json={"draft": False}).raise_for_status()
    downloaded = httpx.get(asset["browser_download_url"])  # public: no token, as on GitHub
    assert downloaded.content == data
    assert downloaded.headers["content-type"] == "application/octet-stream"
    assert gh.get(f"{K}/releases/assets/{asset['id']}").json()["download_count"] == 2

    renamed = gh.patch(f"{K}/releases/assets/{asset['id']}",
                       json={"name": "kubo linux.tar.gz", "label": "Linux"}).json()
    assert (renamed["name"], renamed["label"]) == ("kubo.linux.tar.gz", "Linux")
    assert gh.delete(f"{K}/releases/assets/{asset['id']}").status_code == 204
    assert gh.get(f"{K}/releases/assets/{asset['id']}").status_code == 404
    assert httpx.get(renamed["browser_download_url"]).status_code == 404
    assert not (sandbox.data_dir / "assets" / str(asset["id"])).exists()


def test_a_seeded_asset_downloads_as_many_bytes_as_it_claims(gh: httpx.Client) -> None:
    latest = gh.get(K + "/releases/latest").json()
    asset = min(latest["assets"], key=lambda a: a["size"])
    with httpx.stream("GET", asset["browser_download_url"]) as answer:
        assert int(answer.headers["content-length"]) == asset["size"]
        assert sum(len(chunk) for chunk in answer.iter_bytes()) == asset["size"]


ARTIFACT_WORKFLOW = artifact_workflow("kubo-linux", "cmd/ipfs/ipfs").encode()


def _completed(gh: httpx.Client, run_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while (run := gh.get(f"{K}/actions/runs/{run_id}").json())["status"] != "completed":
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    return dict(run)


def test_run_log_archive_and_artifacts(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    gh.put(K + "/contents/.github/workflows/build.yml", json={
        "message": "ci: build binaries", "branch": "master",
        "content": base64.b64encode(ARTIFACT_WORKFLOW).decode()}).raise_for_status()
    gh.post(K + "/actions/workflows/build.yml/dispatches",
            json={"ref": "master"}).raise_for_status()
    run_id = gh.get(K + "/actions/workflows/build.yml/runs").json()["workflow_runs"][0]["id"]
    run = _completed(gh, run_id)

    redirect = gh.get(run["logs_url"])
    assert redirect.status_code == 302
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(redirect.headers["location"]).content))
    names = archive.namelist()
    assert names == ["0_Build (linux).txt", "Build (linux)/1_Set up job.txt",
                     "Build (linux)/2_actionscheckout@v4.txt", "Build (linux)/3_Compile.txt",
                     "Build (linux)/4_actionsupload-artifact@v4.txt",
                     "Build (linux)/5_Complete job.txt"]
    assert "##[group]Run Build binaries" in archive.read("Build (linux)/1_Set up job.txt").decode()

    listed = gh.get(run["artifacts_url"]).json()
    assert listed["total_count"] == 1
    artifact = listed["artifacts"][0]
    assert (artifact["name"], artifact["expired"], artifact["workflow_run"]["id"]) == (
        "kubo-linux", False, run_id)
    assert gh.get(run["artifacts_url"], params={"name": "other"}).json()["total_count"] == 0
    assert gh.get(artifact["url"]).json() == artifact
    zipped = gh.get(artifact["archive_download_url"])
    assert zipped.status_code == 302
    content = httpx.get(zipped.headers["location"]).content
    assert len(content) == artifact["size_in_bytes"]
    assert zipfile.ZipFile(io.BytesIO(content)).read("UPLOADED-PATHS.txt") == b"cmd/ipfs/ipfs\n"
    assert gh.get(artifact["url"].replace(str(artifact["id"]), "1")).status_code == 404
    jobs = gh.get(f"{K}/actions/runs/{run_id}/jobs").json()["jobs"]
    assert gh.get(f"{K}/check-runs/{jobs[0]['id']}/annotations").json() == []  # it passed


def test_the_upload_host_is_github_to_the_request_log(sandbox: SandboxHandle,
                                                      contract: Contract) -> None:
    with validating_client(sandbox, contract, sandbox.admin_token) as client:
        release = client.post(K + "/releases", json={"tag_name": "v0.31.0-rc2"}).json()
    sandbox.clear_requests()
    assert _upload(sandbox, contract, release, "notes.txt", b"hello",
                   content_type="text/plain").status_code == 201
    (entry,) = sandbox.requests()
    assert (entry["service"], entry["mutating"], entry["auth"]) == ("github", True, "write")


def test_cancel_stops_what_runs_and_only_that(sandbox: SandboxHandle, gh: httpx.Client
                                              ) -> None:
    sandbox.sandbox.sim.set_queue_spike("ipfs/kubo", 100)  # its jobs wait ~6 s for a runner
    gh.post(K + "/actions/workflows/docker.yml/dispatches",
            json={"ref": "master"}).raise_for_status()
    run_id = gh.get(K + "/actions/workflows/docker.yml/runs").json()["workflow_runs"][0]["id"]
    assert gh.get(f"{K}/actions/runs/{run_id}/logs").status_code == 404  # not done yet
    assert gh.get(f"{K}/actions/runs/{run_id}/artifacts").json() == {
        "total_count": 0, "artifacts": []}
    cancelled = gh.post(f"{K}/actions/runs/{run_id}/cancel")
    assert (cancelled.status_code, cancelled.json()) == (202, {})
    run = _completed(gh, run_id)
    assert run["conclusion"] == "cancelled"
    jobs = gh.get(f"{K}/actions/runs/{run_id}/jobs").json()["jobs"]
    assert {job["conclusion"] for job in jobs} == {"cancelled"}
    redirect = gh.get(f"{K}/actions/jobs/{jobs[0]['id']}/logs")
    assert httpx.get(redirect.headers["location"]).text.rstrip().endswith(
        "##[error]The operation was canceled.")
    (note,) = gh.get(f"{K}/check-runs/{jobs[0]['id']}/annotations").json()
    assert (note["annotation_level"], note["message"]) == (
        "failure", "The operation was canceled.")
    again = gh.post(f"{K}/actions/runs/{run_id}/cancel")
    assert again.status_code == 409
    assert again.json()["message"] == "Cannot cancel a workflow run that is completed."


def test_a_disabled_workflow_starts_nothing(gh: httpx.Client) -> None:
    runs = K + "/actions/workflows/gotest.yml/runs"
    assert gh.put(K + "/actions/workflows/gotest.yml/disable").status_code == 204
    assert gh.get(K + "/actions/workflows/gotest.yml").json()["state"] == "disabled_manually"
    before = gh.get(runs).json()["total_count"]
    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/feat/quiet", "sha": master}
            ).raise_for_status()
    gh.put(K + "/contents/QUIET.md", json={
        "message": "docs: quiet", "branch": "feat/quiet",
        "content": base64.b64encode(b"quiet\n").decode()}).raise_for_status()
    gh.post(K + "/pulls", json={"title": "feat: quiet", "head": "feat/quiet",
                                "base": "master"}).raise_for_status()
    assert gh.get(runs).json()["total_count"] == before  # no push, no pull_request run
    refused = gh.post(K + "/actions/workflows/docker.yml/dispatches", json={"ref": "master"})
    assert refused.status_code == 204  # another workflow is not affected
    assert gh.put(K + "/actions/workflows/docker.yml/disable").status_code == 204
    refused = gh.post(K + "/actions/workflows/docker.yml/dispatches", json={"ref": "master"})
    assert (refused.status_code, refused.json()["message"]) == (
        422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
    assert gh.put(K + "/actions/workflows/gotest.yml/enable").status_code == 204
    assert gh.get(K + "/actions/workflows/gotest.yml").json()["state"] == "active"
