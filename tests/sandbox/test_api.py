"""The GitHub API subset over real loopback HTTP, every exchange contract-checked."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.contract import Contract

K = "/repos/ipfs/kubo"


def test_reads_of_the_seeded_world(gh: httpx.Client) -> None:
    assert gh.get("/user").json()["login"] == "release-driver"
    assert gh.get("/rate_limit").json()["resources"]["core"]["limit"] == 5000
    repo = gh.get(K).json()
    assert repo["default_branch"] == "master"
    assert {b["name"] for b in gh.get(K + "/branches").json()} >= {"master", "release"}
    release = gh.get(K + "/branches/release").json()
    tag = gh.get(K + "/git/ref/tags/v0.29.0").json()
    assert tag["object"]["type"] == "tag"  # annotated
    annotated = gh.get(f"{K}/git/tags/{tag['object']['sha']}").json()
    assert annotated["object"]["sha"] == release["commit"]["sha"]
    assert annotated["message"].startswith("Release 0.29.0")
    assert gh.get(f"{K}/git/commits/{release['commit']['sha']}").json()["message"] == \
        "chore: set version to 0.29.0"
    assert [t["name"] for t in gh.get(K + "/tags").json()] == ["v0.29.0", "v0.29.0-rc1"]
    refs = gh.get(K + "/git/matching-refs/tags/v0.29").json()
    assert [r["ref"] for r in refs] == ["refs/tags/v0.29.0", "refs/tags/v0.29.0-rc1"]
    version = gh.get(K + "/contents/version.go").json()
    assert b'CurrentVersionNumber = "0.30.0-dev"' in base64.b64decode(version["content"])
    on_release = gh.get(K + "/contents/version.go", params={"ref": "release"}).json()
    assert b'"0.29.0"' in base64.b64decode(on_release["content"])
    changelog = gh.get(K + "/contents/docs/changelogs/v0.30.md").json()
    text = base64.b64decode(changelog["content"]).decode()
    assert "### 📝 Changelog" in text and "### 👨‍👩‍👧‍👦 Contributors" in text
    listing = gh.get(K + "/contents/docs/changelogs").json()
    assert {e["name"] for e in listing} >= {"v0.29.md", "v0.30.md"}
    assert gh.get(K + "/contents/.github/ISSUE_TEMPLATE/RELEASE_ISSUE_TEMPLATE.md").is_success
    latest = gh.get(K + "/releases/latest").json()
    assert latest["tag_name"] == "v0.29.0" and latest["assets"]
    assert gh.get(K + "/releases/tags/v0.29.0").json()["id"] == latest["id"]
    assert gh.get(f"{K}/releases/{latest['id']}/assets").json()
    assert [m["title"] for m in gh.get(K + "/milestones").json()] == ["v0.30.0"]
    assert gh.get(K + "/milestones/1").json()["open_issues"] == 0
    issues = gh.get(K + "/issues", params={"state": "all"}).json()
    assert "Release v0.29.0" in [i["title"] for i in issues]
    comments = gh.get(K + "/issues/1/comments").json()
    assert gh.get(f"{K}/issues/comments/{comments[0]['id']}").json()["body"]
    wfs = gh.get(K + "/actions/workflows").json()["workflows"]
    assert "Publish docker image" in [w["name"] for w in wfs]
    assert gh.get(K + "/actions/workflows/docker.yml").json()["path"].endswith("docker.yml")
    assert gh.get(K + "/actions/runs").json()["total_count"] == 0


def test_compare_lists_commits_not_in_release(gh: httpx.Client) -> None:
    cmp = gh.get(K + "/compare/release...master").json()
    assert cmp["status"] == "ahead"
    messages = [c["commit"]["message"].splitlines()[0] for c in cmp["commits"]]
    assert "feat(rcmgr): raise default connection limits" in messages
    assert "chore: update version to 0.30.0-dev" in messages
    assert cmp["ahead_by"] == 5 and cmp["behind_by"] == 0
    commits = gh.get(K + "/commits", params={"sha": "master", "per_page": 2})
    assert len(commits.json()) == 2 and 'rel="next"' in commits.headers["link"]
    sha = commits.json()[0]["sha"]
    one = gh.get(f"{K}/commits/{sha}").json()
    assert one["files"][0]["filename"] == "docs/config.md"
    assert gh.get(f"{K}/commits/master/status").json()["sha"] == sha
    assert gh.get(f"{K}/commits/{sha}/check-runs").json()["total_count"] == 0


def test_branch_with_slashes_and_file_update(gh: httpx.Client) -> None:
    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    created = gh.post(K + "/git/refs", json={"ref": "refs/heads/feat/x", "sha": master})
    assert created.status_code == 201
    again = gh.post(K + "/git/refs", json={"ref": "refs/heads/feat/x", "sha": master})
    assert again.status_code == 422
    assert gh.get(K + "/branches/feat/x").json()["name"] == "feat/x"
    old = gh.get(K + "/contents/version.go", params={"ref": "feat/x"}).json()
    put = gh.put(K + "/contents/version.go", json={
        "message": "chore: set version to 0.30.0-rc1", "branch": "feat/x", "sha": old["sha"],
        "content": base64.b64encode(b'const CurrentVersionNumber = "0.30.0-rc1"\n').decode()})
    assert put.status_code == 200
    stale = gh.put(K + "/contents/version.go", json={
        "message": "again", "branch": "feat/x", "sha": old["sha"],
        "content": base64.b64encode(b"x").decode()})
    assert stale.status_code == 409
    cmp = gh.get(K + "/compare/master...feat/x").json()
    assert cmp["status"] == "ahead" and cmp["ahead_by"] == 1
    assert gh.get(K + "/commits/feat/x/status").json()["sha"] == put.json()["commit"]["sha"]
    back = gh.patch(K + "/git/refs/heads/feat/x", json={"sha": master})
    assert back.status_code == 422  # not a fast-forward
    assert gh.patch(K + "/git/refs/heads/feat/x", json={"sha": master, "force": True}).is_success
    assert gh.delete(K + "/git/refs/heads/feat/x").status_code == 204
    assert gh.get(K + "/git/ref/heads/feat/x").status_code == 404


def _branch_with_change(gh: httpx.Client, name: str, base: str, path: str) -> None:
    sha = gh.get(f"{K}/git/ref/heads/{base}").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": f"refs/heads/{name}", "sha": sha}).raise_for_status()
    gh.put(f"{K}/contents/{path}", json={
        "message": f"change {path}", "branch": name,
        "content": base64.b64encode(name.encode()).decode()}).raise_for_status()


def _await_checks_and_approval(gh: httpx.Client, number: int) -> None:
    """Until the pull's checks completed and the simulated reviewer approved (the seeded
    ``release`` requires both before a merge)."""
    head = gh.get(f"{K}/pulls/{number}").json()["head"]["sha"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        runs = gh.get(f"{K}/commits/{head}/check-runs").json()["check_runs"]
        approved = any(r["state"] == "APPROVED"
                       for r in gh.get(f"{K}/pulls/{number}/reviews").json())
        if runs and approved and all(r["status"] == "completed" for r in runs):
            return
        time.sleep(0.1)
    raise AssertionError(f"pull #{number}: checks or approval still missing")


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_pull_request_merge_methods(gh: httpx.Client, sandbox: SandboxHandle,
                                    method: str) -> None:
    _branch_with_change(gh, "release-v0.30.0", "release", "notes/a.md")
    pr = gh.post(K + "/pulls", json={"title": "Release v0.30.0", "head": "release-v0.30.0",
                                     "base": "release", "body": "commits not included: ..."})
    assert pr.status_code == 201, pr.text
    number = pr.json()["number"]
    dup = gh.post(K + "/pulls", json={"title": "dup", "head": "release-v0.30.0",
                                      "base": "release"})
    assert dup.status_code == 422
    listed = gh.get(K + "/pulls", params={"head": "ipfs:release-v0.30.0"}).json()
    assert [p["number"] for p in listed] == [number]
    assert gh.get(f"{K}/pulls/{number}/commits").json()
    assert gh.get(f"{K}/pulls/{number}/merge").status_code == 404
    assert gh.post(f"{K}/pulls/{number}/requested_reviewers",
                   json={"reviewers": ["desktop-maintainer"]}).status_code == 201
    base_before = gh.get(K + "/git/ref/heads/release").json()["object"]["sha"]
    _await_checks_and_approval(gh, number)  # release is protected, as on GitHub
    merged = gh.put(f"{K}/pulls/{number}/merge", json={"merge_method": method})
    assert merged.status_code == 200, merged.text
    sha = merged.json()["sha"]
    assert gh.get(K + "/git/ref/heads/release").json()["object"]["sha"] == sha
    commit = gh.get(f"{K}/git/commits/{sha}").json()
    parents = [p["sha"] for p in commit["parents"]]
    if method == "merge":
        assert len(parents) == 2 and parents[0] == base_before
        assert commit["message"].startswith(f"Merge pull request #{number}")
    else:
        assert len(parents) == 1
    pull = gh.get(f"{K}/pulls/{number}").json()
    assert pull["merged"] and pull["state"] == "closed" and pull["merge_commit_sha"] == sha
    assert gh.get(f"{K}/pulls/{number}/merge").status_code == 204
    assert gh.put(f"{K}/pulls/{number}/merge").status_code == 405  # only once
    assert gh.get(K + "/branches/release-v0.30.0").is_success  # the branch is kept
    state = sandbox.state()["repos"]["ipfs/kubo"]
    assert state["branches"]["release"] == sha
    assert [p["number"] for p in state["pulls"]] == [number]


def test_draft_pull_cannot_merge_and_no_commits_is_rejected(gh: httpx.Client) -> None:
    _branch_with_change(gh, "rc", "master", "rc.txt")
    pr = gh.post(K + "/pulls", json={"title": "rc", "head": "rc", "base": "release",
                                     "draft": True}).json()
    assert pr["draft"] is True
    assert gh.put(f"{K}/pulls/{pr['number']}/merge").status_code == 405
    closed = gh.patch(f"{K}/pulls/{pr['number']}", json={"state": "closed"}).json()
    assert closed["state"] == "closed"
    empty = gh.post(K + "/pulls", json={"title": "x", "head": "release", "base": "master"})
    assert empty.status_code == 422 or empty.status_code == 201
    none = gh.post(K + "/pulls", json={"title": "x", "head": "nope", "base": "master"})
    assert none.status_code == 422


def test_releases_issues_comments(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    rel = gh.post(K + "/releases", json={"tag_name": "v0.30.0-rc1", "target_commitish": "master",
                                         "name": "v0.30.0-rc1", "prerelease": True,
                                         "body": "See the changelog"})
    assert rel.status_code == 201, rel.text
    assert gh.post(K + "/releases", json={"tag_name": "v0.30.0-rc1"}).status_code == 422
    rid = rel.json()["id"]
    assert gh.get(K + "/git/ref/tags/v0.30.0-rc1").is_success  # GitHub creates the tag
    assert gh.get(K + "/releases/latest").json()["tag_name"] == "v0.29.0"  # prerelease
    edited = gh.patch(f"{K}/releases/{rid}", json={"body": "discuss: link"}).json()
    assert edited["body"] == "discuss: link"
    assert len(gh.get(K + "/releases").json()) == 2
    assert gh.delete(f"{K}/releases/{rid}").status_code == 204
    assert gh.get(f"{K}/releases/{rid}").status_code == 404

    issue = gh.post(K + "/issues", json={"title": "Release v0.30.0", "body": "checklist",
                                         "labels": ["kind/release"]})
    assert issue.status_code == 201
    n = issue.json()["number"]
    found = gh.get("/search/issues", params={
        "q": 'repo:ipfs/kubo is:issue in:title "Release v0.30.0"'}).json()
    assert [i["number"] for i in found["items"]] == [n]
    c = gh.post(f"{K}/issues/{n}/comments", json={"body": "<!-- cockpit {} -->"}).json()
    assert gh.patch(f"{K}/issues/comments/{c['id']}", json={"body": "edited"}).json()["body"] \
        == "edited"
    assert len(gh.get(f"{K}/issues/{n}/comments").json()) == 1
    assert gh.delete(f"{K}/issues/comments/{c['id']}").status_code == 204
    assert gh.patch(f"{K}/issues/{n}", json={"state": "closed"}).json()["state"] == "closed"
    assert gh.get(f"{K}/issues/{n}").json()["closed_at"]
    titles = [i["title"] for i in sandbox.state()["repos"]["ipfs/kubo"]["issues"]]
    assert titles.count("Release v0.30.0") == 1


def test_errors_have_github_shape(gh: httpx.Client) -> None:
    assert gh.get("/repos/ipfs/nope").status_code == 404
    assert gh.get(K + "/issues/999").status_code == 404
    assert gh.get(K + "/git/ref/heads/nope").status_code == 404
    assert gh.get(K + "/contents/nope.txt").status_code == 404



def test_invalid_requests_get_github_errors(sandbox: SandboxHandle, contract: Contract) -> None:
    """Deliberately invalid requests cannot pass request validation, so only the
    responses are checked here (against GitHub's error shape)."""
    auth = {"Authorization": f"Bearer {sandbox.admin_token}"}
    for content in (b"{}", b"{not json", b"[1]"):
        r = httpx.post(sandbox.api_url + K + "/issues", content=content,
                       headers={**auth, "content-type": "application/json"})
        assert r.status_code in (400, 422)
        assert isinstance(r.json()["message"], str) and r.json()["documentation_url"]


def test_tokens_readonly_and_bad(gh_readonly: httpx.Client, sandbox: SandboxHandle) -> None:
    assert gh_readonly.get(K).is_success
    denied = gh_readonly.post(K + "/issues", json={"title": "x"})
    assert denied.status_code == 403
    assert gh_readonly.get("/user").headers["x-oauth-scopes"] == ""
    bad = httpx.get(sandbox.api_url + "/user", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    anon = httpx.post(sandbox.api_url + K + "/issues", json={"title": "x"})
    assert anon.status_code == 401
    assert sandbox.state()["repos"]["ipfs/kubo"]["issues"][-1]["title"] != "x"
    writes = sandbox.requests(mutating=True)
    assert [w["status"] for w in writes] == [403, 401]
    assert all(w["auth"] in ("read", "anonymous") for w in writes)


def test_etag_304_costs_no_rate_limit(gh: httpx.Client) -> None:
    first = gh.get(K + "/releases/latest")
    etag = first.headers["etag"]
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = gh.get(K + "/releases/latest", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    third = gh.get(K + "/releases/latest")
    assert int(third.headers["x-ratelimit-remaining"]) == remaining - 1
    assert int(third.headers["x-ratelimit-reset"]) > time.time()


def test_request_log_and_inspection_endpoints(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    gh.get(K)
    gh.post(K + "/issues", json={"title": "t", "body": "secret-ish body"})
    log = httpx.get(sandbox.base_url + "/_sandbox/requests").json()
    assert [(e["method"], e["path"], e["status"], e["mutating"]) for e in log] == [
        ("GET", "/api/v3" + K, 200, False), ("POST", "/api/v3" + K + "/issues", 201, True)]
    assert "secret-ish body" in log[1]["body"]
    state = httpx.get(sandbox.base_url + "/_sandbox/state").json()
    assert state["repos"]["ipfs/kubo"]["branches"]["master"]
    assert "tokens" not in state
    info = httpx.get(sandbox.base_url + "/_sandbox/info").json()
    assert info["env"]["COCKPIT_GITHUB_API_URL"] == sandbox.api_url
    assert httpx.delete(sandbox.base_url + "/_sandbox/requests").status_code == 204
    assert sandbox.requests() == []
    token = httpx.post(sandbox.base_url + "/_sandbox/tokens", json={"scope": "read"}).json()
    assert gh.get("/user", headers={"Authorization": f"Bearer {token['token']}"}).is_success
