"""GitHub webhook payloads for the CI tests, shaped like the real ones.

``workflow_run`` and ``workflow_job`` as GitHub sends them ("Webhook events and payloads"):
the run or job object with its times, labels and runner, plus the ``repository``,
``organization``, ``sender`` and ``installation`` objects an App's deliveries carry. Defaults
make a successful run of ``acme/widgets``'s ``CI`` workflow on ``main``; every field a test
cares about is a keyword. Times are ``datetime``s (UTC) or GitHub's ISO strings.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cockpit.ci.store import Delivery, Source

API = "https://api.github.com"
WEB = "https://github.com"
T0 = datetime(2026, 11, 30, 5, 0, 0, tzinfo=UTC)
"""The default moment a run is created."""

_ids = itertools.count(4_100_000_001)

RunAction = Literal["requested", "in_progress", "completed"]
JobAction = Literal["queued", "waiting", "in_progress", "completed"]
HOSTED_LABELS: tuple[str, ...] = ("ubuntu-latest",)
SELF_HOSTED_LABELS: tuple[str, ...] = ("self-hosted", "linux", "x64", "gpu")


def next_id() -> int:
    """A fresh GitHub-like id (runs, jobs, workflows share the sequence; unique per session)."""
    return next(_ids)


def iso(moment: datetime | str | None) -> str | None:
    """GitHub's timestamp form: ``2026-11-30T05:00:00Z``."""
    if moment is None or isinstance(moment, str):
        return moment
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha(seed: str = "head") -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


def user(login: str = "octocat", *, user_id: int = 583231, kind: str = "User") -> dict[str, Any]:
    return {
        "login": login, "id": user_id, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4", "gravatar_id": "",
        "url": f"{API}/users/{login}", "html_url": f"{WEB}/{login}",
        "followers_url": f"{API}/users/{login}/followers",
        "following_url": f"{API}/users/{login}/following{{/other_user}}",
        "gists_url": f"{API}/users/{login}/gists{{/gist_id}}",
        "starred_url": f"{API}/users/{login}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{API}/users/{login}/subscriptions",
        "organizations_url": f"{API}/users/{login}/orgs",
        "repos_url": f"{API}/users/{login}/repos",
        "events_url": f"{API}/users/{login}/events{{/privacy}}",
        "received_events_url": f"{API}/users/{login}/received_events",
        "type": kind, "site_admin": False,
    }


def organization(login: str = "acme", *, org_id: int = 9919) -> dict[str, Any]:
    return {
        "login": login, "id": org_id, "node_id": "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
        "url": f"{API}/orgs/{login}", "repos_url": f"{API}/orgs/{login}/repos",
        "events_url": f"{API}/orgs/{login}/events", "hooks_url": f"{API}/orgs/{login}/hooks",
        "issues_url": f"{API}/orgs/{login}/issues",
        "members_url": f"{API}/orgs/{login}/members{{/member}}",
        "public_members_url": f"{API}/orgs/{login}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{org_id}?v=4", "description": None,
    }


def repository(full_name: str = "acme/widgets", *, repo_id: int = 1296269,
               private: bool = False) -> dict[str, Any]:
    owner_login, name = full_name.split("/", 1)
    url = f"{API}/repos/{full_name}"
    return {
        "id": repo_id, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": name,
        "full_name": full_name, "private": private,
        "owner": user(owner_login, user_id=9919, kind="Organization"),
        "html_url": f"{WEB}/{full_name}", "description": None, "fork": False, "url": url,
        "archive_url": f"{url}/{{archive_format}}{{/ref}}",
        "branches_url": f"{url}/branches{{/branch}}", "commits_url": f"{url}/commits{{/sha}}",
        "contents_url": f"{url}/contents/{{+path}}", "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues{{/number}}", "pulls_url": f"{url}/pulls{{/number}}",
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2026-11-29T12:00:00Z",
        "pushed_at": "2026-11-30T04:59:50Z", "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git", "clone_url": f"{WEB}/{full_name}.git",
        "homepage": None, "size": 1024, "stargazers_count": 42, "watchers_count": 42,
        "language": "Python", "has_issues": True, "has_projects": True, "has_downloads": True,
        "has_wiki": False, "has_pages": False, "has_discussions": False, "forks_count": 3,
        "archived": False, "disabled": False, "open_issues_count": 5, "license": None,
        "allow_forking": True, "is_template": False, "topics": [], "visibility":
        "private" if private else "public", "forks": 3, "open_issues": 5, "watchers": 42,
        "default_branch": "main",
    }


def installation(installation_id: int = 2311213) -> dict[str, Any]:
    return {"id": installation_id, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMjMxMTIxMw=="}


def _envelope(action: str, repo: str, org: str | None) -> dict[str, Any]:
    envelope: dict[str, Any] = {"action": action, "repository": repository(repo)}
    if org is not None:
        envelope["organization"] = organization(org)
    envelope["sender"] = user()
    envelope["installation"] = installation()
    return envelope


def workflow_run(action: RunAction = "completed", *, run_id: int | None = None,
                 run_attempt: int = 1, repo: str = "acme/widgets", org: str | None = "acme",
                 workflow_id: int = 161335, workflow_name: str = "CI",
                 path: str = ".github/workflows/ci.yml", event: str = "push",
                 head_branch: str = "main", head_sha: str | None = None,
                 conclusion: str | None = None, created_at: datetime | str = T0,
                 run_started_at: datetime | str | None = None,
                 updated_at: datetime | str | None = None,
                 run_number: int = 562) -> dict[str, Any]:
    """A ``workflow_run`` delivery's body. ``completed`` defaults to conclusion ``success``."""
    run_id = next_id() if run_id is None else run_id
    head_sha = head_sha or sha(f"{repo}@{head_branch}")
    status = {"requested": "queued", "in_progress": "in_progress", "completed": "completed"}[action]
    if action == "completed" and conclusion is None:
        conclusion = "success"
    created = iso(created_at)
    started = iso(run_started_at) or created
    updated = iso(updated_at) or started
    url = f"{API}/repos/{repo}/actions/runs/{run_id}"
    body = _envelope(action, repo, org)
    commit_author = {"name": "Octo Cat", "email": "octocat@github.com"}
    body["workflow_run"] = {
        "id": run_id, "name": workflow_name, "node_id": "WFR_kwLOAAAAAA", "head_branch": head_branch,
        "head_sha": head_sha, "path": path, "display_title": "Update README.md",
        "run_number": run_number, "event": event, "status": status, "conclusion": conclusion,
        "workflow_id": workflow_id, "check_suite_id": run_id + 7, "check_suite_node_id": "CS_kwDO",
        "url": url, "html_url": f"{WEB}/{repo}/actions/runs/{run_id}", "pull_requests": [],
        "created_at": created, "updated_at": updated, "actor": user(), "triggering_actor": user(),
        "run_attempt": run_attempt, "referenced_workflows": [], "run_started_at": started,
        "jobs_url": f"{url}/jobs", "logs_url": f"{url}/logs",
        "check_suite_url": f"{API}/repos/{repo}/check-suites/{run_id + 7}",
        "artifacts_url": f"{url}/artifacts", "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "previous_attempt_url": f"{url}/attempts/{run_attempt - 1}" if run_attempt > 1 else None,
        "workflow_url": f"{API}/repos/{repo}/actions/workflows/{workflow_id}",
        "head_commit": {
            "id": head_sha, "tree_id": sha(f"tree {head_sha}"), "message": "Update README.md",
            "timestamp": created, "author": commit_author, "committer": commit_author,
        },
        "repository": _mini_repo(repo), "head_repository": _mini_repo(repo),
    }
    body["workflow"] = {
        "id": workflow_id, "node_id": "W_kwDOAAAAAA", "name": workflow_name, "path": path,
        "state": "active", "created_at": "2021-01-01T00:00:00.000Z",
        "updated_at": "2026-11-01T00:00:00.000Z",
        "url": f"{API}/repos/{repo}/actions/workflows/{workflow_id}",
        "html_url": f"{WEB}/{repo}/blob/main/{path}",
        "badge_url": f"{WEB}/{repo}/workflows/{workflow_name}/badge.svg",
    }
    return body


def _mini_repo(full_name: str) -> dict[str, Any]:
    full = repository(full_name)
    keep = ("id", "node_id", "name", "full_name", "private", "owner", "html_url", "description",
            "fork", "url")
    return {key: full[key] for key in keep}


def workflow_job(action: JobAction = "completed", *, job_id: int | None = None, run_id: int = 0,
                 run_attempt: int = 1, repo: str = "acme/widgets", org: str | None = "acme",
                 workflow_name: str = "CI", name: str = "build", head_branch: str = "main",
                 head_sha: str | None = None, labels: Sequence[str] = HOSTED_LABELS,
                 runner_name: str | None = None, runner_group_name: str | None = None,
                 conclusion: str | None = None, created_at: datetime | str = T0,
                 started_at: datetime | str | None = None,
                 completed_at: datetime | str | None = None) -> dict[str, Any]:
    """A ``workflow_job`` delivery's body.

    Queued and waiting jobs have no runner yet (GitHub still fills ``started_at`` with the
    creation time); from ``in_progress`` on a runner is named: ``GitHub Actions N`` in group
    ``GitHub Actions`` for hosted labels, ``runner-1`` in ``Default`` for ``self-hosted``
    ones, unless given. ``completed`` defaults to conclusion ``success``."""
    job_id = next_id() if job_id is None else job_id
    run_id = run_id or next_id()
    head_sha = head_sha or sha(f"{repo}@{head_branch}")
    status = action
    created = iso(created_at)
    has_runner = action in ("in_progress", "completed")
    self_hosted = any(label.lower() == "self-hosted" for label in labels)
    if has_runner and runner_name is None:
        runner_name = "runner-1" if self_hosted else "GitHub Actions 2"
    if has_runner and runner_group_name is None:
        runner_group_name = "Default" if self_hosted else "GitHub Actions"
    if action == "completed" and conclusion is None:
        conclusion = "success"
    started = iso(started_at) or created
    completed = (iso(completed_at) or started) if action == "completed" else None
    steps: list[dict[str, Any]] = []
    if has_runner:
        steps = [
            {"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1,
             "started_at": started, "completed_at": started},
            {"name": "Run tests", "status": status, "conclusion": conclusion, "number": 2,
             "started_at": started, "completed_at": completed},
        ]
    body = _envelope(action, repo, org)
    body["workflow_job"] = {
        "id": job_id, "run_id": run_id, "workflow_name": workflow_name, "head_branch": head_branch,
        "run_url": f"{API}/repos/{repo}/actions/runs/{run_id}", "run_attempt": run_attempt,
        "node_id": "CR_kwDOAAAAAA", "head_sha": head_sha,
        "url": f"{API}/repos/{repo}/actions/jobs/{job_id}",
        "html_url": f"{WEB}/{repo}/actions/runs/{run_id}/job/{job_id}",
        "status": status, "conclusion": conclusion, "created_at": created, "started_at": started,
        "completed_at": completed, "name": name, "steps": steps,
        "check_run_url": f"{API}/repos/{repo}/check-runs/{job_id}", "labels": list(labels),
        "runner_id": (1 if self_hosted else 2) if has_runner else None,
        "runner_name": runner_name if has_runner else None,
        "runner_group_id": (1 if self_hosted else 0) if has_runner else None,
        "runner_group_name": runner_group_name if has_runner else None,
    }
    return body


def delivery(event: str, payload: dict[str, Any], *, delivery_id: uuid.UUID | None = None,
             received_at: datetime | None = None, source: Source = "webhook") -> Delivery:
    """A ``Delivery`` of ``payload`` (a fresh id; received now unless given)."""
    return Delivery(delivery_id=delivery_id or uuid.uuid4(), event=event, payload=payload,
                    received_at=received_at or datetime.now(UTC), source=source)


def run_delivery(action: RunAction = "completed", **fields: Any) -> Delivery:
    """A ``workflow_run`` ``Delivery`` (keywords as ``workflow_run``; plus ``source``)."""
    source = fields.pop("source", "webhook")
    received_at = fields.pop("received_at", None)
    return delivery("workflow_run", workflow_run(action, **fields), source=source,
                    received_at=received_at)


def job_delivery(action: JobAction = "completed", **fields: Any) -> Delivery:
    """A ``workflow_job`` ``Delivery`` (keywords as ``workflow_job``; plus ``source``)."""
    source = fields.pop("source", "webhook")
    received_at = fields.pop("received_at", None)
    return delivery("workflow_job", workflow_job(action, **fields), source=source,
                    received_at=received_at)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
