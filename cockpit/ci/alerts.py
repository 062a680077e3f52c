"""Alerts on CI health: rules read from TOML, evaluated against the facts, fired and resolved
once, and told to people through the cockpit's own clients (a GitHub issue, Matrix, Discord).

Why this shape: the team stared at graphs and still learned of a collapsed success rate or a
lost webhook from developers. A rule names a fact (``cockpit.ci.facts``), a scope glob and a
threshold; ``evaluate`` turns the facts into findings per scope and keeps the alert state in
the store's ``alerts`` table, where a partial unique index on ``(rule, scope) WHERE
resolved_at IS NULL`` makes "fires once" hold even when two receivers evaluate at once (the
insert that loses the race inserts nothing), and ``UPDATE … WHERE resolved_at IS NULL`` makes
"resolves once" hold the same way. Notifications are a second step that reads what still
needs telling (``notified_at``), so a crash between firing and notifying re-sends on the next
evaluation instead of losing the news; GitHub (an issue found by its exact title) and Matrix
(a transaction id per alert) make that re-send harmless, and Discord, which cannot, goes last.

The rules file (``--rules FILE``; the built-in defaults otherwise)::

    defaults = true            # keep the built-in rules; a rule of the same name replaces one

    [notify]
    github_repo = "acme/ci-health"   # an issue per alert: opened on fire, closed on resolve
    matrix_room = "#ci:example.org"
    discord = true                   # the webhook from `cockpit login discord` / env

    [[rules]]
    name = "success-rate"
    metric = "success_rate"          # success_rate | queue_p90 | near_timeout | stuck | outage
    scope = "acme/*"                 # a glob over repository/workflow[/job]
    window = "7d"
    threshold = 0.8                  # fire under 80 %, or on a drop of `drop` vs the 7 d before
    drop = 0.15
    min_runs = 10

Durations are written with a unit (``90s``, ``10m``, ``6h``, ``7d``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from cockpit.ci import facts
from cockpit.ci.store import AlertRecord, Store, open_store
from cockpit.errors import BadInput, CockpitError
from cockpit.settings import SettingsError

# -- durations ---------------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(value: object) -> float:
    """``"90s"``, ``"10m"``, ``"6h"``, ``"7d"``, ``"2w"`` → seconds. A bare number is refused:
    ``threshold = 10`` could mean seconds or minutes, and guessing wrong floods a channel."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = float(match.group(1)) * _UNITS[match.group(2)]
            if seconds > 0:
                return seconds
    raise ValueError(f"{value!r} is not a duration: write a number and a unit, "
                     "like 90s, 10m, 6h or 7d")


def format_duration(seconds: float) -> str:
    """Seconds in the largest unit that keeps it readable: ``7d``, ``6h``, ``14m 30s``."""
    seconds = round(seconds)
    if seconds >= 86400 and seconds % 3600 == 0:
        days, hours = divmod(seconds // 3600, 24)
        return f"{days}d" + (f" {hours}h" if hours else "")
    if seconds >= 3600:
        hours, rest = divmod(seconds, 3600)
        return f"{hours}h" + (f" {rest // 60}m" if rest // 60 else "")
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes}m" + (f" {rest}s" if rest else "")
    return f"{seconds}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]

# -- rules -------------------------------------------------------------------------------------


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The alert's name (one alert per rule and scope); a default of the same name is replaced."""
    scope: str = "*"
    """A glob over the scope: ``owner/repo`` for outages, ``owner/repo/workflow`` for rates and
    queues, ``owner/repo/workflow/job`` for jobs. ``acme/*`` matches every scope under acme; a
    pattern without a wildcard also matches everything under it (``acme/widgets``)."""
    enabled: bool = True

    def covers(self, scope: str) -> bool:
        return scope_matches(self.scope, scope)


class SuccessRateRule(_Rule):
    """The success rate of a workflow's runs under ``threshold``, or down by ``drop`` (absolute)
    from the window before; only with at least ``min_runs`` judged runs in the window."""

    metric: Literal["success_rate"]
    window: Duration = 7 * 86400
    threshold: float = Field(0.8, ge=0, le=1)
    drop: float = Field(0.15, ge=0, le=1)
    min_runs: int = Field(10, ge=1)


class QueueRule(_Rule):
    """The p90 of jobs' time in queue (created → a runner took it) over ``threshold``."""

    metric: Literal["queue_p90"]
    window: Duration = 3600
    threshold: Duration = 600
    min_jobs: int = Field(5, ge=1)


class NearTimeoutRule(_Rule):
    """``threshold`` or more jobs (per job name) ran to ``percent`` % of their timeout."""

    metric: Literal["near_timeout"]
    window: Duration = 86400
    threshold: int = Field(1, ge=1)
    percent: int = Field(90, ge=1, le=100)


class StuckRule(_Rule):
    """``threshold`` or more jobs (per job name) queued over ``minutes`` with no runner."""

    metric: Literal["stuck"]
    minutes: float = Field(30, gt=0)
    threshold: int = Field(1, ge=1)


class OutageRule(_Rule):
    """No webhook from a repository for ``hours`` while its runs in ``window`` said at least
    ``threshold`` runs would have come in that time (so a quiet repository is not an outage)."""

    metric: Literal["outage"]
    hours: float = Field(6, gt=0)
    window: Duration = 7 * 86400
    threshold: float = Field(2.0, gt=0)

    @model_validator(mode="after")
    def _window_longer_than_the_silence(self) -> OutageRule:
        if self.window <= self.hours * 3600:
            raise ValueError(f"window ({format_duration(self.window)}) must be longer than "
                             f"hours ({format_duration(self.hours * 3600)}): the runs before the "
                             "silence say what to expect")
        return self


Told = Literal["fired", "resolved"]
Rule = Annotated[SuccessRateRule | QueueRule | NearTimeoutRule | StuckRule | OutageRule,
                 Field(discriminator="metric")]


class NotifyConfig(BaseModel):
    """Where fired and resolved alerts are told. Tokens come from the cockpit's secrets
    (``cockpit login github|matrix|discord`` or ``COCKPIT_GITHUB_TOKEN``,
    ``COCKPIT_MATRIX_TOKEN``, ``COCKPIT_DISCORD_WEBHOOK``), never from this file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    github_repo: str | None = Field(None, pattern=r"^[^/\s]+/[^/\s]+$")
    """``owner/repo``: one issue per alert there (opened on fire, commented and closed on
    resolve)."""
    labels: tuple[str, ...] = ()
    """Labels for those issues (they must exist in that repository)."""
    matrix_room: str | None = None
    """A room id (``!x:hs``) or alias (``#ci:example.org``) the token's user has joined."""
    discord: bool = False
    """Post to the Discord webhook (``cockpit login discord``)."""

    @property
    def any(self) -> bool:
        return bool(self.github_repo or self.matrix_room or self.discord)


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: bool = True
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    rules: tuple[Rule, ...] = ()


DEFAULT_RULES: tuple[Rule, ...] = (
    SuccessRateRule(name="success-rate", metric="success_rate"),
    QueueRule(name="queue-p90", metric="queue_p90"),
    NearTimeoutRule(name="near-timeout", metric="near_timeout"),
    StuckRule(name="stuck-job", metric="stuck"),
    OutageRule(name="webhook-outage", metric="outage"),
)
"""Success rate under 80 % over 7 days (or 15 points under the 7 days before); queue p90 over
10 minutes in the last hour; a job at 90 % of its timeout in the last day; a job queued over
30 minutes with no runner; no webhook for 6 hours from a repository whose last 7 days said 2
runs would have come in that time."""


@dataclass(frozen=True)
class RuleSet:
    """The rules in force (enabled ones, defaults merged) and where to notify."""

    rules: tuple[Rule, ...] = DEFAULT_RULES
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    source: str = "built-in defaults"
    disabled: tuple[str, ...] = ()
    """Rules switched off (``enabled = false``): their open alerts are resolved."""


class RulesError(BadInput, ValueError):
    """A rules file that cannot be used; the message names the file and the field."""


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules in ``path`` (None: the built-in defaults). Raises ``RulesError``."""
    if path is None:
        return RuleSet()
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{where}: cannot read the rules file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{where}: not valid TOML: {exc}") from None
    try:
        parsed = RulesFile.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{where}: " + "; ".join(_explain(error, data)
                                                  for error in exc.errors())) from None
    names = [rule.name for rule in parsed.rules]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RulesError(f"{where}: rules: the name {twice[0]!r} is used twice "
                         "(one alert per rule name and scope)")
    mine = {rule.name for rule in parsed.rules}
    merged = [*(rule for rule in DEFAULT_RULES if parsed.defaults and rule.name not in mine),
              *parsed.rules]
    return RuleSet(tuple(rule for rule in merged if rule.enabled), parsed.notify, where,
                   tuple(rule.name for rule in merged if not rule.enabled))


METRICS = ("success_rate", "queue_p90", "near_timeout", "stuck", "outage")

_FRIENDLY = {
    "union_tag_not_found": "metric is missing: one of " + ", ".join(METRICS),
    "union_tag_invalid": "metric must be one of " + ", ".join(METRICS),
    "extra_forbidden": "not a field of this rule (a typo?)",
    "string_pattern_mismatch": "not of the expected form",
    "tuple_type": "must be a list (write [[rules]] tables)",
}


def _explain(error: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """``rules[2] (queue-p90).threshold: …`` from a pydantic error (rules numbered from 1)."""
    loc = list(error.get("loc", ()))
    kind = str(error.get("type", ""))
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        index = loc[1]
        rules = data.get("rules")
        entry = rules[index] if isinstance(rules, list) and index < len(rules) else None
        name = f" ({entry.get('name', '?')})" if isinstance(entry, dict) else ""
        rest = [str(part) for part in loc[2:]]
        if rest and rest[0] in METRICS:
            rest = rest[1:]  # the union's tag: already said by the rule's metric
        if kind.startswith("union_tag"):
            rest = ["metric"]
        where = f"rules[{index + 1}]{name}" + "".join(f".{part}" for part in rest)
    else:
        where = ".".join(str(part) for part in loc) or "the file"
    message = _FRIENDLY.get(kind) or str(error.get("msg", "invalid"))
    if kind == "string_pattern_mismatch" and loc[-1:] == ["github_repo"]:
        message = "write owner/repo"
    return f"{where}: {message.removeprefix('Value error, ')}"


def scope_matches(pattern: str, scope: str) -> bool:
    """``fnmatch`` over the whole scope (``*`` crosses ``/``); a pattern also covers what is
    under it, so ``acme/widgets`` matches ``acme/widgets/CI/build``."""
    pattern = pattern.strip() or "*"
    return fnmatchcase(scope, pattern) or fnmatchcase(scope, pattern.rstrip("/") + "/*")


# -- findings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """What one rule sees in one scope now: whether it fires, and the facts that say so."""

    firing: bool
    facts: dict[str, Any]


def _scope(*parts: str | None) -> str:
    return "/".join(part or "?" for part in parts)


class _JobFact(Protocol):
    @property
    def repository(self) -> str: ...
    @property
    def workflow(self) -> str | None: ...
    @property
    def job(self) -> str | None: ...


_Job = TypeVar("_Job", bound=_JobFact)


def _jobs_by_scope(rule: _Rule, jobs: Iterable[_Job]) -> dict[str, list[_Job]]:
    """The jobs the rule covers, per ``owner/repo/workflow/job``, in the order met."""
    groups: dict[str, list[_Job]] = {}
    for job in jobs:
        scope = _scope(job.repository, job.workflow, job.job)
        if rule.covers(scope):
            groups.setdefault(scope, []).append(job)
    return groups


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


def _minutes(seconds: float | None) -> str:
    return "n/a" if seconds is None else format_duration(seconds)


def _success_rate(store: Store, rule: SuccessRateRule, now: float, web: str
                  ) -> dict[str, Finding]:
    window = facts.Window.last(rule.window, now)
    current = facts.run_stats(store, window)
    previous = {(s.repository, s.workflow): s for s in facts.run_stats(store, window.before())}
    out: dict[str, Finding] = {}
    for stats in current:
        scope = _scope(stats.repository, stats.workflow)
        if not rule.covers(scope) or stats.outcomes.judged < rule.min_runs:
            continue
        rate = stats.success_rate
        before = previous.get((stats.repository, stats.workflow))
        before_rate = (before.success_rate if before is not None
                       and before.outcomes.judged >= rule.min_runs else None)
        under = rate is not None and rate < rule.threshold
        dropped = (rate is not None and before_rate is not None
                   and before_rate - rate >= rule.drop)
        why = (f"under the floor of {_pct(rule.threshold)}" if under else
               f"down {round((before_rate or 0) * 100 - (rate or 0) * 100)} points from the "
               f"{format_duration(rule.window)} before" if dropped else "")
        firing = under or dropped
        link = (_latest_failure(store, stats.repository, stats.workflow, window)
                if firing else None) or f"{web}/{stats.repository}/actions"
        out[scope] = Finding(firing, {
            "summary": f"success rate of {scope} is {_pct(rate)} over {format_duration(rule.window)}"
                       + (f" (previous: {_pct(before_rate)})" if before_rate is not None else "")
                       + (f": {why}" if why else ""),
            "success_rate": rate, "previous_success_rate": before_rate,
            "runs": stats.runs, "judged": stats.outcomes.judged,
            "successes": stats.successes, "failures": stats.outcomes.failures,
            "cancelled": stats.outcomes.cancelled, "skipped": stats.outcomes.skipped,
            "threshold": rule.threshold, "drop": rule.drop, "window": format_duration(rule.window),
            "link": link,
        })
    return out


def _latest_failure(store: Store, repository: str, workflow: str | None,
                    window: facts.Window) -> str | None:
    rows = store.query(
        "SELECT html_url FROM workflow_runs WHERE repository = :repository "
        "AND workflow_name = :workflow AND created_at >= :since AND created_at < :until "
        "AND status = 'completed' AND conclusion NOT IN ('success', 'cancelled', 'skipped') "
        "ORDER BY created_at DESC LIMIT 1",
        {"repository": repository, "workflow": workflow, "since": window.since,
         "until": window.until})
    return rows[0]["html_url"] if rows else None


def _queue(store: Store, rule: QueueRule, now: float, web: str) -> dict[str, Finding]:
    window = facts.Window.last(rule.window, now)
    overall = {(s.repository, s.workflow): s for s in facts.job_stats(store, window, by="workflow")}
    out: dict[str, Finding] = {}
    for split in facts.runner_split(store, window):
        scope = _scope(split.repository, split.workflow)
        merged = overall.get((split.repository, split.workflow))
        if not rule.covers(scope) or merged is None or merged.queued < rule.min_jobs:
            continue
        p90 = merged.queue_p90
        kinds = {kind: {"jobs": stats.jobs, "queue_p90": stats.queue_p90}
                 for kind, stats in sorted(split.kinds.items())}
        out[scope] = Finding(p90 is not None and p90 > rule.threshold, {
            "summary": f"queue p90 of {scope} is {_minutes(p90)} over the last "
                       f"{format_duration(rule.window)} (limit {format_duration(rule.threshold)})",
            "queue_p90": p90, "threshold": rule.threshold, "jobs_started": merged.queued,
            "window": format_duration(rule.window), "runner_kinds": kinds,
            "link": f"{web}/{split.repository}/actions",
        })
    return out


def _near_timeout(store: Store, rule: NearTimeoutRule, now: float, web: str
                  ) -> dict[str, Finding]:
    report = facts.near_timeout(store, facts.Window.last(rule.window, now), percent=rule.percent)
    out: dict[str, Finding] = {}
    for scope, jobs in _jobs_by_scope(rule, report.jobs).items():
        worst = max(jobs, key=lambda job: job.ratio)
        latest = max(jobs, key=lambda job: job.created_at)
        out[scope] = Finding(len(jobs) >= rule.threshold, {
            "summary": f"{len(jobs)} job(s) of {scope} ran to {rule.percent}% or more of their "
                       f"{worst.timeout_minutes}-minute timeout in the last "
                       f"{format_duration(rule.window)} (longest: {_minutes(worst.duration)})",
            "jobs": len(jobs), "threshold": rule.threshold, "percent": rule.percent,
            "timeout_minutes": worst.timeout_minutes, "longest": worst.duration,
            "longest_ratio": round(worst.ratio, 3), "window": format_duration(rule.window),
            "unjudged_jobs_in_window": report.unjudged,
            "link": latest.html_url or f"{web}/{latest.repository}/actions",
        })
    return out


def _stuck(store: Store, rule: StuckRule, now: float, web: str) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    for scope, jobs in _jobs_by_scope(rule, facts.stuck_jobs(store, now, rule.minutes)).items():
        oldest = min(jobs, key=lambda job: job.created_at)
        labels = sorted({label for job in jobs for label in job.labels})
        out[scope] = Finding(len(jobs) >= rule.threshold, {
            "summary": f"{len(jobs)} job(s) of {scope} queued over {format_duration(rule.minutes * 60)}"
                       f" with no runner (oldest: {_minutes(oldest.queued_seconds)}"
                       + (f"; labels {', '.join(labels)}" if labels else "") + ")",
            "jobs": len(jobs), "threshold": rule.threshold, "minutes": rule.minutes,
            "oldest_queued_seconds": oldest.queued_seconds, "labels": labels,
            "runner_kinds": sorted({job.runner_kind or "unknown" for job in jobs}),
            "job_ids": [job.job_id for job in jobs[:20]],
            "link": oldest.html_url or f"{web}/{oldest.repository}/actions",
        })
    return out


def _outage(store: Store, rule: OutageRule, now: float, web: str) -> dict[str, Finding]:
    silence = rule.hours * 3600
    # The runs that set the expectation: the window before the silence being judged.
    before = facts.Window(int(now - rule.window), int(now - silence))
    out: dict[str, Finding] = {}
    for activity in facts.last_events(store, before):
        scope = activity.repository
        if not rule.covers(scope) or activity.runs == 0:
            continue
        expected = activity.runs * silence / max(rule.window - silence, 1)
        if expected < rule.threshold:
            continue
        last = activity.last_received
        quiet = now - last if last is not None else None
        firing = quiet is None or quiet >= silence
        out[scope] = Finding(firing, {
            "summary": (f"no webhook from {scope} for {_minutes(quiet)}" if quiet is not None
                        else f"no webhook from {scope} ever") +
                       f", while its last {format_duration(rule.window)} had {activity.runs} "
                       f"runs (~{expected:.1f} expected in {format_duration(silence)}): "
                       "check the webhook's recent deliveries, then `cockpit ci sync`",
            "last_webhook_at": last, "silent_seconds": quiet, "hours": rule.hours,
            "runs_in_window": activity.runs, "expected_runs": round(expected, 2),
            "threshold": rule.threshold, "window": format_duration(rule.window),
            "link": f"{web}/{scope}/actions",
        })
    return out


_METRICS: dict[str, Callable[[Store, Any, float, str], dict[str, Finding]]] = {
    "success_rate": _success_rate,
    "queue_p90": _queue,
    "near_timeout": _near_timeout,
    "stuck": _stuck,
    "outage": _outage,
}


def findings(store: Store, rule: Rule, now: float, web_url: str = "https://github.com"
             ) -> dict[str, Finding]:
    """Every scope ``rule`` has enough data to judge now, firing or not."""
    return _METRICS[rule.metric](store, rule, now, web_url.rstrip("/"))


# -- state -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One row of ``alerts`` (the store's ``AlertRecord`` plus when it was last told)."""

    id: int
    rule: str
    scope: str
    fired_at: float
    resolved_at: float | None
    facts: Mapping[str, Any]
    notified_at: float | None

    def record(self) -> AlertRecord:
        return AlertRecord(rule=self.rule, scope=self.scope, fired_at=self.fired_at,
                           facts=self.facts, resolved_at=self.resolved_at, id=self.id)

    @property
    def summary(self) -> str:
        return str(self.facts.get("summary") or f"{self.rule} on {self.scope}")

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "scope": self.scope,
                "fired_at": self.fired_at, "fired": _iso(self.fired_at),
                "resolved_at": self.resolved_at,
                "resolved": _iso(self.resolved_at) if self.resolved_at is not None else None,
                "notified_at": self.notified_at, "facts": dict(self.facts)}


@dataclass(frozen=True)
class Changes:
    """What one evaluation changed: the alerts it fired and the ones it resolved."""

    fired: tuple[Alert, ...] = ()
    resolved: tuple[Alert, ...] = ()
    errors: tuple[str, ...] = ()
    """Rules that could not be evaluated (the others still were)."""

    def __bool__(self) -> bool:
        return bool(self.fired or self.resolved)


_COLUMNS = "id, rule, scope, fired_at, resolved_at, facts, notified_at"


def _alert(row: Mapping[str, Any]) -> Alert:
    raw = row["facts"]
    data = json.loads(raw) if isinstance(raw, str | bytes) else (raw or {})
    return Alert(id=int(row["id"]), rule=row["rule"], scope=row["scope"],
                 fired_at=float(row["fired_at"]),
                 resolved_at=None if row["resolved_at"] is None else float(row["resolved_at"]),
                 facts=data if isinstance(data, dict) else {},
                 notified_at=None if row["notified_at"] is None else float(row["notified_at"]))


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)


def open_alerts(store: Store) -> list[Alert]:
    """Alerts firing now, oldest first."""
    rows = store.query(f"SELECT {_COLUMNS} FROM alerts WHERE resolved_at IS NULL "
                       "ORDER BY fired_at, id")
    return [_alert(row) for row in rows]


def resolved_alerts(store: Store, limit: int = 50) -> list[Alert]:
    """The most recently resolved alerts, newest first."""
    rows = store.query(f"SELECT {_COLUMNS} FROM alerts WHERE resolved_at IS NOT NULL "
                       "ORDER BY resolved_at DESC, id DESC LIMIT :limit", {"limit": limit})
    return [_alert(row) for row in rows]


def _one(store: Store, alert_id: int) -> Alert:
    return _alert(store.query(f"SELECT {_COLUMNS} FROM alerts WHERE id = :id",
                              {"id": alert_id})[0])


def evaluate(store: Store, rules: RuleSet, now: float | None = None, *,
             web_url: str | None = None) -> Changes:
    """Fire the alerts whose condition holds and none is open for, resolve the open ones
    whose condition no longer holds; return what this call changed (another evaluator's
    changes are not this call's). Open alerts of rules not in ``rules`` are left alone."""
    now = time.time() if now is None else now
    web = web_url or _settings_web_url()
    by_rule: dict[str, list[Alert]] = {}
    for alert in open_alerts(store):
        by_rule.setdefault(alert.rule, []).append(alert)
    fired: list[Alert] = []
    resolved: list[Alert] = []
    errors: list[str] = []
    for rule in rules.rules:
        try:
            seen = findings(store, rule, now, web)
        except Exception as exc:  # one broken rule must not silence the others
            errors.append(f"rule {rule.name}: {type(exc).__name__}: {exc}")
            continue
        open_now = {alert.scope: alert for alert in by_rule.get(rule.name, [])}
        for scope, finding in sorted(seen.items()):
            if finding.firing and scope not in open_now:
                inserted = store.execute(
                    "INSERT INTO alerts (rule, scope, fired_at, facts) "
                    "VALUES (:rule, :scope, :fired_at, :facts) ON CONFLICT DO NOTHING",
                    {"rule": rule.name, "scope": scope, "fired_at": now,
                     "facts": _json(finding.facts)})
                if inserted == 1:
                    rows = store.query(f"SELECT {_COLUMNS} FROM alerts WHERE rule = :rule "
                                       "AND scope = :scope AND resolved_at IS NULL",
                                       {"rule": rule.name, "scope": scope})
                    fired.extend(_alert(row) for row in rows)
        for scope, alert in open_now.items():
            current = seen.get(scope)
            if current is not None and current.firing:
                continue
            resolution = (current.facts if current is not None else
                          {"summary": f"{rule.name} on {scope}: nothing left to judge in the "
                                      "window (no data, or out of the rule's scope)"})
            if _resolve(store, alert, now, resolution):
                resolved.append(_one(store, alert.id))
    for name in rules.disabled:
        for alert in by_rule.get(name, []):
            if _resolve(store, alert, now, {"summary": f"the rule {name} was switched off"}):
                resolved.append(_one(store, alert.id))
    return Changes(tuple(fired), tuple(resolved), tuple(errors))


def _resolve(store: Store, alert: Alert, now: float, resolution: Mapping[str, Any]) -> bool:
    """Resolve ``alert`` unless another evaluator did already (then False)."""
    return store.execute(
        "UPDATE alerts SET resolved_at = :now, facts = :facts "
        "WHERE id = :id AND resolved_at IS NULL",
        {"now": now, "id": alert.id,
         "facts": _json({**alert.facts, "resolution": dict(resolution)})}) == 1


def _settings_web_url() -> str:
    from cockpit.settings import Settings

    return Settings().github_url


# -- notifications -----------------------------------------------------------------------------


class NotifyError(CockpitError, RuntimeError):
    """A channel could not be told; the alert stays un-notified and is retried next time."""


RESOLVED_NOTICE_HORIZON = 86400.0
"""Resolutions older than this are not announced late (a channel configured today does not
replay a year of them)."""


@dataclass
class Notifier:
    """Tells the configured channels about an alert, through the cockpit's service clients."""

    config: NotifyConfig
    github_api_url: str = "https://api.github.com"
    github_token: str | None = None
    matrix_url: str = "https://matrix-client.matrix.org"
    matrix_token: str | None = None
    discord_webhook: str | None = None
    sent: list[tuple[str, str, int]] = field(default_factory=list)
    """(channel, "fired"|"resolved", alert id) for each message sent by this notifier."""

    @classmethod
    def from_environment(cls, config: NotifyConfig) -> Notifier:
        """URLs from ``COCKPIT_*`` settings, tokens from the keyring or the environment."""
        from cockpit.secrets import find_token
        from cockpit.settings import Settings

        settings = Settings()
        github = find_token("github") if config.github_repo else None
        matrix = find_token("matrix") if config.matrix_room else None
        discord = ((find_token("discord") or settings.discord_webhook_url or None)
                   if config.discord else None)
        return cls(config, github_api_url=settings.github_api_url, github_token=github,
                   matrix_url=settings.matrix_url, matrix_token=matrix, discord_webhook=discord)

    def _redactor(self) -> Any:
        from cockpit.secrets import Redactor

        redact = Redactor()
        for secret in (self.github_token, self.matrix_token, self.discord_webhook):
            redact.add(secret)
        if self.discord_webhook:
            redact.add(self.discord_webhook.rstrip("/").rsplit("/", 1)[-1])
        return redact

    async def tell(self, alert: Alert, what: Told, remember: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
        """Send to every channel; returns the facts to remember (the GitHub issue's number),
        also filled into ``remember`` as they are learnt — so they survive a ``NotifyError``
        (redacted, naming each channel that failed)."""
        from cockpit.services.http import ServiceError

        redact = self._redactor()
        remember = {} if remember is None else remember
        failures: list[str] = []
        # Idempotent channels first (GitHub finds its issue, Matrix drops a repeated txn id):
        # a retry after a Discord failure repeats only Discord for real.
        channels: list[tuple[str, Callable[[], Any]]] = []
        if self.config.github_repo:
            channels.append(("github", lambda: self._github(alert, what, remember, redact)))
        if self.config.matrix_room:
            channels.append(("matrix", lambda: self._matrix(alert, what, redact)))
        if self.config.discord:
            channels.append(("discord", lambda: self._discord(alert, what, redact)))
        for name, send in channels:
            try:
                await send()
            except (ServiceError, NotifyError, OSError) as exc:
                failures.append(redact(f"{name}: {exc}"))
            else:
                self.sent.append((name, what, alert.id))
        if failures:
            raise NotifyError(f"alert #{alert.id} ({what}): " + "; ".join(failures))
        return remember

    async def _github(self, alert: Alert, what: Told, remember: dict[str, Any], redact: Any
                      ) -> None:
        from cockpit.services.github import GitHubClient

        repo = self.config.github_repo
        assert repo is not None
        if not self.github_token:
            raise NotifyError("no GitHub token (cockpit login github, or COCKPIT_GITHUB_TOKEN)")
        async with GitHubClient(self.github_api_url, self.github_token, redact=redact) as gh:
            number = alert.facts.get("github_issue")
            if not isinstance(number, int):
                issue, _ = await gh.ensure_issue(repo, title=issue_title(alert),
                                                 body=message(alert, "fired", markdown=True),
                                                 labels=list(self.config.labels) or None)
                number = issue.number
                remember["github_issue"] = number
            if what == "resolved":
                issue = await gh.get_issue(repo, number)
                if issue.state == "open":  # closed: this resolution was told already
                    await gh.create_comment(repo, number, message(alert, "resolved", markdown=True))
                    await gh.update_issue(repo, number, state="closed", state_reason="completed")

    async def _matrix(self, alert: Alert, what: Told, redact: Any) -> None:
        from cockpit.services.matrix import MatrixClient

        room = self.config.matrix_room
        assert room is not None
        if not self.matrix_token:
            raise NotifyError("no Matrix token (cockpit login matrix, or COCKPIT_MATRIX_TOKEN)")
        async with MatrixClient(self.matrix_url, self.matrix_token, redact=redact) as client:
            await client.send_message(room, message(alert, what),
                                      txn_id=f"{alert_key(alert)}-{what}")

    async def _discord(self, alert: Alert, what: Told, redact: Any) -> None:
        from cockpit.services.discord import DiscordWebhook

        if not self.discord_webhook:
            raise NotifyError("no Discord webhook (cockpit login discord, or "
                              "COCKPIT_DISCORD_WEBHOOK)")
        async with DiscordWebhook(self.discord_webhook, redact=redact) as hook:
            await hook.execute(message(alert, what)[:1900], username="cockpit ci")


def alert_key(alert: Alert) -> str:
    """Names this alert in the channels: its id *and* when it fired, because ids start again
    at 1 in a new store that may tell the same repository or room (an issue found by the
    title of another store's alert, or a Matrix transaction id reused, would swallow it)."""
    return f"cockpit-ci-alert-{alert.id}-{int(alert.fired_at)}"


def issue_title(alert: Alert) -> str:
    """Unique per alert (id and firing time), so finding the issue again by title is exact."""
    return f"CI alert #{alert.id}: {alert.rule} on {alert.scope} (fired {_iso(alert.fired_at)})"


_HIDDEN_FACTS = {"summary", "link", "resolution", "github_issue"}


def message(alert: Alert, what: Told, *, markdown: bool = False) -> str:
    """The text told: what happened (the alert's id on the first line), the facts, a link."""
    facts_now: Mapping[str, Any] = alert.facts
    head = f"{what.upper() if what == 'resolved' else 'FIRING'}: {alert.rule} on {alert.scope}"
    head += f" (alert #{alert.id})"
    when = f"fired {_iso(alert.fired_at)}"
    if what == "resolved":
        resolution = alert.facts.get("resolution")
        facts_now = resolution if isinstance(resolution, Mapping) else {}
        when += f", resolved {_iso(alert.resolved_at or 0)}"
    lines = [f"**{head}**" if markdown else head,
             str(facts_now.get("summary") or alert.summary), when]
    bullet = "- " if markdown else "  "
    for key, value in sorted(facts_now.items()):
        if key not in _HIDDEN_FACTS:
            lines.append(f"{bullet}{key}: {_fact(value)}")
    link = facts_now.get("link") or alert.facts.get("link")
    if link:
        lines.append(str(link))
    if markdown and what == "fired":
        lines += ["", "_Opened by `cockpit ci alerts`; closed when the condition clears._"]
    return "\n".join(lines)


def _fact(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def pending_notifications(store: Store, now: float) -> list[Alert]:
    """Fired alerts never told, and recent resolutions not told yet, oldest first."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM alerts WHERE (resolved_at IS NULL AND notified_at IS NULL) "
        "OR (resolved_at IS NOT NULL AND resolved_at >= :recent "
        "AND (notified_at IS NULL OR notified_at < resolved_at)) ORDER BY id",
        {"recent": now - RESOLVED_NOTICE_HORIZON})
    return [_alert(row) for row in rows]


async def notify_pending(store: Store, notifier: Notifier | None, now: float | None = None
                         ) -> list[str]:
    """Tell what is pending; mark each alert told (``notified_at``) once every channel took
    it. Returns the errors (each alert is retried on the next call). Without channels,
    alerts are marked told at once, so configuring one later does not replay history."""
    now = time.time() if now is None else now
    errors: list[str] = []
    for alert in pending_notifications(store, now):
        remember: dict[str, Any] = {}
        if notifier is not None and notifier.config.any:
            try:
                if alert.notified_at is None:
                    await notifier.tell(alert, "fired", remember)
                if alert.resolved_at is not None:
                    told = {**alert.facts, **remember}
                    again = Alert(alert.id, alert.rule, alert.scope, alert.fired_at,
                                  alert.resolved_at, told, alert.notified_at)
                    await notifier.tell(again, "resolved", remember)
            except NotifyError as exc:
                errors.append(str(exc))
                if remember:  # the issue exists: remember it, so the retry finds it at once
                    store.execute("UPDATE alerts SET facts = :facts WHERE id = :id",
                                  {"id": alert.id, "facts": _json({**alert.facts, **remember})})
                continue
        at = max(now, alert.resolved_at or 0.0, alert.fired_at)
        if remember:
            store.execute("UPDATE alerts SET notified_at = :at, facts = :facts WHERE id = :id",
                          {"at": at, "id": alert.id, "facts": _json({**alert.facts, **remember})})
        else:
            store.execute("UPDATE alerts SET notified_at = :at WHERE id = :id",
                          {"at": at, "id": alert.id})
    return errors


def evaluate_and_notify(store: Store, rules: RuleSet, now: float | None = None, *,
                        notifier: Notifier | None = None, web_url: str | None = None
                        ) -> tuple[Changes, list[str]]:
    """``evaluate`` then ``notify_pending`` (notifier: from the environment by default)."""
    now = time.time() if now is None else now
    changes = evaluate(store, rules, now, web_url=web_url)
    if notifier is None and rules.notify.any:
        notifier = Notifier.from_environment(rules.notify)
    errors = asyncio.run(notify_pending(store, notifier, now))
    return changes, [*changes.errors, *errors]


# -- the loop the receiver runs ----------------------------------------------------------------


class AlertLoop:
    """Evaluates (and notifies) every ``interval`` seconds and soon after each ``poke()``.

    A daemon thread with its own store (``open_store_fn``, e.g. ``lambda: open_store(url)``),
    so the receiver's event loop never waits on a rule. Pokes coalesce: a burst of deliveries
    causes one evaluation, at most one per ``settle`` seconds (5 s: alerts a few seconds after
    the delivery, and a busy receiver does not spend a core re-evaluating).

        loop = AlertLoop(lambda: open_store(url), load_rules(args.rules)).start()
        ...                      # after each stored workflow_run / workflow_job delivery:
        loop.poke()
        ...
        loop.stop()              # on shutdown (waits for a running evaluation)
    """

    def __init__(self, open_store_fn: Callable[[], Store], rules: RuleSet | None = None, *,
                 interval: float = 60.0, settle: float = 5.0,
                 notifier: Notifier | None = None, web_url: str | None = None,
                 clock: Callable[[], float] = time.time,
                 log: Callable[[str], None] | None = None) -> None:
        self.rules = rules or RuleSet()
        self.interval = interval
        self.settle = settle
        self._open_store = open_store_fn
        self._notifier = notifier
        self._web_url = web_url
        self._clock = clock
        self._log = log or (lambda text: print(f"cockpit ci alerts: {text}", file=sys.stderr))
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self.evaluations = 0
        self.last: Changes | None = None
        self.last_errors: list[str] = []

    def start(self) -> AlertLoop:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cockpit-ci-alerts",
                                            daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Ask for an evaluation soon (thread-safe, never blocks: call it from a handler)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_for(self, evaluations: int, timeout: float = 10.0) -> bool:
        """Block until ``evaluations`` have run in all (for tests and a clean shutdown)."""
        with self._done:
            return self._done.wait_for(lambda: self.evaluations >= evaluations, timeout)

    def _run(self) -> None:
        store: Store | None = None
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                store = self._once(store)
                if self._stopping.wait(self.settle):
                    break
                self._wake.wait(max(self.interval - self.settle, 0.0))
        finally:
            if store is not None:
                store.close()

    def _once(self, store: Store | None) -> Store | None:
        """One pass (open the store if need be, evaluate, notify); the store for the next."""
        errors: list[str] = []
        try:
            if store is None:
                store = self._open_store()
            notifier = self._notifier
            if notifier is None and self.rules.notify.any:
                notifier = Notifier.from_environment(self.rules.notify)
            changes, errors = evaluate_and_notify(store, self.rules, self._clock(),
                                                  notifier=notifier, web_url=self._web_url)
            self.last = changes
            for alert in changes.fired:
                self._log(f"fired {alert.rule} on {alert.scope}: {alert.summary}")
            for alert in changes.resolved:
                self._log(f"resolved {alert.rule} on {alert.scope}")
        except Exception as exc:  # the loop outlives a bad minute (store down, bad settings)
            what = "cannot open the store" if store is None else "evaluation failed"
            errors = [f"{what}: {type(exc).__name__}: {exc}"]
        for error in errors:
            self._log(error)
        self.last_errors = errors
        with self._done:
            self.evaluations += 1
            self._done.notify_all()
        return store


# -- cockpit ci alerts -------------------------------------------------------------------------


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(seconds: float) -> str:
    return format_duration(max(seconds, 0)) + " ago"


def _print_alerts(title: str, alerts: Sequence[Alert], now: float, *, resolved: bool) -> None:
    print(f"{title} ({len(alerts)}):" if alerts else f"{title}: none")
    for alert in alerts:
        when = (f"resolved {_iso(alert.resolved_at)} ({_ago(now - alert.resolved_at)}), "
                f"fired {_iso(alert.fired_at)}" if resolved and alert.resolved_at is not None
                else f"since {_iso(alert.fired_at)} ({_ago(now - alert.fired_at)})")
        print(f"  {alert.rule}  {alert.scope}  {when}")
        print(f"      {alert.summary}")
        shown: Mapping[str, Any] = alert.facts
        if resolved and isinstance(alert.facts.get("resolution"), Mapping):
            shown = alert.facts["resolution"]
            print(f"      now: {shown.get('summary', '')}")
        link = shown.get("link") or alert.facts.get("link")
        if link:
            print(f"      {link}")


def alerts_command(args: argparse.Namespace) -> int:
    """``cockpit ci alerts [--database URL] [--rules FILE] [--evaluate] [--json]``.

    Exit 2 for a broken rules file, 1 when a notification could not be sent (the alerts are
    still listed and the notification is retried on the next evaluation), else 0."""
    try:
        rules = load_rules(getattr(args, "rules", None))
    except RulesError as exc:
        print(f"cockpit ci alerts: {exc}", file=sys.stderr)
        return 2
    url = getattr(args, "database", None) or os.environ.get("COCKPIT_CI_DATABASE") or None
    store = open_store(url)
    now = time.time()
    errors: list[str] = []
    changes = Changes()
    try:
        if getattr(args, "evaluate", False):
            changes, errors = evaluate_and_notify(store, rules, now)
        firing, resolved = open_alerts(store), resolved_alerts(store)
    except SettingsError as exc:  # a COCKPIT_* URL the notifications would use
        print(f"cockpit ci alerts: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if getattr(args, "json", False):
        print(json.dumps({
            "database": store.display_url, "rules": rules.source,
            "firing": [alert.as_json() for alert in firing],
            "resolved": [alert.as_json() for alert in resolved],
            "evaluated": bool(getattr(args, "evaluate", False)),
            "fired_now": [alert.id for alert in changes.fired],
            "resolved_now": [alert.id for alert in changes.resolved],
            "errors": errors,
        }, indent=2, default=str))
    else:
        if getattr(args, "evaluate", False):
            print(f"evaluated {len(rules.rules)} rules ({rules.source}): "
                  f"{len(changes.fired)} fired, {len(changes.resolved)} resolved")
        _print_alerts("Firing", firing, now, resolved=False)
        _print_alerts("Resolved (latest)", resolved, now, resolved=True)
    for error in errors:
        print(f"cockpit ci alerts: {error}", file=sys.stderr)
    return 1 if errors else 0
