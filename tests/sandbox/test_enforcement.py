"""The sandbox refuses what GitHub refuses: requests its OpenAPI description rejects,
references to things that do not exist, and callers past the rate limits.

These requests are wrong on purpose, so they go through a plain client (the ``gh``
fixture's contract check would refuse them before they are sent)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_url, timeout=10, headers={
            "Authorization": f"Bearer {sandbox.admin_token}"}) as client:
        yield client


@pytest.mark.parametrize(("method", "path", "body", "message"), [
    ("PATCH", K + "/issues/1", {"state": "bogus"},
     "Invalid request.\n\nFor 'properties/state', \"bogus\" is not a member of enum."),
    ("POST", K + "/issues", {"title": "x", "labels": "bug"},
     "Invalid request.\n\nFor 'properties/labels', \"bug\" is not an array."),
    ("POST", K + "/issues", {"body": "no title"}, "Invalid request.\n\n\"title\" wasn't supplied."),
    ("PUT", K + "/pulls/1/merge", {"merge_method": "octopus"},
     "Invalid request.\n\nFor 'properties/merge_method', \"octopus\" is not a member of enum."),
    ("GET", K + "/issues?state=bogus", None,
     "Invalid request.\n\nFor 'state', \"bogus\" is not a member of enum."),
    ("GET", K + "/pulls?per_page=lots", None,
     "Invalid request.\n\nFor 'per_page', \"lots\" is not an integer."),
], ids=["enum", "string-for-array", "required", "merge-method", "query-enum", "query-type"])
def test_schema_failures_are_github_422s(api: httpx.Client, method: str, path: str,
                                         body: object, message: str) -> None:
    answer = api.request(method, path, json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert error["message"] == message
    assert error["errors"] and error["documentation_url"]


def test_unknown_milestone_and_assignee_are_refused(api: httpx.Client,
                                                    sandbox: SandboxHandle) -> None:
    before = len(sandbox.state()["repos"]["ipfs/kubo"]["issues"])
    ghost = api.post(K + "/issues", json={"title": "x", "milestone": 99})
    assert ghost.status_code == 422
    assert ghost.json()["errors"][0]["field"] == "milestone"
    nobody = api.post(K + "/issues", json={"title": "x", "assignees": ["no-such-user"]})
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0] == {"value": "no-such-user", "resource": "Issue",
                                          "field": "assignees", "code": "invalid"}
    assert "no-such-user" not in sandbox.sandbox.world.data["users"]
    assert len(sandbox.state()["repos"]["ipfs/kubo"]["issues"]) == before
    made = api.post(K + "/issues", json={"title": "x", "milestone": 1, "labels": ["bug"]})
    assert made.status_code == 201
    assert made.json()["milestone"]["number"] == 1


@pytest.mark.sandbox(rate_limit=4)
def test_primary_limit_per_token_with_free_304s(api: httpx.Client,
                                                sandbox: SandboxHandle) -> None:
    first = api.get(K)
    assert first.headers["x-ratelimit-limit"] == "4"
    assert first.headers["x-ratelimit-remaining"] == "3"
    etag = first.headers["etag"]
    assert api.get(K, headers={"if-none-match": etag}).status_code == 304
    for remaining in ("2", "1", "0"):
        assert api.get(K + "/branches").headers["x-ratelimit-remaining"] == remaining
    refused = api.get(K + "/branches")
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("API rate limit exceeded for user ID ")
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) > time.time()
    assert api.get(K, headers={"if-none-match": etag}).status_code == 304  # still free
    other = httpx.get(sandbox.api_url + K, headers={
        "Authorization": f"Bearer {sandbox.reviewer_token}"})
    assert other.status_code == 200  # counted per token
    assert api.get("/rate_limit").json()["rate"]["remaining"] == 0


@pytest.mark.sandbox(secondary_writes=3)
def test_secondary_limit_on_bursts_of_writes(api: httpx.Client) -> None:
    for n in range(3):
        assert api.post(K + "/issues/1/comments", json={"body": f"c{n}"}).status_code == 201
    burst = api.post(K + "/issues/1/comments", json={"body": "one too many"})
    assert burst.status_code == 403
    assert burst.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert 0 < int(burst.headers["retry-after"]) <= 61
    assert api.get(K + "/issues/1/comments").status_code == 200  # reads are not bursts


def test_issue_search_pages(api: httpx.Client) -> None:
    for n in range(3):
        api.post(K + "/issues", json={"title": f"flaky test {n}"}).raise_for_status()
    page = api.get("/search/issues", params={"q": "repo:ipfs/kubo flaky", "per_page": 2})
    assert page.json()["total_count"] == 3
    assert len(page.json()["items"]) == 2
    assert 'rel="next"' in page.headers["link"]
    last = api.get("/search/issues", params={"q": "repo:ipfs/kubo flaky", "per_page": 2,
                                            "page": 2})
    assert len(last.json()["items"]) == 1


def test_reviews_are_requested_from_known_users_only(api: httpx.Client,
                                                     sandbox: SandboxHandle) -> None:
    master = api.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    api.post(K + "/git/refs", json={"ref": "refs/heads/topic", "sha": master})
    api.put(K + "/contents/t.txt", json={"message": "t", "content": "dA==", "branch": "topic"})
    number = api.post(K + "/pulls", json={"title": "t", "head": "topic", "base": "master"}
                      ).json()["number"]
    ghost = api.post(K + f"/pulls/{number}/requested_reviewers", json={"reviewers": ["ghost"]})
    assert ghost.status_code == 422
    assert ghost.json()["message"].startswith("Reviews may only be requested from collaborators")
    assert "ghost" not in sandbox.sandbox.world.data["users"]
    alice = api.post(K + f"/pulls/{number}/requested_reviewers", json={"reviewers": ["alice"]})
    assert alice.status_code == 201
