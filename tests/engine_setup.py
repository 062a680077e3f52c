"""Small playbooks and an engine over them, for tests (and benchmarks) of the engine itself.

Why here: the engine tests, the kind-shape tests and the log pane benchmark each wrote a
playbook out in TOML, stage by stage, and built the same engine with quick polling; the
shape was copied three times. ``playbook`` writes the TOML from a short list and parses it
with ``parse_playbook`` (so kinds are checked as in a real playbook); ``make_engine`` builds an
``Engine`` on it that records every event it publishes.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.events import Event
from cockpit.model import Release, Version
from cockpit.playbook import Playbook, parse_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.settings import Settings


class Act(NamedTuple):
    """One action of a stage; its title is its id capitalized unless one is given."""

    id: str
    kind: str
    params: dict[str, str | int] = {}
    title: str = ""
    reversibility: str = ""
    """The playbook's override of the kind's class, when given."""


class Stage(NamedTuple):
    """One stage; its title is its id capitalized unless one is given."""

    id: str
    actions: list[Act]
    title: str = ""
    summary: str = "s"


def playbook_text(name: str, title: str, stages: list[Stage]) -> str:
    """The playbook's TOML, as a person would write it."""
    lines = [f"name = {json.dumps(name)}", f"title = {json.dumps(title)}"]
    for stage in stages:
        lines += ["[[stages]]", f"id = {json.dumps(stage.id)}",
                  f"title = {json.dumps(stage.title or stage.id.capitalize())}",
                  f"summary = {json.dumps(stage.summary)}"]
        for act in stage.actions:
            lines += ["[[stages.actions]]", f"id = {json.dumps(act.id)}",
                      f"kind = {json.dumps(act.kind)}",
                      f"title = {json.dumps(act.title or act.id.capitalize())}"]
            if act.reversibility:
                lines.append(f"reversibility = {json.dumps(act.reversibility)}")
            if act.params:
                pairs = ", ".join(f"{key} = {json.dumps(value)}"
                                  for key, value in act.params.items())
                lines.append(f"params = {{ {pairs} }}")
    return "\n".join(lines) + "\n"


def playbook(*stages: Stage, name: str = "t", title: str = "T") -> Playbook:
    """A parsed playbook of ``stages`` (kinds must be registered or declared)."""
    return parse_playbook(playbook_text(name, title, list(stages)), f"{name}.toml")


def make_engine(plan: Playbook, answers: dict[str, PromptAnswer] | None = None,
                timeout: float = 5, settings: Settings | None = None
                ) -> tuple[Engine, list[Event]]:
    """An engine on ``plan`` polling every 10-20 ms for at most ``timeout`` seconds (or on
    ``settings`` when given), answering prompts from ``answers``; the list fills with every
    event it publishes."""
    settings = settings or Settings(poll_initial_seconds=0.01, poll_max_seconds=0.02,
                                    poll_timeout_seconds=timeout)
    release = Release(playbook=plan.name, version=Version.parse("v1.0.0"), driver="d",
                      host="h")
    built = Engine(plan, Session(settings=settings, prompter=AnswersPrompter(answers),
                                 release=release), EventBus())
    events: list[Event] = []
    built.bus.listen(events.append)
    return built, events
