"""The read-ahead batch answers each question exactly as the REST method would (#18).

Against the sandbox over HTTP (its GraphQL is cut from GitHub's published schema, and
validates every query against it): each question a check can declare is asked twice,
once through the REST method alone and once inside a read snapshot whose batch read it
ahead. The answers must be the same models, the batch must be one POST and the methods
it answered must send nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from cockpit.sandbox.testing import SandboxHandle
from cockpit.services import read_batch
from cockpit.services.github import Content, GitHubClient
from cockpit.services.http import RequestRecord
from cockpit.services.reads import (
    FileAt,
    IssuesOf,
    PullsFrom,
    Read,
    RefAt,
    ReleaseOf,
    ReleasesOf,
    RepoInfo,
    TagMade,
    ref_at_branch,
    ref_at_tag,
)
from cockpit.services.snapshot import reading_snapshot
from tests.github_setup import ensure_branch, ensure_pull

pytestmark = pytest.mark.sandbox(workflow_seconds=0.3)

KUBO = "ipfs/kubo"
Ask = Callable[[GitHubClient], Awaitable[Any]]

QUESTIONS: list[tuple[Read, Ask]] = [
    (RepoInfo(KUBO), lambda gh: gh.find_repo(KUBO)),
    (RepoInfo("ipfs/no-such-repo"), lambda gh: gh.find_repo("ipfs/no-such-repo")),
    (RepoInfo("ipfs/private-notes"), lambda gh: gh.find_repo("ipfs/private-notes")),
    (ref_at_branch(KUBO, "master"), lambda gh: gh.get_branch(KUBO, "master")),
    (ref_at_branch(KUBO, "no-such-branch"), lambda gh: gh.get_branch(KUBO, "no-such-branch")),
    (ref_at_tag(KUBO, "v0.29.0"), lambda gh: gh.get_tag_ref(KUBO, "v0.29.0")),
    (ref_at_tag(KUBO, "v9.9.9"), lambda gh: gh.get_tag_ref(KUBO, "v9.9.9")),
    (RefAt(KUBO, "heads/release-v0.30.0"), lambda gh: gh.get_ref(KUBO, "heads/release-v0.30.0")),
    (FileAt(KUBO, "version.go", "master"),
     lambda gh: gh.get_contents(KUBO, "version.go", ref="master")),
    (FileAt(KUBO, "version.go", "v0.29.0"),
     lambda gh: gh.get_contents(KUBO, "version.go", ref="v0.29.0")),
    (FileAt(KUBO, "version.go"), lambda gh: gh.get_contents(KUBO, "version.go")),
    (FileAt(KUBO, "no/such/file", "master"),
     lambda gh: gh.get_contents(KUBO, "no/such/file", ref="master")),
    (PullsFrom(KUBO, "release-v0.30.0", "release"),
     lambda gh: gh.find_pull(KUBO, "release-v0.30.0", "release")),
    (PullsFrom(KUBO, "no-such-branch", "master"),
     lambda gh: gh.find_pull(KUBO, "no-such-branch", "master")),
    (IssuesOf(KUBO), lambda gh: gh.find_issue(KUBO, "Release v0.30.0")),
    (IssuesOf(KUBO), lambda gh: gh.find_issue(KUBO, "Release v0.30.0", labels="release")),
    (ReleaseOf(KUBO, "v0.29.0"), lambda gh: gh.get_release_by_tag(KUBO, "v0.29.0")),
    (ReleaseOf(KUBO, "v9.9.9"), lambda gh: gh.get_release_by_tag(KUBO, "v9.9.9")),
    (ReleasesOf(KUBO), lambda gh: gh.list_releases(KUBO, limit=100)),
    (ReleaseOf(KUBO, "v0.30.0-rc1"), lambda gh: gh.find_release(KUBO, "v0.30.0-rc1")),  # draft
    (TagMade(KUBO, "v0.29.0"), lambda gh: gh.tag_made(KUBO, "v0.29.0")),  # annotated
    (TagMade(KUBO, "lightweight"), lambda gh: gh.tag_made(KUBO, "lightweight")),
    (TagMade(KUBO, "v9.9.9"), lambda gh: gh.tag_made(KUBO, "v9.9.9")),
]


async def world(gh: GitHubClient) -> None:
    """What the questions look at: a release branch and its pull request, a labelled
    tracking issue, a draft release, a lightweight tag, a private repository."""
    master = await gh.get_branch(KUBO, "master")
    assert master is not None
    if await gh.find_repo("ipfs/private-notes") is None:
        await gh.http.post("orgs/ipfs/repos", json={"name": "private-notes", "private": True,
                                                    "auto_init": True})
    if await gh.get_tag_ref(KUBO, "lightweight") is None:
        await gh.create_ref(KUBO, "refs/tags/lightweight", master.sha)
    await ensure_branch(gh, KUBO, "release-v0.30.0", master.sha)
    await ensure_pull(gh, KUBO, title="Release v0.30.0", head="release-v0.30.0",
                      base="release", body="")
    await gh.ensure_issue(KUBO, title="Release v0.30.0", body="the checklist",
                          labels=["release"])
    await gh.get_or_create(
        lambda: gh.find_release(KUBO, "v0.30.0-rc1"),
        lambda: gh.create_release(KUBO, tag="v0.30.0-rc1", name="v0.30.0-rc1", body="draft",
                                  prerelease=True, draft=True))


def dump(value: Any) -> Any:
    """A model as data; a file as what its readers use (REST sends base64 in lines,
    GraphQL the text: ``Content.text`` is the same)."""
    if isinstance(value, list):
        return [dump(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, Content):
        return {"path": value.path, "sha": value.sha, "type": value.type, "text": value.text}
    return value.model_dump() if value is not None else None


async def test_the_batch_answers_as_rest_does_in_one_request(sandbox: SandboxHandle) -> None:
    sent: list[RequestRecord] = []
    async with GitHubClient(sandbox.api_url, sandbox.admin_token,
                            on_request=sent.append) as gh:
        await world(gh)
        alone = [dump(await ask(gh)) for _, ask in QUESTIONS]
        rest = len(sent)
        assert rest > len(QUESTIONS) - 1  # each asked with its own request(s)

        sent.clear()
        with reading_snapshot():
            batch = read_batch.start(gh, [read for read, _ in QUESTIONS])
            assert batch is not None
            batched = [dump(await ask(gh)) for _, ask in QUESTIONS]
        assert batched == alone
        # One POST answered them all (the draft too: by tag, REST would not show it, and
        # the listing the batch read has it).
        assert [(r.method, r.url.rsplit("/", 1)[-1]) for r in sent] == [("POST", "graphql")]
        assert batch.cost is not None and 1 <= batch.cost <= 10


async def test_a_read_the_batch_does_not_have_is_asked_with_rest(
        sandbox: SandboxHandle) -> None:
    sent: list[RequestRecord] = []
    async with GitHubClient(sandbox.api_url, sandbox.admin_token,
                            on_request=sent.append) as gh:
        with reading_snapshot():
            batch = read_batch.start(gh, [RepoInfo(KUBO)])
            assert batch is not None
            await batch.done
            # Not declared: asked with REST. A directory: GraphQL has a tree, not REST's
            # listing, so the batch leaves it to REST too.
            assert await gh.get_branch(KUBO, "master") is not None
            assert await read_batch.answer(gh, FileAt(KUBO, "docs", "master")) \
                is read_batch.NOT_KNOWN
    assert [r.url.rsplit("/api/", 1)[-1] for r in sent] == \
        ["graphql", "v3/repos/ipfs/kubo/branches/master"]


async def test_answers_are_never_shared_between_tokens(sandbox: SandboxHandle) -> None:
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as admin, \
            GitHubClient(sandbox.api_url, sandbox.readonly_token) as reader:
        with reading_snapshot():
            batch = read_batch.start(admin, [RepoInfo(KUBO)])
            assert batch is not None
            await batch.done
            assert await read_batch.answer(admin, RepoInfo(KUBO)) is not read_batch.NOT_KNOWN
            assert await read_batch.answer(reader, RepoInfo(KUBO)) is read_batch.NOT_KNOWN


async def test_outside_a_snapshot_nothing_is_read_ahead(sandbox: SandboxHandle) -> None:
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        assert read_batch.start(gh, [RepoInfo(KUBO)]) is None
        assert await read_batch.answer(gh, RepoInfo(KUBO)) is read_batch.NOT_KNOWN


async def test_a_failed_batch_leaves_every_read_to_rest(sandbox: SandboxHandle) -> None:
    """A bad token: GitHub refuses the query (401); each method then meets REST's answer
    itself, exactly as without the batch."""
    async with GitHubClient(sandbox.api_url, "not-a-token") as gh:
        with reading_snapshot():
            batch = read_batch.start(gh, [RepoInfo(KUBO)])
            assert batch is not None
            assert await read_batch.answer(gh, RepoInfo(KUBO)) is read_batch.NOT_KNOWN
            assert batch.done.exception() is not None


async def test_a_read_only_session_may_send_the_query_but_never_a_mutation(
        sandbox: SandboxHandle) -> None:
    async with GitHubClient(sandbox.api_url, sandbox.admin_token, read_only=True) as gh:
        query = read_batch.build_query([RepoInfo(KUBO)])
        data, errors = await gh.graphql_partial(query.text, query.variables)
        assert errors == [] and data["r0"]["nameWithOwner"] == KUBO
        with pytest.raises(ValueError, match="queries only"):
            await gh.graphql_partial("mutation { closeIssue(input: {issueId: \"x\"}) "
                                     "{ clientMutationId } }")
