"""Stages side by side: each starts once the stages it needs have ended well, a bounded
number at a time.

One rule for ``cockpit run`` (a set of stages, at once) and the TUI (a stage at a time,
as the driver presses r): a stage waits for every stage it needs, directly or through
others (``cockpit.stage_order``), that this scheduler runs or has queued; it starts only if
each of them ended done (or did not apply), and otherwise does not start at all, saying
which need stopped. Waiting is neither started nor failed: no StageStarted is published,
no claim is taken, nothing is journalled. Needs this scheduler never ran are not waited
for: running one stage by name works as it always did.

Each stage runs in its own task (the TUI: its own worker); what they share is made safe
where it is shared: the engine asks one question at a time, the remote journal writes
under one lock, and stage claims are per (release, stage) on the tracking issue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from cockpit import stage_order
from cockpit.engine import StageReport
from cockpit.model import Outcome
from cockpit.states import outcome_words

RunOne = Callable[[str], Awaitable[StageReport]]
Note = Callable[[str, str], None]
"""``(stage, sentence)``: what a waiting or blocked stage is doing, for the front end."""

GOOD_ENDS = frozenset({Outcome.DONE, Outcome.NOT_APPLICABLE})
"""How a need must end for its dependants to start."""


class StageScheduler:
    """Runs stages of one playbook as their needs allow, at most ``limit`` at once."""

    def __init__(self, needs: stage_order.Needs, run_one: RunOne, *, limit: int,
                 note: Note = lambda _stage, _line: None, keep_ended: bool = True) -> None:
        self.needs = needs
        self.run_one = run_one
        self.limit = limit
        self.note = note
        self.keep_ended = keep_ended
        """False (the TUI): a need that already ended is history, not a condition: the
        driver may fix it by hand and run its dependant. True: one ``run_all``."""
        self._ends: dict[str, asyncio.Future[StageReport]] = {}
        self._slots = asyncio.Semaphore(limit)
        self.running: set[str] = set()
        """Stages under way now (not the ones waiting)."""

    @property
    def queued(self) -> set[str]:
        """Stages scheduled here that have not ended (waiting or running)."""
        return {stage for stage, end in self._ends.items() if not end.done()}

    def dependants_under_way(self, stage_id: str) -> list[str]:
        """Running stages that need ``stage_id``: it must not run under them. (One that
        waits is fine: it waits for ``stage_id`` too, once queued.)"""
        return sorted(s for s in self.running if stage_id in stage_order.ancestors(self.needs, s))

    def _register(self, stage_id: str) -> asyncio.Future[StageReport]:
        end = self._ends.get(stage_id)
        if end is None or end.done():
            end = asyncio.get_running_loop().create_future()
            self._ends[stage_id] = end
        return end

    async def run_all(self, stage_ids: Iterable[str]) -> list[StageReport]:
        """Every stage, each as soon as its needs allow; reports in the order given."""
        ids = list(stage_ids)
        for stage_id in ids:
            self._register(stage_id)
        return list(await asyncio.gather(*(self.run(stage_id) for stage_id in ids)))

    async def run(self, stage_id: str) -> StageReport:
        """One stage: wait for its needs under way here, then a free slot, then run it."""
        end = self._register(stage_id)
        try:
            report = await self._wait_then_run(stage_id)
        except asyncio.CancelledError:
            end.cancel()
            raise
        except BaseException as exc:
            end.set_exception(exc)
            end.exception()  # retrieved: a dependant may never look
            raise
        finally:
            if not self.keep_ended and self._ends.get(stage_id) is end:
                del self._ends[stage_id]
        end.set_result(report)
        return report

    async def _wait_then_run(self, stage_id: str) -> StageReport:
        wanted = stage_order.ancestors(self.needs, stage_id)
        order = list(self.needs)
        seen: set[str] = set()
        while True:  # a need queued while this one waits is waited for too
            ahead = sorted(((s, end) for s, end in self._ends.items()
                            if s in wanted and s not in seen),
                           key=lambda pair: order.index(pair[0]))
            if not ahead:
                break
            pending = [s for s, end in ahead if not end.done()]
            if pending:
                self.note(stage_id, f"waiting for {', '.join(pending)}")
            for need, end in ahead:
                seen.add(need)
                stopped = await _stopped(end)
                if stopped is not None:
                    reason = f"not started: it needs {need}, which {stopped}"
                    self.note(stage_id, reason)
                    return StageReport(stage_id, Outcome.BLOCKED, reason, ())
        if self._slots.locked():
            self.note(stage_id, f"waiting for a free slot ({self.limit} stages run at once)")
        async with self._slots:
            self.running.add(stage_id)
            try:
                return await self.run_one(stage_id)
            finally:
                self.running.discard(stage_id)


async def _stopped(end: asyncio.Future[StageReport]) -> str | None:
    """How a need ended if not well enough for a dependant (None: it did)."""
    try:
        report = await asyncio.shield(end)
    except asyncio.CancelledError:
        if end.cancelled():
            return "was cancelled"
        raise
    except Exception as exc:
        return f"stopped: {exc}"
    if report.outcome in GOOD_ENDS:
        return None
    return f"did not end done ({outcome_words(report.outcome)})"
