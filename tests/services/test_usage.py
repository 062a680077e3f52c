"""What a status says it cost: REST points and GraphQL points, apart and together (#18)."""

from __future__ import annotations

from cockpit.services.http import RequestRecord
from cockpit.services.usage import RequestUsage


def record(url: str, status: int | None, *, cached: bool = False) -> RequestRecord:
    method = "POST" if url.endswith("/graphql") else "GET"
    return RequestRecord("github", method, url, status, 0.1, "", from_cache=cached)


def test_graphql_is_counted_by_its_cost_not_as_a_rest_request() -> None:
    usage = RequestUsage()
    usage.add(record("https://api.github.com/repos/ipfs/kubo", 200))
    usage.add(record("https://api.github.com/repos/ipfs/kubo/branches/x", 304, cached=True))
    usage.add(record("https://api.github.com/graphql", 200))
    usage.add(record("https://api.github.com/repos/ipfs/kubo/pulls", None))  # no answer
    usage.add_graphql_cost(2)

    counts = usage.as_json()
    assert (counts["requests"], counts["not_modified"], counts["unanswered"]) == (3, 1, 1)
    assert (usage.rest_points, usage.graphql_points, usage.github_points) == (1, 2, 3)
    assert counts["by_service"]["github-graphql"] == {"requests": 1, "not_modified": 0}
    assert usage.summary() == ("3 requests, 1 answered from the cache (304), 3 GitHub "
                               "rate-limit points (1 REST, 2 GraphQL)")


def test_since_counts_only_what_came_after() -> None:
    usage = RequestUsage()
    usage.add(record("https://api.github.com/repos/ipfs/kubo", 200))
    before = usage.as_json()
    usage.add(record("https://api.github.com/repos/ipfs/kubo", 304, cached=True))
    assert usage.since(before) == ("1 requests, 1 answered from the cache (304), 0 GitHub "
                                   "rate-limit points")
    assert usage.since(before, short=True) == "1 req, 1 cached, 0 GitHub pts"
