"""Releases and their assets; publishing a release creates its tag, as on GitHub."""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one, paginate
from cockpit.sandbox.github.repos import version_key
from cockpit.sandbox.gitstore import ZERO_SHA
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json, now_iso


def _release(r: Json, rid: int) -> Json:
    return one(r["releases"], "id", rid)


async def list_releases(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    rels = sorted(r["releases"], key=lambda x: x["created_at"], reverse=True)
    return paginate(ctx, rels, lambda xs: [ctx.shapes.release(r, x) for x in xs])


async def create_release(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "tag_name")
    tag = str(body["tag_name"])
    with ctx.sb.world.lock:
        if any(x["tag_name"] == tag for x in r["releases"]):
            raise ApiError(422, "Validation Failed", [
                {"resource": "Release", "code": "already_exists", "field": "tag_name"}])
        target = str(body.get("target_commitish") or r["default_branch"])
        if git.resolve(f"refs/tags/{tag}") is None:
            sha = git.resolve(target)
            if sha is None:
                raise ApiError(422, "Validation Failed", [
                    {"resource": "Release", "code": "invalid", "field": "target_commitish"}])
            if not body.get("draft"):
                git.update_ref(f"refs/tags/{tag}", sha, ZERO_SHA)
        now = now_iso()
        rel: Json = {"id": ctx.sb.world.new_id(), "tag_name": tag,
               "target_commitish": target,
               "name": body.get("name") or tag, "body": body.get("body"),
               "draft": bool(body.get("draft")), "prerelease": bool(body.get("prerelease")),
               "make_latest": str(body.get("make_latest", "true")), "author": ctx.actor(),
               "created_at": now, "published_at": now, "updated_at": now, "assets": []}
        r["releases"].append(rel)
    ctx.sb.world.save()
    if not rel["draft"]:
        ctx.sb.sim.on_release(r["full_name"], rel)  # workflows ``on: release``
    return json_response(ctx.shapes.release(r, rel), 201)


async def get_release(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.shapes.release(r, _release(r, int(ctx.p["release_id"]))))


async def latest_release(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    rels = [x for x in r["releases"] if not x["draft"] and not x["prerelease"]]
    if not rels:
        raise ApiError(404, "Not Found")
    latest = max(rels, key=lambda x: version_key(x["tag_name"]))
    return json_response(ctx.shapes.release(r, latest))


async def release_by_tag(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    for rel in r["releases"]:
        if rel["tag_name"] == ctx.p["tag"]:
            return json_response(ctx.shapes.release(r, rel))
    raise ApiError(404, "Not Found")


async def update_release(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    with ctx.sb.world.lock:
        rel = _release(r, int(ctx.p["release_id"]))
        published = rel["draft"] and body.get("draft") is False
        if published:
            rel["published_at"] = now_iso()  # GitHub's publication time is the publish's
        for key in ("tag_name", "target_commitish", "name", "body", "prerelease", "draft",
                    "make_latest"):
            if key in body:
                rel[key] = body[key]
        if not rel["draft"] and git.resolve(f"refs/tags/{rel['tag_name']}") is None:
            sha = git.resolve(rel["target_commitish"])
            if sha:
                git.update_ref(f"refs/tags/{rel['tag_name']}", sha, ZERO_SHA)
        rel["updated_at"] = now_iso()
    ctx.sb.world.save()
    if published:
        ctx.sb.sim.on_release(r["full_name"], rel)  # workflows ``on: release``
    return json_response(ctx.shapes.release(r, rel))


async def delete_release(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        r["releases"].remove(_release(r, int(ctx.p["release_id"])))
    ctx.sb.world.save()
    return Response(status_code=204)


async def release_assets(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    rel = _release(r, int(ctx.p["release_id"]))
    full = r["full_name"]
    return paginate(ctx, rel["assets"],
                    lambda xs: [ctx.shapes.asset(full, rel, a) for a in xs])


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/releases", list_releases),
    ("POST", REPO + "/releases", create_release),
    ("GET", REPO + "/releases/latest", latest_release),
    ("GET", REPO + "/releases/tags/{tag:path}", release_by_tag),
    ("GET", REPO + "/releases/{release_id:int}", get_release),
    ("PATCH", REPO + "/releases/{release_id:int}", update_release),
    ("DELETE", REPO + "/releases/{release_id:int}", delete_release),
    ("GET", REPO + "/releases/{release_id:int}/assets", release_assets),
]
