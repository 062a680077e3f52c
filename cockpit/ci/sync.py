"""Gap repair: what the webhooks missed, read from the REST API (``cockpit ci sync``).

GitHub does not retry a failed delivery, and sometimes never sends one at all: the team
found a self-hosted runner left unstarted because a ``workflow_job`` webhook never came.
So the store is compared with what the API knows. Every run of the window is listed (one
request per 100 runs); a run attempt the store already has as completed, with all its jobs
completed, is skipped without reading its jobs, so a healthy store costs ~1 request per 100
runs. Any other run's jobs are read (one request) and what the store lacks, or has at an
earlier status, is ingested as events marked ``source='api'``:

- ``workflow_run`` with ``{"action": completed|in_progress|requested, "workflow_run": <raw
  run>, "repository": <its repository>, "organization"?, "sender"?}``, ``workflow_job``
  likewise; the jobs first, the run last (a completed API run row means its jobs are in);
- delivery ids are deterministic (``uuid5`` over ``api/workflow_run/{run}/{attempt}/{status}``
  and ``api/workflow_job/{job}/{status}``), so a second sync stores nothing twice, and never
  collide with GitHub's; the index keeps ``source='webhook'`` once any webhook told of a
  run, so an API event never shadows a real delivery;
- ``received_at`` of such an event is when GitHub says it happened (the run's ``updated_at``
  when completed, …), so time-bucketed queries put it where the lost delivery would have been.

"N runs had no webhook" counts the listed run attempts no webhook delivery ever indexed: the
lost-webhook symptom, listed by repository, workflow, run id and creation time.

All of it stays within the token's rate budget: the limit is read first (free), requests are
counted as they go (304 answers are free), and the sync stops before the budget would fall
below a reserve, saying so and when the budget resets. What was ingested stays; a rerun lists
the runs again (cheap) and skips what is complete, so it continues where this one stopped.
With ``--hook ID`` (a repository webhook) or ``--app`` (the App's, with a JWT the user made:
the cockpit does not mint JWTs) failed deliveries of the window are asked for again, once per
delivery GUID, unless the GUID was delivered OK since or is already in the store. Last, the
``timeout-minutes`` of the window's workflow files are cached (``cockpit.ci.timeouts``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.ci.index import status_rank
from cockpit.ci.store import Delivery, Store
from cockpit.ci.timeouts import fill_timeouts
from cockpit.errors import BadInput
from cockpit.services.github import GitHubClient, HookDelivery
from cockpit.services.http import (
    AmbiguousWriteError,
    HttpError,
    RateLimitError,
    RequestRecord,
    RetryPolicy,
    ServiceError,
)

SYNC_NAMESPACE = uuid.UUID("6f1d1b5e-2a47-5c35-9b8e-0c0c4b1c1e57")
"""The ``uuid5`` namespace of the delivery ids gap repair makes (fixed: ids must not change)."""

APP_JWT_ENV = "COCKPIT_CI_APP_JWT"
DATABASE_ENV = "COCKPIT_CI_DATABASE"
RESERVE_FLOOR = 200
"""The rate budget left untouched for everything else the token does (the release itself):
at least this many requests, or a tenth of the limit when that is more."""

EXIT_STOPPED = 3
"""``cockpit ci sync`` stopped at the rate budget's reserve (or a rate limit): rerun later."""

RUN_ACTIONS = {"completed": "completed", "in_progress": "in_progress"}
"""A run's status → the ``workflow_run`` action that tells of it (others: ``requested``)."""
JOB_ACTIONS = frozenset({"queued", "waiting", "in_progress", "completed"})
"""``workflow_job`` actions named like the status they tell of (others: ``queued``)."""

AGE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
AGE_FORMS = "a number of days, hours or minutes: 30d, 12h, 90m"


class BadAge(BadInput, ValueError):
    """A ``--since`` that is not ``30d``, ``12h`` or ``90m``."""


def parse_age(text: str) -> timedelta:
    match = AGE.match(text or "")
    if match is None or int(match.group(1)) == 0:
        raise BadAge(f"--since {text!r} is not an age the cockpit reads: use {AGE_FORMS}")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def api_delivery_id(kind: str, *parts: object) -> uuid.UUID:
    """``uuid5(SYNC_NAMESPACE, "api/{kind}/{part}/…")``: the same event, the same id."""
    return uuid.uuid5(SYNC_NAMESPACE, "/".join(["api", kind, *map(str, parts)]))


# -- what gap repair found ------------------------------------------------------------------


@dataclass(frozen=True)
class LostRun:
    """A run attempt the API knows and no webhook delivery ever told the store of."""

    repository: str
    workflow: str
    run_id: int
    run_attempt: int
    created_at: str

    def line(self) -> str:
        attempt = f" (attempt {self.run_attempt})" if self.run_attempt > 1 else ""
        return (f"{self.repository}  {self.workflow}  run {self.run_id}{attempt}  "
                f"created {self.created_at}")


@dataclass(frozen=True)
class Progress:
    """Where a sync is, for a progress line."""

    repository: str
    phase: str
    """``runs``, ``deliveries`` or ``timeouts``."""
    runs_seen: int
    runs_expected: int
    requests: int
    remaining: int | None
    """The rate budget left (estimated between reads of the limit)."""

    def line(self) -> str:
        expected = f"/{self.runs_expected}" if self.runs_expected else ""
        left = f" · {self.remaining} left in the rate budget" if self.remaining is not None \
            else ""
        return (f"{self.repository}: {self.phase}: {self.runs_seen}{expected} runs seen · "
                f"{self.requests} requests{left}")


@dataclass
class SyncReport:
    repositories: list[str] = field(default_factory=list)
    since: datetime | None = None
    runs_seen: int = 0
    runs_complete: int = 0
    """Skipped: already complete in the store (jobs not read)."""
    runs_read: int = 0
    """Their jobs were read."""
    runs_added: int = 0
    jobs_added: int = 0
    no_webhook: list[LostRun] = field(default_factory=list)
    runs_filled: int = 0
    """Of ``no_webhook``, those this sync added or moved forward."""
    jobs_no_webhook: int = 0
    """Jobs this sync added that no webhook delivery had told of."""
    requests: int = 0
    not_modified: int = 0
    rate_reads: int = 0
    """Reads of the rate limit (free, like the 304s)."""
    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    files_read: int = 0
    files_left: int = 0
    redelivered: int = 0
    redelivery_unsure: int = 0
    failed_in_store: int = 0
    failed_since_ok: int = 0
    deliveries_checked: bool = False
    stopped: str | None = None
    """Why it stopped before the end (the budget's reserve, a rate limit); None: complete."""

    @property
    def events_added(self) -> int:
        return self.runs_added + self.jobs_added

    def lines(self, listed: int = 20) -> list[str]:
        since = f" since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
        repos = ", ".join(self.repositories)
        out = [f"sync of {repos}{since}: {self.runs_seen} runs seen, {self.runs_complete} "
               f"already complete in the store, {self.runs_read} read with their jobs"]
        lost = len(self.no_webhook)
        out.append(f"{_n(lost, 'run')} had no webhook ({self.runs_filled} filled now)")
        out += [f"  {run.line()}" for run in self.no_webhook[:listed]]
        if lost > listed:
            out.append(f"  … and {lost - listed} more")
        if self.jobs_no_webhook:
            out.append(f"{_n(self.jobs_no_webhook, 'job')} had no webhook")
        out.append(f"events added (source api): {self.events_added} ({self.runs_added} runs, "
                   f"{self.jobs_added} jobs)" if self.events_added else
                   "events added: none (nothing new)")
        if self.deliveries_checked:
            out.append(f"redelivery: {self.redelivered} failed deliveries asked again"
                       + (f", {self.redelivery_unsure} unsure (re-check later)"
                          if self.redelivery_unsure else "")
                       + f"; not asked: {self.failed_in_store} already in the store, "
                         f"{self.failed_since_ok} delivered OK since")
        if self.files_read or self.files_left:
            left = f" ({self.files_left} left for the next sync)" if self.files_left else ""
            out.append(f"timeouts: {_n(self.files_read, 'workflow file')} read{left}")
        budget = ""
        if self.remaining is not None and self.limit is not None:
            budget = f"; rate budget left: {self.remaining} of {self.limit}"
            if self.reset:
                budget += f" (resets {_clock(self.reset)})"
        free = self.not_modified + self.rate_reads
        out.append(f"requests: {self.requests} ({free} free: {self.not_modified} answered 304, "
                   f"{self.rate_reads} read the rate limit){budget}")
        if self.stopped:
            out.append(f"stopped early: {self.stopped}")
        return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M UTC")


# -- the rate budget ----------------------------------------------------------------------------


class BudgetExhausted(Exception):
    """The next request would take the budget below the reserve."""


class Budget:
    """Requests made and the rate budget left, counted from the client's request log.

    The limit is read first and again whenever the estimate nears the reserve (reading it is
    free), so other users of the token are noticed before the reserve is touched."""

    def __init__(self, client: GitHubClient, reserve: int | None = None) -> None:
        self.client = client
        self.reserve_given = reserve
        self.reserve = reserve if reserve is not None else RESERVE_FLOOR
        self.requests = 0
        self.not_modified = 0
        self.rate_reads = 0
        self.limit: int | None = None
        self.reset: int | None = None
        self._read_remaining: int | None = None
        self._spent_since_read = 0
        self.unlimited = False
        """The server has no rate limit (``/rate_limit`` answers 404)."""

    def record(self, record: RequestRecord) -> None:
        self.requests += 1
        if record.from_cache:
            self.not_modified += 1
        elif record.url.split("?", 1)[0].rstrip("/").endswith("/rate_limit"):
            self.rate_reads += 1  # free
        elif record.status is not None:
            self._spent_since_read += 1

    async def read(self) -> None:
        try:
            limits = await self.client.rate_limit()
        except HttpError as exc:
            if exc.status != 404:
                raise
            self.unlimited = True  # GitHub Enterprise Server with rate limiting off
            return
        core = limits.core
        self.limit, self.reset = core.limit, core.reset
        self._read_remaining, self._spent_since_read = core.remaining, 0
        if self.reserve_given is None:
            self.reserve = max(RESERVE_FLOOR, core.limit // 10)

    @property
    def remaining(self) -> int | None:
        if self._read_remaining is None:
            return None
        return max(0, self._read_remaining - self._spent_since_read)

    async def allow(self, cost: int = 1) -> bool:
        """May ``cost`` more requests be made without going below the reserve?"""
        if self.unlimited:
            return True
        left = self.remaining
        if left is None or (left - cost < self.reserve and self._spent_since_read):
            await self.read()
            left = self.remaining
        return left is not None and left - cost >= self.reserve

    async def spend(self, cost: int = 1) -> None:
        if not await self.allow(cost):
            raise BudgetExhausted

    def stop_message(self) -> str:
        when = f"; it resets at {_clock(self.reset)}" if self.reset else ""
        return (f"the rate budget is down to its reserve ({self.remaining} requests left, "
                f"{self.reserve} kept for everything else{when}). What was read is stored: "
                "run the same command again then to continue")


# -- what the store already knows ----------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    status: str | None
    source: str
    jobs: int
    jobs_done: int

    def complete(self) -> bool:
        """Nothing to read: completed, and its jobs too (an API-filled run's jobs were stored
        before the run itself; a webhook-told run's jobs are counted)."""
        if self.status != "completed":
            return False
        return self.source == "api" or (self.jobs > 0 and self.jobs == self.jobs_done)


def _known(store: Store, run_ids: Sequence[int]) -> dict[tuple[int, int], Known]:
    if not run_ids:
        return {}
    names = {f"r{n}": run_id for n, run_id in enumerate(run_ids)}
    sql = ("SELECT r.run_id, r.run_attempt, r.status, r.source, "
           "(SELECT COUNT(*) FROM workflow_jobs j WHERE j.run_id = r.run_id "
           " AND j.run_attempt = r.run_attempt) AS jobs, "
           "(SELECT COUNT(*) FROM workflow_jobs j WHERE j.run_id = r.run_id "
           " AND j.run_attempt = r.run_attempt AND j.status = 'completed') AS jobs_done "
           f"FROM workflow_runs r WHERE r.run_id IN ({', '.join(':' + n for n in names)})")
    return {(int(row["run_id"]), int(row["run_attempt"])):
            Known(row["status"], str(row["source"]), int(row["jobs"]), int(row["jobs_done"]))
            for row in store.query(sql, names)}


def _stored_jobs(store: Store, run_id: int) -> dict[int, tuple[str | None, str]]:
    rows = store.query("SELECT job_id, status, source FROM workflow_jobs WHERE run_id = :run_id",
                       {"run_id": run_id})
    return {int(row["job_id"]): (row["status"], str(row["source"])) for row in rows}


# -- synthesized events ------------------------------------------------------------------------


def _when(*values: object) -> datetime:
    for value in values:
        if isinstance(value, str) and value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _context(run: Mapping[str, Any]) -> dict[str, Any]:
    """``repository`` (and ``organization``, ``sender``) as a webhook payload carries them."""
    repository = run.get("repository")
    out: dict[str, Any] = {"repository": repository}
    owner = repository.get("owner") if isinstance(repository, Mapping) else None
    if isinstance(owner, Mapping) and owner.get("type") == "Organization":
        out["organization"] = {key: owner[key] for key in
                               ("login", "id", "node_id", "url", "avatar_url", "repos_url",
                                "events_url") if key in owner}
    sender = run.get("triggering_actor") or run.get("actor")
    if isinstance(sender, Mapping):
        out["sender"] = sender
    return out


def run_event(run: Mapping[str, Any]) -> Delivery:
    """The ``workflow_run`` event a webhook would have delivered for ``run`` as it is now."""
    status = str(run.get("status") or "requested")
    attempt = run.get("run_attempt") or 1
    action = RUN_ACTIONS.get(status, "requested")
    received = (_when(run.get("updated_at"), run.get("created_at")) if status == "completed"
                else _when(run.get("run_started_at"), run.get("created_at"))
                if status == "in_progress" else _when(run.get("created_at")))
    return Delivery(api_delivery_id("workflow_run", run.get("id"), attempt, status),
                    "workflow_run", {"action": action, "workflow_run": dict(run),
                                     **_context(run)}, received, "api")


def job_event(job: Mapping[str, Any], run: Mapping[str, Any]) -> Delivery:
    """The ``workflow_job`` event a webhook would have delivered for ``job`` as it is now."""
    status = str(job.get("status") or "queued")
    action = status if status in JOB_ACTIONS else "queued"
    received = (_when(job.get("completed_at"), job.get("created_at")) if status == "completed"
                else _when(job.get("started_at"), job.get("created_at"))
                if status == "in_progress" else _when(job.get("created_at")))
    return Delivery(api_delivery_id("workflow_job", job.get("id"), status), "workflow_job",
                    {"action": action, "workflow_job": dict(job), **_context(run)}, received,
                    "api")


# -- the sync ---------------------------------------------------------------------------------


OnProgress = Callable[[Progress], None]


@dataclass
class _Run:
    store: Store
    client: GitHubClient
    budget: Budget
    report: SyncReport
    on_progress: OnProgress | None
    expected: int = 0
    repo: str = ""
    phase: str = "runs"

    def progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(self.repo, self.phase, self.report.runs_seen,
                                      self.expected, self.budget.requests,
                                      self.budget.remaining))


async def sync(store: Store, client: GitHubClient, repos: Sequence[str], since: datetime,
               on_progress: OnProgress | None = None, *, hook: int | None = None,
               org_hook: tuple[str, int] | None = None, app_jwt: str | None = None,
               reserve: int | None = None, timeouts: bool = True) -> SyncReport:
    """Fill the store with what ``repos``' runs since ``since`` say and webhooks did not.

    ``hook``: also redeliver the failed deliveries of that webhook of ``repos[0]``;
    ``org_hook``: (organization, hook id), those of an organization's webhook; ``app_jwt``:
    those of the GitHub App the JWT authenticates. ``reserve``: requests of the
    rate budget never used (default: 200 or a tenth of the limit). Raises ``HttpError``
    (401: the token) and other ``ServiceError``s; stops early, saying why in
    ``report.stopped``, at the budget's reserve or a rate limit."""
    report = SyncReport(repositories=list(repos), since=since)
    budget = Budget(client, reserve)
    previous = client.on_request

    def counted(record: RequestRecord) -> None:
        budget.record(record)
        if previous is not None:
            previous(record)

    client.on_request = counted
    state = _Run(store, client, budget, report, on_progress)
    try:
        await budget.read()
        for repo in repos:
            state.repo, state.phase = repo, "runs"
            await _sync_runs(state, repo, since)
        if hook is not None and repos:
            repo, hook_id = repos[0], hook
            await _redeliver(
                state, f"{repo} hook {hook_id}",
                lambda: client.list_hook_deliveries(repo, hook_id, since),
                lambda delivery: client.redeliver_hook_delivery(repo, hook_id, delivery))
        if org_hook is not None:
            org, org_hook_id = org_hook
            await _redeliver(
                state, f"{org} hook {org_hook_id}",
                lambda: client.list_org_hook_deliveries(org, org_hook_id, since),
                lambda delivery: client.redeliver_org_hook_delivery(org, org_hook_id,
                                                                    delivery))
        if app_jwt is not None:
            app = client.as_app(app_jwt)
            await _redeliver(state, "GitHub App", lambda: app.list_app_hook_deliveries(since),
                             app.redeliver_app_hook_delivery)
        if timeouts:
            state.phase = "timeouts"
            read, left = await fill_timeouts(store, client, repos, int(since.timestamp()),
                                             may_request=budget.allow)
            report.files_read, report.files_left = read, left
            if left:
                raise BudgetExhausted
    except BudgetExhausted:
        report.stopped = budget.stop_message()
    except RateLimitError as exc:
        reset = time.time() + exc.wait_seconds
        report.stopped = (f"GitHub's rate limit: {exc.excerpt or 'rate limited'}; it resets "
                          f"at {_clock(reset)}. What was read is stored: run the same command "
                          "again then to continue")
    finally:
        client.on_request = previous
        report.requests, report.not_modified = budget.requests, budget.not_modified
        report.rate_reads = budget.rate_reads
        report.limit, report.reset = budget.limit, budget.reset
        report.remaining = budget.remaining
    return report


async def _sync_runs(state: _Run, repo: str, since: datetime) -> None:
    def on_total(total: int) -> None:
        state.expected += total

    runs = state.client.iter_runs_raw(repo, since, on_total=on_total)
    chunk: list[dict[str, Any]] = []
    try:
        while True:
            if not await state.budget.allow():  # the next run may need the next page
                await _process(state, repo, chunk)
                raise BudgetExhausted
            try:
                run = await anext(runs)
            except StopAsyncIteration:
                break
            chunk.append(run)
            if len(chunk) >= 100:
                await _process(state, repo, chunk)
                chunk = []
        await _process(state, repo, chunk)
    finally:
        await runs.aclose()


async def _process(state: _Run, repo: str, runs: list[dict[str, Any]]) -> None:
    """Compare one page of runs with the store; read and ingest what it lacks."""
    report = state.report
    known = _known(state.store, [int(run["id"]) for run in runs])
    for run in runs:
        run_id = int(run["id"])
        attempt = int(run.get("run_attempt") or 1)
        have = known.get((run_id, attempt))
        report.runs_seen += 1
        lost = have is None or have.source != "webhook"
        if lost:
            report.no_webhook.append(LostRun(repo, str(run.get("name") or run.get("path") or "?"),
                                             run_id, attempt, str(run.get("created_at") or "")))
        if have is not None and have.complete():
            report.runs_complete += 1
            state.progress()
            continue
        await state.budget.spend()
        jobs = await state.client.list_run_jobs_raw(repo, run_id)
        report.runs_read += 1
        stored = _stored_jobs(state.store, run_id)
        for job in jobs:
            job_id = job.get("id")
            if not isinstance(job_id, int):
                continue
            status = job.get("status")
            before = stored.get(job_id)
            if before is not None and status_rank(before[0]) >= status_rank(
                    status if isinstance(status, str) else None):
                continue
            if state.store.ingest(job_event(job, run)):
                report.jobs_added += 1
                if before is None or before[1] != "webhook":
                    report.jobs_no_webhook += 1
        status = run.get("status")
        ahead = have is None or status_rank(status if isinstance(status, str) else None) > \
            status_rank(have.status)
        if ahead and state.store.ingest(run_event(run)):
            report.runs_added += 1
            if lost:
                report.runs_filled += 1
        state.progress()


Lister = Callable[[], Awaitable[list[HookDelivery]]]
Asker = Callable[[int], Awaitable[None]]


async def _redeliver(state: _Run, where: str, list_deliveries: Lister, ask: Asker) -> None:
    """Ask again for each failed delivery GUID ``list_deliveries`` shows, once, unless it is
    stored or was delivered OK since."""
    report = state.report
    report.deliveries_checked = True
    state.repo, state.phase = where, "deliveries"
    await state.budget.spend()
    by_guid: dict[str, list[HookDelivery]] = {}
    for delivery in await list_deliveries():
        by_guid.setdefault(delivery.guid, []).append(delivery)
    for guid, group in by_guid.items():
        failed = [d for d in group if d.failed]
        if not failed:
            continue
        if len(failed) < len(group):
            report.failed_since_ok += 1
            continue
        try:
            stored = state.store.has_delivery(uuid.UUID(guid))
        except ValueError:
            stored = False  # not a UUID: the store cannot hold it, so it is not there
        if stored:
            report.failed_in_store += 1
            continue
        await state.budget.spend()
        try:
            await ask(max(failed, key=lambda d: d.id).id)
        except AmbiguousWriteError:
            report.redelivery_unsure += 1
            continue
        report.redelivered += 1
        state.progress()


# -- the command ---------------------------------------------------------------------------


REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


def sync_command(args: argparse.Namespace) -> int:
    """``cockpit ci sync``: 0 done, 1 GitHub or the store failed, 2 bad input or no token,
    3 stopped at the rate budget (rerun later to continue)."""
    from cockpit.ci.store import open_store
    from cockpit.secrets import Redactor, find_token
    from cockpit.settings import Settings, SettingsError

    def fail(message: str, code: int) -> int:
        print(f"cockpit ci sync: {message}", file=sys.stderr)
        return code

    try:
        age = parse_age(args.since)
    except BadAge as exc:
        return fail(str(exc), 2)
    repos: list[str] = list(args.repo or [])
    bad = [repo for repo in repos if not REPO_NAME.match(repo)]
    if bad or not repos:
        return fail(f"--repo takes OWNER/REPO, not {bad[0]!r}" if bad else
                    "name a repository: --repo OWNER/REPO", 2)
    if args.hook is not None and len(repos) != 1:
        return fail("--hook names one repository's webhook: give exactly one --repo", 2)
    org_hook: tuple[str, int] | None = None
    if getattr(args, "org_hook", None):
        org, _, hook_id = str(args.org_hook).partition(":")
        if not org or not hook_id.isdigit():
            return fail(f"--org-hook takes ORG:ID (an organization webhook's id), not "
                        f"{args.org_hook!r}", 2)
        org_hook = (org, int(hook_id))
    try:
        settings = Settings()
    except SettingsError as exc:
        return fail(str(exc), 2)
    token = find_token("github")
    if not token:
        return fail("no GitHub token: run `cockpit login github`, or set COCKPIT_GITHUB_TOKEN "
                    "(a token that can read the repositories' Actions; with --hook, one that "
                    "can read and redeliver their webhooks' deliveries)", 2)
    jwt = os.environ.get(APP_JWT_ENV, "").strip() if args.app else None
    if args.app and not jwt:
        return fail(f"--app needs the GitHub App's JWT in {APP_JWT_ENV}: the cockpit does not "
                    "mint JWTs. Make one from the App's private key (RS256, iss = the App's "
                    "client ID, valid up to 10 minutes; GitHub's docs: \"Generating a JSON Web "
                    "Token (JWT) for a GitHub App\") and export it", 2)
    redact = Redactor()
    redact.add(token)
    redact.add(jwt)
    store = open_store(args.database or os.environ.get(DATABASE_ENV) or None)
    since = datetime.now(UTC) - age
    progress = _ProgressLine()

    def on_wait(seconds: float, reason: str) -> None:
        progress.clear()
        print(f"cockpit ci sync: waiting {seconds:.0f}s: {reason}", file=sys.stderr)

    async def run() -> SyncReport:
        client = GitHubClient(settings.github_api_url, token, redact=redact,
                              timeout=settings.http_timeout_seconds, on_wait=on_wait,
                              retry=RetryPolicy(base_delay=settings.http_retry_base_seconds,
                                                max_wait=120.0))
        async with client:
            return await sync(store, client, repos, since, progress.show, hook=args.hook,
                              org_hook=org_hook, app_jwt=jwt)

    try:
        report = asyncio.run(run())
    except HttpError as exc:
        progress.clear()
        if exc.status == 401:
            app = "/app/hook/" in exc.path
            who = "the App's JWT" if app else "the GitHub token"
            return fail(f"GitHub refused {who} (401 Bad credentials): it is wrong or expired. "
                        + ("Make a fresh JWT (they last 10 minutes)" if app
                           else "Set a valid one with `cockpit login github` or "
                                "COCKPIT_GITHUB_TOKEN") + f" [{redact(str(exc))}]", 1)
        return fail(redact(str(exc)), 1)
    except ServiceError as exc:
        progress.clear()
        return fail(redact(str(exc)), 1)
    finally:
        store.close()
    progress.clear()
    for line in report.lines():
        print(redact(line))
    return EXIT_STOPPED if report.stopped else 0


class _ProgressLine:
    """One line on stderr, rewritten in place on a terminal (at most ~5 times a second);
    elsewhere a line per 100 runs."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.shown = False
        self.last_runs = -1

    def show(self, progress: Progress) -> None:
        now = time.monotonic()
        if self.tty:
            if now - self.last < 0.2:
                return
            self.last = now
            sys.stderr.write("\r\x1b[2K" + progress.line())
            sys.stderr.flush()
            self.shown = True
        elif progress.runs_seen // 100 != self.last_runs // 100 or progress.phase != "runs":
            self.last_runs = progress.runs_seen
            print(progress.line(), file=sys.stderr)

    def clear(self) -> None:
        if self.tty and self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self.shown = False
