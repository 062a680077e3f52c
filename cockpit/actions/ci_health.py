"""The release gate on CI health: ``preflight.ci-health``.

Why: a release waits on CI a dozen times (the release pull request's checks, the Docker
image, the distributions site, npm, the Companion's e2e). Learning at the Docker stage, an
hour after the tag was pushed, that the image workflow has failed all week costs the day the
preflight exists to save. So before anything changes, the gate shows the facts the team's CI
store holds about exactly the workflows this release will wait on: their success rate over
the last 7 days, how long jobs queue right now (p90 of the last hour, and jobs stuck with no
runner), and the alerts firing on those repositories.

Healthy is done, with the facts in the reason and the log. Unhealthy is never a silent pass:
the check says "incomplete", and ``apply`` asks the driver to acknowledge the facts. Yes is
recorded like a manual step's "done" (the prompt id ends in ``/manual``, which the local
journal and the tracking issue's records remember), so a rerun on any machine does not ask
again for this release; no stops the stage as cancelled (``Declined``): fix CI, rerun.

Where the numbers come from: the CI store (``COCKPIT_CI_DATABASE``, else the embedded SQLite
file ``cockpit ci serve`` writes), only read — never created or migrated. A repository the
store has no runs of in the window (no receiver set up, or not for that repository) is read
from the REST API instead: the recent runs of each workflow (``list_runs``, one request per
workflow), which gives success rates but no queue times. The same counting rules apply to
both sources: cancelled and skipped runs are neither successes nor failures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from cockpit.actions.base import Params, Step, code_block, register
from cockpit.errors import Declined
from cockpit.model import CheckResult, Condition, Version, applies
from cockpit.prompts import Confirm
from cockpit.services.http import HttpError

if TYPE_CHECKING:
    from cockpit.ci.store import Store
    from cockpit.context import ActionContext

WORKFLOWS_DIR = ".github/workflows/"


class WatchedWorkflow(Params):
    repo: str
    workflow: str = ""
    """A workflow file under ``.github/workflows`` (``docker.yml``). Empty: every workflow of
    the repository (what a pull request's checks run)."""
    when: list[Condition] = []
    """Only for these releases (``FINAL``, ``not PATCH``…), like an action's ``when``."""


class CiHealthParams(Params):
    workflows: list[WatchedWorkflow]
    """The workflows the release waits on (its wait-for-CI actions' workflows)."""
    days: int = Field(7, ge=1, le=90)
    threshold: float = Field(0.8, ge=0, le=1)
    """A workflow under this success rate (with ``min_runs`` judged runs) needs attention."""
    min_runs: int = Field(5, ge=1)
    failing_streak: int = Field(3, ge=1)
    """This many of a workflow's latest judged runs all failed: it needs attention."""
    queue_minutes: float = Field(10, gt=0)
    """Queue p90 of the last hour's jobs over this needs attention (``min_queued`` jobs)."""
    min_queued: int = Field(5, ge=1)
    stuck_minutes: float = Field(30, gt=0)
    api_runs: int = Field(100, ge=1, le=1000)
    """Without the store: how many recent runs of each workflow to read from the API."""


# -- the facts --------------------------------------------------------------------------------

Source = Literal["store", "api"]


@dataclass(frozen=True)
class RunRow:
    """One run as both sources give it: enough to count outcomes and streaks."""

    workflow: str
    status: str
    conclusion: str | None
    created_at: float


@dataclass
class WorkflowHealth:
    repo: str
    workflow: str
    """The workflow's name as runs carry it (``Publish docker image``)."""
    file: str
    """Its file (``docker.yml``), or "" when found through a repository entry."""
    source: Source
    runs: int = 0
    successes: int = 0
    failures: int = 0
    streak: int = 0
    """How many of the latest judged runs failed in a row."""
    missing: str = ""
    """Why nothing could be read (the workflow file does not exist…)."""

    @property
    def judged(self) -> int:
        return self.successes + self.failures

    @property
    def rate(self) -> float | None:
        return self.successes / self.judged if self.judged else None

    @property
    def label(self) -> str:
        name = self.workflow or self.file
        return f"{self.repo} · {name}" + (f" ({self.file})" if self.file and name != self.file
                                          else "")


def tally(health: WorkflowHealth, rows: Iterable[RunRow]) -> WorkflowHealth:
    """Count ``rows`` (any order) into ``health``: the facts' rules (cancelled and skipped
    runs are neither successes nor failures; a run still going is only counted as a run)."""
    judged: list[tuple[float, bool]] = []
    for row in rows:
        health.runs += 1
        if row.status != "completed" or row.conclusion in ("cancelled", "skipped"):
            continue
        ok = row.conclusion == "success"
        health.successes += ok
        health.failures += not ok
        judged.append((row.created_at, ok))
    for _, ok in sorted(judged, reverse=True):
        if ok:
            break
        health.streak += 1
    return health


@dataclass
class RepoQueue:
    repo: str
    queued: int
    """Jobs of the last hour a runner took."""
    p90: int | None


@dataclass
class StuckJob:
    repo: str
    workflow: str | None
    job: str | None
    minutes: int
    labels: tuple[str, ...]
    link: str | None


@dataclass
class Health:
    """Everything the gate read, and what (if anything) needs the driver's attention."""

    days: int
    workflows: list[WorkflowHealth] = field(default_factory=list)
    queues: list[RepoQueue] = field(default_factory=list)
    stuck: list[StuckJob] = field(default_factory=list)
    alerts: list[tuple[str, str, str]] = field(default_factory=list)
    """(rule, scope, summary) of alerts firing on the release's repositories."""
    store: str = ""
    """The store read (URL without password), or "" when none."""
    no_store: str = ""
    """Why the store was not (fully) used: shown beside the API's numbers."""
    api_repos: list[str] = field(default_factory=list)
    """Repositories whose success rates came from the REST API."""
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def source_line(self) -> str:
        parts = []
        if self.store:
            stored = sorted({w.repo for w in self.workflows if w.source == "store"})
            if stored:
                parts.append(f"the CI store {self.store} ({', '.join(stored)})")
        if self.api_repos:
            why = f" — {self.no_store}" if self.no_store else ""
            parts.append(f"the REST API's recent runs ({', '.join(self.api_repos)}; no queue "
                         f"times from there){why}")
        return "Source: " + ("; ".join(parts) or "nothing to read")

    def text(self) -> str:
        """The facts, one per line, for the log and the acknowledgement prompt."""
        lines = [f"Success rate over {self.days} days (of the runs that passed or failed; "
                 "cancelled and skipped left out):"]
        for w in self.workflows:
            lines.append(f"  {w.label}: {_rate_text(w, self.days)}")
        if not self.workflows:
            lines.append("  (no workflows to judge)")
        if self.store:
            lines.append("Queue time now (p90 of the jobs a runner took in the last hour):")
            for q in self.queues:
                lines.append(f"  {q.repo}: " + (f"{_seconds(q.p90)} ({q.queued} jobs)"
                                                if q.p90 is not None else "no jobs in the last hour"))
            lines.append("Stuck jobs (queued with no runner): "
                         + ("none" if not self.stuck else str(len(self.stuck))))
            for s in self.stuck:
                labels = f" [{', '.join(s.labels)}]" if s.labels else ""
                lines.append(f"  {s.repo} · {s.workflow} · {s.job}: {s.minutes} min{labels}"
                             + (f" {s.link}" if s.link else ""))
            lines.append("Firing alerts: " + ("none" if not self.alerts else str(len(self.alerts))))
            for rule, scope, summary in self.alerts:
                lines.append(f"  {rule} on {scope}: {summary}")
        else:
            lines.append("Queue time, stuck jobs and alerts: unknown without the CI store")
        lines.append(self.source_line())
        return "\n".join(lines)

    def summary(self) -> str:
        """One line for a healthy reason."""
        rated = [w for w in self.workflows if w.rate is not None]
        if rated:
            low = min(rated, key=lambda w: (w.rate or 0.0, -w.judged))
            rates = (f"{len(self.workflows)} workflows, lowest success rate "
                     f"{_pct(low.rate)} ({low.label}) over {self.days} days")
        else:  # nothing to judge is not "healthy": say what is known and what is not
            rates = (f"{len(self.workflows)} workflows with no finished run to judge in "
                     f"{self.days} days")
        if self.store:
            known = [q for q in self.queues if q.p90 is not None]
            worst = max(known, key=lambda q: q.p90 or 0) if known else None
            queue = (f"queue p90 {_seconds(worst.p90)} ({worst.repo})" if worst
                     else "no jobs queued in the last hour")
            rest = f"{queue}, no stuck jobs, no firing alerts"
        else:
            rest = "queue time unknown without the CI store"
        source = "from the CI store" if not self.api_repos else (
            "success rates from the REST API" if not self.store else
            f"from the CI store and the REST API ({', '.join(self.api_repos)})")
        verdict = "CI healthy" if rated else "No CI history to judge"
        return f"{verdict}: {rates}; {rest} ({source})"


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


def _seconds(value: float | None) -> str:
    from cockpit.ci.history import minutes

    return "n/a" if value is None else minutes(value)


def _rate_text(w: WorkflowHealth, days: int) -> str:
    if w.missing:
        return w.missing
    if not w.runs:
        return f"no runs in {days} days"
    if not w.judged:
        return f"{w.runs} runs, none passed or failed yet"
    text = f"{_pct(w.rate)} ({w.successes} of {w.judged})"
    if w.streak:
        text += f", the last {w.streak} failed" if w.streak > 1 else ", the last one failed"
    return text


# -- the kind -----------------------------------------------------------------------------------


@register
class CiHealth(Step[CiHealthParams]):
    kind = "preflight.ci-health"
    summary = "Check that CI of the release repositories is healthy (or have the driver acknowledge it)"

    def __init__(self, params: CiHealthParams, ctx: ActionContext) -> None:
        super().__init__(params, ctx)
        self._last: Health | None = None

    # -- which workflows ----------------------------------------------------------------------

    def watched(self) -> list[WatchedWorkflow]:
        """The entries that apply to this release (all of them without a version)."""
        version = self.ctx.session.version
        if not isinstance(version, Version):
            return list(self.params.workflows)
        return [w for w in self.params.workflows if applies(w.when, version)]

    def repos(self) -> list[str]:
        return list(dict.fromkeys(w.repo for w in self.watched()))

    # -- explain ------------------------------------------------------------------------------

    def explain(self) -> str:
        p = self.params
        lines = []
        for w in self.watched():
            only = f" ({', '.join(c.value for c in w.when)} only)" if w.when else ""
            lines.append(f"- **{w.repo}**: " + (f"`{w.workflow}`" if w.workflow
                                                  else "every workflow (its pull requests' "
                                                       "checks)") + only)
        commands = ["cockpit ci report --since 7d     # the same facts, from the CI store"]
        for w in self.watched():
            flag = f" --workflow {w.workflow}" if w.workflow else ""
            commands.append(f"gh run list -R {w.repo}{flag} --limit 50")
        return (
            "Checks that the CI this release waits on is healthy before anything changes: the "
            f"success rate of each workflow over the last {p.days} days (under "
            f"{p.threshold * 100:.0f}% with at least {p.min_runs} runs that passed or failed, "
            f"or its last {p.failing_streak} runs all failed, needs attention), how long jobs "
            f"queue now (p90 of the last hour's jobs over {p.queue_minutes:g} min, or any job "
            f"queued over {p.stuck_minutes:g} min with no runner) and the CI alerts firing on "
            "these repositories. A red or starved CI found here costs nothing; found at the "
            "Docker stage, after the tag, it stalls the release.\n\n"
            + "\n".join(lines) + "\n\n"
            "Where the numbers come from: the CI store that `cockpit ci serve` fills from "
            "GitHub's webhooks (`COCKPIT_CI_DATABASE`, else the embedded SQLite file), read "
            "only. A repository the store has no runs of (no receiver set up) is read from the "
            "REST API instead: the recent runs of each workflow, which give success rates but "
            "no queue times. Cancelled and skipped runs count as neither success nor failure. "
            "Healthy is done; otherwise you are shown the facts and asked to acknowledge them "
            "(recorded in the journal, not asked again for this release) or to stop here.\n\n"
            + code_block(*commands))

    # -- check ----------------------------------------------------------------------------------

    async def gather(self, now: float | None = None) -> Health:
        from cockpit.ci.history import open_for_reading
        from cockpit.ci.store import StoreError

        now = time.time() if now is None else now
        p = self.params
        health = Health(days=p.days)
        watched = self.watched()
        try:
            opened = await asyncio.to_thread(open_for_reading)
        except ValueError as exc:  # a bad COCKPIT_CI_DATABASE: say so, use the API
            opened = None
            health.no_store = str(exc)
        stored: dict[str, list[WorkflowHealth]] = {}
        if opened is not None and opened.store is not None:
            store = opened.store
            health.store = opened.where
            try:
                stored = await asyncio.to_thread(self._from_store, store, watched, health, now)
            except StoreError as exc:
                health.store, stored = "", {}
                health.no_store = f"the CI store cannot be read: {exc}"
            finally:
                store.close()
        elif opened is not None:
            health.no_store = opened.reason
        empty = [repo for repo in self.repos() if repo not in stored]
        if health.store and empty:
            health.no_store = (f"the CI store has no runs of {', '.join(empty)} in the last "
                               f"{p.days} days")
        fetched = await asyncio.gather(*(self._from_api(w, now) for w in watched
                                         if w.repo in empty))
        by_repo = {repo: [h for group in fetched for h in group if h.repo == repo]
                   for repo in empty}
        health.api_repos = empty
        for repo in self.repos():
            seen: set[str] = set()
            for h in stored.get(repo) or by_repo.get(repo) or []:
                if h.workflow not in seen or h.missing:
                    seen.add(h.workflow)
                    health.workflows.append(h)
        self._judge(health)
        return health

    def _from_store(self, store: Store, watched: Sequence[WatchedWorkflow], health: Health,
                    now: float) -> dict[str, list[WorkflowHealth]]:
        """Per repository with runs in the window: its watched workflows' health; queue,
        stuck jobs and alerts into ``health``. Runs in a thread (the store is blocking)."""
        from cockpit.ci import facts
        from cockpit.ci.alerts import open_alerts

        db = store
        p = self.params
        since, until = int(now) + 1 - p.days * 86400, int(now) + 1
        out: dict[str, list[WorkflowHealth]] = {}
        for repo in self.repos():
            rows = db.query(
                "SELECT workflow_name, workflow_path, status, conclusion, created_at "
                "FROM workflow_runs WHERE repository = :repository AND created_at >= :since "
                "AND created_at < :until", {"repository": repo, "since": since, "until": until})
            if not rows:
                continue
            found: list[WorkflowHealth] = []
            for entry in (w for w in watched if w.repo == repo):
                if entry.workflow:
                    path = WORKFLOWS_DIR + entry.workflow
                    mine = [r for r in rows if r["workflow_path"] == path]
                    names = sorted({str(r["workflow_name"] or entry.workflow) for r in mine})
                    found.append(tally(WorkflowHealth(repo, names[-1] if names else "",
                                                      entry.workflow, "store"),
                                       (_row(r) for r in mine)))
                else:
                    for name in sorted({str(r["workflow_name"] or "?") for r in rows}):
                        mine = [r for r in rows if (r["workflow_name"] or "?") == name]
                        file = str(mine[0]["workflow_path"] or "").removeprefix(WORKFLOWS_DIR)
                        found.append(tally(WorkflowHealth(repo, name, file, "store"),
                                           (_row(r) for r in mine)))
            out[repo] = found
        for repo in self.repos():
            hour = facts.Window.last(3600, now, repository=repo)
            stats = facts.job_stats(db, hour, by="repository")
            queued = stats[0].queued if stats else 0
            health.queues.append(RepoQueue(repo, queued, stats[0].queue_p90 if stats else None))
            for job in facts.stuck_jobs(db, now, p.stuck_minutes, repository=repo):
                health.stuck.append(StuckJob(repo, job.workflow, job.job,
                                             job.queued_seconds // 60, job.labels, job.html_url))
        repos = self.repos()
        for alert in open_alerts(db):
            if any(alert.scope == repo or alert.scope.startswith(repo + "/") for repo in repos):
                health.alerts.append((alert.rule, alert.scope, alert.summary))
        return out

    async def _from_api(self, entry: WatchedWorkflow, now: float) -> list[WorkflowHealth]:
        p = self.params
        since = now - p.days * 86400
        # Asked from the start of that hour, so the same question is asked all hour long
        # and a repeated status revalidates it with a free 304; the extra runs are cut here.
        hour = datetime.fromtimestamp(since - since % 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        gh = self.ctx.github()
        try:
            runs = await gh.list_runs(entry.repo, entry.workflow or None, created=f">={hour}",
                                      limit=p.api_runs)
        except HttpError as exc:
            if exc.status == 404:
                return [WorkflowHealth(entry.repo, entry.workflow, entry.workflow, "api",
                                       missing=f"not found in {entry.repo} (HTTP 404)")]
            raise
        rows = [RunRow(r.name or entry.workflow, r.status, r.conclusion, _epoch(r.created_at))
                for r in runs if _epoch(r.created_at) >= since]
        if entry.workflow:
            name = rows[0].workflow if rows else entry.workflow
            return [tally(WorkflowHealth(entry.repo, name, entry.workflow, "api"), rows)]
        out = []
        for name in sorted({row.workflow for row in rows}):
            out.append(tally(WorkflowHealth(entry.repo, name, "", "api"),
                             (row for row in rows if row.workflow == name)))
        return out

    def _judge(self, health: Health) -> None:
        p = self.params
        for w in health.workflows:
            reasons = []
            if w.rate is not None and w.judged >= p.min_runs and w.rate < p.threshold:
                reasons.append(f"{_pct(w.rate)} success over {p.days} days "
                               f"({w.successes} of {w.judged})")
            if w.streak >= p.failing_streak:
                reasons.append(f"the last {w.streak} runs failed")
            if reasons:
                health.problems.append(f"{w.label}: {', '.join(reasons)}")
        limit = p.queue_minutes * 60
        for q in health.queues:
            if q.p90 is not None and q.queued >= p.min_queued and q.p90 > limit:
                health.problems.append(f"{q.repo}: jobs queue {_seconds(q.p90)} (p90 of "
                                       f"{q.queued} in the last hour)")
        if health.stuck:
            oldest = max(health.stuck, key=lambda s: s.minutes)
            health.problems.append(f"{len(health.stuck)} job(s) stuck with no runner (oldest: "
                                   f"{oldest.repo} · {oldest.job}, {oldest.minutes} min)")
        for rule, scope, _summary in health.alerts:
            health.problems.append(f"alert {rule} firing on {scope}")

    def _log_facts(self, health: Health) -> None:
        for line in health.text().splitlines():
            self.ctx.log(line)

    async def check(self) -> CheckResult:
        health = await self.gather()
        self._last = health
        self._log_facts(health)
        if health.healthy:
            return CheckResult.done(health.summary())
        problems = "; ".join(health.problems)
        if (self.ctx.stage_id, self.ctx.action_id) in self.ctx.session.manual_confirmations:
            return CheckResult.done(f"acknowledged by the driver: {problems}")
        return CheckResult.incomplete(f"CI needs your attention: {problems}")

    async def apply(self) -> None:
        health = self._last or await self.gather()
        answer = await self.ctx.ask(Confirm(
            # Ends in /manual: the journal and the tracking issue's records remember a yes
            # the way they remember a manual step done, so no rerun asks again.
            id=f"{self.ctx.prompt_prefix}/manual",
            title="CI the release waits on needs attention",
            message=("CI this release waits on needs attention:\n- "
                     + "\n- ".join(health.problems)
                     + "\n\nGo on with the release anyway? Yes is recorded in the journal and "
                       "not asked again for this release. No stops this stage (cancelled, "
                       "nothing changed): fix CI, then run preflight again."),
            detail=health.text()))
        if answer.value is not True:
            raise Declined("CI not healthy and not acknowledged: "
                           + "; ".join(health.problems)
                           + ". Fix CI (or acknowledge it), then run preflight again")
        self.ctx.session.manual_confirmations.add((self.ctx.stage_id, self.ctx.action_id))


def _row(row: dict[str, object]) -> RunRow:
    conclusion = row["conclusion"]
    created = row["created_at"]
    return RunRow(str(row["workflow_name"] or ""), str(row["status"] or ""),
                  None if conclusion is None else str(conclusion),
                  float(created) if isinstance(created, int | float) else 0.0)


def _epoch(value: str) -> float:
    if not value:
        return 0.0
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
