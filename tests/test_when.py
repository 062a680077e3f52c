"""``when = "..."``: one action for RC and final instead of two gated copies; the
expression is checked at load for every kind of release, and an action whose condition is
false is skipped by condition (not done, not failed) in the run, plan, status and TUI."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.cli import main
from cockpit.model import Outcome, Version
from cockpit.playbook import PlaybookError, parse_playbook
from cockpit.states import State
from cockpit.status import release_status
from tests import side_by_side  # noqa: F401  (registers test.told)
from tests.engine_setup import make_engine

PLAYBOOK = '''
name = "when"
title = "When"
vars = { channel = "stable" }

[[stages]]
id = "announce"
title = "Announce"
summary = "One action, RC or final"
[[stages.actions]]
id = "say"
kind = "test.told"
title = "Say it"
when = "version.is_rc or channel == 'beta'"
[[stages.actions]]
id = "final-only"
kind = "test.told"
title = "Final only"
when = ["FINAL", "not vars.channel == 'beta'"]
'''


def _problems(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as error:
        parse_playbook(text, "mine.toml")
    return [str(problem) for problem in error.value.problems]


def _with(condition: str) -> str:
    return PLAYBOOK.replace('''when = "version.is_rc or channel == 'beta'"''',
                            f"when = {condition}")


@pytest.mark.parametrize(("condition", "message"), [
    pytest.param('"version.is_rc and"', "syntax error in condition 'version.is_rc and': "
                 "unexpected 'end of template'", id="syntax-error"),
    pytest.param('"version.is_rcc"', "unknown name 'version.is_rcc' in condition "
                 "'version.is_rcc'; did you mean 'version.is_rc'?", id="unknown-attribute"),
    pytest.param('"var.channel == \'beta\'"', "unknown name 'var' in condition "
                 "\"var.channel == 'beta'\"; did you mean 'vars'?", id="unknown-name"),
    pytest.param('"vars.chanel == \'beta\'"', "unknown name 'vars.chanel' in condition "
                 "\"vars.chanel == 'beta'\"; did you mean 'vars.channel'?",
                 id="unknown-var"),
    pytest.param('"channel"', "condition 'channel' gives 'stable', not true or false "
                 "(compare it: vars.channel == 'beta') (for an RC)", id="not-a-boolean"),
    pytest.param('"version.rc > 0"', "condition 'version.rc > 0': '>' not supported between "
                 "instances of 'NoneType' and 'int' (for a final release)",
                 id="fails-for-one-kind-only"),
    pytest.param('"version.__class__"', "unknown name 'version.__class__' in condition "
                 "'version.__class__'", id="private-attributes-are-refused"),
    pytest.param('["FINALE"]', "unknown release kind 'FINALE'; did you mean 'FINAL'? (or an "
                 "expression such as 'version.is_final and not version.is_patch')",
                 id="misspelt-kind-word"),
])
def test_a_broken_condition_fails_at_load_with_its_line(condition: str, message: str) -> None:
    assert _problems(_with(condition)) == [
        f"mine.toml:14: stage 'announce' / action 'say': field 'when': {message}"]


def test_every_problem_is_reported_at_once() -> None:
    text = _with('"version.is_rcc"').replace('''"not vars.channel == 'beta'"''', '"nope"')
    assert [p.split(": field")[0] for p in _problems(text)] == [
        "mine.toml:14: stage 'announce' / action 'say'",
        "mine.toml:19: stage 'announce' / action 'final-only'"]


@pytest.mark.parametrize(("version", "say", "final_only"), [
    pytest.param("v1.2.0-rc1", Outcome.DONE, Outcome.NOT_APPLICABLE, id="rc"),
    pytest.param("v1.2.0", Outcome.NOT_APPLICABLE, Outcome.DONE, id="final"),
    pytest.param("v1.2.3", Outcome.NOT_APPLICABLE, Outcome.DONE, id="patch"),
])
async def test_one_action_serves_rc_and_final(version: str, say: Outcome,
                                              final_only: Outcome) -> None:
    engine, _ = make_engine(parse_playbook(PLAYBOOK, "when.toml"))
    engine.session.release = engine.session.release.model_copy(  # type: ignore[union-attr]
        update={"version": Version.parse(version)})
    engine.values["version"] = Version.parse(version)
    report = await engine.run_stage("announce")
    assert [a.outcome for a in report.actions] == [say, final_only]
    if say is Outcome.NOT_APPLICABLE:
        assert report.actions[0].reason == ("skipped by condition: version.is_rc or channel == "
                                            f"'beta' is false for {version}")
    else:  # the release kind word leaves it out: said as before
        assert report.actions[1].reason == "does not apply to a RC release"


async def test_a_var_turns_the_condition(tmp_path: Path) -> None:
    beta = parse_playbook(PLAYBOOK.replace('channel = "stable"', 'channel = "beta"'), "b.toml")
    engine, _ = make_engine(beta)  # v1.0.0, a final release
    report = await engine.run_stage("announce")
    assert [a.outcome for a in report.actions] == [Outcome.DONE, Outcome.NOT_APPLICABLE]
    assert report.actions[1].reason == ("skipped by condition: not vars.channel == 'beta' is "
                                        "false for v1.0.0")


async def test_status_says_skipped_by_condition(cockpit_home: Path) -> None:
    from cockpit.local_journal import Journal

    engine, _ = make_engine(parse_playbook(PLAYBOOK, "when.toml"))  # v1.0.0
    report = await release_status(engine, Journal(cockpit_home, engine.release_key))
    view = report.derived.actions[("announce", "say")]
    assert view.state is State.NOT_APPLICABLE
    assert view.sentence() == ("not applicable — skipped by condition: version.is_rc or "
                               "channel == 'beta' is false for v1.0.0")


def test_plan_lists_what_a_condition_skips(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "when.toml"
    path.write_text(PLAYBOOK)
    assert main(["plan", "--release", "v1.0.0", "--playbook", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("      - say: Say it   (skipped by condition: version.is_rc or channel == 'beta' "
            "is false for v1.0.0)\n      - final-only: Final only\n") in out


def test_plan_and_explain_refuse_a_broken_condition(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "when.toml"
    path.write_text(_with('"version.is_rcc"'))
    assert main(["plan", "--release", "v1.0.0", "--playbook", str(path)]) == 2
    assert main(["explain", "--playbook", str(path)]) == 2
    assert "did you mean 'version.is_rc'?" in capsys.readouterr().err


def test_the_tui_stage_overview_says_skipped_by_condition() -> None:
    from cockpit.explain import stage_overview

    engine, _ = make_engine(parse_playbook(PLAYBOOK, "when.toml"))  # v1.0.0
    text = stage_overview(engine, engine.stage("announce"))
    assert ("- **say** [version.is_rc or channel == 'beta'] — Say it · `test.told` (skipped by "
            "condition: version.is_rc or channel == 'beta' is false for v1.0.0)") in text
