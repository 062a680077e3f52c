"""The IPFS blog's release-notes page, as the blog's deployment publishes it.

On the real blog, ipfs/ipfs-blog's "Deploy" workflow (a push to ``main``) builds the
site, and the release-notes page lists the ``data:`` entries of
``src/_blog/releasenotes.md``. The sandbox keeps that causality: a successful deploy
run records the entries of the file at the run's commit (``deploy``), and
``/blog/releasenotes/`` serves the last deployed list, so "verify the blog shows the
release" passes only after the entry was merged *and* deployed. Before any deploy the
page shows the seeded file, which is what the seeded site was built from.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from cockpit.sandbox.seed import BLOG, BLOG_RELEASES
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

NOTES_PATH = "src/_blog/releasenotes.md"
PAGE = "/blog/releasenotes/"


def entries(text: str) -> list[Json]:
    """The front matter's ``data:`` entries (nothing when the file does not parse)."""
    parts = text.split("---", 2)
    if len(parts) < 3:
        return []
    try:
        front: Any = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        return []
    data = front.get("data") if isinstance(front, dict) else None
    return [dict(e) for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def deploy(sb: Sandbox, run: Json) -> list[str]:
    """Effect of a successful deploy run: publish the entries at the run's commit."""
    blob = sb.repos[BLOG].blob_at(run["head_sha"], NOTES_PATH)
    if blob is None:
        return [f"{NOTES_PATH} not found: the release-notes page is unchanged"]
    listed = entries(blob[1].decode("utf-8", "replace"))
    sb.world.data["blog"] = {"deployed_sha": run["head_sha"], "release_notes": [
        {"title": str(e.get("title", "")), "date": str(e.get("date", "")),
         "path": str(e.get("path", ""))} for e in listed]}
    newest = listed[0].get("title", "") if listed else "nothing"
    return [f"Built the site at {run['head_sha'][:12]}",
            f"Deployed the release notes: {len(listed)} entries, newest: {newest}"]


async def release_notes(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    sb.sim.tick()
    deployed = sb.world.data.get("blog", {}).get("release_notes")
    if deployed is None:
        deployed = [{"title": str(e.get("title", "")), "date": str(e.get("date", "")),
                     "path": str(e.get("path", ""))} for e in entries(BLOG_RELEASES.decode())]
    items = "\n".join(
        f'<li><a href="{html.escape(e["path"])}">{html.escape(e["title"], quote=False)}</a>'
        f' <time>{html.escape(e["date"])}</time></li>' for e in deployed)
    return HTMLResponse(f"<!doctype html>\n<html><head><title>Release notes | IPFS Blog"
                        f"</title></head>\n<body><h1>Release notes</h1>\n<ul>\n{items}\n</ul>"
                        "</body></html>\n")


def routes() -> list[BaseRoute]:
    return [Route(PAGE, release_notes, methods=["GET"])]
