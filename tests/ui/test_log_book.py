"""The log book: lines under their action, one outcome line each, only poll repeats folded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.events import ActionFinished, LogLine, StageFinished, Waiting
from cockpit.model import Outcome
from screens.widgets.log_book import LogBook

KEY = "kubo-v0.30.0-rc1"
T0 = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def _line(action: str | None, text: str) -> LogLine:
    return LogLine(release=KEY, stage="publish", action=action, line=text)


def _wait(seconds: int, reason: str = "2 checks still running") -> Waiting:
    return Waiting(release=KEY, stage="publish", action="checks", seconds=5, reason=reason,
                   at=T0 + timedelta(seconds=seconds))


def test_identical_lines_are_kept_when_nothing_polls() -> None:
    book = LogBook()
    for _ in range(3):
        book.observe(_line("checks", "$ gh api runs  → 200"))
    assert list(book.stores["publish"]) == ["checks: $ gh api runs  → 200"] * 3


def test_a_poll_is_one_updating_line_and_distinct_lines_still_show() -> None:
    changed: list[tuple[str, int]] = []
    book = LogBook(on_change=lambda stage, index: changed.append((stage, index)))
    book.observe(_line("build", "$ git push"))
    book.observe(_line("checks", "$ gh api runs  → 200"))
    for poll in range(4):
        book.observe(_wait(10 * poll))
        book.observe(_line("checks", "$ gh api runs  → 200"))
        book.observe(_line("build", "$ git push"))  # another action's line: never folded
    book.observe(_line("checks", "$ gh api runs  → 304 (cached)"))
    store = book.stores["publish"]
    assert store[2] == ("checks: ◐ waiting: 2 checks still running · 0:30 · 4 polls · "
                        "4 repeated lines folded")
    assert list(store).count("build: $ git push") == 5
    assert store[-1] == "checks: $ gh api runs  → 304 (cached)"
    assert ("publish", 2) in changed
    # The clock runs between polls too.
    book.tick("publish", T0 + timedelta(seconds=95))
    assert "· 1:35 · 4 polls" in store[2]
    # A new reason is a new state of the same wait: the same line says it.
    book.observe(_wait(100, "1 check still running"))
    assert store[2].startswith("checks: ◐ waiting: 1 check still running · 1:40 · 5 polls")

    book.observe(ActionFinished(release=KEY, stage="publish", action="checks",
                                outcome=Outcome.DONE, reason="all 2 checks passed",
                                at=T0 + timedelta(seconds=101)))
    assert store[2] == ("checks: ◐ waited 1:41 · 5 polls · 4 repeated lines folded · last: "
                        "1 check still running")
    assert store[-1] == "checks: ✔ done — all 2 checks passed"
    # After the wait, a repeat is a new line again.
    book.observe(_line("checks", "$ gh api runs  → 200"))
    assert store[-1] == "checks: $ gh api runs  → 200"


def test_outcomes_read_as_words_and_tags_pick_an_action() -> None:
    book = LogBook()
    book.observe(_line("a", "one"))
    book.observe(_line(None, "journal: written"))
    for action, outcome in (("a", Outcome.NOT_APPLICABLE), ("b", Outcome.NEEDS_HUMAN),
                            ("c", Outcome.CANCELLED)):
        book.observe(ActionFinished(release=KEY, stage="publish", action=action,
                                    outcome=outcome, reason="why"))
    book.observe(StageFinished(release=KEY, stage="publish", outcome=Outcome.CANCELLED,
                               reason="cancelled by alice@vm"))
    store = book.stores["publish"]
    text = "\n".join(store)
    assert "not_applicable" not in text and "needs_human" not in text
    assert store[2] == "a: \u2013 not applicable — why"
    assert store[3] == "b: ! needs you — why"
    assert store[-1] == "stage ■ cancelled — cancelled by alice@vm"
    assert [store[i] for i in store.indices(book.tag("a"))] == ["a: one", store[2]]
    assert store.indices(0) == [1, 5]
