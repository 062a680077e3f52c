"""One state model for every view of a release: the TUI, the shadow, `cockpit status`, the
headless summary and the tracking issue's checklist all say the same thing.

The facts come from three places: read-only checks of the world, the outcomes of runs
(this process's or the shared journal's), and what is under way right now. Which of ten
states an action is in follows from those facts *and from where it sits in the release*:
a check that finds no tracking issue in stage 2 while stage 1 (which creates it) has not
run is not a failure, it is blocked by stage 1. That ordering rule is what keeps a fresh
release from painting red; it lives here, once, so no front end can get it wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cockpit import stage_order
from cockpit.model import CheckResult, Outcome, Status


class State(StrEnum):
    """What a person needs to know of one action or stage, in their words."""

    TO_DO = "to do"
    BLOCKED = "blocked"
    NOT_APPLICABLE = "not applicable"
    CHECKING = "checking"
    RUNNING = "running"
    WAITING = "waiting"
    NEEDS_YOU = "needs you"
    REVIEW = "waiting for review"
    HELD = "held"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


GLYPHS: dict[State, tuple[str, str]] = {
    State.TO_DO: ("○", "dim"),
    State.BLOCKED: ("⊘", "yellow"),
    State.NOT_APPLICABLE: ("·", "dim"),
    State.CHECKING: ("?", "cyan"),
    State.RUNNING: ("●", "bold yellow"),
    State.WAITING: ("◐", "bold blue"),
    State.NEEDS_YOU: ("!", "bold magenta"),
    State.REVIEW: ("◎", "bold magenta"),
    State.HELD: ("◆", "bold cyan"),
    State.DONE: ("✔", "bold green"),
    State.SKIPPED: ("↷", "dim"),
    State.FAILED: ("✘", "bold red"),
    State.CANCELLED: ("■", "yellow"),
}
"""Glyph and Rich style per state. Each glyph is distinct and single-width, so the meaning
survives without colour; none is the tree's own ▶/▼ (collapsed/expanded)."""

POINT_OF_NO_RETURN: tuple[str, str] = ("⚑", "bold red")
"""The mark (and its style) of an irreversible action, and of a stage that holds one, beside
its state glyph: a fact about the action, not a state, so it never replaces one. Distinct
from every glyph above and from ▶/▼, and single-width: ⚠ would be the natural sign, but
terminals draw it as a two-cell emoji as often as not."""

POINT_OF_NO_RETURN_MEANING = ("a point of no return: irreversible once applied (a pushed tag, "
                              "a published package or release, a post once read); it asks "
                              "for a typed confirmation")
"""The mark's line in the help screen and the README."""

STATE_MEANINGS: dict[State, str] = {
    State.TO_DO: "its turn has come; nothing of it is done yet",
    State.BLOCKED: "waits on an earlier stage or action (named beside it)",
    State.NOT_APPLICABLE: "not part of this kind of release (RC, final, patch), or skipped "
                          "by its condition",
    State.CHECKING: "a read-only check is under way",
    State.RUNNING: "being done now",
    State.WAITING: "waiting on something outside (a workflow run, CI), polled",
    State.NEEDS_YOU: "a question or a by-hand step is waiting for you",
    State.REVIEW: "a point of no return waits for a second maintainer's approval "
                  "(`cockpit review`)",
    State.HELD: "another driver holds this stage (its claim on the tracking issue)",
    State.DONE: "done, checked in the world (by whom and when, where known)",
    State.SKIPPED: "skipped by a driver, with a reason",
    State.FAILED: "something went wrong (the reason is shown)",
    State.CANCELLED: "a run stopped before it finished; rerun to resume",
}
"""One line per state: the help screen and the README say the same."""

COMPLETE: frozenset[State] = frozenset({State.DONE, State.SKIPPED, State.NOT_APPLICABLE})
"""Nothing more to do here: later steps may go on."""

LIVE: frozenset[State] = frozenset({State.CHECKING, State.RUNNING, State.WAITING,
                                    State.NEEDS_YOU, State.REVIEW})
"""Under way in this process right now."""

OUTCOME_STATES: dict[Outcome, State] = {
    Outcome.DONE: State.DONE,
    Outcome.SKIPPED: State.SKIPPED,
    Outcome.NOT_APPLICABLE: State.NOT_APPLICABLE,
    Outcome.FAILED: State.FAILED,
    Outcome.ABORTED: State.FAILED,
    Outcome.NEEDS_HUMAN: State.NEEDS_YOU,
    Outcome.CANCELLED: State.CANCELLED,
    Outcome.AWAITING_REVIEW: State.REVIEW,
    Outcome.BLOCKED: State.BLOCKED,
}

CHECK_STATES: dict[Status, State] = {
    Status.DONE: State.DONE,
    Status.IN_PROGRESS: State.WAITING,
    Status.INCOMPLETE: State.TO_DO,
    Status.FAILED: State.FAILED,
}


def outcome_words(outcome: Outcome | str) -> str:
    """An outcome as a person says it ("needs you", not ``needs_human``)."""
    try:
        known = Outcome(outcome)
    except ValueError:
        return str(outcome).replace("_", " ")
    return "aborted" if known is Outcome.ABORTED else OUTCOME_STATES[known].value


def journal_state(status: str) -> State:
    """A stage status as the shared journal records it ("running", or an outcome)."""
    if status == "running":
        return State.RUNNING
    try:
        return OUTCOME_STATES[Outcome(status)]
    except ValueError:
        return State.FAILED


@dataclass
class ActionFacts:
    """What is known of one action. Front ends set these; ``derive`` reads them."""

    applicable: bool = True
    skipped_by: str = ""
    """Why it does not apply, when a ``when`` expression says so ("skipped by condition:
    …"); empty for the release-kind words, which say it as before."""
    seen: State | None = None
    """The latest word on it: a check's result or a run's outcome, whichever came last."""
    reason: str = ""
    link: str | None = None
    from_check: bool = True
    """``seen`` came from a read-only check (not a run): only then may a "failed" or
    "to do" mean "its turn has not come" rather than what it says."""
    live: State | None = None
    """Checking, running, waiting or needs you, while that is under way here."""
    by: str | None = None
    """Who recorded the outcome (driver@host), when it came from the shared journal."""
    at: datetime | None = None

    def saw_check(self, result: CheckResult) -> None:
        seen = CHECK_STATES[result.status]
        if self.seen is State.REVIEW and seen is State.TO_DO:
            return  # not done, and a review request is out: it waits for the reviewer
        if not (seen is State.DONE and self.seen is State.DONE):  # who did it still holds
            self.by = self.at = None
        self.seen, self.from_check = seen, True
        self.reason, self.link = result.reason, result.link or self.link

    def saw_outcome(self, outcome: Outcome, reason: str, link: str | None = None, *,
                    by: str | None = None, at: datetime | None = None) -> None:
        self.seen, self.from_check = OUTCOME_STATES[outcome], False
        self.reason, self.link = reason, link or self.link
        self.by, self.at = by, at


@dataclass
class StageFacts:
    applicable: bool = True
    live: State | None = None
    """Running (or checking) here now."""
    outcome: State | None = None
    """How its last run ended, if it ended without every action complete (cancelled,
    failed before any action)."""
    reason: str = ""
    held_by: str | None = None
    """Another driver's claim (``alice@laptop until 14:05``) while it holds the stage."""
    by: str | None = None
    started: datetime | None = None
    finished: datetime | None = None


@dataclass(frozen=True)
class View:
    """What to show for one action or stage."""

    state: State
    reason: str = ""
    blocked_by: str | None = None
    """The stage (or ``stage/action``) this waits on."""
    link: str | None = None
    by: str | None = None
    at: datetime | None = None

    @property
    def glyph(self) -> str:
        return GLYPHS[self.state][0]

    @property
    def style(self) -> str:
        return GLYPHS[self.state][1]

    def sentence(self) -> str:
        """``done — by alice@vm at 14:02``, ``blocked — waits on tag``."""
        parts = [self.state.value]
        if self.blocked_by:
            parts.append(f"waits on {self.blocked_by}")
        if self.by:
            who = "started by" if self.state in LIVE else "by"
            parts.append(f"{who} {self.by}" + (f" at {self.at:%H:%M} UTC" if self.at else ""))
        if self.reason:
            parts.append(self.reason)
        return " — ".join(parts)


@dataclass
class Derived:
    """Every action's and stage's view, in playbook order."""

    actions: dict[tuple[str, str], View] = field(default_factory=dict)
    stages: dict[str, View] = field(default_factory=dict)

    def next_stage(self) -> str | None:
        """The first stage a driver should run next (to do, failed, cancelled, needs you)."""
        for stage, view in self.stages.items():
            if view.state not in COMPLETE and view.state is not State.BLOCKED:
                return stage
        return None

    def progress(self) -> tuple[int, int]:
        """(stages complete, stages that apply)."""
        applicable = [v for v in self.stages.values() if v.state is not State.NOT_APPLICABLE]
        return sum(v.state in COMPLETE for v in applicable), len(applicable)


Order = Sequence[tuple[str, Sequence[str]]]
"""The release's stages in order, each with its actions in order."""


def derive(order: Order, actions: Mapping[tuple[str, str], ActionFacts],
           stages: Mapping[str, StageFacts] | None = None,
           titles: Mapping[str, str] | None = None,
           needs: stage_order.Needs | None = None) -> Derived:
    """Every view, from the facts and the order. ``titles`` names stages in "waits on";
    ``needs`` (the playbook's) says which earlier stages a stage waits on: without it,
    every earlier one."""
    stages = stages or {}
    titles = titles or {}
    out = Derived()
    incomplete: list[str] = []
    """Earlier stages that are not complete, in order."""
    for stage_id, action_ids in order:
        open_stage = _open_need(stage_id, incomplete, needs)
        """The first stage it needs that is not complete: its steps wait on it."""
        sfacts = stages.get(stage_id) or StageFacts()
        open_action: str | None = None
        views: list[tuple[str, View]] = []
        for action_id in action_ids:
            facts = actions.get((stage_id, action_id)) or ActionFacts()
            view = _action_view(facts, open_stage, open_action, titles)
            out.actions[(stage_id, action_id)] = view
            views.append((action_id, view))
            if view.state not in COMPLETE and open_action is None:
                open_action = action_id
        view = _stage_view(sfacts, views, open_stage, titles)
        out.stages[stage_id] = view
        if view.state not in COMPLETE:
            incomplete.append(stage_id)
    return out


def _open_need(stage_id: str, incomplete: list[str], needs: stage_order.Needs | None
               ) -> str | None:
    if needs is None:
        return incomplete[0] if incomplete else None
    wanted = stage_order.ancestors(needs, stage_id)
    return next((s for s in incomplete if s in wanted), None)


def _action_view(facts: ActionFacts, open_stage: str | None, open_action: str | None,
                 titles: Mapping[str, str]) -> View:
    if not facts.applicable:
        return View(State.NOT_APPLICABLE, facts.skipped_by or "does not apply to this release")
    if facts.live is not None:
        return View(facts.live, facts.reason if facts.live is not State.CHECKING else "",
                    link=facts.link)
    seen = facts.seen or State.TO_DO
    waiting_on = open_stage and titles.get(open_stage, open_stage)
    # A check before its turn finds the world as the earlier steps left it: missing things
    # (failed), nothing to wait for yet (waiting). Only a run's outcome stands as it is.
    early = facts.from_check and seen in (State.FAILED, State.WAITING)
    if (seen is State.TO_DO or early) and waiting_on:
        return View(State.BLOCKED, _not_yet(facts), blocked_by=waiting_on, link=facts.link)
    if early and open_action:
        return View(State.BLOCKED, _not_yet(facts), blocked_by=open_action, link=facts.link)
    return View(seen, facts.reason, link=facts.link, by=facts.by, at=facts.at)


def _not_yet(facts: ActionFacts) -> str:
    """What the check said, framed as what it is: the state before its turn."""
    if facts.seen is None or not facts.reason:
        return ""
    return f"not yet: {facts.reason}"


_STAGE_PRECEDENCE = (State.FAILED, State.NEEDS_YOU, State.REVIEW, State.RUNNING,
                     State.WAITING, State.CHECKING, State.CANCELLED)


def _stage_view(facts: StageFacts, actions: Sequence[tuple[str, View]],
                open_stage: str | None, titles: Mapping[str, str]) -> View:
    states = [view.state for _, view in actions]
    if not facts.applicable or (states and all(s is State.NOT_APPLICABLE for s in states)):
        return View(State.NOT_APPLICABLE, "does not apply to this release")
    if facts.live is not None:
        return View(facts.live, facts.reason, by=facts.by, at=facts.started)
    if facts.held_by and State.REVIEW not in states:  # held while it waits: say what for
        return View(State.HELD, f"held by {facts.held_by}", by=facts.held_by)
    if states and all(s in COMPLETE for s in states):
        state = State.DONE if State.DONE in states else State.SKIPPED
        return View(state, "", by=facts.by, at=facts.finished)
    if facts.outcome in (State.CANCELLED, State.FAILED) and not any(
            s in (State.FAILED, State.NEEDS_YOU) for s in states):
        return View(facts.outcome, facts.reason, by=facts.by, at=facts.finished)
    for wanted in _STAGE_PRECEDENCE:
        for action_id, view in actions:
            if view.state is wanted:
                reason = f"{action_id}: {view.reason}" if view.reason else action_id
                return View(wanted, reason, by=view.by, at=view.at)
    first_open = next((view for _, view in actions if view.state not in COMPLETE), None)
    if open_stage and (first_open is None or first_open.state is State.BLOCKED):
        return View(State.BLOCKED, "", blocked_by=titles.get(open_stage, open_stage))
    return View(State.TO_DO, facts.reason if facts.outcome else "")
