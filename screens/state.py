"""What the checklist shows, derived from engine events and the shared journal. Pure Python
(no textual), so tests can feed events and assert on states without a screen.

The states themselves, their glyphs and the rule that turns facts into what is shown live
in ``cockpit.states``, shared with `cockpit status`, the headless summary and the tracking
issue; this module only keeps the facts a screen learns, one event at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cockpit.events import (
    ActionApplying,
    ActionChecked,
    ActionFinished,
    Event,
    PromptAnswered,
    PromptAsked,
    StageFinished,
    StageStarted,
    Waiting,
)
from cockpit.model import Outcome, Status, Version
from cockpit.playbook import ActionSpec, Playbook, StageSpec, skipped_by_condition
from cockpit.prompts import fill_notation
from cockpit.states import (
    GLYPHS,
    OUTCOME_STATES,
    ActionFacts,
    Derived,
    StageFacts,
    State,
    View,
    derive,
    journal_state,
)

if TYPE_CHECKING:  # records arrive from the sync code, which loads after the first paint
    from cockpit.sync.records import StageRecord

__all__ = ["GLYPHS", "ActionState", "ReleaseState", "StageState", "State", "format_elapsed"]


class _Shown:
    """What a checklist line shows, read from its derived view."""

    view: View

    @property
    def status(self) -> State:
        return self.view.state

    @property
    def reason(self) -> str:
        return self.view.reason


@dataclass
class ActionState(_Shown):
    id: str
    title: str
    facts: ActionFacts = field(default_factory=ActionFacts)
    view: View = field(default_factory=lambda: View(State.TO_DO))
    manual: list[str] = field(default_factory=list)
    """Manual equivalents of what the cockpit did for this action, in order."""
    waiting_until: float | None = None
    """Clock time the current ``Waiting`` ends (for the countdown)."""
    irreversible: bool = False
    """A point of no return of this release: the checklist marks it."""

    @property
    def link(self) -> str | None:
        return self.facts.link


@dataclass
class StageState(_Shown):
    id: str
    title: str
    actions: dict[str, ActionState]
    facts: StageFacts = field(default_factory=StageFacts)
    view: View = field(default_factory=lambda: View(State.TO_DO))
    started: float | None = None
    """Clock time the stage started (back-dated to when the journal says it did)."""
    finished: float | None = None

    @property
    def irreversible(self) -> bool:
        """Holds a point of no return of this release."""
        return any(action.irreversible for action in self.actions.values())

    def elapsed(self, now: float) -> float | None:
        if self.started is None:
            return None
        return (self.finished if self.finished is not None else now) - self.started


def format_elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60:02}:{whole % 60:02}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _skipped_by(stage: StageSpec, spec: ActionSpec, version: Version | None,
                values: Mapping[str, Any] | None) -> str:
    """"skipped by condition: …" for an action a ``when`` expression leaves out."""
    if version is None:
        return ""
    if not stage.applies_to(version, values):
        return skipped_by_condition(stage.when, version, values) or ""
    return skipped_by_condition(spec.when, version, values) or ""


class ReleaseState:
    """Every stage and action's facts, updated by ``apply(event)``; ``changed`` collects
    what must be redrawn, since one fact can change the views of every later step."""

    def __init__(self, playbook: Playbook, clock: Callable[[], float],
                 version: Version | None = None,
                 wall: Callable[[], datetime] = _utc_now,
                 values: Mapping[str, Any] | None = None) -> None:
        self.clock = clock
        """Monotonic seconds, for countdowns and the elapsed time of a live stage."""
        self.wall = wall
        """The time of day, to place an event's or journal record's time on ``clock``."""
        self.stages: dict[str, StageState] = {}
        self.needs = playbook.needs
        """Which stages each waits on (``needs``; by default the one before it)."""
        for s in playbook.stages:
            stage_applies = version is None or s.applies_to(version, values)
            actions = {a.id: ActionState(a.id, fill_notation(a.title, version), ActionFacts(
                applicable=stage_applies and (version is None or a.applies_to(version, values)),
                skipped_by=_skipped_by(s, a, version, values)))
                for a in s.actions}
            self.stages[s.id] = StageState(s.id, s.title, actions,
                                           StageFacts(applicable=stage_applies))
        self.titles = {s.id: f"{n}. {s.title}" for n, s in enumerate(playbook.stages, 1)}
        self.derived = Derived()
        self.changed: set[tuple[str, str | None]] = set()
        self.deferring = False
        """While every check runs at once (the check-all), facts pile up and the views
        are derived once per frame (``flush``), not once per fact: deriving the whole
        release after each of ~300 facts cost more than the checks' own reading."""
        self._stale = False
        self.rederive()

    def _age(self, at: datetime) -> float:
        """Seconds since ``at`` (an event's or record's time), never negative."""
        return max(0.0, (self.wall() - at).total_seconds())

    def action(self, stage: str, action: str) -> ActionState | None:
        found = self.stages.get(stage)
        return found.actions.get(action) if found else None

    def mark_irreversible(self, items: list[tuple[str, str]]) -> None:
        """Flag these (stage, action) pairs as the release's points of no return."""
        for stage_id, action_id in items:
            action = self.action(stage_id, action_id)
            if action is not None:
                action.irreversible = True

    # -- derivation ---------------------------------------------------------------------

    def flush(self) -> bool:
        """Derive the views the facts gathered while ``deferring`` changed; True if any."""
        if not self._stale:
            return False
        self._stale = False
        self._derive()
        return True

    def rederive(self) -> None:
        """Recompute every view (once per frame while ``deferring``); remember those that
        changed."""
        if self.deferring:
            self._stale = True
            return
        self._derive()

    def _derive(self) -> None:
        derived = derive(
            [(s.id, list(s.actions)) for s in self.stages.values()],
            {(s.id, a.id): a.facts for s in self.stages.values() for a in s.actions.values()},
            {s.id: s.facts for s in self.stages.values()}, self.titles, self.needs)
        for stage in self.stages.values():
            view = derived.stages[stage.id]
            if view != stage.view:
                stage.view = view
                self.changed.add((stage.id, None))
            for action in stage.actions.values():
                view = derived.actions[(stage.id, action.id)]
                if view != action.view:
                    action.view = view
                    self.changed.add((stage.id, action.id))
        self.derived = derived

    def take_changed(self) -> set[tuple[str, str | None]]:
        changed, self.changed = self.changed, set()
        return changed

    def progress(self) -> tuple[int, int]:
        return self.derived.progress()

    def next_stage(self) -> str | None:
        return self.derived.next_stage()

    # -- facts from checks run by the front end -------------------------------------------

    def set_checking(self, stage_id: str, action_id: str | None, on: bool) -> None:
        """A read-only check is (or is no longer) in flight here."""
        stage = self.stages[stage_id]
        if action_id is None:
            if on or stage.facts.live is State.CHECKING:
                stage.facts.live = State.CHECKING if on else None
        else:
            action = stage.actions[action_id]
            if on or action.facts.live is State.CHECKING:
                action.facts.live = State.CHECKING if on else None
        self.rederive()

    def set_live(self, stage_id: str, live: State | None, reason: str = "") -> None:
        """A stage's run is starting here (claiming its lock) or has ended: ``None`` clears
        whatever a run that ended without a word (refused, crashed) left behind."""
        stage = self.stages[stage_id]
        stage.facts.live, stage.facts.reason = live, reason
        if live is None:
            for action in stage.actions.values():
                if action.facts.live is not None:
                    action.facts.live, action.waiting_until = None, None
        self.rederive()

    def fail_stage(self, stage_id: str, reason: str) -> None:
        """The stage's worker died (an error outside any action)."""
        stage = self.stages[stage_id]
        stage.facts.live, stage.facts.outcome, stage.facts.reason = None, State.FAILED, reason
        stage.finished = self.clock()
        for action in stage.actions.values():
            action.facts.live, action.waiting_until = None, None
        self.rederive()

    def apply_record(self, record: StageRecord, held_by: str | None = None, *,
                     watching: bool = False) -> None:
        """What the tracking issue's journal says of one stage (another machine's run):
        who did each action and when, how long the stage took, and who drives it now
        (``held_by``: "held by" for a driver, "running" for a shadow, which ``watching``)."""
        stage = self.stages.get(record.stage)
        if stage is None:
            return
        for result in record.actions:
            action = stage.actions.get(result.action)
            if action is not None and action.facts.live is None:
                action.facts.saw_outcome(result.outcome, result.reason, result.link,
                                         by=record.by, at=record.finished or record.updated)
        facts = stage.facts
        facts.by, facts.started, facts.finished = record.by, record.started, record.finished
        facts.held_by, facts.outcome, facts.reason = None, None, ""
        state = journal_state(record.status)
        if state is State.RUNNING and held_by is None:
            facts.outcome = State.CANCELLED
            facts.reason = (f"interrupted: {record.by}'s claim lapsed before the stage "
                            "finished; rerun it to resume")
        elif state is State.RUNNING and watching:
            facts.live, facts.reason = State.RUNNING, f"driven by {held_by}"
            stage.started = self.clock() - self._age(record.started)
        elif state is State.RUNNING:
            facts.held_by = held_by
        elif state in (State.CANCELLED, State.FAILED):
            facts.outcome = state
            facts.reason = f"{state.value} on {record.by}'s run: rerun it to resume"
        if state is not State.RUNNING and record.finished is not None:
            now = self.clock()
            stage.finished = now - self._age(record.finished)
            stage.started = stage.finished - (record.finished - record.started).total_seconds()
        self.rederive()

    # -- facts from engine events ---------------------------------------------------------

    def _next_checking(self, stage: StageState, after: str | None) -> None:
        ids = list(stage.actions)
        start = ids.index(after) + 1 if after in ids else 0
        for action_id in ids[start:]:
            if stage.actions[action_id].facts.applicable:
                stage.actions[action_id].facts.live = State.CHECKING
                return

    def apply(self, event: Event) -> tuple[str, str | None] | None:
        """Update for one event; return the (stage, action) it was about, if any."""
        stage = self.stages.get(getattr(event, "stage", ""))
        if stage is None:
            return None
        action_id: str | None = getattr(event, "action", None)
        action = stage.actions.get(action_id) if action_id else None
        if isinstance(event, StageStarted):
            self._started(stage, event)
        elif isinstance(event, StageFinished):
            self._finished(stage, event)
        elif action is None:
            return None
        else:
            self._action_event(stage, action, event)
        self.rederive()
        return stage.id, action_id

    def _started(self, stage: StageState, event: StageStarted) -> None:
        facts = stage.facts
        facts.live, facts.outcome, facts.reason, facts.held_by = State.RUNNING, None, "", None
        facts.by = f"{event.driver}@{event.host}" if event.driver else None
        facts.started, facts.finished = event.at, None
        stage.started, stage.finished = self.clock() - self._age(event.at), None
        for each in stage.actions.values():
            each.waiting_until = None
            each.facts.live = None
        if not event.read_only:
            self._next_checking(stage, None)

    def _finished(self, stage: StageState, event: StageFinished) -> None:
        facts = stage.facts
        state = OUTCOME_STATES[event.outcome]
        facts.live = None
        facts.outcome = state if state in (State.CANCELLED, State.FAILED) else None
        facts.reason = event.reason if facts.outcome else ""
        facts.finished = event.at
        if stage.started is not None and facts.started is not None:
            stage.finished = stage.started + (event.at - facts.started).total_seconds()
        else:
            stage.finished = self.clock()
        for each in stage.actions.values():
            each.waiting_until = None
            each.facts.live = None
        if event.outcome is Outcome.NOT_APPLICABLE:
            facts.applicable = False

    def _action_event(self, stage: StageState, action: ActionState, event: Event) -> None:
        facts = action.facts
        running = stage.facts.live is not None and stage.facts.live is not State.CHECKING
        if isinstance(event, ActionChecked):
            facts.saw_check(event.result)
            action.waiting_until = None
            incomplete = event.result.status is Status.INCOMPLETE
            facts.live = State.RUNNING if running and incomplete else None
            if running:
                stage.facts.live = State.RUNNING
        elif isinstance(event, ActionApplying):
            facts.live = State.RUNNING
        elif isinstance(event, Waiting):
            facts.live = State.REVIEW if event.review else State.WAITING
            facts.reason = event.reason
            action.waiting_until = self.clock() + event.seconds
            if running:
                stage.facts.live = facts.live
        elif isinstance(event, PromptAsked):
            facts.live = State.NEEDS_YOU
            facts.reason = event.prompt.title
            if running:
                stage.facts.live = State.NEEDS_YOU
        elif isinstance(event, PromptAnswered):
            facts.live = State.RUNNING
            if running:
                stage.facts.live = State.RUNNING
        elif isinstance(event, ActionFinished):
            facts.saw_outcome(event.outcome, event.reason, event.link, by=stage.facts.by,
                              at=event.at)
            facts.live = None
            action.waiting_until = None
            if running:
                stage.facts.live = State.RUNNING
                if facts.seen in (State.DONE, State.SKIPPED, State.NOT_APPLICABLE):
                    self._next_checking(stage, action.id)
