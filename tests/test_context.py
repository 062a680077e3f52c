"""Log attribution: every line is filed under the action whose task emitted it.

The git workspace is shared by every action of a session (one clone per repository),
so whatever it logs must take its action from the running task's context, never from
the action that happened to open the clone first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from cockpit.bus import EventBus
from cockpit.context import CURRENT_ACTION, Session, acting
from cockpit.engine import Engine
from cockpit.events import Event, LogLine, PromptAsked
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter, Confirm, PromptAnswer
from cockpit.settings import Settings
from tests.gitworld import make_remote

PLAYBOOK = load_playbook(Path(__file__).parent / "data" / "git-release.toml")


def _engine(tmp_path: Path) -> tuple[Engine, list[LogLine]]:
    make_remote(tmp_path / "remotes")
    settings = Settings(git_base_url=(tmp_path / "remotes").as_uri(),
                        workspace_dir=tmp_path / "work")
    release = Release(playbook="gitonly", version=Version.parse("v0.30.0-rc1"), driver="t",
                      host="h")
    answers = AnswersPrompter({"tag/tag/confirm": PromptAnswer(value=True)})
    engine = Engine(PLAYBOOK, Session(settings=settings, prompter=answers, release=release),
                    EventBus())
    lines: list[LogLine] = []

    def keep(event: Event) -> None:
        if isinstance(event, LogLine):
            lines.append(event)

    engine.bus.listen(keep)
    return engine, lines


def _filed_under(lines: list[LogLine], needle: str) -> set[tuple[str, str | None]]:
    return {(line.stage, line.action) for line in lines if needle in line.line}


async def test_git_commands_are_filed_under_the_action_that_ran_them(tmp_path: Path) -> None:
    engine, lines = _engine(tmp_path)
    for stage in ("prepare-branch", "tag"):
        assert (await engine.run_stage(stage)).outcome is Outcome.DONE
    # create-branch opened the clone first; the commit and the tag are not its doing.
    assert _filed_under(lines, "git clone") == {("prepare-branch", "create-branch")}
    assert _filed_under(lines, " commit -m ") == {("prepare-branch", "set-version")}
    assert _filed_under(lines, " tag ") == {("tag", "tag")}
    pushes = _filed_under(lines, " push ")
    assert ("prepare-branch", "set-version") in pushes and ("tag", "tag") in pushes
    assert ("prepare-branch", "create-branch") in pushes


async def test_concurrent_checks_log_under_their_own_action(tmp_path: Path) -> None:
    engine, lines = _engine(tmp_path)
    stage = engine.stage("prepare-branch")
    # Checks run at once (as `a` and `cockpit status` do), each in its own task.
    await asyncio.gather(*(engine.check_action(stage, spec) for spec in stage.actions))
    assert lines, "the clone is logged"
    assert {line.action for line in lines} <= {"create-branch", "set-version"}
    # Nothing of an action outlives it in the caller's context.
    assert CURRENT_ACTION.get() == ("", None)


async def test_acting_restores_the_outer_action() -> None:
    assert CURRENT_ACTION.get() == ("", None)
    with acting("one", "a"):
        with acting("two", "b"):
            assert CURRENT_ACTION.get() == ("two", "b")
        assert CURRENT_ACTION.get() == ("one", "a")
    assert CURRENT_ACTION.get() == ("", None)


async def test_a_question_is_filed_under_the_action_asking_it(tmp_path: Path) -> None:
    engine, _ = _engine(tmp_path)
    asked: list[PromptAsked] = []
    engine.bus.listen(lambda event: asked.append(event) if isinstance(event, PromptAsked)
                      else None)
    assert (await engine.run_stage("prepare-branch")).outcome is Outcome.DONE
    # After a run, a check of another action asks something: it is that action's question.
    with acting("tag", "tag"):
        await engine.session.prompter.ask(Confirm(id="tag/tag/confirm", title="t", message="m"))
    assert [(event.stage, event.action) for event in asked] == [("tag", "tag")]
