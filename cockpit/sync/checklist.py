"""The block of the tracking issue's body that mirrors stage status, edited in place.

One block per release (RCs and the final share a tracking issue), between two hidden
markers, one line per stage. Drivers of different stages may edit the body at the same
moment and GitHub has no conditional PATCH, so a write could undo another's line. Each
line therefore carries its time, and every write merges: per stage, the newer of the
line already in the body and the record the writer knows wins. Any later write repairs
an undone line; the comments (not this block) are what cockpits read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cockpit.states import outcome_words
from cockpit.sync.records import StageRecord

_LINE = re.compile(r"^- \[[ x]\] \*\*(?P<stage>[a-z0-9][a-z0-9-]*)\*\* .*"
                   r"<!-- cockpit:at (?P<at>[^ ]+) -->$")


def _begin(release: str) -> str:
    return f"<!-- cockpit:checklist {release} begin -->"


def _end(release: str) -> str:
    return f"<!-- cockpit:checklist {release} end -->"


@dataclass(frozen=True)
class Line:
    stage: str
    at: datetime | None
    text: str


def render_line(stage: str, record: StageRecord | None, applies: bool = True) -> Line:
    if record is None:
        return Line(stage, None, f"- [ ] **{stage}** — to do" if applies else
                    f"- [x] **{stage}** — not applicable to this release")
    tick = "x" if record.status in ("done", "skipped", "not_applicable") else " "
    at = record.history[-1].at if record.history else record.updated
    text = (f"- [{tick}] **{stage}** — {outcome_words(record.status)} · {record.by} · "
            f"{at:%Y-%m-%d %H:%M UTC} <!-- cockpit:at {at.isoformat()} -->")
    return Line(stage, at, text)


def _parse_block(body: str, release: str) -> dict[str, Line]:
    start, end = body.find(_begin(release)), body.find(_end(release))
    if start == -1 or end == -1 or end < start:
        return {}
    found: dict[str, Line] = {}
    for raw in body[start:end].splitlines():
        m = _LINE.match(raw.strip())
        if m:
            try:
                at = datetime.fromisoformat(m.group("at"))
            except ValueError:
                continue
            found[m.group("stage")] = Line(m.group("stage"), at, raw.strip())
    return found


def merge_block(body: str, release: str, title: str, stages: Iterable[str],
                records: Mapping[str, StageRecord],
                not_applicable: frozenset[str] = frozenset()) -> str:
    """``body`` with this release's block rewritten (appended if absent)."""
    existing = _parse_block(body, release)
    lines: list[str] = []
    for stage in stages:
        mine = render_line(stage, records.get(stage), stage not in not_applicable)
        theirs = existing.get(stage)
        newer = theirs if (theirs is not None and theirs.at is not None and
                           (mine.at is None or theirs.at > mine.at)) else mine
        lines.append(newer.text)
    block = "\n".join([_begin(release), f"### {title}", "", *lines, _end(release)])
    start, end = body.find(_begin(release)), body.find(_end(release))
    if start != -1 and end > start:
        return body[:start] + block + body[end + len(_end(release)):]
    return (body.rstrip() + "\n\n" if body.strip() else "") + block + "\n"
