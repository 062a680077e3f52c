"""``cockpit run`` with the shared state: claim each stage, renew while it runs, journal it.

Before a stage: its actions are checked read-only. A stage whose every action is
already done needs no lock (a rerun only reads) and writes nothing unless its outcome
differs from the journal's. Otherwise the stage is claimed (``StageHeld`` if another
driver holds it), run with the lease renewed every ``lock_renew_seconds``, journalled,
and released. If the claim is taken away mid-stage (``--steal`` elsewhere) or cannot be
renewed before it lapses, the stage is cancelled: two drivers never run one stage.

At start, a machine with no local files learns from the journal what a human already
decided (skipped actions, manual steps done), and a machine that worked offline
reconciles its local journal into the issue.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from cockpit.engine import MAX_CONCURRENT_CHECKS, Engine, StageReport
from cockpit.local_journal import Journal
from cockpit.model import Status
from cockpit.services.http import ServiceError
from cockpit.sync.issue_journal import RemoteJournal
from cockpit.sync.lock import Lease, LeaseLost, Me, StageHeld, StageLock, abandoned, holder
from cockpit.sync.records import session_memory
from cockpit.sync.review import ReviewDesk
from cockpit.sync.thread import NoTrackingIssue, Thread, locate, sync_client

__all__ = ["LeaseLost", "NoTrackingIssue", "StageHeld", "SyncedRun", "sync_client"]

Say = Callable[[str], None]


class SyncedRun:
    """One driver process's stages, locked and journalled on the tracking issue."""

    def __init__(self, engine: Engine, thread: Thread, journal: RemoteJournal, me: Me,
                 say: Say) -> None:
        self.engine = engine
        self.thread = thread
        self.journal = journal
        self.me = me
        self.say = say
        self.settings = engine.session.settings

    @classmethod
    async def open(cls, engine: Engine, say: Say) -> SyncedRun | None:
        """Ready to run, or None when this playbook or these settings have no sync."""
        release = engine.session.release
        if not engine.session.settings.sync or release is None or engine.session.read_only:
            return None
        target = locate(engine)
        if target is None:
            say(f"note: playbook {engine.playbook.name} has no tracking issue, so stages are "
                "neither locked nor journalled for other machines")
            return None
        thread = Thread(sync_client(engine), target)
        try:
            issue = await thread.bootstrap(engine)
            snap = await thread.snapshot()
        except BaseException:
            await thread.gh.aclose()
            raise
        key = engine.release_key
        stages = [s.id for s in engine.playbook.stages]
        journal = RemoteJournal(thread, key, f"cockpit: {release.version.tag}", stages,
                                snap.records, flush_seconds=engine.session.settings
                                .journal_flush_seconds, redact=engine.session.redact, say=say,
                                not_applicable=frozenset(s.id for s in engine.playbook.stages
                                                         if not engine.applies(s)),
                                body_lock=engine.session.exclusive(
                                    f"issue-body:{thread.repo}#{issue.number}"))
        skipped, manual = session_memory(snap.records_of(key).values())
        engine.session.skipped = {**skipped, **engine.session.skipped}
        engine.session.manual_confirmations |= manual
        engine.bus.listen(journal.listen)
        engine.review_gate = ReviewDesk(engine, thread)  # reviewed steps ask on the issue
        journal.start()
        say(f"journal: {issue.html_url or target.title}")
        return cls(engine, thread, journal, Me.new(release.driver, release.host), say)

    async def reconcile(self, local: Journal) -> None:
        """Push what this machine journalled while the issue was unreachable."""
        snap = await self.thread.snapshot()
        key = self.engine.release_key
        held = {c.claim.stage for c in snap.claims
                if holder(snap.claims, key, c.claim.stage, snap.server_now,
                          self.settings.lock_skew_seconds) is not None}
        try:
            written = await self.journal.reconcile(local.events(), held)
        except (ServiceError, OSError) as exc:
            self.say(f"journal: could not reconcile the local journal yet ({exc})")
            return
        if written:
            self.say(f"journal: reconciled from this machine's journal: {', '.join(written)}")

    async def close(self) -> None:
        try:
            await self.journal.close()
        finally:
            await self.thread.gh.aclose()

    @property
    def renew_seconds(self) -> float:
        """The renew interval, never more than half the lease (a misconfigured interval
        must not let a live driver's claim lapse between two renewals)."""
        return min(self.settings.lock_renew_seconds, self.settings.lock_lease_seconds / 2)

    # -- one stage ----------------------------------------------------------------------------

    async def _all_done(self, stage_id: str) -> bool:
        engine = self.engine
        stage = engine.stage(stage_id)
        if not engine.applies(stage):
            return True
        limit = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)
        # An action a human skipped (with a reason, in the journal) stays skipped: it does
        # not make a rerun of an otherwise finished stage claim the lock and write.
        specs = [spec for spec in stage.actions if engine.applies(stage, spec)
                 and (stage.id, spec.id) not in engine.session.skipped]

        async def one(spec: object) -> Status:
            async with limit:
                return (await engine.check_action(stage, spec)).status  # type: ignore[arg-type]

        statuses = await asyncio.gather(*(one(spec) for spec in specs))
        return all(status is Status.DONE for status in statuses)

    async def run_stage(self, stage_id: str, *, steal: bool = False) -> StageReport:
        """Run one stage under its lock (``StageHeld`` when another driver has it)."""
        engine = self.engine
        if not steal:  # a held stage is reported at once, before any check
            snap = await self.thread.snapshot()
            current = holder(snap.claims, engine.release_key, stage_id, snap.server_now,
                             self.settings.lock_skew_seconds)
            if current is not None and current.claim.nonce != self.me.nonce \
                    and not abandoned(current, self.me):
                raise StageHeld(stage_id, current)
        applies = engine.applies(engine.stage(stage_id))
        if not applies or (not steal and await self._all_done(stage_id)):
            why_not = engine.not_applicable_reason(engine.stage(stage_id))
            self.say(f"{stage_id}: " + ("every action is already done (checked read-only): "
                                        "rerunning without a lock" if applies else
                                        f"{why_not}: nothing to run"))
            self.journal.quiet_until_changed.add(stage_id)
            report = await engine.run_stage(stage_id)
            await self.journal.flush()
            return report
        lock = StageLock(self.thread, engine.release_key, stage_id, self.me,
                         lease_seconds=self.settings.lock_lease_seconds,
                         grace=self.settings.lock_skew_seconds)
        lease = await lock.acquire(steal=steal)
        if lease.stolen_from:
            self.journal.stolen_from[stage_id] = lease.stolen_from
            self.say(f"{stage_id}: taken over from {lease.stolen_from}")
        self.say(f"{stage_id}: claimed by {self.me.by} (lease "
                 f"{self.settings.lock_lease_seconds:.0f}s, renewed every "
                 f"{self.renew_seconds:.0f}s)")
        try:
            return await self._run_renewing(stage_id, lease)
        finally:
            await self.journal.flush()
            try:
                await lease.release()
            except (ServiceError, OSError) as exc:
                self.say(f"{stage_id}: could not withdraw the claim ({exc}); it lapses "
                         "by itself")

    async def _run_renewing(self, stage_id: str, lease: Lease) -> StageReport:
        task = asyncio.create_task(self.engine.run_stage(stage_id))
        renewed = time.monotonic()
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.renew_seconds)
                if task in done:
                    return task.result()
                try:
                    await lease.renew()
                    renewed = time.monotonic()
                except LeaseLost:
                    raise
                except (ServiceError, OSError) as exc:
                    lapsed = time.monotonic() - renewed
                    if lapsed >= self.settings.lock_lease_seconds:
                        raise LeaseLost(f"could not renew the claim on {stage_id} for "
                                        f"{lapsed:.0f}s ({exc}): it lapsed") from None
                    self.say(f"{stage_id}: renewing the claim failed ({exc}); retrying")
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
