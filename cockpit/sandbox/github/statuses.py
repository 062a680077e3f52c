"""Commit statuses (what external CI posts): create, list, and the combined status.

The combined status is GitHub's: the latest status of each context counts; any ``error``
or ``failure`` makes it ``failure``, else any ``pending`` makes it ``pending``, else it is
``success``; a commit with no status at all is ``pending``. Statuses are kept per commit
SHA in the world file, so a branch name reads the statuses of the commit it points at.
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.github.repos import commit_or_404
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.objects import node_id
from cockpit.sandbox.world import Json, now_iso

STATES = ("error", "failure", "pending", "success")
MAX_DESCRIPTION = 140
MAX_PER_CONTEXT = 1000
"""GitHub keeps at most this many statuses per SHA and context."""


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "Validation Failed", [
        {"resource": "Status", "field": field, "code": "custom", "message": message}])


def _shape(ctx: Ctx, full: str, s: Json, creator: bool = True) -> Json:
    out: Json = {
        "url": f"{ctx.sb.api_url}/repos/{full}/statuses/{s['sha']}",
        "avatar_url": f"{ctx.sb.base_url}/avatars/{s['creator']}", "id": s["id"],
        "node_id": node_id("SC", s["id"]), "state": s["state"],
        "description": s["description"], "target_url": s["target_url"],
        "context": s["context"], "created_at": s["created_at"], "updated_at": s["created_at"],
    }
    if creator:
        out["creator"] = ctx.shapes.user(s["creator"])
    return out


def _of(r: Json, sha: str) -> list[Json]:
    """The commit's statuses, newest first."""
    return sorted((s for s in r.get("statuses", []) if s["sha"] == sha),
                  key=lambda s: s["id"], reverse=True)


def combined_state(latest: list[Json]) -> str:
    """``latest`` holds one status per context."""
    states = {s["state"] for s in latest}
    if states & {"error", "failure"}:
        return "failure"
    return "pending" if not states or "pending" in states else "success"


async def create_status(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    sha = ctx.p["sha"]
    c = git.commit(sha)
    if c is None or not c.sha.startswith(sha.lower()):
        raise ApiError(422, f"No commit found for SHA: {sha}")
    body = await json_body(ctx.request)
    if body.get("state") not in STATES:
        raise _invalid("state", "state is not included in the list")
    description = body.get("description")
    if description is not None and len(str(description)) > MAX_DESCRIPTION:
        raise _invalid("description", "description is too long (maximum is "
                                      f"{MAX_DESCRIPTION} characters)")
    context = str(body.get("context") or "default")
    with ctx.sb.world.lock:
        statuses = r.setdefault("statuses", [])
        if sum(1 for s in statuses if s["sha"] == c.sha and s["context"] == context) \
                >= MAX_PER_CONTEXT:
            raise ApiError(422, "This SHA and context has reached the maximum number of "
                                "statuses.")
        status = {"id": ctx.sb.world.new_id(), "sha": c.sha, "state": body["state"],
                  "description": description, "target_url": body.get("target_url"),
                  "context": context, "creator": ctx.actor(), "created_at": now_iso()}
        statuses.append(status)
    ctx.sb.world.save()
    shape = _shape(ctx, r["full_name"], status)
    return json_response(shape, 201, {"location": shape["url"]})


async def list_statuses(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = commit_or_404(git, ctx.p["ref"])
    full = r["full_name"]
    return paginate(ctx, _of(r, c.sha), lambda page: [_shape(ctx, full, s) for s in page])


async def combined_status(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = commit_or_404(git, ctx.p["ref"])
    full = r["full_name"]
    latest: dict[str, Json] = {}
    for s in _of(r, c.sha):
        latest.setdefault(s["context"], s)
    chosen = sorted(latest.values(), key=lambda s: s["context"])
    return json_response({
        "state": combined_state(chosen), "sha": c.sha, "total_count": len(chosen),
        "statuses": [_shape(ctx, full, s, creator=False) for s in chosen],
        "repository": ctx.shapes.repo(r, full=False),
        "commit_url": f"{ctx.sb.api_url}/repos/{full}/commits/{c.sha}",
        "url": f"{ctx.sb.api_url}/repos/{full}/commits/{c.sha}/status",
    })


ROUTES: list[ApiRoute] = [
    ("POST", REPO + "/statuses/{sha}", create_status),
    ("GET", REPO + "/commits/{ref:path}/statuses", list_statuses),
    ("GET", REPO + "/commits/{ref:path}/status", combined_status),
]
