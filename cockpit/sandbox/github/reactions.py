"""Reactions on issues (and pull requests) and on issue comments: list and create.

As on GitHub, reacting twice with the same content is not an error: the second answer
is the existing reaction with 200 instead of 201. Issues and comments carry the roll-up
(``objects.Shapes.reactions``).
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one, paginate
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.objects import REACTIONS, node_id
from cockpit.sandbox.world import Json, now_iso


def _subject(ctx: Ctx, r: Json) -> tuple[str, int]:
    """("issue", number) or ("comment", id) from the path; 404 if there is none."""
    if "comment_id" in ctx.p:
        cid = int(ctx.p["comment_id"])
        one(r["comments"], "id", cid)
        return "comment", cid
    number = int(ctx.p["issue_number"])
    one(r["issues"], "number", number)
    return "issue", number


def _shape(ctx: Ctx, x: Json) -> Json:
    return {"id": x["id"], "node_id": node_id("REA", x["id"]),
            "user": ctx.shapes.user(x["user"]), "content": x["content"],
            "created_at": x["created_at"]}


async def list_reactions(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    subject, ident = _subject(ctx, r)
    content = ctx.q.get("content")
    items = [x for x in r.get("reactions", []) if x["subject"] == subject
             and x["subject_id"] == ident and content in (None, x["content"])]
    return paginate(ctx, items, lambda page: [_shape(ctx, x) for x in page])


async def create_reaction(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    content = body.get("content")
    if content not in REACTIONS:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Reaction", "field": "content", "code": "invalid"}])
    with ctx.sb.world.lock:
        subject, ident = _subject(ctx, r)
        reactions = r.setdefault("reactions", [])
        for x in reactions:
            if (x["subject"], x["subject_id"], x["user"], x["content"]) == \
                    (subject, ident, ctx.actor(), content):
                return json_response(_shape(ctx, x), 200)
        made = {"id": ctx.sb.world.new_id(), "subject": subject, "subject_id": ident,
                "user": ctx.actor(), "content": content, "created_at": now_iso()}
        reactions.append(made)
    ctx.sb.world.save()
    return json_response(_shape(ctx, made), 201)


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/issues/{issue_number:int}/reactions", list_reactions),
    ("POST", REPO + "/issues/{issue_number:int}/reactions", create_reaction),
    ("GET", REPO + "/issues/comments/{comment_id:int}/reactions", list_reactions),
    ("POST", REPO + "/issues/comments/{comment_id:int}/reactions", create_reaction),
]
