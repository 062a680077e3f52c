"""The GitHub client against the sandbox (GitHub's REST API subset over real git repos)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cockpit.context import ReadOnlyViolation
from cockpit.sandbox.seed import REVIEWER_LOGIN
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from cockpit.services.http import AmbiguousWriteError, HttpError, RequestRecord, RetryPolicy
from cockpit.sync.thread import Thread, TrackingTarget
from tests.github_setup import await_mergeable, ensure_branch, ensure_pull, ensure_release

pytestmark = pytest.mark.sandbox(workflow_seconds=0.3)

KUBO = "ipfs/kubo"


class Log:
    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.waits: list[tuple[float, str]] = []


@pytest.fixture
def log() -> Log:
    return Log()


def client(sb: SandboxHandle, log: Log, token: str | None = None, **kw: Any) -> GitHubClient:
    kw.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05))
    return GitHubClient(sb.api_url, token or sb.admin_token, on_request=log.records.append,
                        on_wait=lambda s, r: log.waits.append((s, r)), **kw)


@pytest.fixture
async def gh(sandbox: SandboxHandle, log: Log) -> AsyncIterator[GitHubClient]:
    async with client(sandbox, log) as c:
        yield c


async def test_reads(gh: GitHubClient, log: Log, sandbox: SandboxHandle) -> None:
    assert (await gh.user()).login == "release-driver"
    assert (await gh.rate_limit()).core.limit > 0
    repo = await gh.get_repo(KUBO)
    assert repo.default_branch == "master"
    master = await gh.get_branch(KUBO, "master")
    assert master is not None and len(master.sha) == 40
    assert await gh.get_branch(KUBO, "no-such-branch") is None
    assert "master" in [b.name for b in await gh.list_branches(KUBO)]
    version = await gh.get_contents(KUBO, "version.go", ref="master")
    assert version is not None and "CurrentVersionNumber" in version.text
    assert await gh.get_contents(KUBO, "nope.txt") is None
    cmp = await gh.compare(KUBO, "release", "master")
    assert cmp.status in ("ahead", "diverged") and cmp.commits
    tag = await gh.get_tag_ref(KUBO, "v0.29.0")
    assert tag is not None and tag.ref == "refs/tags/v0.29.0"
    previous = await gh.get_release_by_tag(KUBO, "v0.29.0")
    assert previous is not None and not previous.prerelease
    assert len(await gh.list_release_assets(KUBO, previous.id)) == 3
    assert (await gh.latest_release(KUBO)) == previous
    assert await gh.get_release_by_tag(KUBO, "v9.9.9") is None
    old = await gh.find_issue(KUBO, "Release v0.29.0")
    assert old is not None and old.state == "closed"
    assert [c.body for c in await gh.list_comments(KUBO, old.number)] == ["Kubo v0.29.0 is out!"]
    milestone = await gh.find_milestone(KUBO, "v0.30.0")
    assert milestone is not None
    in_ms = await gh.list_issues(KUBO, state="all", milestone=milestone.number)
    assert [i.title for i in in_ms] == ["rcmgr: connection limits too low"]
    found = await gh.search_issues(f'repo:{KUBO} is:issue in:title "Release v0.29.0"')
    assert [i.number for i in found] == [old.number]
    assert all(r.manual.startswith("gh api ") for r in log.records)
    assert sandbox.requests(mutating=True) == []


async def test_release_branch_pull_and_merge_are_get_or_create(
        gh: GitHubClient, sandbox: SandboxHandle, log: Log) -> None:
    release = await gh.get_branch(KUBO, "release")
    assert release is not None
    branch, created = await ensure_branch(gh, KUBO, "release-v0.30.0", release.sha)
    again, created_again = await ensure_branch(gh, KUBO, "release-v0.30.0", release.sha)
    assert created and not created_again and branch.sha == again.sha == release.sha

    current = await gh.get_contents(KUBO, "version.go", ref="release-v0.30.0")
    assert current is not None
    text = current.text.replace('"0.29.0"', '"0.30.0"')
    commit = await gh.put_contents(KUBO, "version.go", text, "chore: version 0.30.0",
                                   "release-v0.30.0", sha=current.sha)
    assert len(commit) == 40

    pull, created = await ensure_pull(gh, KUBO, title="Release v0.30.0", head="release-v0.30.0",
                                         base="release", body="notes")
    same, created_again = await ensure_pull(gh, KUBO, title="Release v0.30.0",
                                               head="release-v0.30.0", base="release")
    assert created and not created_again and same.number == pull.number
    assert pull.head.sha == commit
    assert any(r.manual.startswith("gh api -X POST ") and "repos/ipfs/kubo/pulls" in r.manual
               and "-f head=release-v0.30.0" in r.manual for r in log.records)

    await gh.request_reviewers(KUBO, pull.number, ["alice"])
    updated = await gh.update_pull(KUBO, pull.number, body="notes, updated")
    assert updated.body == "notes, updated"
    assert not await gh.is_merged(KUBO, pull.number)
    await await_mergeable(gh, KUBO, pull.number)  # release is protected
    sha = await gh.merge_pull(KUBO, pull.number, merge_method="merge")
    assert await gh.is_merged(KUBO, pull.number)
    merged = await gh.find_pull(KUBO, "release-v0.30.0", "release")
    assert merged is not None and merged.is_merged and merged.merge_commit_sha == sha
    assert len(sandbox.state()["repos"][KUBO]["pulls"]) == 1


async def test_release_issue_and_comments(gh: GitHubClient, sandbox: SandboxHandle) -> None:
    rel, created = await ensure_release(gh, KUBO, tag="v0.29.0", name="v0.29.0", body="x")
    assert not created  # exists already: nothing sent
    issue, created = await gh.ensure_issue(KUBO, title="Release v0.30.0", body="- [ ] tag",
                                           labels=["kind/release"])
    again, created_again = await gh.ensure_issue(KUBO, title="Release v0.30.0")
    assert created and not created_again and again.number == issue.number
    comment = await gh.create_comment(KUBO, issue.number, "claim: tag")
    edited = await gh.update_comment(KUBO, comment.id, "claim: tag (released)")
    assert edited.body == "claim: tag (released)"
    closed = await gh.update_issue(KUBO, issue.number, state="closed")
    assert closed.state == "closed"
    assert rel.tag_name == "v0.29.0"


async def test_issue_lookup_policy_open_before_closed(gh: GitHubClient) -> None:
    """One lookup for every caller: exact title; an open issue over a closed one, whether
    the closed one is older (closed #N, open #N+1) or newer; among closed ones the newest."""
    title = "Release v0.31.0"
    closed = await gh.create_issue(KUBO, title=title, body="given up")
    await gh.update_issue(KUBO, closed.number, state="closed", state_reason="not_planned")
    current = await gh.create_issue(KUBO, title=title, body="the real one")
    await gh.create_issue(KUBO, title=f"{title} (notes)")  # not an exact match
    assert current.number == closed.number + 1  # closed #N, open #N+1 (the issue's #3/#4)
    found = await gh.find_issue(KUBO, title)
    assert found is not None and found.number == current.number and found.state == "open"
    # The sync thread (tracking issue), the release links and the kinds share it.
    thread = Thread(gh, TrackingTarget(KUBO, title, "tracking", "issue"))
    assert (await thread.find()) == found

    newer_closed = await gh.create_issue(KUBO, title=title)
    await gh.update_issue(KUBO, newer_closed.number, state="closed")
    found = await gh.find_issue(KUBO, title)
    assert found is not None and found.number == current.number  # open beats newer closed

    await gh.update_issue(KUBO, current.number, state="closed")
    found = await gh.find_issue(KUBO, title)  # only closed ones: the newest
    assert found is not None and found.number == newer_closed.number
    assert await gh.find_issue(KUBO, title, include_closed=False) is None

    # Two open ones (two drivers raced): the oldest, the one the sync keeps open.
    first = await gh.create_issue(KUBO, title="Release v0.32.0")
    await gh.create_issue(KUBO, title="Release v0.32.0")
    found = await gh.find_issue(KUBO, "Release v0.32.0")
    assert found is not None and found.number == first.number


async def test_comment_reads_say_fresh_and_edits_of_gone_comments_are_none(
        gh: GitHubClient) -> None:
    issue = await gh.create_issue(KUBO, title="Release v0.31.0")
    comment = await gh.create_comment(KUBO, issue.number, "claim <!-- m -->")
    first = await gh.read_comments(KUBO, issue.number)
    again = await gh.read_comments(KUBO, issue.number)
    assert [c.id for c in first.value] == [c.id for c in again.value] == [comment.id]
    assert first.fresh and first.skew is not None and not again.fresh
    assert (await gh.find_comment(KUBO, issue.number, "<!-- m -->")) == comment
    edited = await gh.edit_comment(KUBO, comment.id, "renewed <!-- m -->")
    assert edited.value is not None and edited.value.body == "renewed <!-- m -->"
    await gh.delete_comment(KUBO, comment.id)
    await gh.delete_comment(KUBO, comment.id)  # gone already: fine
    assert (await gh.edit_comment(KUBO, comment.id, "x")).value is None
    assert await gh.find_comment(KUBO, issue.number, "<!-- m -->") is None


async def test_tag_release_and_workflow_log(gh: GitHubClient, sandbox: SandboxHandle,
                                            log: Log) -> None:
    release = await gh.get_branch(KUBO, "release")
    assert release is not None
    tag = await gh.create_tag_object(KUBO, "v0.30.0-rc1", "Prerelease 0.30.0-rc1", release.sha)
    await gh.create_ref(KUBO, "refs/tags/v0.30.0-rc1", tag.sha)
    ref = await gh.get_tag_ref(KUBO, "v0.30.0-rc1")
    assert ref is not None and ref.object.type == "tag"
    assert (await gh.get_tag_object(KUBO, ref.object.sha)).object.sha == release.sha
    made, created = await ensure_release(gh, KUBO, tag="v0.30.0-rc1", name="v0.30.0-rc1",
                                            body="See the changelog", prerelease=True)
    assert created and made.prerelease
    edited = await gh.update_release(KUBO, made.id, body="See the changelog.\n\nTracking: #3")
    assert edited.body is not None and "Tracking" in edited.body

    workflows = {w.file: w for w in await gh.list_workflows(KUBO)}
    assert "sync-release-assets.yml" in workflows
    await gh.dispatch_workflow(KUBO, "sync-release-assets.yml", "master",
                               {"tag": "v0.30.0-rc1"})
    deadline = time.monotonic() + 20
    while True:
        runs = await gh.list_runs(KUBO, "sync-release-assets.yml", event="workflow_dispatch")
        if runs and runs[0].status == "completed":
            break
        assert time.monotonic() < deadline, runs
        await asyncio.sleep(0.1)
    jobs = await gh.list_jobs(KUBO, runs[0].id)
    assert jobs and (await gh.get_run(KUBO, runs[0].id)).id == runs[0].id
    text = await gh.job_log(KUBO, jobs[0].id)
    assert text.strip()
    blob = [r for r in log.records if "_blobs" in r.url]
    assert blob and "Authorization" not in blob[0].manual and "--hostname" not in blob[0].manual


async def test_read_only_client_sends_no_write(sandbox: SandboxHandle, log: Log) -> None:
    async with client(sandbox, log, sandbox.readonly_token, read_only=True) as ro:
        assert (await ro.get_repo(KUBO)).full_name == KUBO
        with pytest.raises(ReadOnlyViolation):
            await ro.ensure_issue(KUBO, title="Release v0.30.0")
        with pytest.raises(ReadOnlyViolation):
            await ro.dispatch_workflow(KUBO, "docker.yml", "master")
    assert sandbox.requests(mutating=True) == []
    assert sandbox.readonly_token not in " ".join(r.manual + r.url for r in log.records)


async def test_faults_are_survived(sandbox: SandboxHandle, log: Log) -> None:
    sandbox.set_faults("502:req=1,drop:req=2,secondary:req=3,ratelimit:req=4")
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the waits are asserted, not sat through
        slept.append(seconds)

    async with client(sandbox, log, sleep=sleep) as gh:
        repo = await gh.get_repo(KUBO)  # 502, drop, 429, 403-limit, then the answer
    assert repo.full_name == KUBO
    assert [r.status for r in log.records] == [502, None, 429, 403, 200]
    reasons = " | ".join(reason for _, reason in log.waits)
    assert "Retry-After" in reasons and "until reset" in reasons
    assert len(slept) == 4 and slept[2] == 1.0 and 1.0 <= slept[3] <= 4.0


async def test_ambiguous_create_is_rechecked_not_repeated(sandbox: SandboxHandle,
                                                          log: Log) -> None:
    async with client(sandbox, log) as gh:
        master = await gh.get_branch(KUBO, "master")
        assert master is not None
        await ensure_branch(gh, KUBO, "release-v0.30.0", master.sha)
        # ensure_pull: request 1 lists pulls, request 2 creates — and is dropped.
        sandbox.set_faults("drop:req=2")
        with pytest.raises(AmbiguousWriteError):
            await ensure_pull(gh, KUBO, title="Release v0.30.0", head="release-v0.30.0",
                                 base="release")
        posts = [r for r in sandbox.requests(mutating=True) if r.get("fault") == "drop"]
        assert len(posts) == 1  # exactly one POST left; it was not retried blindly
        pull, created = await ensure_pull(gh, KUBO, title="Release v0.30.0",
                                             head="release-v0.30.0", base="release")
    assert created and pull.head.ref == "release-v0.30.0"
    assert len(sandbox.state()["repos"][KUBO]["pulls"]) == 1


async def test_http_errors_from_github_are_actionable(sandbox: SandboxHandle, log: Log) -> None:
    async with client(sandbox, log, "ghp_wrongtoken123456") as bad:
        with pytest.raises(HttpError) as err:
            await bad.user()
    assert err.value.status == 401 and "COCKPIT_GITHUB_TOKEN" in str(err.value)
    assert "ghp_wrongtoken123456" not in str(err.value)
    async with client(sandbox, log) as gh:
        with pytest.raises(HttpError) as missing:
            await gh.get_repo("ipfs/nope")
    assert missing.value.status == 404 and "not found" in missing.value.hint


async def test_gpg_keys_of_an_account(gh: GitHubClient, sandbox: SandboxHandle) -> None:
    from tests.gpgkeys import gpg_key, register

    with gpg_key("Keyed Driver <keyed@example.invalid>") as key:
        assert not [k for k in await gh.gpg_keys("release-driver") if k.matches(key.key_id)]
        register(sandbox.api_url, sandbox.admin_token, key)
        keys = await gh.gpg_keys("release-driver")
    (found,) = [k for k in keys if k.matches(key.fingerprint)]
    assert found.key_id == key.key_id and found.can_sign and not found.revoked
    assert found.matches(key.key_id.lower())
    assert not [k for k in await gh.gpg_keys(REVIEWER_LOGIN) if k.matches(key.key_id)]
