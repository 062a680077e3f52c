"""The release's closing summary: every stage with its state, how long it took, who drove
it and what it produced (links), then the totals.

One renderer serves both ends: the TUI's summary screen builds the rows from what it
watched, `cockpit run`/`cockpit demo --headless` from the stage records of the journal
(this machine's and the tracking issue's), so two machines print the same story.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cockpit.states import GLYPHS, State, journal_state
from cockpit.sync.records import StageRecord


@dataclass(frozen=True)
class SummaryRow:
    number: int
    title: str
    state: State
    by: str | None = None
    seconds: float | None = None
    links: tuple[str, ...] = field(default_factory=tuple)


def clock(seconds: float | None) -> str:
    """``1:07:05`` or ``07:05``; empty when unknown."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"


def rows_from_records(stages: Sequence[tuple[str, str]], records: Mapping[str, StageRecord],
                      not_applicable: Iterable[str]) -> list[SummaryRow]:
    """``stages`` as (id, title) in order; a stage with no record shows as to do."""
    skipped = set(not_applicable)
    rows = []
    for number, (stage_id, title) in enumerate(stages, 1):
        record = records.get(stage_id)
        if stage_id in skipped:
            rows.append(SummaryRow(number, title, State.NOT_APPLICABLE))
        elif record is None:
            rows.append(SummaryRow(number, title, State.TO_DO))
        else:
            seconds = ((record.finished - record.started).total_seconds()
                       if record.finished else None)
            links = tuple(dict.fromkeys(
                [a.link for a in record.actions if a.link] + list(record.links)))
            rows.append(SummaryRow(number, title, journal_state(record.status), record.by,
                                   seconds, links))
    return rows


def render(title: str, rows: Sequence[SummaryRow]) -> list[str]:
    """The summary as plain lines (the TUI shows the same lines)."""
    ran = [r for r in rows if r.state is not State.NOT_APPLICABLE]
    complete = all(r.state in (State.DONE, State.SKIPPED) for r in ran)
    out = [f"{title}: {'complete' if complete else 'not complete yet'}", ""]
    for row in rows:
        glyph = GLYPHS[row.state][0]
        facts = [row.state.value]
        if row.seconds is not None:
            facts.append(clock(row.seconds))
        if row.by:
            facts.append(row.by)
        out.append(f"{glyph} {row.number:2}. {row.title} — {' · '.join(facts)}")
        out += [f"      {link}" for link in row.links]
    total = sum(r.seconds for r in ran if r.seconds is not None)
    drivers = sorted({r.by for r in ran if r.by})
    out += ["", f"{sum(r.state is State.DONE for r in ran)} of {len(ran)} stages done "
                f"({len(rows) - len(ran)} do not apply) in {clock(total)} of stage time"
                + (f", driven by {', '.join(drivers)}" if drivers else "")]
    return out
