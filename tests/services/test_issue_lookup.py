"""An issue found by title in a repository of more than a page of issues: two questions,
the same answer as reading them all.

Kubo has over ten thousand issues and pull requests; ``find_issue`` used to page through
every one of them for each tracking-issue lookup. The sandbox here holds 150 issues from
yesterday and a tracking issue opened just now, and its search index lags an hour behind
(as GitHub's lags behind writes, for seconds): the old issues are found by search, the
fresh one by the newest page, and the answers are those of the whole listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from cockpit.sandbox.testing import SandboxHandle
from cockpit.services import read_batch
from cockpit.services.github import GitHubClient, Issue
from cockpit.services.reads import IssuesOf
from cockpit.services.snapshot import reading_snapshot

pytestmark = pytest.mark.sandbox(search_lag_seconds=3600)

KUBO = "ipfs/kubo"
OLD_TITLES = {7: ("Release v0.1.0", "closed"), 9: ("Release v0.1.0", "closed"),
              40: ("Release v0.2.0", "open"), 41: ("Release v0.2.0", "open")}
"""Issues among yesterday's, by their place: a retried release and a raced one."""


def yesterdays_issues(handle: SandboxHandle, count: int) -> None:
    """``count`` issues created yesterday (in the search index by now), as the world's
    own history: GitHub's API cannot backdate an issue."""
    world = handle.sandbox.world
    repo = world.data["repos"][KUBO]
    when = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for n in range(count):
        title, state = OLD_TITLES.get(n, (f"Chore {n}", "open"))
        repo["issues"].append({
            "number": world.next_number(repo), "id": world.new_id(), "title": title,
            "body": "", "state": state, "state_reason": None, "user": "release-driver",
            "labels": [], "assignees": [], "milestone": None, "locked": False,
            "created_at": when, "updated_at": when,
            "closed_at": when if state == "closed" else None, "pull": None})
    world.save()


@pytest.fixture
async def gh(sandbox: SandboxHandle) -> AsyncIterator[GitHubClient]:
    yesterdays_issues(sandbox, 150)
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as client:
        await client.create_issue(KUBO, title="Release v0.30.0")  # not searchable for an hour
        yield client


def by_policy(issues: list[Issue], title: str) -> int | None:
    """``find_issue``'s policy over every issue: the oldest open, else the newest closed."""
    matches = [i for i in issues if i.title == title and not i.is_pull]
    open_ = [i.number for i in matches if i.state == "open"]
    closed = [i.number for i in matches if i.state != "open"]
    return min(open_) if open_ else max(closed) if closed else None


async def test_a_title_among_many_issues_is_two_questions_with_the_whole_listing_answer(
        gh: GitHubClient, sandbox: SandboxHandle) -> None:
    everything = await gh.list_issues(KUBO, state="all")
    assert len(everything) > 150
    titles = ["Release v0.1.0", "Release v0.2.0", "Release v0.30.0", "Release v9.9.9"]
    for title in titles:
        before = len(sandbox.requests())
        found = await gh.find_issue(KUBO, title)
        asked = [f"{r['path']}?{r['query']}" for r in sandbox.requests()[before:]]
        assert (found.number if found else None) == by_policy(everything, title), title
        assert len(asked) == 2, asked
        assert asked[0].endswith("/repos/ipfs/kubo/issues?state=all&sort=created&"
                                 "direction=desc&per_page=100"), asked
        assert "/search/issues?" in asked[1], asked
    fresh = await gh.find_issue(KUBO, "Release v0.30.0")
    assert fresh is not None and fresh.state == "open"  # found while search cannot see it
    search = await gh.search_issues(f'repo:{KUBO} is:issue in:title "Release v0.30.0"')
    assert search == [], "the sandbox's search index lags: the newest page found it"


async def test_inside_a_status_snapshot_the_read_ahead_leaves_it_to_the_two_questions(
        gh: GitHubClient, sandbox: SandboxHandle) -> None:
    """The read-ahead's one page of issues says there are more: the lookup does not trust
    it, and asks the two questions (once, however many checks ask)."""
    with reading_snapshot():
        batch = read_batch.start(gh, [IssuesOf(KUBO)])
        assert batch is not None
        assert await read_batch.answer(gh, IssuesOf(KUBO)) is read_batch.NOT_KNOWN
        before = len(sandbox.requests())
        first = await gh.find_issue(KUBO, "Release v0.2.0")
        again = await gh.find_issue(KUBO, "Release v0.2.0")
        asked = sandbox.requests()[before:]
    assert first is not None and again is not None and first.number == again.number
    assert [r["path"] for r in asked] == ["/api/v3/repos/ipfs/kubo/issues", "/api/v3/search/issues"]
