"""Typed events: the one stream the engine emits and every front end reads.

The TUI, the terminal runner, the local journal and (later) the tracking-issue
journal all consume the same events, so each is a pydantic model with a
``type`` tag that serialises to one JSON line and parses back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from cockpit.model import CheckResult, Outcome
from cockpit.prompts import Prompt, PromptAnswer


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    release: str
    """The release key (playbook and version) the event belongs to."""
    at: datetime = Field(default_factory=_now)


class StageStarted(_Event):
    type: Literal["stage_started"] = "stage_started"
    stage: str
    driver: str
    host: str
    read_only: bool = False


class ActionChecked(_Event):
    type: Literal["action_checked"] = "action_checked"
    stage: str
    action: str
    result: CheckResult


class ActionApplying(_Event):
    type: Literal["action_applying"] = "action_applying"
    stage: str
    action: str


class LogLine(_Event):
    type: Literal["log"] = "log"
    stage: str
    action: str | None = None
    line: str
    manual: str | None = None
    """The manual equivalent of what was just done (a git command, a `gh api` call)."""


class Waiting(_Event):
    """The engine sleeps before re-checking something in progress (or a rate limit)."""

    type: Literal["waiting"] = "waiting"
    stage: str
    action: str
    seconds: float
    reason: str
    review: bool = False
    """The wait is for a second maintainer's approval (``review = "required"``), not for a
    workflow: every view says "waiting for review"."""


class PromptAsked(_Event):
    type: Literal["prompt_asked"] = "prompt_asked"
    stage: str
    action: str
    prompt: Prompt


class PromptAnswered(_Event):
    type: Literal["prompt_answered"] = "prompt_answered"
    stage: str
    action: str
    prompt_id: str
    answer: PromptAnswer


class ActionFinished(_Event):
    type: Literal["action_finished"] = "action_finished"
    stage: str
    action: str
    outcome: Outcome
    reason: str
    link: str | None = None


class StageFinished(_Event):
    type: Literal["stage_finished"] = "stage_finished"
    stage: str
    outcome: Outcome
    reason: str


Event = Annotated[
    StageStarted
    | ActionChecked
    | ActionApplying
    | LogLine
    | Waiting
    | PromptAsked
    | PromptAnswered
    | ActionFinished
    | StageFinished,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event, config=ConfigDict(defer_build=True))


def event_to_json(event: Event) -> str:
    return event.model_dump_json()


def event_from_json(line: str) -> Event:
    return EVENT_ADAPTER.validate_json(line)
