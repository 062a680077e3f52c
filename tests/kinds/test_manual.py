"""The ``manual`` kind on the built-in playbook's own step: the human confirms, the
session remembers, and "not yet" stops the stage without marking anything done."""

from __future__ import annotations

from cockpit.model import Outcome, Status
from tests.kinds.harness import applied, built_in, make_engine

STEP = "discord-mirrored"
PLAYBOOK = built_in(f"promote/{STEP}")
PROMPT = f"promote/{STEP}/manual"


async def test_done_by_hand_once_confirmed_and_then_remembered() -> None:
    engine, events = make_engine(PLAYBOOK, "v0.30.0", answers={PROMPT: True})
    stage = engine.stage("promote")
    before = await engine.check_action(stage, stage.actions[0])
    assert before.status is Status.INCOMPLETE and before.link
    assert (await engine.run_stage("promote")).outcome is Outcome.DONE
    assert applied(events) == [STEP]
    assert engine.session.manual_confirmations == {("promote", STEP)}
    after = await engine.check_action(stage, stage.actions[0])
    await engine.session.aclose()
    assert after.status is Status.DONE and "by hand" in after.reason
    explained = engine.build(stage, stage.actions[0])
    assert explained is not None and "Kubo v0.30.0 is out!" in explained.explain()


async def test_not_yet_stops_the_stage_and_confirms_nothing() -> None:
    engine, _ = make_engine(PLAYBOOK, "v0.30.0", answers={PROMPT: False})
    report = await engine.run_stage("promote")
    await engine.session.aclose()
    assert report.outcome is not Outcome.DONE
    assert "not done yet" in report.reason
    assert not engine.session.manual_confirmations
