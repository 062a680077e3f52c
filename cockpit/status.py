"""The whole release's state: every applicable action checked read-only, with the journal.

Checks run concurrently (bounded), so the state of ~150 actions costs roughly
the slowest few checks, not their sum.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from cockpit.engine import MAX_CONCURRENT_CHECKS, Engine
from cockpit.journal import Journal
from cockpit.model import CheckResult, Status
from cockpit.sync.records import StageRecord


@dataclass(frozen=True)
class StatusRow:
    stage: str
    action: str
    result: CheckResult
    last_outcome: str | None
    """What the journal last recorded for this action, if anything."""

    @property
    def status(self) -> Status:
        return self.result.status

    def as_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "action": self.action, "status": self.result.status.value,
                "reason": self.result.reason, "link": self.result.link,
                "journal": self.last_outcome}

    def as_text(self) -> str:
        glyph = {Status.DONE: "✔", Status.IN_PROGRESS: "…", Status.INCOMPLETE: "·",
                 Status.FAILED: "✘"}[self.status]
        journal = f" (journal: {self.last_outcome})" if self.last_outcome else ""
        return f"{glyph} {self.stage}/{self.action}: {self.result.reason}{journal}"


async def shared_records(engine: Engine) -> dict[str, StageRecord]:
    """Stage → what the tracking issue's journal last recorded: the state a machine with
    no local files still knows. Empty when there is no tracking issue (yet) or it cannot
    be read (the checks still say where the world stands)."""
    from cockpit.services.http import ServiceError
    from cockpit.sync.thread import Thread, locate, sync_client

    target = locate(engine)
    if target is None or engine.session.release is None:
        return {}
    gh = sync_client(engine)
    try:
        thread = Thread(gh, target)
        if await thread.find() is None:
            return {}
        snap = await thread.snapshot()
    except ServiceError:
        return {}
    finally:
        await gh.aclose()
    return snap.records_of(engine.release_key)


def shared_outcomes(records: dict[str, StageRecord]) -> dict[tuple[str, str], str]:
    """(stage, action) → "done by alice@laptop", from the shared journal's records."""
    return {(stage, a.action): f"{a.outcome.value} by {record.by}"
            for stage, record in records.items() for a in record.actions}


async def release_status(engine: Engine, journal: Journal,
                         shared: dict[tuple[str, str], str] | None = None) -> list[StatusRow]:
    """``shared`` (the tracking issue's journal) wins over this machine's journal."""
    recorded = {key: event.outcome.value for key, event in journal.last_outcomes().items()}
    recorded.update(shared or {})
    limit = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)
    pairs = [(stage, spec) for stage in engine.playbook.stages for spec in stage.actions
             if engine.applies(stage, spec)]

    async def one(stage_spec: Any) -> CheckResult:
        stage, spec = stage_spec
        async with limit:
            return await engine.check_action(stage, spec)

    results = await asyncio.gather(*(one(pair) for pair in pairs))
    rows = []
    for (stage, spec), result in zip(pairs, results, strict=True):
        rows.append(StatusRow(stage.id, spec.id, result, recorded.get((stage.id, spec.id))))
    return rows
