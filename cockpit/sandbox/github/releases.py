"""Releases and their assets; publishing a release creates its tag, as on GitHub.

Assets are uploaded as GitHub Enterprise takes them: ``POST
/api/uploads/repos/{owner}/{repo}/releases/{id}/assets?name=N`` with the raw bytes (the
release's ``upload_url`` points there; ``UPLOAD_ROUTES`` is served under
``/api/uploads``). Their bytes are kept in ``DATA/assets/{id}``. They come back from
``browser_download_url`` (``/{owner}/{repo}/releases/download/{tag}/{name}``, served by
``download_routes``; published releases only) or from the asset's API URL with ``Accept:
application/octet-stream``, which redirects to a short-lived blob URL as GitHub does (a
draft's assets too). Each download is counted (``download_count``). A seeded asset was never
uploaded: its bytes are a stand-in of its recorded size, the same on every download.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one, paginate
from cockpit.sandbox.gitstore import ZERO_SHA
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.versions import version_key
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

ASSETS_DIR = "assets"
UPLOADS_PREFIX = "/api/uploads"
"""GitHub Enterprise's upload host, as a path (uploads.github.com on github.com)."""
_CHUNK = 64 * 1024


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
        rel = _release(r, int(ctx.p["release_id"]))
        r["releases"].remove(rel)
    ctx.sb.world.save()
    for asset in rel["assets"]:
        _blob(ctx.sb.data_dir, asset["id"]).unlink(missing_ok=True)
    return Response(status_code=204)


async def release_assets(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    rel = _release(r, int(ctx.p["release_id"]))
    full = r["full_name"]
    return paginate(ctx, rel["assets"],
                    lambda xs: [ctx.shapes.asset(full, rel, a) for a in xs])


# -- assets -----------------------------------------------------------------------------

def _blob(data_dir: Path, asset_id: int) -> Path:
    return data_dir / ASSETS_DIR / str(asset_id)


_UNSAFE = re.compile(r"[^A-Za-z0-9._+@-]")


def _asset_name(name: str) -> str:
    """GitHub renames what it would not serve as a file name: special characters become
    ``.``, leading and trailing dots go."""
    return _UNSAFE.sub(".", name).strip(".")


async def upload_asset(ctx: Ctx) -> Response:
    """``repos/upload-release-asset``: the request body is the file."""
    r, _ = ctx.repo()
    name = _asset_name(ctx.q.get("name", ""))
    content_type = ctx.request.headers.get("content-type", "")
    missing = [field for field, value in (("name", name), ("content_type", content_type))
               if not value]
    if missing:
        raise ApiError(422, "Validation Failed", [
            {"resource": "ReleaseAsset", "code": "missing_field", "field": f}
            for f in missing])
    data = await ctx.request.body()
    if not data:
        raise ApiError(422, "Validation Failed", [
            {"resource": "ReleaseAsset", "code": "invalid", "field": "size"}])
    with ctx.sb.world.lock:
        rel = _release(r, int(ctx.p["release_id"]))
        if any(a["name"] == name for a in rel["assets"]):
            raise ApiError(422, "Validation Failed", [
                {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}])
        asset: Json = {"id": ctx.sb.world.new_id(), "name": name, "size": len(data),
                       "created_at": now_iso(), "content_type": content_type,
                       "label": ctx.q.get("label") or "", "uploader": ctx.actor()}
        path = _blob(ctx.sb.data_dir, asset["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rel["assets"].append(asset)
    ctx.sb.world.save()
    return json_response(ctx.shapes.asset(r["full_name"], rel, asset), 201)


def _asset(r: Json, asset_id: int) -> tuple[Json, Json]:
    for rel in r["releases"]:
        for asset in rel["assets"]:
            if asset["id"] == asset_id:
                return rel, asset
    raise ApiError(404, "Not Found")


async def get_asset(ctx: Ctx) -> Response:
    """The asset's JSON, or with ``Accept: application/octet-stream`` a 302 to its bytes."""
    r, _ = ctx.repo()
    rel, asset = _asset(r, int(ctx.p["asset_id"]))
    if "application/octet-stream" in ctx.request.headers.get("accept", ""):
        # A short-lived URL of the bytes themselves (a draft's too, for whoever may read
        # the release), as GitHub redirects to its object store.
        expires = int(time.time()) + 300
        sig = hashlib.sha256(f"{asset['id']}:{expires}".encode()).hexdigest()[:16]
        return RedirectResponse(f"{ctx.sb.base_url}/_blobs/release-assets/{asset['id']}"
                                f"?se={expires}&sig={sig}", status_code=302)
    return json_response(ctx.shapes.asset(r["full_name"], rel, asset))


async def update_asset(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    with ctx.sb.world.lock:
        rel, asset = _asset(r, int(ctx.p["asset_id"]))
        if "name" in body:
            name = _asset_name(str(body["name"] or ""))
            if not name or any(a["name"] == name and a is not asset for a in rel["assets"]):
                raise ApiError(422, "Validation Failed", [
                    {"resource": "ReleaseAsset", "code": "already_exists" if name else
                     "missing_field", "field": "name"}])
            asset["name"] = name
        if "label" in body:
            asset["label"] = str(body["label"] or "")
    ctx.sb.world.save()
    return json_response(ctx.shapes.asset(r["full_name"], rel, asset))


async def delete_asset(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        rel, asset = _asset(r, int(ctx.p["asset_id"]))
        rel["assets"].remove(asset)
    ctx.sb.world.save()
    _blob(ctx.sb.data_dir, asset["id"]).unlink(missing_ok=True)
    return Response(status_code=204)


def _stand_in(asset: Json) -> Iterator[bytes]:
    """A seeded asset's bytes: ``size`` of them, derived from its id and name."""
    block = hashlib.sha256(f"{asset['id']}:{asset['name']}".encode()).digest() * (_CHUNK // 32)
    left = int(asset["size"])
    while left > 0:
        yield block[:left]
        left -= len(block[:left])


def _file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _bytes(sb: Sandbox, asset: Json | None) -> Response:
    """An asset's bytes, as an attachment; each download counted, as GitHub counts them."""
    if asset is None:
        return Response("Not Found", 404, media_type="text/plain")
    with sb.world.lock:
        asset["download_count"] = int(asset.get("download_count", 0)) + 1
    sb.world.save()
    path = _blob(sb.data_dir, asset["id"])
    chunks = _file(path) if path.exists() else _stand_in(asset)
    return StreamingResponse(chunks, media_type="application/octet-stream", headers={
        "content-length": str(path.stat().st_size if path.exists() else asset["size"]),
        "content-disposition": f"attachment; filename={asset['name']}"})


async def download(request: Request) -> Response:
    """``browser_download_url``: a published release's asset (public repositories need no
    token, as on GitHub; a draft's assets have no such link)."""
    sb: Sandbox = request.app.state.sandbox
    p = request.path_params
    r = sb.world.repo(f"{p['owner']}/{p['repo']}")
    found = None
    if r is not None:
        found = next((a for rel in r["releases"] if rel["tag_name"] == p["tag"]
                      and not rel["draft"] for a in rel["assets"] if a["name"] == p["name"]),
                     None)
    return _bytes(sb, found)


async def asset_blob(request: Request) -> Response:
    """Where the API's ``Accept: application/octet-stream`` redirects."""
    sb: Sandbox = request.app.state.sandbox
    wanted = int(request.path_params["asset_id"])
    found = next((a for r in sb.world.data["repos"].values() for rel in r["releases"]
                  for a in rel["assets"] if a["id"] == wanted), None)
    return _bytes(sb, found)


def download_routes() -> list[BaseRoute]:
    """Served at the root, beside git: the web's download links and the API's blobs."""
    return [Route("/{owner}/{repo}/releases/download/{tag}/{name}", download,
                  methods=["GET"]),
            Route("/_blobs/release-assets/{asset_id:int}", asset_blob, methods=["GET"])]


UPLOAD_ROUTES: list[ApiRoute] = [
    ("POST", REPO + "/releases/{release_id:int}/assets", upload_asset),
]
"""Served under ``UPLOADS_PREFIX``, not ``/api/v3``: GitHub's upload host."""


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/releases", list_releases),
    ("POST", REPO + "/releases", create_release),
    ("GET", REPO + "/releases/latest", latest_release),
    ("GET", REPO + "/releases/tags/{tag:path}", release_by_tag),
    ("GET", REPO + "/releases/{release_id:int}", get_release),
    ("PATCH", REPO + "/releases/{release_id:int}", update_release),
    ("DELETE", REPO + "/releases/{release_id:int}", delete_release),
    ("GET", REPO + "/releases/{release_id:int}/assets", release_assets),
    ("GET", REPO + "/releases/assets/{asset_id:int}", get_asset),
    ("PATCH", REPO + "/releases/assets/{asset_id:int}", update_asset),
    ("DELETE", REPO + "/releases/assets/{asset_id:int}", delete_asset),
]
