"""The one harness for kind tests: run the built-in playbook's own actions through the engine.

A kind test runs what a release runs: stages (or named actions) of the **built-in**
playbook, cut out with ``built_in("publish-to-npm/npm-dispatch", ...)``, so a test can
never drift from the playbook (a copied fragment once said ``max_reruns = 1`` where the
playbook says 3). ``inline(...)`` builds a one-stage playbook from (id, kind, params) for
the cases the playbook does not hold (a parameter's other values, a failure on purpose).

``Run`` drives a playbook's stages through a fresh engine and session, as a driver's
rerun would, and keeps the events; ``make_engine`` gives the engine itself for tests that
check one action or run several stages on one session. The ``sandbox`` fixture
(``tests/conftest.py``, with the kinds' options in ``tests/kinds/conftest.py``) points the
cockpit's settings at a seeded sandbox.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from cockpit.actions import reversibility_of
from cockpit.bus import EventBus
from cockpit.context import ReadOnlyViolation, Session
from cockpit.engine import Engine, StageReport
from cockpit.events import ActionApplying, ActionChecked, ActionFinished, Event, LogLine
from cockpit.model import Outcome, Release, Reversibility, Status, Version
from cockpit.playbook import Playbook, load_playbook, parse_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from cockpit.settings import Settings

KUBO = "ipfs/kubo"
BUILT_IN = load_playbook()
"""The playbook the cockpit ships: every ``built_in(...)`` cut is taken from it."""

Action = tuple[str, str, dict[str, Any]]
"""(id, kind, params) of an ``inline`` action."""


def built_in(*names: str) -> Playbook:
    """The built-in playbook cut down to ``names``: a stage id keeps the whole stage,
    ``stage/action`` keeps that action; stages and actions keep the playbook's order."""
    known = {stage.id: {a.id for a in stage.actions} for stage in BUILT_IN.stages}
    wanted: dict[str, set[str]] = {}
    for name in names:
        stage, _, action = name.partition("/")
        assert stage in known and (not action or action in known[stage]), \
            f"{name} is not in the built-in playbook"
        wanted.setdefault(stage, set()).update([action] if action else [])
    stages = [stage.model_copy(update={"actions": [
                  a for a in stage.actions if not wanted[stage.id] or a.id in wanted[stage.id]]})
              for stage in BUILT_IN.stages if stage.id in wanted]
    return BUILT_IN.model_copy(update={"stages": stages})


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        pairs = (f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def inline(actions: list[Action], *, stage: str = "s") -> Playbook:
    """One stage of actions (id, kind, params) with the built-in playbook's ``[vars]``,
    validated like any playbook (unknown kinds and bad params fail here)."""
    out = ['name = "t"', 'title = "T"', "[vars]",
           *(f"{key} = {_toml(value)}" for key, value in BUILT_IN.vars.items()),
           "[[stages]]", f'id = "{stage}"', 'title = "S"', 'summary = "s"']
    for action_id, kind, params in actions:
        out += ["[[stages.actions]]", f'id = "{action_id}"', f'kind = "{kind}"',
                f'title = "{action_id}"', f"params = {_toml(params)}"]
    return parse_playbook("\n".join(out) + "\n", "inline.toml")


def make_engine(playbook: Playbook, version: str = "v0.30.0", *, read_only: bool = False,
                answers: dict[str, Any] | None = None, poll_timeout: float = 20
                ) -> tuple[Engine, list[Event]]:
    """An engine on a fresh session (quick polls), and the list its events land in.

    ``answers`` maps prompt ids (a trailing ``*`` matches a prefix) to answer values. Every
    point of no return (an irreversible action) is confirmed, as the driver would type it,
    unless ``answers`` says otherwise for its ``stage/action/confirm``."""
    settings = Settings(poll_initial_seconds=0.05, poll_max_seconds=0.2,
                        poll_timeout_seconds=poll_timeout)
    release = Release(playbook=playbook.name, version=Version.parse(version), driver="d",
                      host="h")
    confirmed = {f"{stage.id}/{spec.id}/confirm": True for stage in playbook.stages
                 for spec in stage.actions
                 if reversibility_of(spec.kind, spec.reversibility) is Reversibility.IRREVERSIBLE}
    prompter = AnswersPrompter({k: PromptAnswer(value=v)
                                for k, v in {**confirmed, **(answers or {})}.items()})
    engine = Engine(playbook, Session(settings=settings, prompter=prompter, release=release,
                                      read_only=read_only), EventBus())
    events: list[Event] = []
    engine.bus.listen(events.append)
    return engine, events


class Run:
    """Runs every stage of a playbook (or of ``inline(actions)``) in order on one fresh
    engine, stopping at the first that is not done (as a driver would); keeps the events.

    ``abort=True`` answers every failure "abort", so the report carries the reason and the
    link instead of waiting for a human."""

    def __init__(self, playbook: Playbook | list[Action], version: str = "v0.30.0",
                 answers: dict[str, Any] | None = None, *, abort: bool = False,
                 poll_timeout: float = 20) -> None:
        self.playbook = playbook if isinstance(playbook, Playbook) else inline(playbook)
        self.version = version
        stages = [s.id for s in self.playbook.stages]
        self.answers = {**({f"{s}/*": "abort" for s in stages} if abort else {}),
                        **(answers or {})}
        self.poll_timeout = poll_timeout
        self.events: list[Event] = []

    async def __call__(self) -> StageReport:
        engine, self.events = make_engine(self.playbook, self.version, answers=self.answers,
                                          poll_timeout=self.poll_timeout)
        try:
            for stage in self.playbook.stages:
                report = await engine.run_stage(stage.id)
                if report.outcome is not Outcome.DONE:
                    break
            return report
        finally:
            await engine.session.aclose()

    @property
    def applied(self) -> list[str]:
        return applied(self.events)

    def log_text(self) -> str:
        return "\n".join(e.line for e in self.events if isinstance(e, LogLine))


def applied(events: list[Event]) -> list[str]:
    """The actions applied, in order."""
    return [e.action for e in events if isinstance(e, ActionApplying)]


def first_checks(events: list[Event]) -> dict[str, Status]:
    """Each action's status at its first check."""
    out: dict[str, Status] = {}
    for e in events:
        if isinstance(e, ActionChecked) and e.action not in out:
            out[e.action] = e.result.status
    return out


def outcomes(source: StageReport | list[Event]) -> dict[str, Outcome]:
    """Each action's outcome, from a stage report or from events."""
    if isinstance(source, StageReport):
        return {a.action: a.outcome for a in source.actions}
    return {e.action: e.outcome for e in source if isinstance(e, ActionFinished)}


async def run_until_done(playbook: Playbook, stage: str, version: str = "v0.30.0",
                         attempts: int = 12) -> None:
    """Rerun a stage (fresh engine each time, like a driver would) until it is done."""
    for _ in range(attempts):
        engine, _ = make_engine(playbook, version)
        try:
            report = await engine.run_stage(stage)
        finally:
            await engine.session.aclose()
        if report.outcome is Outcome.DONE:
            return
    raise AssertionError(f"stage {stage} not done after {attempts} runs: {report}")


def api(handle: SandboxHandle) -> GitHubClient:
    """A GitHub client with the sandbox's admin token, for a test's own setup and reads."""
    return GitHubClient(handle.api_url, handle.admin_token)


def mutations_since(handle: SandboxHandle, since: float) -> list[dict[str, Any]]:
    """Mutating requests that *started* after ``since`` (a request is logged when it ends,
    so the log may still gain one that the test saw answered before)."""
    return [r for r in handle.requests(mutating=True) if r["time"] >= since]


async def read_only_refuses(handle: SandboxHandle, playbook: Playbook, stage_id: str,
                            actions: list[str], version: str = "v0.30.0") -> None:
    """A read-only session says what it would do and sends nothing; and below the engine,
    each of ``actions``' ``apply()`` is refused (by the HTTP layer or the kind's guard)."""
    since = time.time()
    shadow, _ = make_engine(playbook, version, read_only=True)
    report = await shadow.run_stage(stage_id)
    assert report.outcome is Outcome.NEEDS_HUMAN and "read-only" in report.reason
    stage = shadow.stage(stage_id)
    for spec in stage.actions:
        kind = shadow.build(stage, spec)
        if spec.id in actions:
            assert kind is not None
            with pytest.raises(ReadOnlyViolation):
                await kind.apply()
    await shadow.session.aclose()
    assert not mutations_since(handle, since)
