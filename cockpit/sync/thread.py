"""The tracking issue as the home of the shared state: find it, read it, write to it.

Where it is comes from the playbook itself: the action of kind ``github.tracking-issue``
names the repository and the title, so a playbook needs no extra settings for sync,
and a playbook without one (a git-only test playbook) simply has no shared journal.

Reading lists the issue's comments through the shared HTTP layer, whose ETag cache
turns an unchanged listing into a 304 (free against GitHub's rate limit). The server's
``Date`` header gives the server's clock: leases are judged on it, never on ours.

Creating the issue is the one step no lock can guard (there is nowhere shared to lock
on before it exists, and GitHub has no create-if-absent for issues). ``bootstrap`` runs
the playbook's own tracking-issue action (get-or-create by title, from its template),
then looks again: if two drivers created it at the same moment, every open issue with
that title but the oldest is closed as a duplicate, by whichever driver sees it first,
so everyone converges on one. A closed duplicate may remain: the REST API cannot delete
issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from cockpit.errors import CockpitError
from cockpit.model import Status
from cockpit.playbook import render
from cockpit.secrets import find_token
from cockpit.services.github import Answer, Comment, GitHubClient, Issue
from cockpit.services.http import AmbiguousWriteError
from cockpit.sync.records import Claim, StageRecord, read_marker

if TYPE_CHECKING:
    from cockpit.engine import Engine

TRACKING_KIND = "github.tracking-issue"
T = TypeVar("T")


class NoTrackingIssue(CockpitError, RuntimeError):
    """The tracking issue is missing and could not be created: nothing to lock on."""


@dataclass(frozen=True)
class TrackingTarget:
    """Where the release's tracking issue is, per the playbook."""

    repo: str
    title: str
    stage: str
    action: str
    """The playbook action that creates it (run by ``bootstrap`` if it is missing)."""


def sync_client(engine: Engine) -> GitHubClient:
    """A GitHub client of its own (read-only in a read-only session): the journal's and
    the lock's calls stay out of the actions' logs and manual equivalents. They still
    count in what the session's requests cost, and share the user's ETag cache on disk."""
    session = engine.session
    return GitHubClient(session.settings.github_api_url, find_token("github"),
                        redact=session.redact, read_only=session.read_only,
                        on_request=session.usage.add, etag_store=session.etag_store())


def locate(engine: Engine) -> TrackingTarget | None:
    """The tracking issue the playbook creates, or None when it has none."""
    for stage in engine.playbook.stages:
        for spec in stage.actions:
            if spec.kind == TRACKING_KIND:
                params = render(spec.params, engine.values)
                return TrackingTarget(str(params["repo"]), str(params["title"]), stage.id,
                                      spec.id)
    return None


@dataclass(frozen=True)
class SeenClaim:
    """A claim comment as read back: the record plus the server's view of it."""

    comment_id: int
    created: datetime
    renewed: datetime
    """The comment's ``updated_at``: the server's time of the last renewal."""
    claim: Claim

    @property
    def expires(self) -> datetime:
        return self.renewed + timedelta(seconds=self.claim.lease_seconds)

    def expired(self, server_now: datetime, grace: float) -> bool:
        return server_now > self.expires + timedelta(seconds=grace)


@dataclass(frozen=True)
class SeenRecord:
    comment_id: int
    record: StageRecord


@dataclass
class Snapshot:
    """Everything the comments say, at one moment of the server's clock."""

    server_now: datetime
    changed: bool
    """False when the listing came back 304 (nothing new since the last read)."""
    claims: list[SeenClaim] = field(default_factory=list)
    records: dict[tuple[str, str], SeenRecord] = field(default_factory=dict)
    """(release, stage) → the journal comment of that stage."""

    def records_of(self, release: str) -> dict[str, StageRecord]:
        return {stage: seen.record for (rel, stage), seen in self.records.items()
                if rel == release}


def _server_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime.now(UTC)


class Thread:
    """The tracking issue's comments, read with ETags and written idempotently."""

    def __init__(self, gh: GitHubClient, target: TrackingTarget) -> None:
        self.gh = gh
        self.target = target
        self.issue: Issue | None = None
        self._offset = timedelta(0)
        """Server clock minus ours, from the last fresh ``Date`` header."""
        self.polls = 0
        self.not_modified = 0

    @property
    def repo(self) -> str:
        return self.target.repo

    @property
    def number(self) -> int:
        if self.issue is None:
            raise NoTrackingIssue(f"the tracking issue \"{self.target.title}\" in "
                                  f"{self.repo} has not been found yet")
        return self.issue.number

    def server_now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def _note_clock(self, answer: Answer[T]) -> T:
        """The answer's value, after taking the server's clock from it (when fresh)."""
        if answer.skew is not None:
            self._offset = answer.skew
        return answer.value

    # -- finding -----------------------------------------------------------------------------

    async def find(self) -> Issue | None:
        """The tracking issue (the client's lookup policy), remembered once found."""
        if self.issue is None:
            self.issue = await self.gh.find_issue(self.repo, self.target.title)
        return self.issue

    async def bootstrap(self, engine: Engine) -> Issue:
        """Find the issue, or create it with the playbook's own action; then dedupe."""
        if await self.find() is not None:
            assert self.issue is not None
            return self.issue
        stage = engine.stage(self.target.stage)
        spec = stage.action(self.target.action)
        action = engine.build(stage, spec) if spec is not None else None
        if action is None:
            raise NoTrackingIssue(f"no tracking issue \"{self.target.title}\" in {self.repo} "
                                  "and no implemented action to create it")
        try:
            if (await action.check()).status is Status.INCOMPLETE:
                await action.apply()
        except AmbiguousWriteError:
            pass  # looked up again below, like every ambiguous write
        except Exception as exc:
            raise NoTrackingIssue(
                f"no tracking issue \"{self.target.title}\" in {self.repo}, and creating it "
                f"failed: {exc}; stages cannot be locked until it exists") from None
        await self._close_duplicates()
        self.issue = None
        if await self.find() is None:
            raise NoTrackingIssue(f"the tracking issue \"{self.target.title}\" in "
                                  f"{self.repo} was not found after creating it")
        assert self.issue is not None
        return self.issue

    async def _close_duplicates(self) -> None:
        same = [i for i in await self.gh.list_issues(self.repo, state="open")
                if i.title == self.target.title]
        if len(same) < 2:
            return
        keep = min(same, key=lambda i: i.number)
        for issue in same:
            if issue.number != keep.number:
                await self.gh.update_issue(self.repo, issue.number, state="closed",
                                           state_reason="not_planned")

    # -- reading -----------------------------------------------------------------------------

    async def _comments(self) -> tuple[list[Comment], bool]:
        """Every comment; changed is False when every page was a 304."""
        answer = await self.gh.read_comments(self.repo, self.number)
        return self._note_clock(answer), answer.fresh

    async def snapshot(self) -> Snapshot:
        comments, changed = await self._comments()
        self.polls += 1
        self.not_modified += 0 if changed else 1
        snap = Snapshot(self.server_now(), changed)
        for comment in comments:
            claim = read_marker(comment.body, "claim", Claim)
            if claim is not None:
                snap.claims.append(SeenClaim(comment.id, _server_time(comment.created_at),
                                             _server_time(comment.updated_at), claim))
                continue
            record = read_marker(comment.body, "journal", StageRecord)
            if record is not None:
                key = (record.release, record.stage)
                if key not in snap.records:  # the oldest one is the journal's
                    snap.records[key] = SeenRecord(comment.id, record)
        return snap

    # -- writing -----------------------------------------------------------------------------

    async def post(self, body: str) -> Comment:
        return await self.gh.create_comment(self.repo, self.number, body)

    async def edit(self, comment_id: int, body: str) -> Comment | None:
        """Edit a comment; None when it is gone (withdrawn, or taken over)."""
        return self._note_clock(await self.gh.edit_comment(self.repo, comment_id, body))

    async def delete(self, comment_id: int) -> None:
        """Delete a comment; one already gone is fine (a delete is idempotent)."""
        await self.gh.delete_comment(self.repo, comment_id)

    async def issue_body(self) -> str:
        fresh = await self.gh.get_issue(self.repo, self.number)
        return fresh.body or ""

    async def set_issue_body(self, body: str) -> None:
        await self.gh.update_issue(self.repo, self.number, body=body)
