"""Stand-in web pages: what a browser sees when it opens a link the demo showed.

Every link the cockpit shows points at the configured services, which in the demo are
this sandbox (``{base}/ipfs/kubo/releases/tag/v0.30.0-rc1``, ``{base}/discord/channels/…``,
``{base}/slack/…``). The sandbox has APIs, not web sites, so a browser asking for such a
page (``Accept: text/html``) gets a small page saying what the link stands for and, for a
GitHub release, issue or pull request, its title and text. Clients of the APIs never
send ``Accept: text/html`` and keep getting the plain 404 of an unknown path.
"""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from cockpit.sandbox.core import SERVICE_PREFIXES, WEB_PREFIXES, Sandbox

GITHUB_PAGE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)(?:/(?P<rest>.*))?$")
OBJECT = re.compile(r"^(?:releases/tag/(?P<tag>[^/]+)|(?:issues|pull)/(?P<number>\d+))/?$")


async def not_found(request: Request, exc: Exception) -> Response:
    """The top app's 404: a stand-in page for a browser, the plain 404 for anyone else."""
    if "text/html" not in request.headers.get("accept", "") or request.method != "GET":
        return PlainTextResponse("Not Found", status_code=404)
    sb: Sandbox = request.app.state.sandbox
    title, body = _describe(sb, request.url.path)
    return HTMLResponse(page(title, body), status_code=404 if body == NOTHING else 200)


NOTHING = "<p>No such page in the sandbox.</p>"


def page(title: str, body: str) -> str:
    """A stand-in page: which world this is, then what the link stands for."""
    return ("<!doctype html><meta charset=utf-8>"
            f"<title>{html.escape(title)} · cockpit sandbox</title>"
            "<p><b>cockpit sandbox</b>: a local stand-in world on this machine. "
            "Nothing here reached the real service.</p>"
            f"<h1>{html.escape(title)}</h1>{body}"
            "<p><a href=/_sandbox/state>the whole sandbox world (JSON)</a></p>")


def _describe(sb: Sandbox, path: str) -> tuple[str, str]:
    for service, prefix in {**SERVICE_PREFIXES, **WEB_PREFIXES}.items():
        if path == prefix or path.startswith(prefix + "/"):
            served = ("the sandbox serves its API only" if service in SERVICE_PREFIXES
                      else "the cockpit only links to it")
            return (f"{service}: {path.removeprefix(prefix) or '/'}",
                    f"<p>This link stands for a {html.escape(service)} page ({served}).</p>")
    match = GITHUB_PAGE.match(path)
    repo = sb.world.data["repos"].get(match["repo"]) if match else None
    if match is None or repo is None:
        return path, NOTHING
    found = OBJECT.match(match["rest"] or "")
    if found and found["tag"]:
        release = next((r for r in repo["releases"] if r["tag_name"] == found["tag"]), None)
        if release is not None:
            return _text(f"{match['repo']} release {release['name'] or release['tag_name']}",
                         release)
    if found and found["number"]:
        issue = next((i for i in repo["issues"] if i["number"] == int(found["number"])), None)
        if issue is not None:
            return _text(f"{match['repo']}#{issue['number']} {issue['title']}", issue)
    return (f"{match['repo']}: {match['rest'] or '/'}",
            "<p>This link stands for a GitHub page of a sandbox repository.</p>")


def _text(title: str, item: dict[str, Any]) -> tuple[str, str]:
    return title, f"<pre>{html.escape(str(item.get('body') or ''))}</pre>"
