"""The whole release's state: every applicable action checked read-only, with the journal.

Checks run concurrently (bounded), so the state of ~150 actions costs roughly
the slowest few checks, not their sum.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from cockpit.engine import SNAPSHOT_CHECKS, Engine
from cockpit.local_journal import Journal
from cockpit.model import CheckResult, Outcome, Status
from cockpit.states import ActionFacts, Derived, StageFacts, State, View, derive, outcome_words
from cockpit.sync.records import StageRecord


@dataclass(frozen=True)
class StatusRow:
    stage: str
    action: str
    result: CheckResult | None
    """What the read-only check found (None: the action does not apply, never checked)."""
    last_outcome: str | None
    """What the journal last recorded for this action, if anything."""
    view: View
    """What to show: the check's finding placed in the release's order (``cockpit.states``)."""

    @property
    def status(self) -> Status | None:
        return self.result.status if self.result else None

    def as_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "action": self.action, "state": self.view.state.value,
                "blocked_by": self.view.blocked_by,
                "status": self.result.status.value if self.result else None,
                "reason": self.result.reason if self.result else self.view.reason,
                "link": self.view.link, "journal": self.last_outcome}

    def as_text(self) -> str:
        journal = f" (journal: {self.last_outcome})" if self.last_outcome else ""
        return f"   {self.view.glyph} {self.action}: {self.view.sentence()}{journal}"


@dataclass(frozen=True)
class StatusReport:
    """Every action's row and every stage's view: `cockpit status` in one value."""

    rows: list[StatusRow]
    derived: Derived
    titles: dict[str, str]

    @property
    def complete(self) -> bool:
        done, total = self.derived.progress()
        return done == total

    def headline(self) -> str:
        done, total = self.derived.progress()
        upcoming = self.derived.next_stage()
        if done == total:
            return f"{done}/{total} stages done: the release is complete"
        nxt = f" · next: {self.titles[upcoming]}" if upcoming else ""
        return f"{done}/{total} stages done{nxt}"

    def lines(self) -> list[str]:
        out = [self.headline()]
        for stage, view in self.derived.stages.items():
            out.append(f"{view.glyph} {self.titles[stage]} — {view.sentence()}")
            if view.state is State.NOT_APPLICABLE:
                continue
            out += [row.as_text() for row in self.rows if row.stage == stage]
        return out


@dataclass(frozen=True)
class Standing:
    """What the tracking issue's journal says of a release: each stage's last record, and
    who holds which stage right now (``alice@laptop until 14:05:00 UTC``)."""

    records: dict[str, StageRecord]
    holders: dict[str, str]


async def shared_standing(engine: Engine) -> Standing:
    """The state a machine with no local files still knows. Empty when there is no
    tracking issue (yet) or it cannot be read (the checks still say where the world
    stands)."""
    from cockpit.services.http import ServiceError
    from cockpit.sync.lock import holder
    from cockpit.sync.thread import Thread, locate, sync_client

    nothing = Standing({}, {})
    target = locate(engine)
    if target is None or engine.session.release is None:
        return nothing
    gh = sync_client(engine)
    try:
        thread = Thread(gh, target)
        if await thread.find() is None:
            return nothing
        snap = await thread.snapshot()
    except ServiceError:
        return nothing
    finally:
        await gh.aclose()
    key, grace = engine.release_key, engine.session.settings.lock_skew_seconds
    holders = {}
    for stage in engine.playbook.stages:
        current = holder(snap.claims, key, stage.id, snap.server_now, grace)
        if current is not None:
            holders[stage.id] = f"{current.claim.by} until {current.expires:%H:%M:%S} UTC"
    return Standing(snap.records_of(key), holders)


async def shared_records(engine: Engine) -> dict[str, StageRecord]:
    """Stage → what the tracking issue's journal last recorded."""
    return (await shared_standing(engine)).records


def shared_outcomes(records: dict[str, StageRecord]) -> dict[tuple[str, str], str]:
    """(stage, action) → "done by alice@laptop", from the shared journal's records."""
    return {(stage, a.action): f"{outcome_words(a.outcome)} by {record.by}"
            for stage, record in records.items() for a in record.actions}


async def release_status(engine: Engine, journal: Journal, standing: Standing | None = None,
                         *, one_at_a_time: bool = False) -> StatusReport:
    """Every action that applies, checked read-only; the tracking issue's journal
    (``standing``) wins over this machine's for who did what.

    The checks run at once (bounded) against one snapshot of the world: a question
    several checks ask is asked once (``cockpit.services.snapshot``). ``one_at_a_time``
    is the plain path, each check alone with its own requests: the reference the shared
    path must agree with (``tests/test_status_cost.py``) and the bench's baseline."""
    from cockpit.services.snapshot import reading_snapshot

    if one_at_a_time:
        return await _checked(engine, journal, standing, 1)
    with reading_snapshot():
        return await _checked(engine, journal, standing, SNAPSHOT_CHECKS)


async def _checked(engine: Engine, journal: Journal, standing: Standing | None,
                   concurrency: int) -> StatusReport:
    recorded = {key: outcome_words(event.outcome)
                for key, event in journal.last_outcomes().items()}
    records = standing.records if standing else {}
    recorded.update(shared_outcomes(records))
    skipped_here = journal.skipped()
    engine.read_ahead()  # inside a read snapshot: GitHub's answers in one batch
    limit = asyncio.Semaphore(concurrency)
    pairs = [(stage, spec) for stage in engine.playbook.stages for spec in stage.actions
             if engine.applies(stage, spec)]

    async def one(stage_spec: Any) -> CheckResult:
        stage, spec = stage_spec
        async with limit:
            return await engine.check_action(stage, spec)

    results = dict(zip(((s.id, a.id) for s, a in pairs),
                       await asyncio.gather(*(one(pair) for pair in pairs)), strict=True))
    facts: dict[tuple[str, str], ActionFacts] = {}
    for stage in engine.playbook.stages:
        record = records.get(stage.id)
        for spec in stage.actions:
            each = facts[(stage.id, spec.id)] = ActionFacts(
                applicable=engine.applies(stage, spec),
                skipped_by=engine.skipped_by_condition(stage, spec))
            result = record.result(spec.id) if record else None
            if record is not None and result is not None:
                each.saw_outcome(result.outcome, result.reason, result.link, by=record.by,
                                 at=record.finished or record.updated)
            elif (stage.id, spec.id) in skipped_here:  # no shared journal: this machine's
                each.saw_outcome(Outcome.SKIPPED, skipped_here[(stage.id, spec.id)])
            if (stage.id, spec.id) in results:
                each.saw_check(results[(stage.id, spec.id)])
    holders = standing.holders if standing else {}
    stage_facts = {s.id: StageFacts(applicable=engine.applies(s), held_by=holders.get(s.id))
                   for s in engine.playbook.stages}
    titles = {s.id: f"{n}. {s.title}" for n, s in enumerate(engine.playbook.stages, 1)}
    order = [(s.id, [a.id for a in s.actions]) for s in engine.playbook.stages]
    derived = derive(order, facts, stage_facts, titles, engine.playbook.needs)
    rows = [StatusRow(stage, action, results.get((stage, action)), recorded.get((stage, action)),
                      view) for (stage, action), view in derived.actions.items()]
    return StatusReport(rows, derived, titles)


async def read_status(engine: Engine, *, one_at_a_time: bool = False) -> StatusReport:
    """`cockpit status` of ``engine``'s release, read-only: this machine's journal and the
    tracking issue's (the manual steps either remembers are checked as done), then every
    check (see ``release_status``). The caller closes the session."""
    from cockpit.services.snapshot import reading_snapshot
    from cockpit.sync.records import session_memory

    journal = Journal(engine.session.settings.state_dir, engine.release_key)
    engine.session.manual_confirmations |= journal.manual_confirmations()
    with reading_snapshot() if not one_at_a_time else contextlib.nullcontext():
        engine.read_ahead()  # its batch answers the tracking issue's lookup too
        standing = await shared_standing(engine)
        engine.session.manual_confirmations |= session_memory(standing.records.values())[1]
        return await release_status(engine, journal, standing, one_at_a_time=one_at_a_time)
