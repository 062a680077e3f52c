"""Stage locks with leases, as claim comments on the tracking issue.

Protocol (no compare-and-swap on GitHub, so order comes from the server):

1. List the claims. If another driver holds an unexpired claim on this stage (of this
   release), withdraw at once, without writing anything.
2. Post a claim comment (holder, stage, lease length).
3. List again. The earliest unexpired claim for the stage — by the server's creation
   time, then comment id, both assigned by the server, so no driver's clock can reorder
   them — holds the stage. A driver whose claim is not the earliest deletes its own
   and is told who holds the stage and until when.

The holder renews by editing its comment (the server's ``updated_at`` moves); a claim
expires ``lease_seconds`` after its last renewal, judged on the server's clock (its
``Date`` header) plus a grace for rounding and skew. A dead driver's claim therefore
lapses by itself (at once, for the same driver on the same host, when the claiming
process is gone). ``--steal`` deletes the current holder's claim before claiming; the
holder's next renewal finds its comment gone and stops its stage. A claim is on
(release, stage), so a lock on one stage never blocks another.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cockpit.errors import CockpitError
from cockpit.services.http import AmbiguousWriteError
from cockpit.sync.records import Claim, render_claim
from cockpit.sync.thread import SeenClaim, Thread


def _clock(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class StageHeld(CockpitError, RuntimeError):
    """Another driver holds the stage: the message says who, and until when."""

    def __init__(self, stage: str, holder: SeenClaim) -> None:
        self.stage = stage
        self.holder = holder
        super().__init__(
            f"stage {stage} is held by {holder.claim.by} until {_clock(holder.expires)}; "
            "rerun later or pass --steal")


class LeaseLost(CockpitError, RuntimeError):
    """Our claim disappeared while the stage ran (taken over with --steal)."""


def holder(claims: Iterable[SeenClaim], release: str, stage: str, server_now: datetime,
           grace: float) -> SeenClaim | None:
    """The claim that holds (release, stage): the earliest unexpired one, if any."""
    live = [c for c in claims if c.claim.release == release and c.claim.stage == stage
            and not c.expired(server_now, grace)]
    return min(live, key=lambda c: (c.created, c.comment_id), default=None)


@dataclass(frozen=True)
class Me:
    driver: str
    host: str
    nonce: str
    pid: int = 0

    @classmethod
    def new(cls, driver: str, host: str) -> Me:
        return cls(driver, host, secrets.token_hex(6), os.getpid())

    @property
    def by(self) -> str:
        return f"{self.driver}@{self.host}"


def abandoned(seen: SeenClaim, me: Me) -> bool:
    """A claim of this driver on this host whose process is gone (it crashed, or was
    killed): nobody renews it, and waiting out its lease helps no one."""
    claim = seen.claim
    if claim.driver != me.driver or claim.host != me.host or not claim.pid \
            or claim.pid == me.pid:
        return False
    try:
        os.kill(claim.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # a process of another user: alive
    return False


def describe(seen: SeenClaim, me: Me) -> str:
    """Who a taken-over claim was, as the journal records it."""
    if abandoned(seen, me):
        return f"{seen.claim.by} (pid {seen.claim.pid}, gone)"
    return f"{seen.claim.by} (--steal)"


class Lease:
    """A held claim: renew it while the stage runs, release it after."""

    def __init__(self, thread: Thread, comment_id: int, claim: Claim,
                 stolen_from: str | None) -> None:
        self.thread = thread
        self.comment_id = comment_id
        self.claim = claim
        self.stolen_from = stolen_from
        self.renewals = 0

    async def renew(self) -> None:
        """Push the expiry out; ``LeaseLost`` if the claim was taken away."""
        at = datetime.now(UTC)
        claim = self.claim.model_copy(
            update={"expires": at + timedelta(seconds=self.claim.lease_seconds)})
        if await self.thread.edit(self.comment_id, render_claim(claim)) is None:
            raise LeaseLost(f"the claim on stage {claim.stage} is gone: another driver took "
                            "it over (--steal)")
        self.claim = claim
        self.renewals += 1

    async def release(self) -> None:
        await self.thread.delete(self.comment_id)


class StageLock:
    """Claims one stage of one release on the tracking issue."""

    def __init__(self, thread: Thread, release: str, stage: str, me: Me, *,
                 lease_seconds: float, grace: float) -> None:
        self.thread = thread
        self.release = release
        self.stage = stage
        self.me = me
        self.lease_seconds = lease_seconds
        self.grace = grace

    def _mine(self, seen: SeenClaim) -> bool:
        return seen.claim.nonce == self.me.nonce

    async def acquire(self, steal: bool = False) -> Lease:
        snap = await self.thread.snapshot()
        current = holder(snap.claims, self.release, self.stage, snap.server_now, self.grace)
        stolen_from: str | None = None
        if current is not None and not self._mine(current):
            if not steal and not abandoned(current, self.me):
                raise StageHeld(self.stage, current)
            stolen_from = describe(current, self.me)
            await self.thread.delete(current.comment_id)
        at = datetime.now(UTC)
        claim = Claim(release=self.release, stage=self.stage, driver=self.me.driver,
                      host=self.me.host, nonce=self.me.nonce, pid=self.me.pid,
                      lease_seconds=self.lease_seconds, claimed=at,
                      expires=at + timedelta(seconds=self.lease_seconds),
                      steals_from=stolen_from)
        try:
            posted_id: int | None = (await self.thread.post(render_claim(claim))).id
        except AmbiguousWriteError:
            posted_id = None  # it may have landed: the listing below tells
        snap = await self.thread.snapshot()
        if posted_id is None:
            posted_id = next((c.comment_id for c in snap.claims if self._mine(c)), None)
            if posted_id is None:
                raise LeaseLost(f"posting the claim on stage {self.stage} failed and it is "
                                "not there; rerun") from None
        current = holder(snap.claims, self.release, self.stage, snap.server_now, self.grace)
        if current is None or current.comment_id != posted_id:
            await self.thread.delete(posted_id)
            if current is None:  # our own claim is not visible: say so, do not guess
                raise LeaseLost(f"the claim on stage {self.stage} did not show up when "
                                "listed again; rerun")
            raise StageHeld(self.stage, current)
        for stale in snap.claims:  # lapsed claims of this stage (a dead driver's)
            if (stale.claim.release == self.release and stale.claim.stage == self.stage
                    and stale.comment_id != posted_id
                    and stale.expired(snap.server_now, self.grace)):
                await self.thread.delete(stale.comment_id)
        return Lease(self.thread, posted_id, claim, stolen_from)
