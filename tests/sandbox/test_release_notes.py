"""Generated release notes: the pull requests merged since the previous release, as
GitHub writes them."""

from __future__ import annotations

import httpx

from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


def _merged_pull(gh: httpx.Client, branch: str, title: str) -> int:
    sha = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": f"refs/heads/{branch}", "sha": sha})
    gh.put(f"{K}/contents/{branch}.txt", json={"message": title, "branch": branch,
                                                "content": "eA=="})
    n = int(gh.post(K + "/pulls", json={"title": title, "head": branch,
                                        "base": "master"}).json()["number"])
    gh.put(f"{K}/pulls/{n}/merge", json={"merge_method": "merge"}).raise_for_status()
    return n


def test_notes_since_the_previous_release(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    web = f"{sandbox.base_url}/ipfs/kubo"
    empty = gh.post(K + "/releases/generate-notes", json={"tag_name": "v0.30.0-rc1"}).json()
    assert empty == {"name": "v0.30.0-rc1",
                     "body": f"**Full Changelog**: {web}/compare/v0.29.0...v0.30.0-rc1"}
    a = _merged_pull(gh, "feat-a", "feat: faster bitswap")
    b = _merged_pull(gh, "fix-b", "fix: pin ls")
    notes = gh.post(K + "/releases/generate-notes", json={"tag_name": "v0.30.0-rc1",
                                                          "target_commitish": "master"})
    assert notes.json()["body"] == (
        "## What's Changed\n"
        f"* feat: faster bitswap by @release-driver in {web}/pull/{a}\n"
        f"* fix: pin ls by @release-driver in {web}/pull/{b}\n\n"
        "## New Contributors\n"
        f"* @release-driver made their first contribution in {web}/pull/{a}\n\n"
        f"**Full Changelog**: {web}/compare/v0.29.0...v0.30.0-rc1")
    gh.post(K + "/releases", json={"tag_name": "v0.30.0-rc1", "target_commitish": "master",
                                   "prerelease": True}).raise_for_status()
    c = _merged_pull(gh, "fix-c", "fix: docs")
    rc2 = gh.post(K + "/releases/generate-notes", json={"tag_name": "v0.30.0-rc2"}).json()
    assert rc2["body"] == (f"## What's Changed\n* fix: docs by @release-driver in "
                           f"{web}/pull/{c}\n\n"
                           f"**Full Changelog**: {web}/compare/v0.30.0-rc1...v0.30.0-rc2")
    since = gh.post(K + "/releases/generate-notes", json={
        "tag_name": "v0.30.0-rc2", "previous_tag_name": "v0.29.0"}).json()["body"]
    assert since.count("* ") == 4  # three pulls, one newcomer
    assert gh.post(K + "/releases/generate-notes", json={
        "tag_name": "x", "previous_tag_name": "v9"}).status_code == 404


def test_first_release_links_the_commits(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    gh.post("/orgs/ipfs/repos", json={"name": "fresh", "auto_init": True}).raise_for_status()
    notes = gh.post("/repos/ipfs/fresh/releases/generate-notes", json={"tag_name": "1.0.0"})
    assert notes.json()["body"] == (
        f"**Full Changelog**: {sandbox.base_url}/ipfs/fresh/commits/1.0.0")
