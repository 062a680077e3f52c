"""The one state model: what each combination of facts shows, in playbook order."""

from __future__ import annotations

from cockpit.model import CheckResult, Outcome
from cockpit.states import ActionFacts, StageFacts, State, derive, outcome_words

ORDER = [("one", ["a", "b"]), ("two", ["c", "d"]), ("three", ["e"])]
TITLES = {"one": "1. One", "two": "2. Two", "three": "3. Three"}


def checked(**results: CheckResult) -> dict[tuple[str, str], ActionFacts]:
    stage_of = {a: s for s, actions in ORDER for a in actions}
    facts: dict[tuple[str, str], ActionFacts] = {}
    for action, result in results.items():
        facts[(stage_of[action], action)] = each = ActionFacts()
        each.saw_check(result)
    return facts


def test_a_fresh_release_shows_the_first_stage_to_do_and_the_rest_blocked_never_failed() -> None:
    facts = checked(a=CheckResult.incomplete("no tracking issue yet"),
                    b=CheckResult.failed("no issue 'Release v0.30.0'"),
                    c=CheckResult.failed("no branch release-v0.30.0"),
                    d=CheckResult.in_progress("waiting for a workflow run"),
                    e=CheckResult.incomplete("no tag"))
    out = derive(ORDER, facts, titles=TITLES)
    assert out.actions[("one", "a")].state is State.TO_DO
    assert out.actions[("one", "b")].state is State.BLOCKED
    assert out.actions[("one", "b")].blocked_by == "a"
    assert out.stages["one"].state is State.TO_DO
    for key in [("two", "c"), ("two", "d"), ("three", "e")]:
        assert out.actions[key].state is State.BLOCKED
        assert out.actions[key].blocked_by == "1. One"
    assert out.stages["two"].state is State.BLOCKED
    assert out.stages["two"].sentence() == "blocked — waits on 1. One"
    assert not any(v.state is State.FAILED for v in [*out.actions.values(), *out.stages.values()])
    assert out.next_stage() == "one" and out.progress() == (0, 3)


def test_a_check_that_fails_when_everything_before_is_done_is_a_failure() -> None:
    facts = checked(a=CheckResult.done("ok"), b=CheckResult.done("ok"),
                    c=CheckResult.failed("tag points at the wrong commit"))
    out = derive(ORDER, facts, titles=TITLES)
    assert out.stages["one"].state is State.DONE
    assert out.actions[("two", "c")].state is State.FAILED
    assert out.stages["two"].state is State.FAILED
    assert "wrong commit" in out.stages["two"].reason
    assert out.stages["three"].state is State.BLOCKED


def test_a_run_that_failed_stays_failed_even_out_of_order() -> None:
    facts = checked(a=CheckResult.incomplete("x"))
    facts[("two", "c")] = ActionFacts()
    facts[("two", "c")].saw_outcome(Outcome.FAILED, "push rejected")
    out = derive(ORDER, facts, titles=TITLES)
    assert out.actions[("two", "c")].state is State.FAILED


def test_not_applicable_is_known_before_any_check_and_never_blocks() -> None:
    facts = {("two", "c"): ActionFacts(applicable=False), ("two", "d"): ActionFacts(applicable=False)}
    facts.update(checked(a=CheckResult.done("ok"), b=CheckResult.done("ok")))
    out = derive(ORDER, facts, {"two": StageFacts(applicable=False)}, TITLES)
    assert out.stages["two"].state is State.NOT_APPLICABLE
    assert out.stages["three"].state is State.TO_DO, "a stage that does not apply blocks nothing"
    assert out.progress() == (1, 2)


def test_live_held_cancelled_and_journal_states() -> None:
    facts = checked(a=CheckResult.done("ok"), b=CheckResult.done("ok"))
    facts[("one", "a")].saw_outcome(Outcome.DONE, "issue #1", by="alice@vm")
    stages = {"two": StageFacts(held_by="bob@laptop until 14:05"),
              "three": StageFacts(outcome=State.CANCELLED, reason="cancelled by bob@laptop")}
    out = derive(ORDER, facts, stages, TITLES)
    assert out.actions[("one", "a")].sentence().startswith("done — by alice@vm")
    assert out.stages["two"].state is State.HELD
    assert out.stages["three"].state is State.CANCELLED
    facts[("two", "c")] = ActionFacts(live=State.WAITING, reason="CI running")
    out = derive(ORDER, facts, {"two": StageFacts(live=State.WAITING)}, TITLES)
    assert out.actions[("two", "c")].state is State.WAITING
    assert out.stages["two"].state is State.WAITING


def test_outcomes_are_said_in_words() -> None:
    assert outcome_words(Outcome.NEEDS_HUMAN) == "needs you"
    assert outcome_words("not_applicable") == "not applicable"
    assert outcome_words(Outcome.CANCELLED) == "cancelled"


def test_the_readme_explains_every_state_with_its_glyph() -> None:
    from pathlib import Path

    from cockpit.states import GLYPHS

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for state, (glyph, _) in GLYPHS.items():
        assert f"| `{glyph}` | {state.value} |" in readme, state


def test_every_glyph_and_the_point_of_no_return_mark_are_distinct_and_single_width() -> None:
    from rich.cells import cell_len

    from cockpit.states import GLYPHS, POINT_OF_NO_RETURN

    shown = [glyph for glyph, _ in GLYPHS.values()] + [POINT_OF_NO_RETURN[0]]
    assert len(set(shown)) == len(shown)
    assert not {"▶", "▼"} & set(shown)  # the tree's own collapsed/expanded marks
    assert all(cell_len(glyph) == 1 for glyph in shown)


def test_waiting_for_review_is_its_own_state_in_every_view() -> None:
    from cockpit.states import GLYPHS, LIVE, OUTCOME_STATES

    assert OUTCOME_STATES[Outcome.AWAITING_REVIEW] is State.REVIEW is not State.FAILED
    assert outcome_words(Outcome.AWAITING_REVIEW) == "waiting for review"
    glyphs = [glyph for glyph, _ in GLYPHS.values()]
    assert len(set(glyphs)) == len(glyphs) and State.REVIEW in LIVE
    # The journal says it waits; a read-only check since still finds no tag: it waits on.
    facts = checked(a=CheckResult.done("ok"), b=CheckResult.done("ok"))
    facts[("two", "c")] = waiting = ActionFacts()
    waiting.saw_outcome(Outcome.AWAITING_REVIEW, "a second maintainer approves", by="alice@vm")
    waiting.saw_check(CheckResult.incomplete("tag v0.30.0-rc1 is not pushed yet"))
    out = derive(ORDER, facts, None, TITLES)
    assert out.actions[("two", "c")].state is State.REVIEW
    assert out.stages["two"].state is State.REVIEW
    assert out.stages["two"].glyph == "◎"
    # Its driver still holds the stage while it polls: the stage says what it waits for.
    held = derive(ORDER, facts, {"two": StageFacts(held_by="alice@vm until 14:05")}, TITLES)
    assert held.stages["two"].state is State.REVIEW
    # Once the tag is there (the reviewer approved, the driver pushed), it is done.
    waiting.saw_check(CheckResult.done("tag v0.30.0-rc1 is pushed"))
    assert derive(ORDER, facts, None, TITLES).actions[("two", "c")].state is State.DONE


def test_a_skipped_step_stays_skipped_when_checked_again_and_blocks_nothing() -> None:
    """A finished release whose driver skipped a check (go not installed) is finished: a
    later check that still fails does not turn the skip into a failure that blocks every
    later stage. A check that finds it done now says done."""
    facts = checked(b=CheckResult.done("ok"), c=CheckResult.done("ok"),
                    d=CheckResult.done("ok"), e=CheckResult.done("ok"))
    facts[("one", "a")] = skipped = ActionFacts()
    skipped.saw_outcome(Outcome.SKIPPED, "go is only needed by hand")
    skipped.saw_check(CheckResult.failed("go is not on PATH"))
    out = derive(ORDER, facts, titles=TITLES)
    assert out.actions[("one", "a")].state is State.SKIPPED
    assert out.actions[("one", "a")].reason == "go is only needed by hand"
    assert {out.stages[s].state for s in ("two", "three")} == {State.DONE}
    skipped.saw_check(CheckResult.done("go 1.23"))
    assert derive(ORDER, facts, titles=TITLES).actions[("one", "a")].state is State.DONE
