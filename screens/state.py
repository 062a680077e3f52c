"""What the checklist shows, derived from engine events. Pure Python (no textual), so tests
can feed events and assert on statuses without a screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

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
from cockpit.model import CheckResult, Outcome, Status
from cockpit.playbook import Playbook


class UiStatus(StrEnum):
    PENDING = "pending"
    CHECKING = "checking"
    RUNNING = "running"
    DONE = "done"
    IN_PROGRESS = "in progress"
    NEEDS_YOU = "needs you"
    FAILED = "failed"
    SKIPPED = "skipped"


GLYPHS: dict[UiStatus, tuple[str, str]] = {
    UiStatus.PENDING: ("·", "dim"),
    UiStatus.CHECKING: ("?", "cyan"),
    UiStatus.RUNNING: ("▶", "bold yellow"),
    UiStatus.DONE: ("✔", "bold green"),
    UiStatus.IN_PROGRESS: ("◐", "bold blue"),
    UiStatus.NEEDS_YOU: ("!", "bold magenta"),
    UiStatus.FAILED: ("✘", "bold red"),
    UiStatus.SKIPPED: ("↷", "dim"),
}
"""Glyph and Rich style per status: the glyph carries the meaning without colour."""

_FROM_CHECK = {Status.DONE: UiStatus.DONE, Status.IN_PROGRESS: UiStatus.IN_PROGRESS,
               Status.INCOMPLETE: UiStatus.PENDING, Status.FAILED: UiStatus.FAILED}
_FROM_OUTCOME = {Outcome.DONE: UiStatus.DONE, Outcome.SKIPPED: UiStatus.SKIPPED,
                 Outcome.NOT_APPLICABLE: UiStatus.SKIPPED, Outcome.FAILED: UiStatus.FAILED,
                 Outcome.ABORTED: UiStatus.FAILED, Outcome.NEEDS_HUMAN: UiStatus.NEEDS_YOU}


def status_from_check(result: CheckResult) -> UiStatus:
    return _FROM_CHECK[result.status]


@dataclass
class ActionState:
    id: str
    title: str
    status: UiStatus = UiStatus.PENDING
    reason: str = ""
    link: str | None = None
    manual: list[str] = field(default_factory=list)
    """Manual equivalents of what the cockpit did for this action, in order."""
    waiting_until: float | None = None
    """Clock time the current ``Waiting`` ends (for the countdown)."""


@dataclass
class StageState:
    id: str
    title: str
    actions: dict[str, ActionState]
    status: UiStatus = UiStatus.PENDING
    reason: str = ""
    started: float | None = None
    finished: float | None = None

    def elapsed(self, now: float) -> float | None:
        if self.started is None:
            return None
        return (self.finished if self.finished is not None else now) - self.started

    def rollup(self) -> UiStatus:
        """A stage's status from its actions, when no run is under way."""
        statuses = [a.status for a in self.actions.values()]
        for wanted in (UiStatus.FAILED, UiStatus.NEEDS_YOU, UiStatus.RUNNING,
                       UiStatus.IN_PROGRESS, UiStatus.CHECKING):
            if wanted in statuses:
                return wanted
        if statuses and all(s in (UiStatus.DONE, UiStatus.SKIPPED) for s in statuses):
            return UiStatus.DONE if UiStatus.DONE in statuses else UiStatus.SKIPPED
        return UiStatus.PENDING


def format_elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60:02}:{whole % 60:02}"


class ReleaseState:
    """Every stage and action's status, updated by ``apply(event)``."""

    def __init__(self, playbook: Playbook, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.stages: dict[str, StageState] = {
            s.id: StageState(s.id, s.title, {a.id: ActionState(a.id, a.title) for a in s.actions})
            for s in playbook.stages
        }

    def action(self, stage: str, action: str) -> ActionState | None:
        found = self.stages.get(stage)
        return found.actions.get(action) if found else None

    def _next_checking(self, stage: StageState, after: str | None) -> None:
        ids = list(stage.actions)
        start = ids.index(after) + 1 if after in ids else 0
        if start < len(ids):
            stage.actions[ids[start]].status = UiStatus.CHECKING

    def apply(self, event: Event) -> tuple[str, str | None] | None:
        """Update for one event; return the (stage, action) that changed, if any."""
        stage = self.stages.get(getattr(event, "stage", ""))
        if stage is None:
            return None
        now = self.clock()
        action_id: str | None = getattr(event, "action", None)
        action = stage.actions.get(action_id) if action_id else None
        if isinstance(event, StageStarted):
            stage.status, stage.reason = UiStatus.RUNNING, ""
            stage.started, stage.finished = now, None
            for each in stage.actions.values():
                each.waiting_until = None
            self._next_checking(stage, None)
        elif isinstance(event, StageFinished):
            stage.finished = now
            stage.status, stage.reason = _FROM_OUTCOME[event.outcome], event.reason
            for each in stage.actions.values():
                each.waiting_until = None
                if each.status is UiStatus.CHECKING:
                    each.status = UiStatus.PENDING
        elif action is None:
            return None
        elif isinstance(event, ActionChecked):
            action.status = status_from_check(event.result)
            action.reason, action.link = event.result.reason, event.result.link or action.link
            action.waiting_until = None
            if stage.started is not None and stage.finished is None:
                stage.status = UiStatus.RUNNING
                if action.status is UiStatus.PENDING:
                    action.status = UiStatus.RUNNING
        elif isinstance(event, ActionApplying):
            action.status = UiStatus.RUNNING
        elif isinstance(event, Waiting):
            action.status, action.reason = UiStatus.IN_PROGRESS, event.reason
            action.waiting_until = now + event.seconds
            stage.status = UiStatus.IN_PROGRESS
        elif isinstance(event, PromptAsked):
            action.status = UiStatus.NEEDS_YOU
            stage.status = UiStatus.NEEDS_YOU
        elif isinstance(event, PromptAnswered):
            action.status = UiStatus.RUNNING
            stage.status = UiStatus.RUNNING
        elif isinstance(event, ActionFinished):
            action.status, action.reason = _FROM_OUTCOME[event.outcome], event.reason
            action.link = event.link or action.link
            action.waiting_until = None
            if stage.status is UiStatus.RUNNING and action.status in (UiStatus.DONE,
                                                                      UiStatus.SKIPPED):
                self._next_checking(stage, action.id)
        return stage.id, action_id
