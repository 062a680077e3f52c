"""What a session's requests cost: how many went out, how many were free 304s, and the
GitHub rate-limit points they used.

Why count: every driver, shadow and second machine pays for reading the release's
state, and GitHub's 5,000 points an hour are shared by every tool on the account. A
status that says what it cost lets a maintainer see the ETag cache working (a
repeated status is mostly 304s, which GitHub does not count) and notice when a
playbook grows expensive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the first screen paints before httpx is imported
    from cockpit.services.http import RequestRecord


GRAPHQL = "github-graphql"
"""The service GitHub's GraphQL calls are counted under (``by_service``)."""


@dataclass
class RequestUsage:
    """Running totals over the ``RequestRecord``s a session hears (every attempt)."""

    answered: Counter[str] = field(default_factory=Counter)
    """Attempts that got an HTTP answer, by service."""
    not_modified: Counter[str] = field(default_factory=Counter)
    """Of those, the 304s that revalidated a cached answer (free on GitHub)."""
    unanswered: Counter[str] = field(default_factory=Counter)
    """Attempts that got no answer (refused before sending, timed out, dropped)."""
    graphql_points: int = 0
    """GitHub's GraphQL points spent (its own budget of 5,000 an hour): each query's
    ``rateLimit { cost }``, as the read-ahead batch reports it (``add_graphql_cost``)."""

    def add(self, record: RequestRecord) -> None:
        service = record.service
        if service == "github" and record.url.endswith("/graphql"):
            service = GRAPHQL  # not a REST point: its cost is counted apart
        if record.status is None:
            self.unanswered[service] += 1
            return
        self.answered[service] += 1
        if record.from_cache:
            self.not_modified[service] += 1

    def add_graphql_cost(self, points: int) -> None:
        self.graphql_points += points

    @property
    def rest_points(self) -> int:
        """GitHub's REST (core) rate limit spent: every answered REST request but a 304."""
        return self.answered["github"] - self.not_modified["github"]

    @property
    def github_points(self) -> int:
        """GitHub's rate-limit points spent: REST's plus GraphQL's (two budgets of 5,000
        an hour each; one number is what a driver compares)."""
        return self.rest_points + self.graphql_points

    def as_json(self) -> dict[str, Any]:
        return {"requests": sum(self.answered.values()),
                "not_modified": sum(self.not_modified.values()),
                "unanswered": sum(self.unanswered.values()),
                "github_points": self.github_points,
                "github_rest_points": self.rest_points,
                "github_graphql_points": self.graphql_points,
                "by_service": {service: {"requests": n, "not_modified": self.not_modified[service]}
                               for service, n in sorted(self.answered.items())}}

    def summary(self) -> str:
        """One line for a footer or the end of ``cockpit status``."""
        return _summary(self.as_json())

    def since(self, before: dict[str, Any], *, short: bool = False) -> str:
        """``summary()`` of what was spent after ``before`` (an earlier ``as_json()``);
        ``short`` for a narrow status line."""
        now = self.as_json()
        return _summary({key: now[key] - before[key]
                         for key in ("requests", "not_modified", "github_points",
                                     "github_rest_points", "github_graphql_points")},
                        short=short)


def _summary(counts: dict[str, Any], *, short: bool = False) -> str:
    if short:
        return (f"{counts['requests']} req, {counts['not_modified']} cached, "
                f"{counts['github_points']} GitHub pts")
    graphql = counts["github_graphql_points"]
    split = f" ({counts['github_rest_points']} REST, {graphql} GraphQL)" if graphql else ""
    return (f"{counts['requests']} requests, {counts['not_modified']} answered from the cache "
            f"(304), {counts['github_points']} GitHub rate-limit points{split}")
