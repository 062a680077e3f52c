"""Stage dependencies: ``needs`` checked at load (unknown stages, cycles, each with its
line), the order ``cockpit plan`` shows, and ``cockpit run`` running stages side by side
as their needs allow (overlap proven by the journal's timestamps)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from cockpit import stage_order
from cockpit.cli import main
from cockpit.events import StageFinished, StageStarted
from cockpit.local_journal import Journal
from cockpit.model import Outcome
from cockpit.playbook import PlaybookError, load_playbook, parse_playbook
from cockpit.states import ActionFacts, State, derive
from tests import side_by_side
from tests.side_by_side import Inside, Meetings


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    Meetings.arrived.clear()
    monkeypatch.setenv("COCKPIT_POLL_INITIAL_SECONDS", "0.01")
    monkeypatch.setenv("COCKPIT_POLL_MAX_SECONDS", "0.02")
    monkeypatch.setenv("COCKPIT_POLL_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("COCKPIT_SYNC", "false")


def _problems(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as error:
        parse_playbook(text, "mine.toml")
    return [str(problem) for problem in error.value.problems]


def test_an_unknown_need_says_did_you_mean_with_its_line() -> None:
    text = side_by_side.PLAYBOOK.replace('needs = ["docs", "binaries"]',
                                         'needs = ["docs", "binarys"]')
    assert _problems(text) == [
        "mine.toml:40: stage 'publish': field 'needs': unknown stage 'binarys'; "
        "did you mean 'binaries'?"]


def test_an_unknown_need_with_nothing_close_lists_the_stages() -> None:
    text = side_by_side.PLAYBOOK.replace('needs = ["docs", "binaries"]', 'needs = ["zzz"]')
    assert _problems(text) == [
        "mine.toml:40: stage 'publish': field 'needs': unknown stage 'zzz' (the stages "
        "are: prepare, docs, binaries, publish)"]


def test_a_cycle_is_named_with_each_stages_line() -> None:
    text = (side_by_side.PLAYBOOK
            .replace('summary = "First"', 'summary = "First"\nneeds = ["publish"]'))
    assert _problems(text) == [
        "mine.toml:9: field 'needs': cycle: prepare → publish → docs → prepare "
        "(prepare: line 9, publish: line 41, docs: line 19): a stage cannot need itself, "
        "directly or through others; remove one of these needs"]


def test_a_cycle_through_file_order_says_which_need_is_implied() -> None:
    text = side_by_side.PLAYBOOK.replace('needs = ["docs", "binaries"]\n', "").replace(
        'summary = "First"', 'summary = "First"\nneeds = ["publish"]')
    assert _problems(text) == [
        "mine.toml:9: field 'needs': cycle: prepare → publish → binaries → prepare "
        "(prepare: line 9, publish: line 38, binaries: line 30; publish needs binaries by "
        "file order (it has no needs of its own)): a stage cannot need itself, directly "
        "or through others; remove one of these needs"]


def test_a_stage_needing_itself_is_a_cycle() -> None:
    text = side_by_side.PLAYBOOK.replace('needs = ["prepare"]\n[[stages.actions]]\nid = "meet"'
                                         '\nkind = "test.meet"\ntitle = "Meet binaries"',
                                         'needs = ["docs"]\n[[stages.actions]]\nid = "meet"'
                                         '\nkind = "test.meet"\ntitle = "Meet binaries"')
    assert _problems(text)[0].startswith("mine.toml:18: field 'needs': cycle: docs → docs ")


def test_without_needs_each_stage_needs_the_one_before_it() -> None:
    kubo = load_playbook()
    ids = [s.id for s in kubo.stages]
    assert kubo.needs == {ids[0]: [], **{b: [a] for a, b in itertools.pairwise(ids)}}
    assert stage_order.waves(kubo.needs) == [[i] for i in ids]


def test_plan_shows_the_dependency_order(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "side.toml"
    path.write_text(side_by_side.PLAYBOOK)
    assert main(["plan", "--release", "v1.0.0", "--playbook", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("Order (stages on one line may run side by side):\n"
            "  1. prepare\n  2. docs ∥ binaries (each needs prepare)\n"
            "  3. publish (needs docs, binaries)\n") in out


def test_explain_says_what_a_stage_needs(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "side.toml"
    path.write_text(side_by_side.PLAYBOOK)
    assert main(["explain", "publish", "--playbook", str(path)]) == 0
    assert "# Publish (publish)\n\nNeeds both\n\nNeeds: docs, binaries.\n" in capsys.readouterr().out


def _run(tmp_path: Path, text: str, *stages: str, parallel: int | None = None) -> int:
    path = tmp_path / "side.toml"
    path.write_text(text)
    extra = ["--parallel", str(parallel)] if parallel else []
    return main(["run", *stages, "--release", "v1.0.0", "--playbook", str(path),
                 "--answers", str(_answers(tmp_path)), *extra])


def _answers(tmp_path: Path) -> Path:
    answers = tmp_path / "answers.toml"
    answers.write_text('"*" = "abort"\n')
    return answers


def _journal(cockpit_home: Path) -> dict[str, tuple[StageStarted | None, StageFinished | None]]:
    (path,) = (cockpit_home / "state" / "journals").glob("*.jsonl")
    journal = Journal(path.parent.parent, path.stem)
    found: dict[str, tuple[StageStarted | None, StageFinished | None]] = {}
    for event in journal.events():
        if isinstance(event, StageStarted):
            found[event.stage] = (event, None)
        elif isinstance(event, StageFinished):
            found[event.stage] = (found.get(event.stage, (None, None))[0], event)
    return found


def test_two_independent_stages_run_side_by_side(tmp_path: Path, cockpit_home: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, side_by_side.PLAYBOOK, "prepare", "docs", "binaries", "publish") == 0
    assert "cockpit: publish: waiting for docs" in capsys.readouterr().err
    seen = _journal(cockpit_home)
    (docs_start, docs_end), (bin_start, bin_end) = seen["docs"], seen["binaries"]
    assert docs_start and docs_end and bin_start and bin_end
    assert docs_start.at < bin_end.at and bin_start.at < docs_end.at  # they overlap
    prepare_end, publish_start = seen["prepare"][1], seen["publish"][0]
    assert prepare_end and publish_start
    assert prepare_end.at <= min(docs_start.at, bin_start.at)  # needs came first
    assert publish_start.at >= max(docs_end.at, bin_end.at)


def test_one_at_a_time_they_cannot_meet(tmp_path: Path, cockpit_home: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound holds: with --parallel 1 the rendezvous never happens (so the test above
    proves real overlap), the first of the two fails and the second stage, which does not
    need it, still runs."""
    monkeypatch.setenv("COCKPIT_POLL_TIMEOUT_SECONDS", "0.3")
    assert _run(tmp_path, side_by_side.PLAYBOOK, "docs", "binaries", parallel=1) == 1
    seen = _journal(cockpit_home)
    assert seen["docs"][1] and seen["binaries"][0]
    assert seen["docs"][1].at <= seen["binaries"][0].at
    assert "stage docs stopped: meet: aborted by the driver" in capsys.readouterr().err


def test_a_failing_need_blocks_its_dependants(tmp_path: Path, cockpit_home: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    text = side_by_side.PLAYBOOK.replace('title = "Ready"', 'title = "Ready"\n'
                                         'params = { done = false }')
    assert _run(tmp_path, text, "prepare", "docs", "binaries", "publish") == 1
    seen = _journal(cockpit_home)
    assert set(seen) == {"prepare"}  # the others never started: nothing journalled
    err = capsys.readouterr().err
    assert "stage prepare stopped: ok: aborted by the driver: told to fail" in err
    assert "not started, as a stage they need stopped: docs, binaries, publish" in err
    assert "docs: not started: it needs prepare, which did not end done (aborted)" in err


@pytest.mark.parametrize(("other_clone", "code"), [
    pytest.param("acme/widgets", 0, id="one-clone-one-action-at-a-time"),
    pytest.param("acme/gadgets", 1, id="two-clones-side-by-side"),
])
def test_a_clone_is_one_actions_at_a_time(tmp_path: Path, cockpit_home: Path, other_clone: str,
                                          code: int) -> None:
    """Stages side by side never work in one clone at once (``Session.hold``); in two
    clones they do (which the kind reports as failed: the test can tell)."""
    Inside.now.clear()
    text = side_by_side.TWO_IN_ONE_CLONE
    at = text.rindex("acme/widgets")
    text = text[:at] + other_clone + text[at + len("acme/widgets"):]
    assert _run(tmp_path, text, "one", "two") == code
    seen = _journal(cockpit_home)
    (one_start, one_end), (two_start, two_end) = seen["one"], seen["two"]
    assert one_start and one_end and two_start and two_end
    assert one_start.at < two_end.at and two_start.at < one_end.at  # the stages overlap


def test_a_stage_is_blocked_only_by_what_it_needs() -> None:
    """A failed docs stage blocks publish, not binaries (which needs prepare only)."""
    playbook = parse_playbook(side_by_side.PLAYBOOK, "side.toml")
    order = [(s.id, [a.id for a in s.actions]) for s in playbook.stages]
    facts = {("prepare", "ok"): ActionFacts(), ("docs", "meet"): ActionFacts()}
    facts[("prepare", "ok")].saw_outcome(Outcome.DONE, "as told")
    facts[("docs", "meet")].saw_outcome(Outcome.FAILED, "no partner")
    derived = derive(order, facts, needs=playbook.needs)
    assert derived.stages["docs"].state is State.FAILED
    assert derived.stages["binaries"].state is State.TO_DO
    assert derived.stages["publish"].state is State.BLOCKED
    assert derived.stages["publish"].blocked_by == "docs"
    in_file_order = derive(order, facts)  # without needs: every earlier stage
    assert in_file_order.stages["binaries"].blocked_by == "docs"
