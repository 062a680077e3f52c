"""What the shared journal holds, and how it is written into comments.

A comment carries one record as a hidden marker, ``<!-- cockpit:KIND {json} -->``, under
a human-readable summary. GitHub renders the summary and hides the marker, so the same
comment serves the people following the release and every cockpit reading it back.
Two kinds exist: ``journal`` (one per release and stage: its status, action results,
driver, times, a log excerpt) and ``claim`` (one per driver holding a stage lock).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cockpit.events import (
    ActionApplying,
    ActionFinished,
    Event,
    LogLine,
    PromptAnswered,
    StageFinished,
    StageStarted,
    Waiting,
)
from cockpit.model import Outcome
from cockpit.states import GLYPHS, journal_state, outcome_words

R = TypeVar("R", bound=BaseModel)

StageStatus = Literal["running", "done", "skipped", "not_applicable", "failed", "aborted",
                      "needs_human", "cancelled", "awaiting_review", "blocked"]
TERMINAL: frozenset[str] = frozenset({"done", "skipped", "not_applicable", "failed", "aborted",
                                      "needs_human", "cancelled", "awaiting_review"})
"""Statuses a stage rests in: nothing runs it (``awaiting_review``: its driver may still be
polling for the approval, but nothing happens until a second maintainer gives it)."""
LOG_EXCERPT_LINES = 8
"""Log lines kept per stage record: enough to see what happened, small enough to edit."""
LINE_LIMIT = 200
HISTORY_LIMIT = 20


def now() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")

    v: int = 1


class ActionResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: str
    outcome: Outcome
    reason: str = ""
    link: str | None = None
    manual_confirmed: bool = False
    """The human said this manual step was done (another machine must not ask again)."""


class Transition(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: StageStatus
    at: datetime
    by: str = ""


class StageRecord(_Record):
    """The journal of one stage of one release: what a shadow or the next driver reads."""

    release: str
    """The release key (``kubo-v0.30.0-rc1``): one tracking issue serves a whole X.Y."""
    stage: str
    status: StageStatus
    driver: str
    host: str
    started: datetime
    updated: datetime
    finished: datetime | None = None
    actions: list[ActionResult] = Field(default_factory=list)
    log: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    history: list[Transition] = Field(default_factory=list)
    """Every status change with its time: a shadow that polls less often than the stage
    moves still sees each transition, and when it happened."""
    stolen_from: str | None = None

    @property
    def by(self) -> str:
        return f"{self.driver}@{self.host}"

    def result(self, action: str) -> ActionResult | None:
        return next((a for a in self.actions if a.action == action), None)

    def same_result(self, other: StageRecord | None) -> bool:
        """Nothing a reader cares about differs (a rerun that found everything done)."""
        if other is None:
            return False
        mine = [(a.action, a.outcome, a.manual_confirmed) for a in self.actions]
        theirs = [(a.action, a.outcome, a.manual_confirmed) for a in other.actions]
        return self.status == other.status and mine == theirs

    def transition(self, status: StageStatus, at: datetime) -> None:
        self.status, self.updated = status, at
        self.history = [*self.history, Transition(status=status, at=at, by=self.by)][
            -HISTORY_LIMIT:]


class Claim(_Record):
    """A driver's claim on a stage. Its lease is counted on the server's clock."""

    release: str
    stage: str
    driver: str
    host: str
    nonce: str
    """Tells two processes of the same driver apart."""
    pid: int | None = None
    """The claiming process: on the same host, a claim whose process is gone is taken
    over at once (a driver rerunning after a crash need not wait out the lease)."""
    lease_seconds: float
    claimed: datetime
    expires: datetime
    """On the claimant's clock, for people; cockpits use the comment's server time."""
    steals_from: str | None = None

    @property
    def by(self) -> str:
        return f"{self.driver}@{self.host}"


# -- markers ---------------------------------------------------------------------------------

_MARKER = re.compile(r"<!-- cockpit:(?P<kind>[a-z]+) (?P<json>\{.*?\}) -->", re.DOTALL)


def marker(kind: str, record: BaseModel) -> str:
    """``<!-- cockpit:KIND {json} -->``; ``<`` and ``>`` are escaped so no ``-->`` leaks."""
    text = record.model_dump_json().replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- cockpit:{kind} {text} -->"


def read_marker(body: str, kind: str, model: type[R]) -> R | None:
    """The record of ``kind`` in a comment body, or None (absent or unreadable)."""
    for found in _MARKER.finditer(body or ""):
        if found.group("kind") != kind:
            continue
        try:
            return model.model_validate_json(found.group("json"))
        except ValidationError:
            return None
    return None


def defuse(text: str) -> str:
    """Break HTML comments quoted in a log line or reason: a journal comment quoting a
    hidden marker (``<!-- tracked:… -->``) would otherwise count as the marked comment."""
    return text.replace("<!--", "<!- -").replace("-->", "- ->")


def _clock(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""


def render_record(record: StageRecord) -> str:
    """The comment: a summary people read, then the marker cockpits read."""
    state = journal_state(record.status)
    lines = [f"**cockpit** · `{record.release}` · stage **{record.stage}**: "
             f"{GLYPHS[state][0]} {outcome_words(record.status)}",
             "",
             f"Driver: {record.by} · started {_clock(record.started)}"
             + (f" · finished {_clock(record.finished)}" if record.finished else "")
             + (f" · taken over from {record.stolen_from}"
                if record.stolen_from else "")]
    if record.actions:
        lines += ["", "| action | outcome | reason |", "| --- | --- | --- |"]
        for a in record.actions:
            reason = a.reason.replace("|", "\\|").replace("\n", " ")[:LINE_LIMIT]
            link = f" ([link]({a.link}))" if a.link else ""
            lines.append(f"| {a.action} | {outcome_words(a.outcome)} | {reason}{link} |")
    if record.log:
        lines += ["", "<details><summary>log excerpt</summary>", "", "```",
                  *(line.replace("```", "'''") for line in record.log), "```", "",
                  "</details>"]
    lines += ["", marker("journal", record)]
    return "\n".join(lines)


def render_claim(claim: Claim) -> str:
    steal = f" (taken over from {claim.steals_from})" if claim.steals_from else ""
    return (f"🔒 **cockpit** · `{claim.release}` · stage **{claim.stage}** is driven by "
            f"{claim.by}{steal}; the claim lapses at {_clock(claim.expires)} unless renewed."
            f"\n\n{marker('claim', claim)}")


# -- from local events -----------------------------------------------------------------------


def _status(outcome: Outcome) -> StageStatus:
    return outcome.value


class RecordBuilder:
    """Folds engine events of one release into stage records (live, or replayed offline)."""

    def __init__(self, release: str, redact: Callable[[str], str] | None = None,
                 known: dict[str, StageRecord] | None = None) -> None:
        self.release = release
        self.redact: Callable[[str], str] = redact or (lambda text: text)
        self.records: dict[str, StageRecord] = dict(known or {})

    def apply(self, event: Event) -> StageRecord | None:
        """Fold one event in; the record it changed, if any."""
        if event.release != self.release:
            return None
        if isinstance(event, StageStarted):
            earlier = self.records.get(event.stage)
            record = StageRecord(
                release=self.release, stage=event.stage, status="running",
                driver=event.driver, host=event.host, started=event.at, updated=event.at,
                actions=list(earlier.actions) if earlier else [],
                history=list(earlier.history) if earlier else [],
                stolen_from=None)
            record.transition("running", event.at)
            self.records[event.stage] = record
            return record
        found = self.records.get(getattr(event, "stage", ""))
        if found is None:
            return None
        record = found
        if isinstance(event, ActionFinished):
            earlier_result = record.result(event.action)
            result = ActionResult(
                action=event.action, outcome=event.outcome,
                reason=self._clip(event.reason), link=event.link,
                manual_confirmed=bool(earlier_result and earlier_result.manual_confirmed))
            record.actions = [a for a in record.actions if a.action != event.action] + [result]
            if event.link and event.link not in record.links:
                record.links = [*record.links, event.link][-10:]
            record.updated = event.at
        elif (isinstance(event, PromptAnswered) and event.prompt_id.endswith("/manual")
              and event.answer.value is True):
            done_before = record.result(event.action)
            confirmed = (done_before or ActionResult(action=event.action, outcome=Outcome.DONE,
                                               reason="done by hand")).model_copy(
                update={"manual_confirmed": True})
            record.actions = [a for a in record.actions if a.action != event.action] + [
                confirmed]
            record.updated = event.at
        elif isinstance(event, LogLine):
            prefix = f"{event.action}: " if event.action else ""
            record.log = [*record.log, self._clip(prefix + event.line)][-LOG_EXCERPT_LINES:]
            return None  # log lines ride along with the next real change
        elif isinstance(event, StageFinished):
            record.finished = event.at
            record.transition(_status(event.outcome), event.at)
        elif isinstance(event, Waiting) and event.review:
            return self._awaiting_review(record, event)
        elif isinstance(event, ActionApplying) and record.status == "awaiting_review":
            record.transition("running", event.at)  # approved: the stage moves again
        else:
            return None
        return record

    def _awaiting_review(self, record: StageRecord, event: Waiting) -> StageRecord | None:
        """The stage rests on a review: said once (each poll of the wait is not news)."""
        result = ActionResult(action=event.action, outcome=Outcome.AWAITING_REVIEW,
                              reason=self._clip(event.reason))
        if record.status == "awaiting_review" and record.result(event.action) == result:
            return None
        record.actions = [a for a in record.actions if a.action != event.action] + [result]
        record.updated = event.at
        if record.status != "awaiting_review":
            record.transition("awaiting_review", event.at)
        return record

    def _clip(self, text: str) -> str:
        clean = defuse(self.redact(text).replace("\n", " "))
        return clean if len(clean) <= LINE_LIMIT else clean[:LINE_LIMIT] + "…"


def records_from_events(release: str, events: Iterable[Event],
                        redact: Callable[[str], str] | None = None
                        ) -> dict[str, StageRecord]:
    """The stage records a local journal implies (to reconcile after working offline)."""
    builder = RecordBuilder(release, redact)
    for event in events:
        builder.apply(event)
    return builder.records


def session_memory(records: Iterable[StageRecord]
                   ) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]]]:
    """(skipped with reasons, manual steps confirmed) — what a fresh machine must not ask
    again, read from the shared journal instead of a local file."""
    skipped: dict[tuple[str, str], str] = {}
    manual: set[tuple[str, str]] = set()
    for record in records:
        for a in record.actions:
            if a.outcome is Outcome.SKIPPED:
                skipped[(record.stage, a.action)] = a.reason
            if a.manual_confirmed:
                manual.add((record.stage, a.action))
    return skipped, manual
