"""Pull request reviews, milestone writes and the GraphQL "ready for review" mutation.

REST exchanges go through the contract-checking client (GitHub's OpenAPI subset); the
GraphQL endpoint is held to GitHub's schema (more in test_graphql.py).
"""

from __future__ import annotations

import time

import httpx

from cockpit.sandbox.reviews import set_auto_reviewer
from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"
MUTATION = ("mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id})"
            " { pullRequest { number isDraft state } } }")


def _draft_pull(gh: httpx.Client) -> dict[str, object]:
    master = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    gh.post(K + "/git/refs", json={"ref": "refs/heads/topic", "sha": master})
    gh.put(K + "/contents/topic.txt", json={"message": "topic", "branch": "topic",
                                           "content": "dG9waWMK"}).raise_for_status()
    made = gh.post(K + "/pulls", json={"title": "Topic", "head": "topic", "base": "release",
                                       "draft": True})
    assert made.status_code == 201
    pull: dict[str, object] = made.json()
    return pull


def test_reviews_latest_per_user_and_no_self_approval(sandbox: SandboxHandle,
                                                      gh: httpx.Client) -> None:
    set_auto_reviewer(sandbox.sandbox, "ipfs/kubo", None)
    number = _draft_pull(gh)["number"]
    own = gh.post(f"{K}/pulls/{number}/reviews", json={"event": "APPROVE"})
    assert own.status_code == 422 and "own pull request" in own.text
    assert gh.post(f"{K}/pulls/{number}/reviews", json={"event": "COMMENT"}).status_code == 422
    assert gh.post(f"{K}/pulls/{number}/reviews",
                   json={"event": "COMMENT", "body": "looks fine"}).status_code == 200
    alice = sandbox.sandbox.issue_token("write", "alice")
    review = gh.post(f"{K}/pulls/{number}/reviews", json={"event": "APPROVE"},
                     headers={"Authorization": f"Bearer {alice}"})
    assert review.status_code == 200 and review.json()["state"] == "APPROVED"
    listed = gh.get(f"{K}/pulls/{number}/reviews").json()
    assert [(r["user"]["login"], r["state"]) for r in listed] == [
        ("release-driver", "COMMENTED"), ("alice", "APPROVED")]


def test_simulated_reviewer_approves_ready_pulls_only(sandbox: SandboxHandle,
                                                      gh: httpx.Client) -> None:
    """The fixture's runs take 0.3 s, so does the simulated review."""
    pull = _draft_pull(gh)
    time.sleep(0.4)
    assert gh.get(f"{K}/pulls/{pull['number']}/reviews").json() == []  # a draft waits
    answer = httpx.post(sandbox.base_url + "/api/graphql",
                        json={"query": MUTATION, "variables": {"id": pull["node_id"]}},
                        headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    assert answer == {"data": {"markPullRequestReadyForReview": {"pullRequest": {
        "number": pull["number"], "isDraft": False, "state": "OPEN"}}}}
    assert gh.get(f"{K}/pulls/{pull['number']}").json()["draft"] is False
    assert gh.get(f"{K}/pulls/{pull['number']}/reviews").json() == []  # not yet due
    time.sleep(0.4)
    [review] = gh.get(f"{K}/pulls/{pull['number']}/reviews").json()
    assert (review["user"]["login"], review["state"]) == ("alice", "APPROVED")


def test_graphql_answers_like_github(sandbox: SandboxHandle) -> None:
    url = sandbox.base_url + "/api/graphql"

    def post(token: str | None, payload: dict[str, object]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(url, json=payload, headers=headers)

    assert post(None, {"query": "{ viewer { login } }"}).status_code == 401
    assert post(sandbox.admin_token, {"query": "{ viewer { login } }"}).json() == {
        "data": {"viewer": {"login": "release-driver"}}}
    unknown = post(sandbox.admin_token, {"query": "{ viewer { nope } }"})
    assert unknown.status_code == 200 and "Cannot query field 'nope'" in \
        unknown.json()["errors"][0]["message"]
    missing = post(sandbox.admin_token, {"query": MUTATION, "variables": {"id": "PR_nope"}})
    [error] = missing.json()["errors"]
    assert error["type"] == "NOT_FOUND" and "PR_nope" in error["message"]
    forbidden = post(sandbox.readonly_token, {"query": MUTATION, "variables": {"id": "x"}})
    assert forbidden.json()["errors"][0]["type"] == "FORBIDDEN"
    assert post(sandbox.admin_token, {"query": "mutation {"}).json()["errors"]


def test_milestones_create_unique_titles_and_close(sandbox: SandboxHandle,
                                                   gh: httpx.Client) -> None:
    made = gh.post(K + "/milestones", json={"title": "v0.31.0", "description": "Kubo v0.31.0"})
    assert made.status_code == 201 and made.headers["location"].endswith("/milestones/2")
    again = gh.post(K + "/milestones", json={"title": "v0.31.0"})
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "already_exists"
    closed = gh.patch(K + "/milestones/1", json={"state": "closed"}).json()
    assert closed["state"] == "closed" and closed["closed_at"]
    bad = httpx.patch(sandbox.api_url + K + "/milestones/1", json={"state": "gone"},
                      headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert bad.status_code == 422  # (the contract checker refuses to even send it)
    assert [m["title"] for m in gh.get(K + "/milestones").json()] == ["v0.31.0"]
    assert len(gh.get(K + "/milestones", params={"state": "all"}).json()) == 2
