"""Issue events: what happened to an issue or pull request, by whom (``GET
/issues/{n}/events``), and so who closed it (the issue's ``closed_by``, read from them
by ``objects.Shapes.issue``).

The handlers that change an issue (``issues``, ``pulls``, ``locks``) call ``on_create``,
``on_edit`` and ``record``; the events live in the repository's ``events`` list in the
world file, oldest first, as GitHub lists them.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.http import ApiError
from cockpit.sandbox.objects import Shapes, node_id
from cockpit.sandbox.world import Json, now_iso


def record(ctx: Ctx, r: Json, number: int, event: str, commit_id: str | None = None,
           **extra: Any) -> None:
    """One event on issue ``number`` by the caller (under the world lock)."""
    r.setdefault("events", []).append({
        "id": ctx.sb.world.new_id(), "issue_number": number, "event": event,
        "actor": ctx.actor(), "commit_id": commit_id, "created_at": now_iso(), **extra})


def on_create(ctx: Ctx, r: Json, issue: Json) -> None:
    """GitHub records an issue opened with labels, assignees or a milestone as events."""
    on_edit(ctx, r, {**issue, "labels": [], "assignees": [], "milestone": None}, issue)


def on_edit(ctx: Ctx, r: Json, before: Json, after: Json) -> None:
    """The events an edit makes: renamed, (un)labeled, (un)assigned, (de)milestoned,
    closed, reopened."""
    n = after["number"]
    if before["title"] != after["title"]:
        record(ctx, r, n, "renamed", rename={"from": before["title"], "to": after["title"]})
    for name in [x for x in after["labels"] if x not in before["labels"]]:
        record(ctx, r, n, "labeled", label=name)
    for name in [x for x in before["labels"] if x not in after["labels"]]:
        record(ctx, r, n, "unlabeled", label=name)
    for login in [x for x in after["assignees"] if x not in before["assignees"]]:
        record(ctx, r, n, "assigned", assignee=login)
    for login in [x for x in before["assignees"] if x not in after["assignees"]]:
        record(ctx, r, n, "unassigned", assignee=login)
    if before["milestone"] != after["milestone"]:
        if before["milestone"] is not None:
            record(ctx, r, n, "demilestoned", milestone=before["milestone"])
        if after["milestone"] is not None:
            record(ctx, r, n, "milestoned", milestone=after["milestone"])
    if before["state"] != after["state"]:
        record(ctx, r, n, "closed" if after["state"] == "closed" else "reopened",
               state_reason=after.get("state_reason"))


def on_merge(ctx: Ctx, r: Json, pull: Json, sha: str) -> None:
    """A merge is two events, ``merged`` then ``closed``, both carrying the merge commit."""
    record(ctx, r, pull["number"], "merged", commit_id=sha)
    record(ctx, r, pull["number"], "closed", commit_id=sha)


def shape(shapes: Shapes, r: Json, e: Json) -> Json:
    full = r["full_name"]
    api = f"{shapes.api}/repos/{full}"
    out: Json = {
        "id": e["id"], "node_id": node_id("E", e["id"]), "url": f"{api}/issues/events/{e['id']}",
        "actor": shapes.simple_user(e["actor"]), "event": e["event"],
        "commit_id": e["commit_id"],
        "commit_url": f"{api}/commits/{e['commit_id']}" if e["commit_id"] else None,
        "created_at": e["created_at"], "performed_via_github_app": None,
    }
    if "label" in e:
        out["label"] = {"name": e["label"], "color": shapes.label(full, e["label"])["color"]}
    if "assignee" in e:
        out.update(assignee=shapes.simple_user(e["assignee"]),
                   assigner=shapes.simple_user(e["actor"]))
    if "requested_reviewer" in e:
        out.update(review_requester=shapes.simple_user(e["actor"]),
                   requested_reviewer=shapes.simple_user(e["requested_reviewer"]))
    if "milestone" in e:
        m = next((m for m in r["milestones"] if m["number"] == e["milestone"]), None)
        out["milestone"] = {"title": m["title"] if m else ""}
    for key in ("rename", "lock_reason", "state_reason"):
        if key in e:
            out[key] = e[key]
    return out


async def list_events(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    number = int(ctx.p["issue_number"])
    if not any(i["number"] == number for i in r["issues"]):
        raise ApiError(404, "Not Found")
    items = [e for e in r.get("events", []) if e["issue_number"] == number]
    return paginate(ctx, items, lambda page: [shape(ctx.shapes, r, e) for e in page])


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/issues/{issue_number:int}/events", list_events),
]
