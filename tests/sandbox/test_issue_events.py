"""An issue's life as GitHub records it: events, ``closed_by``, locks, reactions, and the
repository-wide comment list."""

from __future__ import annotations

import httpx

from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


def test_events_and_closed_by(gh: httpx.Client) -> None:
    seeded = gh.get(K + "/issues/1").json()
    assert seeded["state"] == "closed" and seeded["closed_by"]["login"] == "release-driver"
    issue = gh.post(K + "/issues", json={"title": "Release v0.30.0", "milestone": 1,
                                         "assignees": ["release-driver"]}).json()
    assert issue["closed_by"] is None
    n = issue["number"]
    gh.patch(f"{K}/issues/{n}", json={"title": "Release v0.30.0 (rc1)"})
    closed = gh.patch(f"{K}/issues/{n}", json={"state": "closed"}).json()
    assert closed["closed_by"]["login"] == "release-driver"
    reopened = gh.patch(f"{K}/issues/{n}", json={"state": "open"}).json()
    assert reopened["closed_by"] is None
    listed = gh.get(f"{K}/issues/{n}/events").json()
    assert [e["event"] for e in listed] == ["assigned", "milestoned", "renamed", "closed",
                                            "reopened"]
    assert listed[2]["rename"] == {"from": "Release v0.30.0", "to": "Release v0.30.0 (rc1)"}
    assert listed[1]["milestone"] == {"title": "v0.30.0"}
    assert gh.get(K + "/issues/999/events").status_code == 404


def test_merge_is_merged_then_closed(gh: httpx.Client) -> None:
    sha = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/feat/a", "sha": sha})
    gh.put(K + "/contents/a.txt", json={"message": "feat: a", "branch": "feat/a",
                                        "content": "YQ=="})
    n = gh.post(K + "/pulls", json={"title": "feat: a", "head": "feat/a",
                                    "base": "master"}).json()["number"]
    files = gh.get(f"{K}/pulls/{n}/files").json()
    assert [(f["filename"], f["status"], f["additions"]) for f in files] == [
        ("a.txt", "added", 1)]
    gh.post(f"{K}/pulls/{n}/requested_reviewers", json={"reviewers": ["release-reviewer"]})
    merge = gh.put(f"{K}/pulls/{n}/merge", json={"merge_method": "squash"}).json()["sha"]
    events = gh.get(f"{K}/issues/{n}/events").json()
    assert [(e["event"], e["commit_id"]) for e in events] == [
        ("review_requested", None), ("merged", merge), ("closed", merge)]
    assert events[0]["requested_reviewer"]["login"] == "release-reviewer"
    assert gh.get(f"{K}/issues/{n}").json()["closed_by"]["login"] == "release-driver"
    assert [f["filename"] for f in gh.get(f"{K}/pulls/{n}/files").json()] == ["a.txt"]


def test_lock_and_unlock(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    n = gh.post(K + "/issues", json={"title": "heated"}).json()["number"]
    assert gh.put(f"{K}/issues/{n}/lock", json={"lock_reason": "too heated"}).status_code == 204
    issue = gh.get(f"{K}/issues/{n}").json()
    assert issue["locked"] and issue["active_lock_reason"] == "too heated"
    bad = httpx.put(f"{sandbox.api_url}{K}/issues/{n}/lock", json={"lock_reason": "bored"},
                    headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert bad.status_code == 422
    assert gh.delete(f"{K}/issues/{n}/lock").status_code == 204
    assert gh.get(f"{K}/issues/{n}").json()["locked"] is False
    assert [e["event"] for e in gh.get(f"{K}/issues/{n}/events").json()] == [
        "locked", "unlocked"]
    assert gh.get(f"{K}/issues/{n}/events").json()[0]["lock_reason"] == "too heated"


def test_reactions(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    first = gh.post(K + "/issues/1/reactions", json={"content": "rocket"})
    assert first.status_code == 201 and first.json()["content"] == "rocket"
    again = gh.post(K + "/issues/1/reactions", json={"content": "rocket"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    gh.post(K + "/issues/1/reactions", json={"content": "+1"})
    assert len(gh.get(K + "/issues/1/reactions").json()) == 2
    assert len(gh.get(K + "/issues/1/reactions", params={"content": "+1"}).json()) == 1
    roll = gh.get(K + "/issues/1").json()["reactions"]
    assert roll["total_count"] == 2 and roll["rocket"] == 1 and roll["+1"] == 1
    comment = gh.get(K + "/issues/1/comments").json()[0]
    assert gh.post(f"{K}/issues/comments/{comment['id']}/reactions",
                   json={"content": "heart"}).status_code == 201
    assert gh.get(f"{K}/issues/comments/{comment['id']}").json()["reactions"]["heart"] == 1
    assert [x["content"] for x in
            gh.get(f"{K}/issues/comments/{comment['id']}/reactions").json()] == ["heart"]
    bad = httpx.post(f"{sandbox.api_url}{K}/issues/1/reactions", json={"content": "smile"},
                     headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert bad.status_code == 422
    assert gh.get(K + "/issues/comments/1/reactions").status_code == 404


def test_repository_wide_comments(gh: httpx.Client) -> None:
    n = gh.post(K + "/issues", json={"title": "x"}).json()["number"]
    for text in ("one", "two"):
        gh.post(f"{K}/issues/{n}/comments", json={"body": text})
    bodies = [c["body"] for c in gh.get(K + "/issues/comments").json()]
    assert bodies == ["Kubo v0.29.0 is out!", "one", "two"]
    newest = gh.get(K + "/issues/comments", params={"sort": "created", "direction": "desc",
                                                     "per_page": 1})
    assert [c["body"] for c in newest.json()] == ["two"] and 'rel="next"' in newest.headers["link"]
    recent = gh.get(K + "/issues/comments", params={"since": "2025-01-01T00:00:00Z"}).json()
    assert [c["body"] for c in recent] == ["one", "two"]
