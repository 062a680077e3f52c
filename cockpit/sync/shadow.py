"""The shadow watcher: poll the tracking issue with ETags, say what changed.

One poll is one conditional GET of the issue's comments (two or more only past 100
comments); while nothing changes GitHub answers 304, which costs no rate limit. Each
change becomes a ``Change``: a stage transition (with the time it happened, taken from
the record's history, so a transition that came and went between two polls is still
seen), an action result, new log lines, a claim taken or released. ``events_for`` turns
changes into the engine's own events, so the TUI's shadow mode needs nothing new.

The watcher only reads. It is built on a read-only client: the HTTP layer refuses any
other method before it leaves the process, whatever the code above asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from cockpit.events import ActionFinished, Event, LogLine, StageFinished, StageStarted
from cockpit.model import Outcome
from cockpit.services.http import ServiceError
from cockpit.states import outcome_words
from cockpit.sync.lock import holder
from cockpit.sync.records import TERMINAL, StageRecord, session_memory
from cockpit.sync.thread import SeenClaim, Snapshot, Thread, locate, sync_client

if TYPE_CHECKING:
    from cockpit.engine import Engine

ChangeKind = Literal["issue", "transition", "action", "log", "claimed", "released", "error"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    stage: str
    text: str
    seen: datetime
    """When this shadow saw it (local clock)."""
    at: datetime | None = None
    """When it happened (the driver's clock), for transitions and actions."""
    status: str | None = None
    record: StageRecord | None = None
    action: str | None = None


@dataclass
class _Seen:
    history: set[tuple[str, datetime]] = field(default_factory=set)
    actions: dict[str, tuple[str, str]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


class ShadowWatcher:
    """Polls one release's records and claims; yields batches of changes."""

    def __init__(self, thread: Thread, release: str, interval: float, grace: float,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not thread.gh.read_only:
            raise ValueError("a shadow watcher needs a read-only client")
        self.thread = thread
        self.release = release
        self.interval = interval
        self.grace = grace
        self.sleep = sleep
        self._seen: dict[str, _Seen] = {}
        self._holders: dict[str, SeenClaim] = {}
        self.error: str | None = None

    async def changes(self) -> AsyncIterator[list[Change]]:
        """Batches of changes, forever (cancel to stop). A failed poll is said once and
        retried at the next interval: a shadow outlives a flaky network."""
        while True:
            try:
                batch = await self.poll()
                self.error = None
            except ServiceError as exc:
                batch = [] if self.error else [Change("error", "", f"poll failed: {exc}",
                                                      _now())]
                self.error = str(exc)
            if batch:
                yield batch
            await self.sleep(self.interval)

    async def poll(self) -> list[Change]:
        out: list[Change] = []
        if self.thread.issue is None:
            issue = await self.thread.find()
            if issue is None:
                return out
            out.append(Change("issue", "", f"tracking issue #{issue.number}: "
                              f"{issue.html_url or issue.title}", _now()))
        snap = await self.thread.snapshot()
        if snap.changed:
            out += self._diff(snap)
        else:
            out += self._expiries(snap)
        return out

    def _diff(self, snap: Snapshot) -> list[Change]:
        seen_at = _now()
        out: list[Change] = []
        for stage, record in snap.records_of(self.release).items():
            seen = self._seen.setdefault(stage, _Seen())
            steps: list[Change] = []
            for step in sorted(record.history, key=lambda t: t.at):
                key = (step.status, step.at)
                if key not in seen.history:
                    seen.history.add(key)
                    steps.append(Change("transition", stage,
                                        f"{stage}: {outcome_words(step.status)} ({step.by})",
                                        seen_at, step.at, step.status, record))
            out += [c for c in steps if c.status == "running"]
            for result in record.actions:
                value = (result.outcome.value, result.reason)
                if seen.actions.get(result.action) != value:
                    seen.actions[result.action] = value
                    out.append(Change("action", stage,
                                      f"{stage}/{result.action}: "
                                      f"{outcome_words(result.outcome)}: "
                                      f"{result.reason}", seen_at, record.updated,
                                      result.outcome.value, record, result.action))
            new_lines = _new_lines(seen.log, record.log)
            seen.log = list(record.log)
            out += [Change("log", stage, line, seen_at, record.updated, None, record)
                    for line in new_lines]
            out += [c for c in steps if c.status != "running"]
        out += self._expiries(snap)
        return out

    def _expiries(self, snap: Snapshot) -> list[Change]:
        """Claims taken, released, or lapsed (a lease can lapse without any write)."""
        seen_at = _now()
        out: list[Change] = []
        stages = {c.claim.stage for c in snap.claims if c.claim.release == self.release}
        current = {s: h for s in stages
                   if (h := holder(snap.claims, self.release, s, snap.server_now, self.grace))}
        for stage, claim in current.items():
            before = self._holders.get(stage)
            if before is None or before.claim.nonce != claim.claim.nonce:
                out.append(Change("claimed", stage, f"{stage}: driven by {claim.claim.by}, "
                                  f"lease until {claim.expires:%H:%M:%S} UTC", seen_at,
                                  claim.renewed))
        for stage, before in self._holders.items():
            if stage not in current:
                out.append(Change("released", stage, f"{stage}: no longer held by "
                                  f"{before.claim.by}", seen_at))
        self._holders = current
        return out


def _now() -> datetime:
    return datetime.now(UTC)


def _new_lines(before: list[str], after: list[str]) -> list[str]:
    """Lines of ``after`` past the longest suffix of ``before`` it starts with."""
    for start in range(len(before)):
        tail = before[start:]
        if after[:len(tail)] == tail:
            return after[len(tail):]
    return list(after)


def events_for(release: str, change: Change) -> list[Event]:
    """The engine events a front end applies to show ``change`` (the TUI's shadow mode)."""
    record = change.record
    if change.kind == "transition" and record is not None:
        if change.status == "running":
            return [StageStarted(release=release, stage=change.stage, driver=record.driver,
                                 host=record.host, read_only=True, at=record.started)]
        if change.status in TERMINAL:
            return [StageFinished(release=release, stage=change.stage,
                                  outcome=Outcome(change.status),
                                  reason=f"{outcome_words(change.status)} by {record.by}",
                                  at=record.finished or change.at or record.updated)]
    if change.kind == "action" and record is not None and change.action:
        result = record.result(change.action)
        if result is not None:
            return [ActionFinished(release=release, stage=change.stage, action=result.action,
                                   outcome=result.outcome, reason=result.reason,
                                   link=result.link)]
    if change.stage and change.kind in ("log", "claimed", "released"):
        return [LogLine(release=release, stage=change.stage, line=change.text)]
    return []


async def follow(engine: Engine, interval: float) -> AsyncIterator[list[Event]]:
    """The release's journal as engine events, batch by batch, for a front end's shadow
    mode (the TUI applies them like its own). Nothing when the playbook has no tracking
    issue. Needs a read-only session: the watcher refuses anything else."""
    target = locate(engine)
    if target is None:
        return
    gh = sync_client(engine)
    watcher = ShadowWatcher(Thread(gh, target), engine.release_key, interval,
                            engine.session.settings.lock_skew_seconds)
    try:
        async for batch in watcher.changes():
            # What the driver confirmed by hand or skipped is known here too, so this
            # machine's re-checks agree with the driver's run instead of saying "to do".
            skipped, manual = session_memory(c.record for c in batch if c.record is not None)
            engine.session.manual_confirmations |= manual
            engine.session.skipped.update(skipped)
            events = [event for change in batch for event in events_for(engine.release_key,
                                                                        change)]
            if events:
                yield events
    finally:
        await gh.aclose()
