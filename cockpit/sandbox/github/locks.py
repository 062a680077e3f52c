"""Locking an issue's conversation: ``PUT``/``DELETE /issues/{n}/lock``.

A locked issue says so (``locked``, ``active_lock_reason``) and its timeline has the
``locked``/``unlocked`` event. Every sandbox account is a collaborator, and
collaborators may still comment on a locked issue, so comments are not refused.
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github import events
from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one
from cockpit.sandbox.http import ApiError, json_body
from cockpit.sandbox.world import now_iso

REASONS = ("off-topic", "too heated", "resolved", "spam")


async def lock(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    reason = body.get("lock_reason")
    if reason is not None and reason not in REASONS:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Issue", "field": "lock_reason", "code": "invalid"}])
    with ctx.sb.world.lock:
        i = one(r["issues"], "number", int(ctx.p["issue_number"]))
        if not i["locked"]:
            i.update(locked=True, active_lock_reason=reason, updated_at=now_iso())
            events.record(ctx, r, i["number"], "locked", lock_reason=reason)
    ctx.sb.world.save()
    return Response(status_code=204)


async def unlock(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        i = one(r["issues"], "number", int(ctx.p["issue_number"]))
        if i["locked"]:
            i.update(locked=False, active_lock_reason=None, updated_at=now_iso())
            events.record(ctx, r, i["number"], "unlocked")
    ctx.sb.world.save()
    return Response(status_code=204)


ROUTES: list[ApiRoute] = [
    ("PUT", REPO + "/issues/{issue_number:int}/lock", lock),
    ("DELETE", REPO + "/issues/{issue_number:int}/lock", unlock),
]
