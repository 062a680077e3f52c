"""``cockpit ci report``: the CI-health facts as text, for a weekly post or a CI job.

The same facts the alerts and the dashboards read (``cockpit.ci.facts``), gathered once into
one JSON-able document and rendered from it: so the Markdown a team pastes into its weekly
post and the JSON a CI job reads can never disagree. The store is only read
(``cockpit.ci.history.open_for_reading``): a report never creates or migrates a database. A
store that is missing or holds no runs says so, and its sections are ``null``, never zeros
that look like a quiet week.

The JSON (``--format json``) has a stable shape, ``"format": "cockpit-ci-report/1"``; new keys
may be added, existing ones keep their meaning. Times are ISO-8601 UTC strings, durations
whole seconds, rates fractions (0.85), ``null`` where nothing could be measured::

    {
      "format": "cockpit-ci-report/1",
      "generated_at": "2026-11-30T06:00:00Z",
      "database": "sqlite:///…/events.sqlite3",        # password removed
      "store": "ok" | "empty" | "missing",
      "note": null | "why there are no numbers",
      "window": {"since": "…Z", "until": "…Z", "seconds": 604800, "label": "7d"},
      "repositories": [                                 # those with runs or jobs in the window
        {"repository": "ipfs/kubo", "last_webhook_at": "…Z" | null,
         "workflows": [
           {"workflow": "Go Test",
            "runs": 40, "completed": 38, "successes": 30, "failures": 5,
            "cancelled": 2, "skipped": 1,
            "success_rate": 0.857 | null,               # successes / (successes + failures)
            "duration_p50_seconds": 840, "duration_p90_seconds": 1200,   # runs
            "jobs": 120, "queue_p90_seconds": 35,       # jobs a runner took
            "runner_kinds": {"github-hosted": {"jobs": 80, "queue_p90_seconds": 12},
                             "self-hosted": {"jobs": 40, "queue_p90_seconds": 300}}}]}],
      "near_timeout": {"percent": 90, "judged": 110, "unjudged": 10,
                       "jobs": [{"repository", "workflow", "job", "job_id", "run_id",
                                 "conclusion", "created_at", "duration_seconds",
                                 "timeout_minutes", "ratio", "html_url"}]},
      "stuck_jobs": {"minutes": 30, "jobs": [{"repository", "workflow", "job", "job_id",
                     "run_id", "status", "created_at", "queued_seconds", "labels",
                     "runner_kind", "html_url"}]},
      "alerts": [{"id", "rule", "scope", "fired_at", "summary", "link"}],      # firing now
      "quiet_repositories": {"hours": 24,
                             "repositories": [{"repository", "last_webhook_at", "runs"}]}
    }

How runs are counted (cancelled and skipped runs are neither successes nor failures, a
percentile is a nearest-rank one) is ``cockpit.ci.facts``'s docstring. "Quiet" repositories
are those the store knows whose newest webhook is older than ``hours`` (or that never sent
one: only gap repair told of them), with their runs in the window for context.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cockpit.ci import facts
from cockpit.ci.history import open_for_reading
from cockpit.ci.store import Store

FORMAT = "cockpit-ci-report/1"
STUCK_MINUTES = 30
NEAR_TIMEOUT_PERCENT = 90
QUIET_HOURS = 24


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- gathering --------------------------------------------------------------------------------


def _workflow_entry(runs: facts.RunStats | None, jobs: facts.JobStats | None,
                    split: facts.KindSplit | None, workflow: str) -> dict[str, Any]:
    outcomes = runs.outcomes if runs is not None else None
    return {
        "workflow": workflow,
        "runs": outcomes.total if outcomes else 0,
        "completed": outcomes.completed if outcomes else 0,
        "successes": outcomes.successes if outcomes else 0,
        "failures": outcomes.failures if outcomes else 0,
        "cancelled": outcomes.cancelled if outcomes else 0,
        "skipped": outcomes.skipped if outcomes else 0,
        "success_rate": outcomes.success_rate if outcomes else None,
        "duration_p50_seconds": runs.duration_p50 if runs else None,
        "duration_p90_seconds": runs.duration_p90 if runs else None,
        "jobs": jobs.jobs if jobs else 0,
        "queue_p90_seconds": jobs.queue_p90 if jobs else None,
        "runner_kinds": {kind: {"jobs": stats.jobs, "queue_p90_seconds": stats.queue_p90}
                         for kind, stats in sorted((split.kinds if split else {}).items())},
    }


def _repositories(store: Store, window: facts.Window,
                  activity: Mapping[str, facts.RepositoryActivity]) -> list[dict[str, Any]]:
    runs = {(s.repository, s.workflow or ""): s for s in facts.run_stats(store, window)}
    jobs = {(s.repository, s.workflow or ""): s
            for s in facts.job_stats(store, window, by="workflow")}
    splits = {(s.repository, s.workflow): s for s in facts.runner_split(store, window)}
    by_repo: dict[str, list[dict[str, Any]]] = {}
    for key in sorted(set(runs) | set(jobs)):
        repo, workflow = key
        by_repo.setdefault(repo, []).append(
            _workflow_entry(runs.get(key), jobs.get(key), splits.get(key), workflow))
    out = []
    for repo, workflows in by_repo.items():
        seen = activity.get(repo)
        out.append({"repository": repo,
                    "last_webhook_at": iso(seen.last_received if seen else None),
                    "workflows": workflows})
    return out


def gather(store: Store | None, seconds: float, *, now: float | None = None,
           database: str = "", label: str = "", missing: str = "") -> dict[str, Any]:
    """The report's document (the JSON shape in the module docstring)."""
    now = time.time() if now is None else now
    window = facts.Window.last(seconds, now)
    doc: dict[str, Any] = {
        "format": FORMAT, "generated_at": iso(now), "database": database,
        "store": "ok", "note": None,
        "window": {"since": iso(window.since), "until": iso(window.until),
                   "seconds": window.until - window.since, "label": label},
        "repositories": None, "near_timeout": None, "stuck_jobs": None, "alerts": None,
        "quiet_repositories": None,
    }
    if store is None:
        doc.update(store="missing", note=missing or "no CI store")
        return doc
    from cockpit.ci.alerts import open_alerts

    doc["alerts"] = [{"id": a.id, "rule": a.rule, "scope": a.scope, "fired_at": iso(a.fired_at),
                      "summary": a.summary, "link": a.facts.get("link")}
                     for a in open_alerts(store)]
    if not store.query("SELECT 1 AS one FROM workflow_runs LIMIT 1") and \
            not store.query("SELECT 1 AS one FROM workflow_jobs LIMIT 1"):
        doc.update(store="empty", note=f"the CI store {database} holds no workflow runs yet: "
                   "start the receiver (`cockpit ci serve`) or fill it from the API "
                   "(`cockpit ci sync --repo OWNER/REPO --since 30d`)")
        return doc
    activity = {a.repository: a for a in facts.last_events(store, window)}
    doc["repositories"] = _repositories(store, window, activity)
    near = facts.near_timeout(store, window, percent=NEAR_TIMEOUT_PERCENT)
    doc["near_timeout"] = {
        "percent": near.percent, "judged": near.judged, "unjudged": near.unjudged,
        "jobs": [{"repository": j.repository, "workflow": j.workflow, "job": j.job,
                  "job_id": j.job_id, "run_id": j.run_id, "conclusion": j.conclusion,
                  "created_at": iso(j.created_at), "duration_seconds": j.duration,
                  "timeout_minutes": j.timeout_minutes, "ratio": round(j.ratio, 4),
                  "html_url": j.html_url} for j in near.jobs]}
    stuck = facts.stuck_jobs(store, now, STUCK_MINUTES)
    doc["stuck_jobs"] = {
        "minutes": STUCK_MINUTES,
        "jobs": [{"repository": j.repository, "workflow": j.workflow, "job": j.job,
                  "job_id": j.job_id, "run_id": j.run_id, "status": j.status,
                  "created_at": iso(j.created_at), "queued_seconds": j.queued_seconds,
                  "labels": list(j.labels), "runner_kind": j.runner_kind,
                  "html_url": j.html_url} for j in stuck]}
    quiet = [a for a in activity.values()
             if a.last_received is None or now - a.last_received > QUIET_HOURS * 3600]
    doc["quiet_repositories"] = {
        "hours": QUIET_HOURS,
        "repositories": [{"repository": a.repository, "last_webhook_at": iso(a.last_received),
                          "runs": a.runs} for a in quiet]}
    return doc


# -- Markdown ---------------------------------------------------------------------------------


def _dur(seconds: float | None) -> str:
    from cockpit.ci.alerts import format_duration

    return "n/a" if seconds is None else format_duration(seconds)


def _rate(workflow: Mapping[str, Any]) -> str:
    rate = workflow["success_rate"]
    if rate is None:
        return "n/a"
    judged = workflow["successes"] + workflow["failures"]
    return f"{rate * 100:.0f}% ({workflow['successes']}/{judged})"


def _kinds(workflow: Mapping[str, Any]) -> str:
    names = {"github-hosted": "hosted", "self-hosted": "self-hosted", "unknown": "unknown"}
    parts = []
    for kind, stats in workflow["runner_kinds"].items():
        queue = stats["queue_p90_seconds"]
        parts.append(f"{names.get(kind, kind)} {stats['jobs']}"
                     + (f" (q90 {_dur(queue)})" if queue is not None else ""))
    return " · ".join(parts) or "n/a"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _when(value: str | None) -> str:
    return value.replace("T", " ").replace("Z", " UTC") if value else "never"


def _link(text: str, url: object) -> str:
    return f"[{_cell(text)}]({url})" if url else _cell(text)


def markdown(doc: Mapping[str, Any]) -> str:
    window = doc["window"]
    span = window["label"] or _dur(window["seconds"])
    lines = [f"# CI health, last {span}", "",
             f"{_when(window['since'])} → {_when(window['until'])} · store `{doc['database']}` "
             f"· generated {_when(doc['generated_at'])}", ""]
    if doc["note"]:
        lines += [f"**No numbers:** {doc['note']}.", ""]
    alerts: Sequence[Mapping[str, Any]] | None = doc["alerts"]
    if alerts is not None:
        lines.append(f"## Firing alerts ({len(alerts)})" if alerts else "## Firing alerts: none")
        lines.append("")
        for alert in alerts:
            lines.append(f"- **{alert['rule']}** on `{alert['scope']}` since "
                         f"{_when(alert['fired_at'])}: {_link(alert['summary'], alert['link'])}")
        if alerts:
            lines.append("")
    repositories: Sequence[Mapping[str, Any]] | None = doc["repositories"]
    if repositories is None:
        return "\n".join(lines).rstrip() + "\n"
    if not repositories:
        lines += ["No workflow runs in this window.", ""]
    for repo in repositories:
        lines += [f"## {repo['repository']}", "",
                  f"Last webhook: {_when(repo['last_webhook_at'])}", "",
                  "| Workflow | Runs | Success | Duration p50 | Duration p90 | Queue p90 "
                  "| Jobs by runner |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for wf in repo["workflows"]:
            lines.append(f"| {_cell(wf['workflow'])} | {wf['runs']} | {_rate(wf)} "
                         f"| {_dur(wf['duration_p50_seconds'])} "
                         f"| {_dur(wf['duration_p90_seconds'])} "
                         f"| {_dur(wf['queue_p90_seconds'])} | {_kinds(wf)} |")
        lines.append("")
    near = doc["near_timeout"]
    lines.append(f"## Jobs near their timeout (≥ {near['percent']}%): {len(near['jobs'])}")
    lines.append("")
    if near["jobs"]:
        lines += ["| Repository | Workflow | Job | Ran | Timeout | Conclusion | When |",
                  "|---|---|---|---:|---:|---|---|"]
        for job in near["jobs"]:
            lines.append(f"| {_cell(job['repository'])} | {_cell(job['workflow'])} "
                         f"| {_link(job['job'] or '?', job['html_url'])} "
                         f"| {_dur(job['duration_seconds'])} | {job['timeout_minutes']}m "
                         f"| {job['conclusion']} | {_when(job['created_at'])} |")
        lines.append("")
    if near["unjudged"]:
        lines += [f"_{near['unjudged']} finished jobs not judged: their workflow file was not "
                  "read yet (`cockpit ci sync` reads it)._", ""]
    stuck = doc["stuck_jobs"]
    lines.append(f"## Stuck jobs (queued over {stuck['minutes']} min, no runner): "
                 f"{len(stuck['jobs'])}")
    lines.append("")
    for job in stuck["jobs"]:
        labels = ", ".join(job["labels"]) or "no labels"
        lines.append(f"- {_cell(job['repository'])} / {_cell(job['workflow'])} / "
                     f"{_link(job['job'] or '?', job['html_url'])}: {job['status']} for "
                     f"{_dur(job['queued_seconds'])} ({labels})")
    if stuck["jobs"]:
        lines.append("")
    quiet = doc["quiet_repositories"]
    lines.append(f"## No webhook in the last {quiet['hours']} h: {len(quiet['repositories'])}")
    lines.append("")
    for repo in quiet["repositories"]:
        lines.append(f"- {repo['repository']}: last webhook {_when(repo['last_webhook_at'])}, "
                     f"{repo['runs']} runs in the window")
    return "\n".join(lines).rstrip() + "\n"


# -- the verb ---------------------------------------------------------------------------------


def report_command(args: argparse.Namespace) -> int:
    """``cockpit ci report [--database URL] [--since 7d] [--format markdown|json]``: 0 with
    the report printed (an empty store is a report that says so), 1 when the store cannot be
    read, 2 for a bad ``--since``."""
    from cockpit.ci.alerts import format_duration, parse_duration

    try:
        seconds = parse_duration(getattr(args, "since", None) or "7d")
    except ValueError as exc:
        print(f"cockpit ci report: --since: {exc}", file=sys.stderr)
        return 2
    opened = open_for_reading(getattr(args, "database", None))
    if opened.unreachable:
        print(f"cockpit ci report: {opened.reason}", file=sys.stderr)
        return 1
    try:
        doc = gather(opened.store, seconds, database=opened.where,
                     label=format_duration(seconds), missing=opened.reason)
    finally:
        if opened.store is not None:
            opened.store.close()
    if getattr(args, "format", "markdown") == "json":
        print(json.dumps(doc, indent=2))
    else:
        print(markdown(doc), end="")
    return 0
