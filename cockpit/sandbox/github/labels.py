"""Repository labels and the labels of an issue, kept in the world file.

A repository's labels are ``labels`` in its world entry (``{id, name, color,
description, created_at, updated_at}``); a name set on an issue that no entry names
is a label too (GitHub creates a missing label when an issue is given it), with the
id and colour ``Shapes.label`` gives it. Names are unique per repository, compared
without case, as on GitHub; renaming or deleting a label renames or removes it on every
issue. Issue labels must be a list of names (or ``{name}`` objects): GitHub answers a
string with 422, never by spelling out its letters.
"""

from __future__ import annotations

import json
import re

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one, paginate
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.world import Json, now_iso

_COLOR = re.compile(r"[0-9a-fA-F]{6}")


def names(r: Json) -> list[str]:
    """Every label of the repository: its entries, then names only issues carry."""
    stored = [x["name"] for x in r.get("labels", [])]
    lower = {n.lower() for n in stored}
    extra = [n for i in r["issues"] for n in i["labels"] if n.lower() not in lower]
    return [*stored, *dict.fromkeys(extra)]


def issue_or_404(r: Json, number: int) -> Json:
    return one(r["issues"], "number", number)


def _find(r: Json, name: str) -> str | None:
    return next((n for n in names(r) if n.lower() == name.lower()), None)


def _entry(ctx: Ctx, r: Json, name: str) -> Json:
    """The stored entry of ``name`` (made, with today's shape, for an issue-only name)."""
    for x in r.setdefault("labels", []):
        if x["name"] == name:
            return x  # type: ignore[no-any-return]
    shape = ctx.shapes.label(r["full_name"], name)
    now = now_iso()
    entry = {"id": shape["id"], "name": name, "color": shape["color"],
             "description": shape["description"], "created_at": now, "updated_at": now}
    r["labels"].append(entry)
    return entry


def _invalid(field: str, code: str = "invalid") -> ApiError:
    return ApiError(422, "Validation Failed", [
        {"resource": "Label", "code": code, "field": field}])


def _fields(body: Json) -> Json:
    out: Json = {}
    if "color" in body:
        color = str(body["color"] or "").removeprefix("#")
        if not _COLOR.fullmatch(color):
            raise _invalid("color")
        out["color"] = color.lower()
    if "description" in body:
        if body["description"] is not None and not isinstance(body["description"], str):
            raise _invalid("description")
        if body["description"] and len(body["description"]) > 100:
            raise _invalid("description")
        out["description"] = body["description"]
    return out


async def list_labels(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    full = r["full_name"]
    return paginate(ctx, names(r), lambda ns: [ctx.shapes.label(full, n) for n in ns])


async def create_label(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid("name", "missing_field" if name is None else "invalid")
    fields = _fields(body)
    with ctx.sb.world.lock:
        if _find(r, name) is not None:
            raise _invalid("name", "already_exists")
        entry = _entry(ctx, r, name)
        entry.update(fields)
    ctx.sb.world.save()
    shape = ctx.shapes.label(r["full_name"], entry["name"])
    return json_response(shape, 201, {"location": shape["url"]})


def _label_or_404(r: Json, name: str) -> str:
    found = _find(r, name)
    if found is None:
        raise ApiError(404, "Not Found")
    return found


async def get_label(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.shapes.label(r["full_name"], _label_or_404(r, ctx.p["name"])))


async def update_label(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    fields = _fields(body)
    new_name = body.get("new_name")
    if new_name is not None and (not isinstance(new_name, str) or not new_name.strip()):
        raise _invalid("name")
    with ctx.sb.world.lock:
        name = _label_or_404(r, ctx.p["name"])
        if new_name and new_name.lower() != name.lower() and _find(r, new_name):
            raise _invalid("name", "already_exists")
        entry = _entry(ctx, r, name)
        entry.update(fields)
        if new_name:
            entry["name"] = new_name
            for i in r["issues"]:
                i["labels"] = [new_name if n == name else n for n in i["labels"]]
        entry["updated_at"] = now_iso()
    ctx.sb.world.save()
    return json_response(ctx.shapes.label(r["full_name"], entry["name"]))


async def delete_label(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        name = _label_or_404(r, ctx.p["name"])
        r["labels"] = [x for x in r.get("labels", []) if x["name"] != name]
        for i in r["issues"]:
            i["labels"] = [n for n in i["labels"] if n != name]
    ctx.sb.world.save()
    return Response(status_code=204)


def label_names(value: object) -> list[str]:
    """An issue's ``labels`` as GitHub reads them: names or ``{name}`` objects in a
    list; anything else is 422 (a string is not a list of one-letter labels)."""
    if not isinstance(value, list):
        raise ApiError(422, "Invalid request.\n\nFor 'properties/labels', "
                            f"{json.dumps(value)} is not an array.")
    out = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise ApiError(422, "Invalid request.\n\nFor 'items', "
                                f"{json.dumps(item)} is not a string.")
        out.append(name)
    return out


async def _issue_labels_body(ctx: Ctx) -> list[str]:
    raw = await ctx.request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
    if isinstance(body, dict):
        return label_names(body.get("labels", []))
    return label_names(body)


def _with_known_case(r: Json, wanted: list[str]) -> list[str]:
    return list(dict.fromkeys(_find(r, n) or n for n in wanted))


def _answer(ctx: Ctx, r: Json, issue: Json) -> Response:
    full = r["full_name"]
    return json_response([ctx.shapes.label(full, n) for n in issue["labels"]])


async def list_issue_labels(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    issue = issue_or_404(r, int(ctx.p["issue_number"]))
    full = r["full_name"]
    return paginate(ctx, list(issue["labels"]),
                    lambda ns: [ctx.shapes.label(full, n) for n in ns])


async def add_issue_labels(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wanted = await _issue_labels_body(ctx)
    with ctx.sb.world.lock:
        issue = issue_or_404(r, int(ctx.p["issue_number"]))
        issue["labels"] = _with_known_case(r, [*issue["labels"], *wanted])
        issue["updated_at"] = now_iso()
    ctx.sb.world.save()
    return _answer(ctx, r, issue)


async def set_issue_labels(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wanted = await _issue_labels_body(ctx)
    with ctx.sb.world.lock:
        issue = issue_or_404(r, int(ctx.p["issue_number"]))
        issue["labels"] = _with_known_case(r, wanted)
        issue["updated_at"] = now_iso()
    ctx.sb.world.save()
    return _answer(ctx, r, issue)


async def clear_issue_labels(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        issue = issue_or_404(r, int(ctx.p["issue_number"]))
        issue["labels"] = []
        issue["updated_at"] = now_iso()
    ctx.sb.world.save()
    return Response(status_code=204)


async def remove_issue_label(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        issue = issue_or_404(r, int(ctx.p["issue_number"]))
        name = next((n for n in issue["labels"] if n.lower() == ctx.p["name"].lower()), None)
        if name is None:
            raise ApiError(404, "Label does not exist")
        issue["labels"] = [n for n in issue["labels"] if n != name]
        issue["updated_at"] = now_iso()
    ctx.sb.world.save()
    return _answer(ctx, r, issue)


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/labels", list_labels),
    ("POST", REPO + "/labels", create_label),
    ("GET", REPO + "/labels/{name:path}", get_label),
    ("PATCH", REPO + "/labels/{name:path}", update_label),
    ("DELETE", REPO + "/labels/{name:path}", delete_label),
    ("GET", REPO + "/issues/{issue_number:int}/labels", list_issue_labels),
    ("POST", REPO + "/issues/{issue_number:int}/labels", add_issue_labels),
    ("PUT", REPO + "/issues/{issue_number:int}/labels", set_issue_labels),
    ("DELETE", REPO + "/issues/{issue_number:int}/labels", clear_issue_labels),
    ("DELETE", REPO + "/issues/{issue_number:int}/labels/{name:path}", remove_issue_label),
]
