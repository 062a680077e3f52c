"""A crates.io under ``/crates``: its read API and the publish API ``cargo publish`` speaks.

``{base}/crates`` stands for ``https://crates.io`` (the cockpit's ``COCKPIT_CRATES_URL``):

- ``/api/v1/crates/{name}``: the crate (``crate.max_version``…) and its ``versions``;
- ``/api/v1/crates/{name}/{version}``: one version (``version.num``, ``version.yanked``),
  404 with crates.io's ``errors`` body when there is none;
- ``PUT /api/v1/crates/new``: cargo's publish body (a little-endian u32 length, the JSON
  metadata, a u32 length, the ``.crate`` archive) with the token as ``Authorization``
  (``cargo publish --index sparse+… --token crates-sandbox-token``); a version published
  before is refused, as crates.io refuses it.

A workflow that runs ``cargo publish`` in a repository with a ``Cargo.toml`` publishes, on
success, the ``[package]`` version that ``Cargo.toml`` names at the run's commit
(``publish_from_workflow``, called by the workflow simulator), like the PyPI one
(``cockpit.sandbox.pypi``).
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import tomllib
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from cockpit.sandbox.http import json_response
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

PREFIX = "/crates"
PUBLISH_TOKEN = "crates-sandbox-token"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


class Refused(Exception):
    """A publish crates.io would refuse (its message)."""


def _errors(status: int, detail: str) -> Response:
    return json_response({"errors": [{"detail": detail}]}, status)


def _crates(sb: Sandbox) -> Json:
    crates: Json = sb.world.data.setdefault("crates", {})
    return crates


def _key(name: str) -> str:
    """crates.io treats ``-`` and ``_`` as one, and ignores case."""
    return name.lower().replace("_", "-")


def publish(sb: Sandbox, name: str, version: str, crate: bytes) -> Json:
    """Record ``name`` ``version`` (the ``.crate`` bytes give its checksum); ``Refused``
    for a bad name or version, or a version published before."""
    if not _NAME.match(name) or not _SEMVER.match(version):
        raise Refused(f"invalid crate name or version: {name} {version}")
    with sb.world.lock:
        entry = _crates(sb).setdefault(_key(name), {"name": name, "versions": {}})
        if version in entry["versions"]:
            raise Refused(f"crate version `{name}@{version}` is already uploaded")
        record = {"num": version, "created_at": now_iso(), "yanked": False,
                  "checksum": hashlib.sha256(crate).hexdigest(), "crate_size": len(crate)}
        entry["versions"][version] = record
    sb.world.save()
    return record


def _version_json(name: str, v: Json, entry_id: int) -> Json:
    return {"id": entry_id, "crate": name, "num": v["num"], "yanked": v["yanked"],
            "checksum": v["checksum"], "crate_size": v["crate_size"],
            "created_at": v["created_at"], "updated_at": v["created_at"],
            "dl_path": f"/api/v1/crates/{name}/{v['num']}/download", "license": None,
            "links": {"dependencies": f"/api/v1/crates/{name}/{v['num']}/dependencies"}}


def _stable(num: str) -> bool:
    return "-" not in num


def _order(num: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", num.split("-")[0])[:3])


async def crate(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    name = request.path_params["name"]
    entry = _crates(sb).get(_key(name))
    if entry is None:
        return _errors(404, f"crate `{name}` does not exist")
    versions = sorted(entry["versions"].values(), key=lambda v: _order(v["num"]), reverse=True)
    live = [v["num"] for v in versions if not v["yanked"]]
    stable = [n for n in live if _stable(n)]
    return json_response({
        "crate": {"id": entry["name"], "name": entry["name"],
                  "max_version": (live or ["0.0.0"])[0],
                  "max_stable_version": stable[0] if stable else None,
                  "newest_version": versions[0]["num"] if versions else "0.0.0",
                  "created_at": versions[-1]["created_at"] if versions else now_iso(),
                  "updated_at": versions[0]["created_at"] if versions else now_iso()},
        "versions": [_version_json(entry["name"], v, n) for n, v in enumerate(versions, 1)]})


async def crate_version(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    name, num = request.path_params["name"], request.path_params["version"]
    entry = _crates(sb).get(_key(name))
    if entry is None:
        return _errors(404, f"crate `{name}` does not exist")
    found = entry["versions"].get(num)
    if found is None:
        return _errors(404, f"crate `{name}` does not have a version `{num}`")
    return json_response({"version": _version_json(entry["name"], found, 1)})


def _publish_body(raw: bytes) -> tuple[Json, bytes]:
    """cargo's publish body: u32le length + JSON metadata, u32le length + the .crate."""
    (size,) = struct.unpack_from("<I", raw, 0)
    meta = json.loads(raw[4:4 + size])
    (crate_size,) = struct.unpack_from("<I", raw, 4 + size)
    start = 8 + size
    crate_bytes = raw[start:start + crate_size]
    if not isinstance(meta, dict) or len(crate_bytes) != crate_size:
        raise ValueError("truncated")
    return meta, crate_bytes


async def new_crate(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    if request.headers.get("authorization") != PUBLISH_TOKEN:
        return _errors(403, "authentication failed")
    try:
        meta, crate_bytes = _publish_body(await request.body())
        name, version = str(meta["name"]), str(meta["vers"])
    except (struct.error, ValueError, KeyError):
        return _errors(400, "invalid upload request: the body is not cargo's publish format")
    try:
        publish(sb, name, version, crate_bytes)
    except Refused as exc:
        return _errors(400, str(exc))
    return json_response({"warnings": {"invalid_categories": [], "invalid_badges": [],
                                       "other": []}})


def publish_from_workflow(sb: Sandbox, full: str, run: Json) -> list[str] | None:
    """A successful run of a workflow that runs ``cargo publish``: publish the version
    ``Cargo.toml`` names at the run's commit. None when the workflow does not publish a
    crate (another effect may apply)."""
    git = sb.repos[full]
    workflow = git.blob_at(run["head_sha"], run["workflow_path"])
    manifest = git.blob_at(run["head_sha"], "Cargo.toml")
    if workflow is None or manifest is None or b"cargo publish" not in workflow[1]:
        return None
    try:
        package: Any = tomllib.loads(manifest[1].decode()).get("package") or {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [f"error: failed to parse manifest: {exc}"]
    name, version = package.get("name"), package.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return ["error: Cargo.toml names no [package] name and version"]
    try:
        publish(sb, name, version, manifest[1])
    except Refused as exc:
        return ["    Updating crates.io index", f"error: {exc}"]
    return ["    Updating crates.io index", f"   Packaging {name} v{version}",
            f"   Uploading {name} v{version}", f"    Uploaded {name} v{version} to registry "
            "`crates-io`"]


def routes() -> list[BaseRoute]:
    return [Mount(PREFIX, routes=[
        Route("/api/v1/crates/new", new_crate, methods=["PUT"]),
        Route("/api/v1/crates/{name}", crate, methods=["GET"]),
        Route("/api/v1/crates/{name}/{version}", crate_version, methods=["GET"]),
    ])]
