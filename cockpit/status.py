"""The whole release's state: every applicable action checked read-only, with the journal.

Checks run concurrently (bounded), so the state of ~150 actions costs roughly
the slowest few checks, not their sum.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from cockpit.engine import Engine
from cockpit.journal import Journal
from cockpit.model import CheckResult, Status

MAX_CONCURRENT_CHECKS = 16


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


async def release_status(engine: Engine, journal: Journal) -> list[StatusRow]:
    recorded = journal.last_outcomes()
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
        last = recorded.get((stage.id, spec.id))
        rows.append(StatusRow(stage.id, spec.id, result, last.outcome.value if last else None))
    return rows
