"""Engine semantics with small in-memory kinds: polling, failure prompts, re-checks."""

from __future__ import annotations

from typing import ClassVar

import pytest

from cockpit.actions.base import REGISTRY, Params, Step, Wait, register
from cockpit.engine import Engine, Verdict
from cockpit.events import (
    ActionApplying,
    ActionChecked,
    ActionFinished,
    Event,
    LogLine,
    PromptAsked,
    Waiting,
)
from cockpit.model import CheckResult, Outcome, Reversibility
from cockpit.playbook import parse_playbook
from cockpit.prompts import Confirm, PromptAnswer
from cockpit.settings import Settings
from tests.engine_setup import Act, Stage, make_engine, playbook


class CounterParams(Params):
    name: str


class World:
    """What the test kinds read and write: a dict standing in for a service."""

    state: ClassVar[dict[str, object]] = {}


@register
class Counter(Step[CounterParams]):
    """Done once ``apply`` has run; applies raise while ``fail_apply`` is set."""

    kind = "test.counter"
    summary = "Counts applies"

    def explain(self) -> str:
        return "counts"

    async def check(self) -> CheckResult:
        if World.state.get(f"{self.params.name}.broken"):
            return CheckResult.failed("the service says no")
        if World.state.get(self.params.name):
            return CheckResult.done("applied")
        return CheckResult.incomplete("not yet")

    async def apply(self) -> None:
        World.state[f"{self.params.name}.applies"] = int(
            World.state.get(f"{self.params.name}.applies", 0)) + 1  # type: ignore[call-overload]
        if World.state.get(f"{self.params.name}.land_then_raise"):
            World.state[self.params.name] = True
            raise TimeoutError("the response was lost")
        World.state[self.params.name] = True


@register
class Slow(Wait[CounterParams]):
    """In progress for a few checks, then done: a workflow run."""

    kind = "test.slow"
    summary = "Waits"

    def explain(self) -> str:
        return "waits"

    async def check(self) -> CheckResult:
        left = int(World.state.get(self.params.name, 3))  # type: ignore[call-overload]
        World.state[self.params.name] = left - 1
        if left > 0:
            return CheckResult.in_progress(f"{left} to go", "http://127.0.0.1/run/1")
        return CheckResult.done("finished")


REGISTRY.declare("test.someday", "A kind nobody wrote yet")

PLAYBOOK = playbook(
    Stage("one", [Act("a", "test.counter", {"name": "a"}),
                  Act("wait", "test.slow", {"name": "wait"}),
                  Act("b", "test.counter", {"name": "b"})]),
    Stage("two", [Act("later", "test.someday")]),
)


@pytest.fixture(autouse=True)
def fresh_world() -> None:
    World.state.clear()


def _engine(answers: dict[str, PromptAnswer] | None = None) -> tuple[Engine, list[Event]]:
    return make_engine(PLAYBOOK, answers, timeout=5)


async def test_applies_polls_and_finishes() -> None:
    engine, events = _engine()
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.DONE
    assert [a.outcome for a in report.actions] == [Outcome.DONE] * 3
    assert sum(isinstance(e, Waiting) for e in events) == 3
    assert World.state["a.applies"] == 1 and World.state["b.applies"] == 1
    assert not any(isinstance(e, ActionApplying) and e.action == "wait" for e in events)


async def test_a_wait_that_never_ends_times_out_and_asks() -> None:
    engine, _events = _engine({"one/wait/failed": PromptAnswer(value="abort")})
    engine.session.settings.poll_timeout_seconds = 0.05
    World.state["wait"] = 10**6
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.ABORTED
    assert "timed out" in report.reason
    assert "b.applies" not in World.state


async def test_failed_check_skip_needs_and_keeps_a_reason() -> None:
    World.state["a.broken"] = True
    engine, events = _engine({"one/a/failed": PromptAnswer(value="skip", note="done by hand")})
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.DONE
    assert report.actions[0].outcome is Outcome.SKIPPED
    assert "done by hand" in report.actions[0].reason
    assert any(isinstance(e, PromptAsked) and e.prompt.id == "one/a/failed" for e in events)


async def test_failed_check_without_an_answer_stops_for_a_human() -> None:
    World.state["a.broken"] = True
    engine, _ = _engine()
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.NEEDS_HUMAN
    assert "one/a/failed" in report.reason


async def test_an_apply_that_lands_but_raises_is_rechecked_not_repeated() -> None:
    World.state["a.land_then_raise"] = True
    engine, _events = _engine()
    report = await engine.run_stage("one")
    assert report.actions[0].outcome is Outcome.DONE
    assert World.state["a.applies"] == 1


async def test_rerun_applies_nothing() -> None:
    engine, _ = _engine()
    await engine.run_stage("one")
    World.state["wait"] = 0
    again, events = _engine()
    assert (await again.run_stage("one")).outcome is Outcome.DONE
    assert not [e for e in events if isinstance(e, ActionApplying)]


async def test_unimplemented_kind_says_so_plainly() -> None:
    engine, events = _engine()
    report = await engine.run_stage("two")
    assert report.outcome is Outcome.NEEDS_HUMAN
    assert "two/later/failed" in report.reason
    skip = PromptAnswer(value="skip", note="did it by hand")
    engine, events = _engine({"two/later/failed": skip})
    assert (await engine.run_stage("two")).outcome is Outcome.DONE
    finished = [e for e in events if isinstance(e, ActionFinished)]
    assert finished[0].outcome is Outcome.SKIPPED and "did it by hand" in finished[0].reason
    checked = [e for e in events if isinstance(e, ActionChecked)]
    assert "no implementation yet" in checked[0].result.reason


async def test_read_only_session_never_applies() -> None:
    engine, events = _engine()
    engine.session.read_only = True
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.NEEDS_HUMAN
    assert "would apply" in report.reason
    assert not [e for e in events if isinstance(e, ActionApplying)]
    assert "a.applies" not in World.state


async def test_a_skip_recorded_in_the_journal_is_not_asked_again(tmp_path: object) -> None:
    from pathlib import Path

    from cockpit.local_journal import Journal

    journal = Journal(Path(str(tmp_path)), "t-v1.0.0")
    engine, _ = _engine({"two/later/failed": PromptAnswer(value="skip", note="by hand")})
    engine.bus.listen(journal.append)
    await engine.run_stage("two")
    again, events = _engine()
    again.session.skipped.update(journal.skipped())
    assert (await again.run_stage("two")).outcome is Outcome.DONE
    assert not [e for e in events if isinstance(e, PromptAsked)]


IRREVERSIBLE = playbook(Stage("one", [
    Act("a", "test.counter", {"name": "a"}),
    Act("b", "test.counter", {"name": "b"}, reversibility="irreversible"),
]))


def _confirms(events: list[Event]) -> list[Confirm]:
    return [e.prompt for e in events if isinstance(e, PromptAsked) and isinstance(e.prompt, Confirm)]


async def test_an_irreversible_action_is_applied_only_after_the_typed_confirmation() -> None:
    engine, events = make_engine(IRREVERSIBLE, {"one/b/confirm": PromptAnswer(value=False)})
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.CANCELLED
    assert World.state.get("a.applies") == 1 and "b.applies" not in World.state
    asked = _confirms(events)
    assert [c.id for c in asked] == ["one/b/confirm"]  # the reversible "a" asked nothing
    assert asked[0].typed_confirmation == "b" and "point of no return" in asked[0].message

    engine, events = make_engine(IRREVERSIBLE, {"one/b/confirm": PromptAnswer(value=True)})
    assert (await engine.run_stage("one")).outcome is Outcome.DONE
    assert World.state.get("b.applies") == 1 and World.state.get("a.applies") == 1

    engine, events = make_engine(IRREVERSIBLE, {})  # a rerun finds it done: nothing asked
    assert (await engine.run_stage("one")).outcome is Outcome.DONE
    assert _confirms(events) == [] and World.state.get("b.applies") == 1


async def test_a_playbook_may_declare_an_irreversible_kind_reversible() -> None:
    class Publish(Counter):
        kind = "test.publish"
        reversibility = Reversibility.IRREVERSIBLE

    register(Publish)
    declared = playbook(Stage("one", [
        Act("draft", "test.publish", {"name": "draft"}, reversibility="reversible"),
        Act("publish", "test.publish", {"name": "publish"}),
    ]))
    engine, events = make_engine(declared, {"one/publish/confirm": PromptAnswer(value=True)})
    assert (await engine.run_stage("one")).outcome is Outcome.DONE
    assert [c.id for c in _confirms(events)] == ["one/publish/confirm"]


REVIEWED_TOML = '''
name = "t"
title = "T"
[[stages]]
id = "one"
title = "One"
summary = "s"
[[stages.actions]]
id = "a"
kind = "test.counter"
title = "A"
review = "required"
params = { name = "a" }
'''
REVIEWED = parse_playbook(REVIEWED_TOML, "reviewed.toml")


class Gate:
    """The engine's review port, in memory: approves after ``polls`` looks."""

    def __init__(self, polls: int) -> None:
        self.polls = polls
        self.seen: list[dict[str, str]] = []

    async def verdict(self, stage: str, action_id: str, facts: dict[str, str]) -> Verdict:
        self.seen.append(facts)
        if len(self.seen) > self.polls:
            return Verdict(True, "review: approved by bob")
        return Verdict(False, "a second maintainer approves with `cockpit review ...`")


def _reviewed(answers: dict[str, PromptAnswer] | None = None,
              wait: float = 5) -> tuple[Engine, list[Event]]:
    return make_engine(REVIEWED, answers,
                       settings=Settings(review_poll_seconds=0.01, review_wait_seconds=wait))


async def test_a_reviewed_step_waits_for_the_approval_then_applies_once() -> None:
    engine, events = _reviewed()
    engine.review_gate = gate = Gate(polls=2)
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.DONE and World.state["a.applies"] == 1
    waits = [e for e in events if isinstance(e, Waiting)]
    assert len(waits) == 2 and all(w.review for w in waits)
    assert gate.seen[0] == {"name": "a", "command": ""}  # the params and the manual commands
    assert any(isinstance(e, LogLine) and "approved by bob" in e.line for e in events)


async def test_a_reviewed_step_not_approved_in_time_stops_waiting_for_review() -> None:
    engine, events = _reviewed(wait=0)
    engine.review_gate = Gate(polls=10**6)
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.AWAITING_REVIEW and "a.applies" not in World.state
    assert [e.review for e in events if isinstance(e, Waiting)] == [True]


async def test_without_a_gate_a_reviewed_step_stops_and_says_how_to_go_on() -> None:
    engine, _ = _reviewed()
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.AWAITING_REVIEW and "--solo" in report.reason
    assert "a.applies" not in World.state


async def test_solo_needs_the_typed_acknowledgement() -> None:
    engine, _ = _reviewed({"one/a/solo": PromptAnswer(value=False)})
    engine.solo = True
    assert (await engine.run_stage("one")).outcome is Outcome.CANCELLED
    assert "a.applies" not in World.state
    engine, events = _reviewed({"one/a/solo": PromptAnswer(value=True)})
    engine.solo = True
    assert (await engine.run_stage("one")).outcome is Outcome.DONE
    assert any(isinstance(e, LogLine) and "--solo, acknowledged by d" in e.line for e in events)


@register
class Guarded(Step[CounterParams]):
    """Hard to reverse: its typed confirmation takes long enough for the world to move."""

    kind = "test.guarded"
    summary = "A point of no return"
    reversibility = Reversibility.IRREVERSIBLE

    def explain(self) -> str:
        return "guarded"

    async def check(self) -> CheckResult:
        done = World.state.get(self.params.name)
        return CheckResult.done("pushed") if done else CheckResult.incomplete("not yet")

    async def apply(self) -> None:
        World.state[self.params.name] = True

    async def confirmation(self) -> tuple[str, str]:
        World.state["moved"] = True  # while the driver reads and types, the branch moves
        return ("tag x on the head of release", "x")


class MovedGate(Gate):
    """Approves the facts seen first; once the world moved, two looks before it approves
    the new ones (the reviewer checks them again)."""

    async def verdict(self, stage: str, action_id: str, facts: dict[str, str]) -> Verdict:
        self.seen.append(facts)
        if World.state.get("moved"):
            self.polls -= 1
            if self.polls >= 0:
                return Verdict(False, "the approval is void: the branch moved")
        return Verdict(True, "review: approved by bob")


async def test_a_branch_moved_during_the_typed_confirmation_is_reviewed_again() -> None:
    guarded = parse_playbook(REVIEWED_TOML.replace("test.counter", "test.guarded"),
                             "guarded.toml")
    engine, events = make_engine(
        guarded, {"one/a/confirm": PromptAnswer(value=True)},
        settings=Settings(review_poll_seconds=0.01, review_wait_seconds=5))
    engine.review_gate = MovedGate(polls=2)
    assert (await engine.run_stage("one")).outcome is Outcome.DONE
    asked = next(i for i, e in enumerate(events) if isinstance(e, PromptAsked))
    waits = [i for i, e in enumerate(events) if isinstance(e, Waiting) and e.review]
    assert len(waits) == 2 and all(i > asked for i in waits)  # waited again after typing
    assert World.state["a"] is True
