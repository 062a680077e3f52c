"""The two-person rule on points of no return: review requests and approvals on the
tracking issue.

A step marked ``review = "required"`` (Kubo's tag push) is not applied on one person's
word. Before applying it, the driver's run computes the step's facts (``review_facts()``
of its kind: for a tag, the commit the branch points at now, its subject, the exact
command, and for a signed one the driver's key and whether GitHub has it registered for
the driver's account) and posts a *request* on the release's tracking issue: one comment
per release and action, found again by its hidden marker and edited, never duplicated.
Then it waits.

A second maintainer runs ``cockpit review --release V --approve STAGE/ACTION`` on their
own machine with their own token. Their cockpit recomputes the facts from the services
(it never trusts the driver's text: only what no service can tell, the driver's local
signing key, is taken from the request as a claim, and checked against GitHub for the
request's author) and shows both side by side. If they agree, the kind sees no reason to
refuse them (``review_refusal``: a key GitHub does not have) and the reviewer says yes,
it posts an *approval* bound to a hash of those facts and to the request's round.

The driver proceeds only on an approval whose author (GitHub's ``user.login`` of the
comment, not what the record says) is another account than the driver's, whose hash
equals the facts recomputed now, and whose round is the request's current one: when the
facts change (the branch moved), the request is edited into a new round and every
earlier approval is void for good, even if the branch moves back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from cockpit.engine import Verdict
from cockpit.errors import BadInput
from cockpit.model import Status, Version
from cockpit.prompts import fill_notation
from cockpit.services.github import Comment
from cockpit.services.http import AmbiguousWriteError
from cockpit.sync.records import defuse, marker, read_marker
from cockpit.sync.thread import Thread

if TYPE_CHECKING:
    from cockpit.engine import Engine

R = TypeVar("R", bound=BaseModel)
REQUEST, APPROVAL = "review", "approval"
"""The marker kinds: ``<!-- cockpit:review {…} -->`` and ``<!-- cockpit:approval {…} -->``."""


class ReviewRefused(BadInput, ValueError):
    """``cockpit review`` will not approve: own account, other facts, another release, or
    nothing pending (exit 2; nothing was posted)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")

    v: int = 1


class ReviewRequest(_Record):
    """What the driver asks a second maintainer to check, and who asks."""

    release: str
    stage: str
    action: str
    title: str
    facts: dict[str, str]
    digest: str
    round: int = 1
    """Bumped whenever the facts change: approvals of an earlier round are void."""
    changed: list[str] = []
    """The facts that differed when the round was last bumped (``commit``: a moved branch)."""
    driver: str
    """``driver@host``, for people; the account that may not approve is the comment's author."""
    requested: datetime


class Approval(_Record):
    """A second maintainer's approval of one round of one request's facts."""

    release: str
    stage: str
    action: str
    digest: str
    round: int
    reviewer: str
    """``login@host``, for people; what counts is the comment's author."""
    approved: datetime


def digest(release: str, stage: str, action: str, facts: dict[str, str]) -> str:
    """The hash an approval is bound to: these facts, of this action, of this release."""
    text = json.dumps({"release": release, "stage": stage, "action": action, "facts": facts},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Seen(Generic[R]):
    """A marked comment as read back, with its author as GitHub says it."""

    comment: Comment
    record: R

    @property
    def author(self) -> str:
        return self.comment.user.login if self.comment.user else ""


@dataclass
class Reviews:
    """Every review request and approval on the tracking issue."""

    requests: list[Seen[ReviewRequest]]
    approvals: list[Seen[Approval]]

    def request(self, release: str, stage: str, action: str) -> Seen[ReviewRequest] | None:
        """The request of this release and action (the oldest, should two have raced)."""
        return next((s for s in self.requests if (s.record.release, s.record.stage,
                                                  s.record.action) == (release, stage, action)),
                    None)

    def approvals_of(self, request: ReviewRequest) -> list[Seen[Approval]]:
        return [a for a in self.approvals
                if (a.record.release, a.record.stage, a.record.action)
                == (request.release, request.stage, request.action)]


async def read_reviews(thread: Thread) -> Reviews:
    comments = (await thread.gh.read_comments(thread.repo, thread.number)).value
    found = Reviews([], [])
    for comment in comments:
        request = read_marker(comment.body, REQUEST, ReviewRequest)
        if request is not None:
            found.requests.append(Seen(comment, request))
        approval = read_marker(comment.body, APPROVAL, Approval)
        if approval is not None:
            found.approvals.append(Seen(comment, approval))
    return found


def _cell(text: str) -> str:
    return defuse(text).replace("|", "\\|").replace("\n", "<br>")


def command_for(release: str, version: str, stage: str, action: str) -> str:
    return f"cockpit review --release {version} --approve {stage}/{action}"


def render_request(request: ReviewRequest, version: str) -> str:
    lines = [f"🔎 **cockpit** · `{request.release}` · review requested: "
             f"**{_cell(request.title)}** (`{request.stage}/{request.action}`)",
             "",
             "A point of no return. A second maintainer checks these facts on their own "
             "machine (the cockpit recomputes them there), then approves with",
             f"`{command_for(request.release, version, request.stage, request.action)}`.",
             "", "| fact | value |", "| --- | --- |",
             *(f"| {_cell(name)} | `{_cell(value)}` |" for name, value in request.facts.items()),
             "",
             f"Requested by {request.driver} · round {request.round}"
             + (f" (new facts: {', '.join(request.changed)}; earlier approvals are void)"
                if request.changed else ""),
             "", marker(REQUEST, request)]
    return "\n".join(lines)


def render_approval(approval: Approval, request: Seen[ReviewRequest]) -> str:
    return (f"✅ **cockpit** · `{approval.release}` · `{approval.stage}/{approval.action}` "
            f"approved by {approval.reviewer}: the facts of round {approval.round} of "
            f"[the request]({request.comment.html_url}) match what their cockpit computed "
            f"(`{approval.digest[:12]}`).\n\n{marker(APPROVAL, approval)}")


# -- the driver's side ---------------------------------------------------------------------


class ReviewDesk:
    """The engine's ``ReviewGate`` on the tracking issue, for one driver's run."""

    def __init__(self, engine: Engine, thread: Thread) -> None:
        self.engine = engine
        self.thread = thread
        self._login: str | None = None

    async def login(self) -> str:
        """The driver's GitHub account: approvals from it do not count."""
        if self._login is None:
            self._login = (await self.thread.gh.user()).login
        return self._login

    async def verdict(self, stage: str, action_id: str, facts: dict[str, str]) -> Verdict:
        release = self.engine.release_key
        me = await self.login()
        reviews = await read_reviews(self.thread)
        seen = reviews.request(release, stage, action_id)
        request = await self._ask(seen, stage, action_id, facts)
        approvals = reviews.approvals_of(request)
        valid = [a for a in approvals if a.record.digest == request.digest
                 and a.record.round == request.round and a.author not in ("", me)]
        if valid:
            who = ", ".join(sorted({a.author for a in valid}))
            return Verdict(True, f"review: approved by {who} (round {request.round}, facts "
                                 f"{request.digest[:12]} recomputed now and unchanged)")
        return Verdict(False, self._waiting(request, approvals, me))

    async def _ask(self, seen: Seen[ReviewRequest] | None, stage: str, action_id: str,
                   facts: dict[str, str]) -> ReviewRequest:
        """The request as it stands on the issue, posted or edited to these facts."""
        engine = self.engine
        release = engine.release_key
        hashed = digest(release, stage, action_id, facts)
        if seen is not None and seen.record.digest == hashed:
            return seen.record
        spec = engine.stage(stage).action(action_id)
        driver = engine.session.release
        request = ReviewRequest(
            release=release, stage=stage, action=action_id,
            title=fill_notation(spec.title if spec else action_id, engine.session.version),
            facts=facts, digest=hashed,
            round=seen.record.round + 1 if seen else 1,
            changed=sorted(k for k in {*facts, *seen.record.facts}
                           if facts.get(k) != seen.record.facts.get(k)) if seen else [],
            driver=f"{driver.driver}@{driver.host}" if driver else "",
            requested=datetime.now(UTC))
        body = render_request(request, self._version())
        if seen is not None and await self.thread.edit(seen.comment.id, body) is not None:
            return request
        try:
            await self.thread.post(body)
        except AmbiguousWriteError:
            again = (await read_reviews(self.thread)).request(release, stage, action_id)
            if again is None:
                raise
            return again.record
        return request

    def _version(self) -> str:
        version = self.engine.session.version
        return version.tag if isinstance(version, Version) else str(version)

    def _waiting(self, request: ReviewRequest, approvals: list[Seen[Approval]],
                 me: str) -> str:
        parts = [f"a second maintainer approves with `"
                 f"{command_for(request.release, self._version(), request.stage, request.action)}`"]
        void = sorted({a.author for a in approvals if a.record.round != request.round
                       or a.record.digest != request.digest})
        if void:
            what = ", ".join(request.changed) or "the facts"
            parts.append(f"the approval by {', '.join(void)} was for earlier facts and is void "
                         f"({what} changed since: a moved branch or another SHA voids it)")
        if any(a.author == me for a in approvals if a.record.round == request.round):
            parts.append(f"an approval from your own account ({me}) does not count")
        return "; ".join(parts)


# -- the reviewer's side -------------------------------------------------------------------


@dataclass(frozen=True)
class FactRow:
    name: str
    requested: str | None
    here: str | None

    @property
    def same(self) -> bool:
        return self.requested == self.here


def compare(requested: dict[str, str], here: dict[str, str]) -> list[FactRow]:
    names = [*requested, *(k for k in here if k not in requested)]
    return [FactRow(name, requested.get(name), here.get(name)) for name in names]


def side_by_side(rows: list[FactRow]) -> list[str]:
    """``✔ commit  abc…`` for a fact both agree on; both values under a ``✘`` otherwise."""
    width = max((len(r.name) for r in rows), default=0)
    lines: list[str] = []
    for row in rows:
        if row.same:
            first, *more = (row.here or "").splitlines() or [""]
            lines.append(f"  ✔ {row.name:<{width}}  {first}")
            lines += [f"    {'':<{width}}  {line}" for line in more]
        else:
            lines.append(f"  ✘ {row.name:<{width}}  request: {row.requested or '(absent)'}")
            lines.append(f"    {'':<{width}}  here:    {row.here or '(absent)'}")
    return lines


Say = Callable[[str], None]
Confirm = Callable[[str, list[FactRow]], Awaitable[bool]]
"""Asked before posting: the question and the facts as computed just now."""


class Reviewer:
    """``cockpit review``: this machine's account checks a driver's request."""

    def __init__(self, engine: Engine, thread: Thread, say: Say) -> None:
        self.engine = engine
        self.thread = thread
        self.say = say

    async def pending(self, *, show: bool = True) -> list[Seen[ReviewRequest]]:
        """This release's requests whose step is not done yet (``show``: each side by
        side)."""
        found = await self.compared()
        for seen, rows in found if show else []:
            self.say(f"{seen.record.stage}/{seen.record.action}: {seen.record.title} "
                     f"(asked by {seen.author}, round {seen.record.round})")
            self.say("\n".join(side_by_side(rows)))
        return [seen for seen, _ in found]

    async def compared(self) -> list[tuple[Seen[ReviewRequest], list[FactRow]]]:
        """Each pending request of this release with its facts beside this machine's."""
        if await self.thread.find() is None:
            return []
        reviews = await read_reviews(self.thread)
        found: list[tuple[Seen[ReviewRequest], list[FactRow]]] = []
        for seen in reviews.requests:
            if seen.record.release == self.engine.release_key \
                    and await self._done(seen.record) is None:
                here, _ = await self._facts(seen)
                found.append((seen, compare(seen.record.facts, here)))
        return found

    async def approve(self, stage: str, action: str, confirm: Confirm) -> Comment | None:
        """Post the approval, or None when the reviewer said no; ``ReviewRefused`` when the
        two-person rule or the facts say no."""
        key = self.engine.release_key
        reviews = await read_reviews(self.thread)
        seen = reviews.request(key, stage, action)
        if seen is None:
            raise ReviewRefused(self._nothing_pending(reviews, stage, action))
        done = await self._done(seen.record)
        if done is not None:
            raise ReviewRefused(f"no review pending for {stage}/{action} of {key}: it is "
                                f"already done ({done})")
        me = (await self.thread.gh.user()).login
        if me == seen.author:
            raise ReviewRefused(
                f"you are {me}, the account that asked for this review: a second maintainer "
                "must approve it (with one maintainer, the driver reruns with --solo)")
        here, refusal = await self._facts(seen)
        rows = compare(seen.record.facts, here)
        self.say(f"{seen.record.title} ({stage}/{action} of {key}), asked by {seen.author} "
                 f"({seen.record.driver}), round {seen.record.round}:")
        self.say("\n".join(side_by_side(rows)))
        if digest(key, stage, action, here) != seen.record.digest:
            differ = ", ".join(r.name for r in rows if not r.same) or "the facts"
            raise ReviewRefused(
                f"not approved: {differ} computed here differ from the request's. A moved "
                "branch or another SHA voids the request: the driver's waiting run updates it "
                "(a new round); review again then")
        if refusal is not None:
            raise ReviewRefused(f"not approved: {refusal}")
        mine = [a for a in reviews.approvals_of(seen.record) if a.author == me
                and a.record.round == seen.record.round and a.record.digest == seen.record.digest]
        if mine:
            self.say(f"already approved by you: {mine[0].comment.html_url}")
            return mine[0].comment
        if not await confirm(f"Approve {stage}/{action} of {key} with these facts?", rows):
            return None
        release = self.engine.session.release
        approval = Approval(release=key, stage=stage, action=action,
                            digest=seen.record.digest, round=seen.record.round,
                            reviewer=f"{me}@{release.host}" if release else me,
                            approved=datetime.now(UTC))
        try:
            return await self.thread.post(render_approval(approval, seen))
        except AmbiguousWriteError:
            # The answer was lost: the approval may be there. Look before anyone posts again.
            landed = [a for a in (await read_reviews(self.thread)).approvals_of(seen.record)
                      if a.author == me and a.record.round == seen.record.round
                      and a.record.digest == seen.record.digest]
            if not landed:
                raise
            return landed[0].comment

    def _nothing_pending(self, reviews: Reviews, stage: str, action: str) -> str:
        key = self.engine.release_key
        others = sorted({s.record.release for s in reviews.requests
                         if (s.record.stage, s.record.action) == (stage, action)
                         and s.record.release != key})
        if others:
            return (f"no review request for {stage}/{action} of {key}: the one on the tracking "
                    f"issue is for another release ({', '.join(others)})")
        return (f"no review request pending for {stage}/{action} of {key}: the driver's run "
                "asks when it reaches that step")

    async def _facts(self, seen: Seen[ReviewRequest]) -> tuple[dict[str, str], str | None]:
        """The facts computed on this machine, from the services, never from the request
        (but for what only the driver's machine knows, such as its signing key: a claim the
        kind checks against the services for the request's author), and why they cannot be
        approved, if they cannot."""
        engine, request = self.engine, seen.record
        stage = engine.stage(request.stage)
        spec = stage.action(request.action)
        action = engine.build(stage, spec) if spec is not None else None
        if action is None:
            raise ReviewRefused(f"{request.stage}/{request.action} is not an implemented "
                                f"action of playbook {engine.playbook.name} here")
        here = await action.review_facts(requested_by=seen.author, claimed=request.facts)
        return here, action.review_refusal(here)

    async def _done(self, request: ReviewRequest) -> str | None:
        """The check's reason when the step is done already (nothing left to approve)."""
        stage = self.engine.stage(request.stage)
        spec = stage.action(request.action)
        if spec is None:
            return None
        result = await self.engine.check_action(stage, spec)
        return result.reason if result.status is Status.DONE else None
