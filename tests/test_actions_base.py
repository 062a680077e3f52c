"""The kind shapes of ``cockpit.actions.base``: every kind is a Step, a Verify or a Wait over
its params model (named once), a verify's failed result says what a person must do, and
the engine polls by what the action says."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, get_args

from cockpit.actions import REGISTRY, load_kinds
from cockpit.actions.base import Params, Polling, Step, Verify, Wait, register
from cockpit.engine import Engine
from cockpit.events import ActionApplying, Event, Waiting
from cockpit.model import CheckResult, Outcome
from cockpit.prompts import PromptAnswer
from tests.engine_setup import Act, Stage, make_engine, playbook


class ProbeParams(Params):
    name: str


@register
class VerifyProbe(Verify[ProbeParams]):
    kind = "test.verify-probe"
    summary = "Never passes"

    def explain(self) -> str:
        return "never passes"

    async def check(self) -> CheckResult:
        return CheckResult.incomplete(f"{self.params.name} is not there")

    def fix(self) -> str:
        return f"put {self.params.name} there by hand, then retry"


@register
class WaitProbe(Wait[ProbeParams]):
    kind = "test.wait-probe"
    summary = "Never ends"
    checks: ClassVar[int] = 0

    def explain(self) -> str:
        return "never ends"

    async def check(self) -> CheckResult:
        WaitProbe.checks += 1
        return CheckResult.in_progress(f"{self.params.name}: still running")

    def polling(self) -> Polling:
        return Polling(first=0.01, longest=0.01, deadline=0.05)


PLAYBOOK = playbook(
    Stage("one", [Act("v", "test.verify-probe", {"name": "the file"})]),
    Stage("two", [Act("w", "test.wait-probe", {"name": "the run"})]),
)


def _engine(answers: dict[str, PromptAnswer]) -> tuple[Engine, list[Event]]:
    return make_engine(PLAYBOOK, answers, timeout=600)


def test_every_built_in_kind_has_one_shape_over_its_own_params_model() -> None:
    load_kinds()
    built_in = {name: info for name, info in REGISTRY.kinds.items()
                if info.implementation is not None
                and info.implementation.__module__.startswith("cockpit.actions.")}
    assert len(built_in) >= 60
    for name, info in built_in.items():
        kind = info.implementation
        assert kind is not None
        assert issubclass(kind, Step) != issubclass(kind, Verify), name
        assert not kind.__abstractmethods__, name
        generic = [arg for base in kind.__dict__["__orig_bases__"] for arg in get_args(base)]
        assert generic == [kind.Params], name
        assert kind.Params is not Params and info.params_model is kind.Params, name
        if issubclass(kind, Verify):
            assert "apply" not in kind.__dict__, f"{name}: a verify has nothing to apply"


async def test_a_verify_that_does_not_pass_fails_with_what_a_person_must_do() -> None:
    engine, events = _engine({"one/v/failed": PromptAnswer(value="abort")})
    report = await engine.run_stage("one")
    assert report.outcome is Outcome.ABORTED
    assert "put the file there by hand, then retry" in report.actions[0].reason
    assert sum(isinstance(e, ActionApplying) for e in events) == 1


async def test_the_engine_polls_a_wait_by_what_the_wait_says() -> None:
    WaitProbe.checks = 0
    engine, events = _engine({"two/w/failed": PromptAnswer(value="abort")})
    report = await engine.run_stage("two")
    assert report.outcome is Outcome.ABORTED
    assert "timed out after 0s: the run: still running" in report.actions[0].reason
    waits = [e for e in events if isinstance(e, Waiting)]
    assert waits and all(e.seconds == 0.01 for e in waits)
    assert WaitProbe.checks == len(waits) + 1


def test_a_body_is_written_by_a_here_document_bash_runs_as_printed(tmp_path: Path) -> None:
    import subprocess

    from cockpit.actions.base import code_block, manual_commands, write_file

    body = "Title: `$HOME` and 'quotes'\nEOF\n```sh\nnot a fence of ours\n```\n"
    block = code_block(write_file("body.md", body), "cat body.md")
    assert block.startswith("````sh\n")  # a longer fence than the body's own
    script = manual_commands(block)
    assert "cat body.md" in script
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert done.stdout == body
