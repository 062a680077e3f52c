"""The remote journal: stage records on the tracking issue, written in batches.

(The local JSONL journal on this machine is ``cockpit.local_journal``.)

The engine's events are folded into one record per stage (``RecordBuilder``). A stage's
start and end are written at once (a shadow should see them within one poll); finished
actions and log lines in between are batched, written at most every
``journal_flush_seconds``. Each write edits the stage's one comment (found by its
marker; created only if absent, and looked up again after an ambiguous create); when a
stage ends, the body's checklist block is merged too: a stage costs a handful of calls,
however many actions it has. A write whose content equals what is there is not sent, so a rerun of a
finished stage changes nothing.

Offline: a failed write does not fail the stage. The local JSONL journal has every
event; ``reconcile`` replays it into records and writes those the issue lacks (or has
older versions of), the next time a driver on that machine runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

from cockpit.events import Event, StageFinished, StageStarted
from cockpit.services.http import AmbiguousWriteError, ServiceError
from cockpit.sync.checklist import merge_block
from cockpit.sync.records import (
    TERMINAL,
    RecordBuilder,
    StageRecord,
    records_from_events,
    render_record,
)
from cockpit.sync.thread import SeenRecord, Thread

Say = Callable[[str], None]


class RemoteJournal:
    """Mirrors one release's stage records to its tracking issue."""

    def __init__(self, thread: Thread, release: str, title: str, stages: list[str],
                 known: dict[tuple[str, str], SeenRecord], *, flush_seconds: float,
                 redact: Callable[[str], str], say: Say,
                 not_applicable: frozenset[str] = frozenset(),
                 body_lock: asyncio.Lock | None = None) -> None:
        self.thread = thread
        self.release = release
        self.title = title
        self.stages = stages
        self.not_applicable = not_applicable
        """Stages this release's kind skips: the checklist says so, not "to do"."""
        self.flush_seconds = flush_seconds
        self.say = say
        self.body_lock = body_lock or asyncio.Lock()
        """Held while the body's checklist is read, merged and written: an action ticking
        an item of the same body (``Session.exclusive``) waits, so neither undoes the
        other's edit, whichever stages run side by side in this process."""
        self._ids = {stage: seen.comment_id for (rel, stage), seen in known.items()
                     if rel == release}
        self._written = {stage: seen.record for (rel, stage), seen in known.items()
                         if rel == release}
        self.builder = RecordBuilder(release, redact, dict(self._written))
        self._listed = {stage: record.status for stage, record in self._written.items()}
        """The status each stage's checklist line shows: the body changes only with it,
        and only once a stage has ended. Actions edit the body too (ticking a checklist
        item) and GitHub has no conditional PATCH: writing it while no action of ours
        runs keeps this process from undoing its own tick. (A driver of another stage
        could still race it; the merge heals our block, a lost tick fails that action's
        re-check and is retried.)"""
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._scheduled = False
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.quiet_until_changed: set[str] = set()
        """Stages whose running state is not announced (a rerun that only checks)."""
        self.stolen_from: dict[str, str] = {}
        self.calls = 0
        """Write calls made (POST/PATCH), for the "a stage costs a handful" budget."""
        self.offline: str | None = None

    # -- live -------------------------------------------------------------------------------

    def listen(self, event: Event) -> None:
        """Bus listener: fold the event; schedule a write."""
        record = self.builder.apply(event)
        if record is None:
            return
        if isinstance(event, StageStarted) and event.stage in self.stolen_from:
            record.stolen_from = self.stolen_from[event.stage]
        self._dirty.add(record.stage)
        if isinstance(event, StageStarted | StageFinished):
            self._wake.set()
        elif self._task is not None and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self.flush_seconds, self._due)

    def _due(self) -> None:
        self._scheduled = False
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._flusher())

    async def _flusher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write every stage with unwritten changes (never raises: offline is fine)."""
        async with self._lock:
            for stage in sorted(self._dirty):
                self._dirty.discard(stage)
                record = self.builder.records.get(stage)
                if record is not None:
                    await self._write_safely(record)

    async def close(self) -> None:
        """Final flush; stop the batcher."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    # -- writing ----------------------------------------------------------------------------

    async def _write_safely(self, record: StageRecord) -> None:
        if record.stage in self.quiet_until_changed:
            if record.status == "running" or record.same_result(
                    self._written.get(record.stage)):
                return
            self.quiet_until_changed.discard(record.stage)
        try:
            await self.write(record)
            if self.offline:
                self.say("journal: the tracking issue is reachable again")
            self.offline = None
        except (ServiceError, OSError) as exc:
            if self.offline is None:
                self.say(f"journal: not written to the tracking issue ({exc}); the local "
                         "journal has it, and the next run reconciles it")
            self.offline = str(exc)

    async def write(self, record: StageRecord) -> None:
        """Edit (or create once) the stage's comment, then the body's checklist."""
        body = render_record(record)
        comment_id = self._ids.get(record.stage)
        if comment_id is not None:
            self.calls += 1
            if await self.thread.edit(comment_id, body) is None:
                comment_id = None  # deleted by someone: make it again
        if comment_id is None:
            comment_id = await self._create(record, body)
        self._ids[record.stage] = comment_id
        self._written[record.stage] = record.model_copy(deep=True)
        if record.status in TERMINAL and self._listed.get(record.stage) != record.status:
            await self._write_checklist()
            self._listed[record.stage] = record.status

    async def _create(self, record: StageRecord, body: str) -> int:
        self.calls += 1
        try:
            return (await self.thread.post(body)).id
        except AmbiguousWriteError:
            snap = await self.thread.snapshot()
            seen = snap.records.get((record.release, record.stage))
            if seen is None:
                raise
            self.calls += 1
            await self.thread.edit(seen.comment_id, body)
            return seen.comment_id

    async def _write_checklist(self) -> None:
        async with self.body_lock:
            body = await self.thread.issue_body()
            merged = merge_block(body, self.release, self.title, self.stages,
                                 self.builder.records, self.not_applicable)
            if merged != body:
                self.calls += 1
                await self.thread.set_issue_body(merged)

    # -- offline ----------------------------------------------------------------------------

    async def reconcile(self, local_events: Iterable[Event], held: set[str]) -> list[str]:
        """Write finished local records the issue lacks or has older; the stages written.

        ``held``: stages another driver holds now (their record is theirs to write).
        """
        local = records_from_events(self.release, local_events, self.builder.redact)
        written: list[str] = []
        for stage, record in local.items():
            remote = self._written.get(stage)
            if stage in held or record.finished is None:
                continue
            if remote is not None and (remote.updated >= record.updated
                                       or record.same_result(remote)):
                continue  # newer there, or saying the same (a rerun that only checked)
            self.builder.records[stage] = record
            await self.write(record)
            written.append(stage)
        return written
