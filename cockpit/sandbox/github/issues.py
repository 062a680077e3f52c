"""Issues, their comments, milestones, and issue search, kept in the world file.

A pull request is an issue with a ``pull`` part (as on GitHub, they share numbers);
``cockpit.sandbox.github.pulls`` builds on ``issue_or_404``, ``new_issue`` and
``edit_issue`` from here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from starlette.responses import Response

from cockpit.sandbox.github import events
from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one, paginate
from cockpit.sandbox.github.labels import label_names
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json, now_iso


def issue_or_404(r: Json, number: int, pull: bool | None = None) -> Json:
    for i in r["issues"]:
        if i["number"] == number and (pull is None or bool(i["pull"]) == pull):
            return i  # type: ignore[no-any-return]
    raise ApiError(404, "Not Found")


def _filter_issues(ctx: Ctx, r: Json, items: list[Json]) -> list[Json]:
    state = ctx.q.get("state", "open")
    if state != "all":
        items = [i for i in items if i["state"] == state]
    if labels := ctx.q.get("labels"):
        wanted = set(labels.split(","))
        items = [i for i in items if wanted <= set(i["labels"])]
    if (ms := ctx.q.get("milestone")) and ms not in ("*", "none"):
        items = [i for i in items if str(i["milestone"]) == ms]
    if creator := ctx.q.get("creator"):
        items = [i for i in items if i["user"] == creator]
    direction = ctx.q.get("direction", "desc")
    return sorted(items, key=lambda i: i["number"], reverse=direction == "desc")


async def list_issues(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    items = _filter_issues(ctx, r, list(r["issues"]))
    return paginate(ctx, items, lambda xs: [ctx.shapes.issue(r, i) for i in xs])


def new_issue(ctx: Ctx, r: Json, body: Json, pull: Json | None) -> Json:
    now = now_iso()
    world = ctx.sb.world
    issue = {
        "number": world.next_number(r), "id": world.new_id(), "title": str(body["title"]),
        "body": body.get("body"), "state": "open", "state_reason": None,
        "user": ctx.actor(), "labels": [str(x) for x in body.get("labels") or []],
        "assignees": [str(x) for x in body.get("assignees") or []],
        "milestone": body.get("milestone"), "locked": False, "created_at": now,
        "updated_at": now, "closed_at": None, "pull": pull,
    }
    r["issues"].append(issue)
    return issue


def known_references(ctx: Ctx, r: Json, body: Json) -> None:
    """GitHub's 422 ``Validation Failed`` for a milestone or assignee that does not exist
    (rather than a silent null, or a user made up on the spot)."""
    errors: list[Json] = []
    milestone = body.get("milestone")
    if milestone is not None and not any(str(m["number"]) == str(milestone)
                                         for m in r["milestones"]):
        errors.append({"value": milestone, "resource": "Issue", "field": "milestone",
                       "code": "invalid"})
    users = ctx.sb.world.data["users"]
    logins = [*(body.get("assignees") or []), *([body["assignee"]] if body.get("assignee")
                                                  else [])]
    errors += [{"value": login, "resource": "Issue", "field": "assignees", "code": "invalid"}
               for login in logins if str(login) not in users]
    if errors:
        raise ApiError(422, "Validation Failed", errors)
    if milestone is not None:
        body["milestone"] = int(milestone)


async def create_issue(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "title")
    if "labels" in body:
        body["labels"] = label_names(body["labels"])
    with ctx.sb.world.lock:
        known_references(ctx, r, body)
        issue = new_issue(ctx, r, body, None)
        events.on_create(ctx, r, issue)
    ctx.sb.world.save()
    return json_response(ctx.shapes.issue(r, issue), 201)


async def get_issue(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.shapes.issue(r, issue_or_404(r, int(ctx.p["issue_number"]))))


def edit_issue(i: Json, body: Json) -> None:
    for key in ("title", "body", "labels", "assignees", "milestone"):
        if key in body:
            i[key] = body[key]
    if "state" in body and body["state"] != i["state"]:
        i["state"] = body["state"]
        i["closed_at"] = now_iso() if body["state"] == "closed" else None
        i["state_reason"] = body.get("state_reason") or (
            "completed" if body["state"] == "closed" else "reopened")
    i["updated_at"] = now_iso()


async def update_issue(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    if "labels" in body:
        body["labels"] = label_names(body["labels"])
    with ctx.sb.world.lock:
        i = issue_or_404(r, int(ctx.p["issue_number"]))
        known_references(ctx, r, body)
        before = dict(i)
        edit_issue(i, body)
        events.on_edit(ctx, r, before, i)
    ctx.sb.world.save()
    return json_response(ctx.shapes.issue(r, i))


async def list_comments(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    number = int(ctx.p["issue_number"])
    issue_or_404(r, number)
    comments = [c for c in r["comments"] if c["issue_number"] == number]
    return paginate(ctx, comments, lambda cs: [ctx.shapes.comment(r, c) for c in cs])


async def create_comment(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    number = int(ctx.p["issue_number"])
    body = await json_body(ctx.request)
    need(body, "body")
    with ctx.sb.world.lock:
        issue_or_404(r, number)
        now = now_iso()
        c = {"id": ctx.sb.world.new_id(), "issue_number": number, "user": ctx.actor(),
             "body": str(body["body"]), "created_at": now, "updated_at": now}
        r["comments"].append(c)
    ctx.sb.world.save()
    return json_response(ctx.shapes.comment(r, c), 201)


def _comment(r: Json, cid: int) -> Json:
    return one(r["comments"], "id", cid)


async def get_comment(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.shapes.comment(r, _comment(r, int(ctx.p["comment_id"]))))


async def update_comment(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "body")
    with ctx.sb.world.lock:
        c = _comment(r, int(ctx.p["comment_id"]))
        c["body"] = str(body["body"])
        c["updated_at"] = now_iso()
    ctx.sb.world.save()
    return json_response(ctx.shapes.comment(r, c))


async def delete_comment(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    with ctx.sb.world.lock:
        c = _comment(r, int(ctx.p["comment_id"]))
        r["comments"].remove(c)
    ctx.sb.world.save()
    return Response(status_code=204)


async def list_milestones(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    state = ctx.q.get("state", "open")
    ms = [m for m in r["milestones"] if state == "all" or m["state"] == state]
    return json_response([ctx.shapes.milestone(r, m["number"]) for m in ms])


async def get_milestone(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    m = ctx.shapes.milestone(r, int(ctx.p["milestone_number"]))
    if m is None:
        raise ApiError(404, "Not Found")
    return json_response(m)


def _milestone(r: Json, number: int) -> Json:
    return one(r["milestones"], "number", number)


def _milestone_fields(body: Json) -> Json:
    """The writable fields of a milestone, checked as GitHub does (422 on bad values)."""
    fields: Json = {}
    for key in ("title", "description"):
        if key in body:
            if not isinstance(body[key], str):
                raise ApiError(422, "Validation Failed", [
                    {"resource": "Milestone", "field": key, "code": "invalid"}])
            fields[key] = body[key]
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise ApiError(422, "Validation Failed", [
                {"resource": "Milestone", "field": "state", "code": "invalid"}])
        fields["state"] = body["state"]
    if "due_on" in body:
        fields["due_on"] = body["due_on"]
    return fields


def _title_taken(r: Json, title: str, number: int | None = None) -> None:
    """GitHub keeps milestone titles unique per repository (open or closed)."""
    if any(m["title"] == title and m["number"] != number for m in r["milestones"]):
        raise ApiError(422, "Validation Failed", [
            {"resource": "Milestone", "code": "already_exists", "field": "title"}])


async def create_milestone(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "title")
    fields = _milestone_fields(body)
    with ctx.sb.world.lock:
        _title_taken(r, fields["title"])
        now = now_iso()
        state = fields.get("state", "open")
        number = max((m["number"] for m in r["milestones"]), default=0) + 1
        r["milestones"].append({
            "number": number, "id": ctx.sb.world.new_id(), "title": fields["title"],
            "state": state, "description": fields.get("description"),
            "creator": ctx.actor(), "due_on": fields.get("due_on"), "created_at": now,
            "updated_at": now, "closed_at": now if state == "closed" else None})
    ctx.sb.world.save()
    shape = ctx.shapes.milestone(r, number)
    assert shape is not None
    return json_response(shape, 201, {"location": shape["url"]})


async def update_milestone(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    fields = _milestone_fields(body)
    with ctx.sb.world.lock:
        m = _milestone(r, int(ctx.p["milestone_number"]))
        if "title" in fields:
            _title_taken(r, fields["title"], m["number"])
        now = now_iso()
        if "state" in fields and fields["state"] != m["state"]:
            m["closed_at"] = now if fields["state"] == "closed" else None
        m.update(fields)
        m["updated_at"] = now
    ctx.sb.world.save()
    return json_response(ctx.shapes.milestone(r, m["number"]))


async def search_issues(ctx: Ctx) -> Response:
    """Enough of GitHub's search syntax to find a tracking issue: repo:, is:, in:title."""
    q = ctx.q.get("q", "")
    terms = re.findall(r'(\w+:"[^"]*"|"[^"]*"|\S+)', q)
    repos, words, filters = [], [], []
    for t in terms:
        key, sep, value = t.partition(":")
        value = value.strip('"')
        if sep and key == "repo":
            repos.append(value)
        elif sep and key in ("is", "state", "in", "label", "author"):
            filters.append((key, value))
        else:
            words.append(t.strip('"').lower())
    results = []
    indexed = datetime.now(UTC) - timedelta(seconds=ctx.sb.options.search_lag_seconds)
    for full, r in ctx.sb.world.data["repos"].items():
        if repos and full not in repos:
            continue
        for i in r["issues"]:
            if datetime.fromisoformat(i["created_at"]) > indexed:
                continue  # not in the search index yet (GitHub's lags behind writes)
            ok = all(w in (i["title"] + " " + (i["body"] or "")).lower() for w in words)
            for key, value in filters:
                if key == "is" and value in ("issue", "pr"):
                    ok &= bool(i["pull"]) == (value == "pr")
                elif key in ("is", "state") and value in ("open", "closed"):
                    ok &= i["state"] == value
                elif key == "in" and value == "title":
                    ok &= all(w in i["title"].lower() for w in words)
                elif key == "label":
                    ok &= value in i["labels"]
                elif key == "author":
                    ok &= i["user"] == value
            if ok:
                results.append((r, i))
    return paginate(ctx, results, lambda page: {
        "total_count": len(results), "incomplete_results": False, "search_type": "lexical",
        "items": [dict(ctx.shapes.issue(r, i), score=1.0) for r, i in page]})


ROUTES: list[ApiRoute] = [
    ("GET", "/search/issues", search_issues),
    ("GET", REPO + "/issues", list_issues),
    ("POST", REPO + "/issues", create_issue),
    ("GET", REPO + "/issues/comments/{comment_id:int}", get_comment),
    ("PATCH", REPO + "/issues/comments/{comment_id:int}", update_comment),
    ("DELETE", REPO + "/issues/comments/{comment_id:int}", delete_comment),
    ("GET", REPO + "/issues/{issue_number:int}", get_issue),
    ("PATCH", REPO + "/issues/{issue_number:int}", update_issue),
    ("GET", REPO + "/issues/{issue_number:int}/comments", list_comments),
    ("POST", REPO + "/issues/{issue_number:int}/comments", create_comment),
    ("GET", REPO + "/milestones", list_milestones),
    ("POST", REPO + "/milestones", create_milestone),
    ("GET", REPO + "/milestones/{milestone_number:int}", get_milestone),
    ("PATCH", REPO + "/milestones/{milestone_number:int}", update_milestone),
]
