"""The GitHub REST API subset, served from the bare repositories and the world.

Every operation here is listed in ``scripts/cut_openapi.py`` and validated by
the tests against GitHub's own description. Cross-cutting behaviour that real
clients depend on lives in ``_wrap``: bearer-token auth (read-only tokens get
403 on writes), the x-ratelimit-* headers, ETag / If-None-Match → 304 (which
costs no rate limit), and pagination with a Link header.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cockpit.sandbox import reviews
from cockpit.sandbox.github import hooks as github_hooks
from cockpit.sandbox.gitstore import WEB_FLOW, ZERO_SHA, BareRepo, CommitInfo, GitError
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

Handler = Callable[["Ctx"], Awaitable[Response]]
GitHubAuth = dict[str, str]


class Ctx:
    """One API request: the sandbox, the Starlette request, who is calling."""

    def __init__(self, sb: Sandbox, request: Request, login: str | None) -> None:
        self.sb = sb
        self.request = request
        self.login = login
        self.p = request.path_params
        self.q = request.query_params

    @property
    def shapes(self) -> Any:
        return self.sb.shapes

    def repo(self) -> tuple[Json, BareRepo]:
        full = f"{self.p['owner']}/{self.p['repo']}"
        r = self.sb.world.repo(full)
        if r is None:
            raise ApiError(404, "Not Found")
        return r, self.sb.repos[full]

    def actor(self) -> str:
        assert self.login is not None
        return self.login


# -- cross-cutting -----------------------------------------------------------------

def _identity(sb: Sandbox, request: Request) -> tuple[str | None, str | None]:
    """(login, scope) from ``Authorization: Bearer|token X``; ApiError on a bad token."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return None, None
    kind, _, token = auth.partition(" ")
    if kind.lower() not in ("bearer", "token") or not token:
        raise ApiError(401, "Bad credentials")
    info = sb.world.data["tokens"].get(token.strip())
    if info is None:
        raise ApiError(401, "Bad credentials")
    return str(info["login"]), str(info["scope"])


def rate_headers(sb: Sandbox, who: str, count: bool) -> dict[str, str]:
    limit = 60 if who.startswith("anon") else 5000
    now = int(time.time())
    if now >= sb.rate_reset:
        sb.rate_used.clear()
        sb.rate_reset = now + 3600
    if count:
        sb.rate_used[who] = sb.rate_used.get(who, 0) + 1
    used = sb.rate_used.get(who, 0)
    return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(max(0, limit - used)),
            "x-ratelimit-reset": str(sb.rate_reset), "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core"}


def _etag(body: bytes) -> str:
    return 'W/"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _wrap(sb: Sandbox, fn: Handler, write: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        headers = {"x-github-api-version-selected": "2022-11-28",
                   "x-github-media-type": "github.v3; format=json"}
        who = "anon:" + (request.client.host if request.client else "")
        try:
            login, scope = _identity(sb, request)
            who = login or who
            if write:
                if login is None:
                    raise ApiError(401, "Requires authentication")
                if scope != "write":
                    raise ApiError(403, "Resource not accessible by personal access token")
            if login is not None:
                headers["x-oauth-scopes"] = "repo, workflow" if scope == "write" else ""
                headers["x-accepted-oauth-scopes"] = "repo"
            sb.sim.tick()
            reviews.tick(sb)
            response = await fn(Ctx(sb, request, login))
        except ApiError as err:
            response = err.response()
        except GitError as err:
            response = ApiError(422, f"Git error: {err}").response()
        if request.method == "GET" and response.status_code == 200 and response.body:
            tag = _etag(bytes(response.body))
            response.headers["etag"] = tag
            inm = request.headers.get("if-none-match", "")
            if tag in [t.strip() for t in inm.split(",")] or \
                    tag.removeprefix("W/") in [t.strip() for t in inm.split(",")]:
                not_modified = Response(status_code=304, headers={"etag": tag})
                for k, v in {**headers, **rate_headers(sb, who, count=False)}.items():
                    not_modified.headers[k] = v
                return not_modified
        counted = request.url.path != "/api/v3/rate_limit"
        for k, v in {**headers, **rate_headers(sb, who, counted)}.items():
            response.headers.setdefault(k, v)
        return response

    return endpoint


def paginate(ctx: Ctx, items: list[Any], wrap: Callable[[list[Any]], Any] | None = None
             ) -> Response:
    """GitHub's page/per_page with a Link header (rel next/last/prev/first)."""
    try:
        per_page = max(1, min(100, int(ctx.q.get("per_page", "30"))))
        page = max(1, int(ctx.q.get("page", "1")))
    except ValueError as exc:
        raise ApiError(422, "Invalid page") from exc
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    links = []
    url = ctx.request.url

    def link(n: int, rel: str) -> str:
        return f'<{url.include_query_params(page=n, per_page=per_page)}>; rel="{rel}"'

    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    headers = {"link": ", ".join(links)} if links else {}
    return json_response(wrap(chunk) if wrap else chunk, headers=headers)


# -- user, rate limit ----------------------------------------------------------------

async def get_user(ctx: Ctx) -> Response:
    if ctx.login is None:
        raise ApiError(401, "Requires authentication")
    return json_response(ctx.shapes.private_user(ctx.login))


async def rate_limit(ctx: Ctx) -> Response:
    who = ctx.login or "anon:" + (ctx.request.client.host if ctx.request.client else "")
    h = rate_headers(ctx.sb, who, count=False)
    core = {"limit": int(h["x-ratelimit-limit"]), "remaining": int(h["x-ratelimit-remaining"]),
            "reset": int(h["x-ratelimit-reset"]), "used": int(h["x-ratelimit-used"])}
    search = {"limit": 30, "remaining": 30, "reset": int(time.time()) + 60, "used": 0}
    return json_response({"resources": {"core": core, "search": search, "graphql": core},
                          "rate": core})


# -- repositories, branches, commits -------------------------------------------------

async def get_repo(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    return json_response(ctx.shapes.repo(r, full=True, git=git))


def _commit_or_404(git: BareRepo, ref: str) -> CommitInfo:
    c = git.commit(ref)
    if c is None:
        raise ApiError(404, f"No commit found for SHA: {ref}")
    return c


async def list_branches(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    items = []
    for name, sha in sorted(git.branches().items()):
        items.append({"name": name, "commit": {
            "sha": sha, "url": f"{ctx.sb.api_url}/repos/{r['full_name']}/commits/{sha}"},
            "protected": name in ("master", "main", "release")})
    return paginate(ctx, items)


async def get_branch(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    name = ctx.p["branch"]
    c = git.commit(f"refs/heads/{name}")
    if c is None:
        raise ApiError(404, "Branch not found")
    return json_response(ctx.shapes.branch(r["full_name"], name, c, detailed=True))


async def list_commits(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    rev = ctx.q.get("sha") or r["default_branch"]
    if git.resolve(rev) is None:
        raise ApiError(404, f"No commit found for SHA: {rev}")
    commits = git.log(rev, path=ctx.q.get("path"))
    full = r["full_name"]
    return paginate(ctx, commits, lambda cs: [ctx.shapes.commit(full, c) for c in cs])


async def get_commit(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = _commit_or_404(git, ctx.p["ref"])
    base = c.parents[0] if c.parents else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    files = ctx.shapes.diff_entries(r["full_name"], c.sha, git.changed_files(base, c.sha))
    return json_response(ctx.shapes.commit(r["full_name"], c, files))


async def commit_status(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = _commit_or_404(git, ctx.p["ref"])
    full = r["full_name"]
    return json_response({
        "state": "pending", "sha": c.sha, "total_count": 0, "statuses": [],
        "repository": ctx.shapes.repo(r, full=False),
        "commit_url": f"{ctx.sb.api_url}/repos/{full}/commits/{c.sha}",
        "url": f"{ctx.sb.api_url}/repos/{full}/commits/{c.sha}/status",
    })


async def check_runs(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = _commit_or_404(git, ctx.p["ref"])
    runs = [run for run in r["runs"] if run["head_sha"] == c.sha]
    checks = [ctx.sb.sim.check_run(r, run) for run in runs]
    return json_response({"total_count": len(checks), "check_runs": checks})


async def compare(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    basehead = ctx.p["basehead"]
    if "..." in basehead:
        base_ref, head_ref = basehead.split("...", 1)
    elif ".." in basehead:
        base_ref, head_ref = basehead.split("..", 1)
    else:
        raise ApiError(404, "Not Found")
    base, head = git.commit(base_ref), git.commit(head_ref)
    if base is None or head is None:
        raise ApiError(404, "Not Found")
    mb_sha = git.merge_base(base.sha, head.sha)
    if mb_sha is None:
        raise ApiError(404, f"No common ancestor between {base_ref} and {head_ref}.")
    mb = _commit_or_404(git, mb_sha)
    ahead = git.count(f"{base.sha}..{head.sha}")
    behind = git.count(f"{head.sha}..{base.sha}")
    status = ("identical" if not ahead and not behind else "ahead" if not behind
              else "behind" if not ahead else "diverged")
    full = r["full_name"]
    commits = git.log(f"{base.sha}..{head.sha}", reverse=True, max_count=250)
    files = ctx.shapes.diff_entries(full, head.sha, git.changed_files(mb.sha, head.sha))
    html = f"{ctx.sb.base_url}/{full}/compare/{basehead}"
    return json_response({
        "url": f"{ctx.sb.api_url}/repos/{full}/compare/{basehead}", "html_url": html,
        "permalink_url": f"{ctx.sb.base_url}/{full}/compare/{base.sha[:7]}...{head.sha[:7]}",
        "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
        "base_commit": ctx.shapes.commit(full, base),
        "merge_base_commit": ctx.shapes.commit(full, mb), "status": status,
        "ahead_by": ahead, "behind_by": behind, "total_commits": ahead,
        "commits": [ctx.shapes.commit(full, c) for c in commits], "files": files,
    })


async def get_contents(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    path = ctx.p["path"].strip("/")
    ref = ctx.q.get("ref") or r["default_branch"]
    sha = git.resolve(ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    full = r["full_name"]
    blob = git.blob_at(sha, path)
    if blob is not None:
        return json_response(ctx.shapes.content_file(full, path, blob[0], blob[1], ref))
    entries = git.ls_tree(sha, path)
    if entries is None:
        raise ApiError(404, "Not Found")
    return json_response([
        ctx.shapes.content_entry(full, e.path, e.sha, "file" if e.type == "blob" else "dir",
                                 e.size, ref) for e in entries])


async def put_contents(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "message", "content")
    path = ctx.p["path"].strip("/")
    branch = body.get("branch") or r["default_branch"]
    try:
        content = base64.b64decode(body["content"], validate=False)
    except ValueError as exc:
        raise ApiError(422, "content is not valid Base64") from exc
    with git.lock:
        head = git.resolve(f"refs/heads/{branch}")
        if head is None:
            raise ApiError(404, f"Branch {branch} not found")
        existing = git.blob_at(head, path)
        if existing is not None and body.get("sha") != existing[0]:
            raise ApiError(409, f"{path} does not match {body.get('sha') or 'nothing'}")
        if existing is None and body.get("sha"):
            raise ApiError(422, f"{path} does not exist")
        author = body.get("author") or {}
        who = (author.get("name") or ctx.actor(), author.get("email") or
               f"{ctx.actor()}@users.noreply.github.com")
        sha = git.commit_files(branch, {path: content}, body["message"], who, WEB_FLOW)
    ctx.sb.sim.on_push(r["full_name"], [(f"refs/heads/{branch}", head, sha)])
    full = r["full_name"]
    blob = git.blob_at(sha, path)
    assert blob is not None
    c = _commit_or_404(git, sha)
    file = ctx.shapes.content_file(full, path, blob[0], blob[1], branch)
    file.pop("content"), file.pop("encoding")
    return json_response({"content": file, "commit": ctx.shapes.git_commit(full, c)},
                         200 if existing else 201)


async def list_tags(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    full = r["full_name"]
    tags = []
    for name in sorted(git.tags(), key=_version_key, reverse=True):
        sha = git.resolve(f"refs/tags/{name}")
        tags.append({"name": name, "node_id": f"TAG_{name}",
                     "commit": {"sha": sha, "url": f"{ctx.sb.api_url}/repos/{full}/commits/{sha}"},
                     "zipball_url": f"{ctx.sb.api_url}/repos/{full}/zipball/refs/tags/{name}",
                     "tarball_url": f"{ctx.sb.api_url}/repos/{full}/tarball/refs/tags/{name}"})
    return paginate(ctx, tags)


def _version_key(name: str) -> tuple[int, ...]:
    nums = [int(n) for n in re.findall(r"\d+", name)]
    final = 0 if "-" in name else 1
    return (*nums[:3], final, *nums[3:])


# -- git database ----------------------------------------------------------------------

def _ref_json(ctx: Ctx, full: str, git: BareRepo, ref: str, sha: str) -> Json:
    otype = git.object_type(sha) or "commit"
    return dict(ctx.shapes.ref(full, ref, sha, otype))


async def get_ref(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    ref = "refs/" + ctx.p["ref"].strip("/")
    sha = git.refs(ref).get(ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return json_response(_ref_json(ctx, r["full_name"], git, ref, sha))


async def matching_refs(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    prefix = "refs/" + ctx.p["ref"].strip("/")
    refs = [(n, s) for n, s in sorted(git.refs().items()) if n.startswith(prefix)]
    return json_response([_ref_json(ctx, r["full_name"], git, n, s) for n, s in refs])


async def create_ref(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "ref", "sha")
    ref, sha = str(body["ref"]), str(body["sha"])
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two "
                            "slashes.")
    with git.lock:
        if ref in git.refs(ref):
            raise ApiError(422, "Reference already exists")
        if git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        git.update_ref(ref, sha, ZERO_SHA)
    ctx.sb.sim.on_push(r["full_name"], [(ref, None, sha)])
    return json_response(_ref_json(ctx, r["full_name"], git, ref, sha), 201)


async def update_ref(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "sha")
    ref = "refs/" + ctx.p["ref"].strip("/")
    sha = str(body["sha"])
    with git.lock:
        old = git.refs(ref).get(ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        if git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        if not body.get("force") and not git.is_ancestor(old, sha):
            raise ApiError(422, "Update is not a fast forward")
        git.update_ref(ref, sha, old)
    ctx.sb.sim.on_push(r["full_name"], [(ref, old, sha)])
    return json_response(_ref_json(ctx, r["full_name"], git, ref, sha))


async def delete_ref(ctx: Ctx) -> Response:
    _r, git = ctx.repo()
    ref = "refs/" + ctx.p["ref"].strip("/")
    with git.lock:
        if ref not in git.refs(ref):
            raise ApiError(422, "Reference does not exist")
        git.delete_ref(ref)
    return Response(status_code=204)


async def create_tag(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "tag", "message", "object", "type")
    if git.object_type(str(body["object"])) is None:
        raise ApiError(422, "Object does not exist")
    tagger = body.get("tagger") or {}
    who = (tagger.get("name") or ctx.actor(), tagger.get("email") or
           f"{ctx.actor()}@users.noreply.github.com")
    sha = git.make_tag(str(body["tag"]), str(body["object"]), str(body["message"]), who)
    info = git.tag(sha)
    assert info is not None
    return json_response(ctx.shapes.git_tag(r["full_name"], info), 201)


async def get_tag(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    info = git.tag(ctx.p["tag_sha"])
    if info is None:
        raise ApiError(404, "Not Found")
    return json_response(ctx.shapes.git_tag(r["full_name"], info))


async def get_git_commit(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    sha = ctx.p["commit_sha"]
    if git.object_type(sha) != "commit":
        raise ApiError(404, "Not Found")
    return json_response(ctx.shapes.git_commit(r["full_name"], _commit_or_404(git, sha)))


# -- issues & comments -----------------------------------------------------------------

def _issue(r: Json, number: int, pull: bool | None = None) -> Json:
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


def _new_issue(ctx: Ctx, r: Json, body: Json, pull: Json | None) -> Json:
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


async def create_issue(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "title")
    with ctx.sb.world.lock:
        issue = _new_issue(ctx, r, body, None)
    ctx.sb.world.save()
    return json_response(ctx.shapes.issue(r, issue), 201)


async def get_issue(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.shapes.issue(r, _issue(r, int(ctx.p["issue_number"]))))


def _edit_issue(i: Json, body: Json) -> None:
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
    with ctx.sb.world.lock:
        i = _issue(r, int(ctx.p["issue_number"]))
        _edit_issue(i, body)
    ctx.sb.world.save()
    return json_response(ctx.shapes.issue(r, i))


async def list_comments(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    number = int(ctx.p["issue_number"])
    _issue(r, number)
    comments = [c for c in r["comments"] if c["issue_number"] == number]
    return paginate(ctx, comments, lambda cs: [ctx.shapes.comment(r, c) for c in cs])


async def create_comment(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    number = int(ctx.p["issue_number"])
    body = await json_body(ctx.request)
    need(body, "body")
    with ctx.sb.world.lock:
        _issue(r, number)
        now = now_iso()
        c = {"id": ctx.sb.world.new_id(), "issue_number": number, "user": ctx.actor(),
             "body": str(body["body"]), "created_at": now, "updated_at": now}
        r["comments"].append(c)
    ctx.sb.world.save()
    return json_response(ctx.shapes.comment(r, c), 201)


def _comment(r: Json, cid: int) -> Json:
    for c in r["comments"]:
        if c["id"] == cid:
            return c  # type: ignore[no-any-return]
    raise ApiError(404, "Not Found")


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
    for m in r["milestones"]:
        if m["number"] == number:
            return m  # type: ignore[no-any-return]
    raise ApiError(404, "Not Found")


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
    for full, r in ctx.sb.world.data["repos"].items():
        if repos and full not in repos:
            continue
        for i in r["issues"]:
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
    items = [dict(ctx.shapes.issue(r, i), score=1.0) for r, i in results]
    return json_response({"total_count": len(items), "incomplete_results": False,
                          "search_type": "lexical", "items": items[:100]})


# -- pull requests -----------------------------------------------------------------------

async def list_pulls(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    items = [i for i in r["issues"] if i["pull"]]
    state = ctx.q.get("state", "open")
    if state != "all":
        items = [i for i in items if i["state"] == state]
    if head := ctx.q.get("head"):
        owner, _, branch = head.rpartition(":")
        items = [i for i in items if i["pull"]["head"] == branch and
                 (not owner or owner == r["owner"])]
    if base := ctx.q.get("base"):
        items = [i for i in items if i["pull"]["base"] == base]
    items.sort(key=lambda i: i["number"], reverse=ctx.q.get("direction", "desc") == "desc")
    return paginate(ctx, items, lambda xs: [ctx.shapes.pull(r, i, git, simple=True)
                                            for i in xs])


async def create_pull(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "head", "base")
    head = str(body["head"]).rpartition(":")[2]
    base = str(body["base"])
    head_sha = git.resolve(f"refs/heads/{head}")
    base_sha = git.resolve(f"refs/heads/{base}")
    errors = []
    if head_sha is None:
        errors.append({"resource": "PullRequest", "field": "head", "code": "invalid"})
    if base_sha is None:
        errors.append({"resource": "PullRequest", "field": "base", "code": "invalid"})
    if errors:
        raise ApiError(422, "Validation Failed", errors)
    assert head_sha and base_sha
    with ctx.sb.world.lock:
        for i in r["issues"]:
            if i["pull"] and i["state"] == "open" and i["pull"]["head"] == head and \
                    i["pull"]["base"] == base:
                raise ApiError(422, "Validation Failed", [{
                    "resource": "PullRequest", "code": "custom",
                    "message": f"A pull request already exists for {r['owner']}:{head}."}])
        if git.count(f"{base_sha}..{head_sha}") == 0:
            raise ApiError(422, "Validation Failed", [{
                "resource": "PullRequest", "code": "custom",
                "message": f"No commits between {base} and {head}"}])
        if not body.get("title"):
            raise ApiError(422, "Validation Failed", [
                {"resource": "PullRequest", "field": "title", "code": "missing_field"}])
        pull = {"head": head, "base": base, "head_sha": head_sha, "base_sha": base_sha,
                "draft": bool(body.get("draft")), "merged_at": None,
                "merge_commit_sha": None, "merged_by": None, "requested_reviewers": []}
        issue = _new_issue(ctx, r, {"title": body["title"], "body": body.get("body")}, pull)
        _diffstat(git, pull)
    ctx.sb.world.save()
    ctx.sb.sim.on_pull_request(r["full_name"], issue)
    return json_response(ctx.shapes.pull(r, issue, git), 201)


def _diffstat(git: BareRepo, pull: Json) -> None:
    base = git.merge_base(pull["base_sha"], pull["head_sha"]) or pull["base_sha"]
    files = git.changed_files(base, pull["head_sha"])
    pull["additions"] = sum(f[2] for f in files)
    pull["deletions"] = sum(f[3] for f in files)
    pull["changed_files"] = len(files)


async def get_pull(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    return json_response(ctx.shapes.pull(r, _issue(r, int(ctx.p["pull_number"]), True), git))


async def update_pull(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    with ctx.sb.world.lock:
        i = _issue(r, int(ctx.p["pull_number"]), True)
        if i["pull"]["merged_at"] and body.get("state") == "open":
            raise ApiError(422, "Validation Failed", [{"resource": "PullRequest",
                                                       "code": "custom",
                                                       "message": "Pull request is merged"}])
        _edit_issue(i, {k: v for k, v in body.items() if k in ("title", "body", "state")})
        if "base" in body:
            i["pull"]["base"] = str(body["base"])
    ctx.sb.world.save()
    return json_response(ctx.shapes.pull(r, i, git))


async def pull_commits(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    i = _issue(r, int(ctx.p["pull_number"]), True)
    p = i["pull"]
    base = p["base_sha"] if p["merged_at"] else (git.resolve(f"refs/heads/{p['base']}")
                                                 or p["base_sha"])
    commits = git.log(f"{base}..{p['head_sha']}", reverse=True)
    full = r["full_name"]
    return paginate(ctx, commits, lambda cs: [ctx.shapes.commit(full, c) for c in cs])


async def pull_merged(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    i = _issue(r, int(ctx.p["pull_number"]), True)
    if i["pull"]["merged_at"]:
        return Response(status_code=204)
    raise ApiError(404, "Not Found")


async def merge_pull(ctx: Ctx) -> Response:
    """A real merge in the bare repository: merge commit, squash, or rebase."""
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    method = body.get("merge_method", "merge")
    if method not in ("merge", "squash", "rebase"):
        raise ApiError(422, "Invalid merge_method")
    with ctx.sb.world.lock, git.lock:
        i = _issue(r, int(ctx.p["pull_number"]), True)
        p = i["pull"]
        if p["merged_at"] or i["state"] != "open":
            raise ApiError(405, "Pull Request is not mergeable")
        if p["draft"]:
            raise ApiError(405, "Pull Request is still a draft")
        head = git.resolve(f"refs/heads/{p['head']}") or p["head_sha"]
        if body.get("sha") and body["sha"] != head:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        base_ref = f"refs/heads/{p['base']}"
        base = git.resolve(base_ref)
        if base is None:
            raise ApiError(422, "Base branch does not exist")
        merger = ctx.actor()
        user = ctx.sb.world.user(merger)
        author = (user["name"], f"{merger}@users.noreply.github.com")
        title = body.get("commit_title")
        message = body.get("commit_message")
        commits = git.log(f"{base}..{head}", reverse=True)
        try:
            if method == "merge":
                tree = git.merge_tree(base, head)
                msg = title or f"Merge pull request #{i['number']} from " \
                               f"{r['owner']}/{p['head']}"
                msg += "\n\n" + (message if message is not None else i["title"])
                new = git.commit_tree(tree, [base, head], msg.rstrip() + "\n", author)
            elif method == "squash":
                tree = git.merge_tree(base, head)
                msg = title or f"{i['title']} (#{i['number']})"
                msg += "\n\n" + (message if message is not None else
                                 "\n".join(f"* {c.message.splitlines()[0]}" for c in commits))
                first = commits[0].author if commits else None
                sq_author = (first.name, first.email) if first else author
                new = git.commit_tree(tree, [base], msg.rstrip() + "\n", sq_author)
            else:
                new = git.rebase_onto(base, commits)
        except GitError as err:
            raise ApiError(405, "Merge conflict") from err
        git.update_ref(base_ref, new, base)
        now = now_iso()
        p.update(merged_at=now, merge_commit_sha=new, merged_by=merger, head_sha=head,
                 base_sha=base, commits=len(commits))
        i.update(state="closed", closed_at=now, updated_at=now)
    ctx.sb.world.save()
    ctx.sb.sim.on_push(r["full_name"], [(base_ref, base, new)])
    return json_response({"sha": new, "merged": True,
                          "message": "Pull Request successfully merged"})


async def request_reviewers(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    with ctx.sb.world.lock:
        i = _issue(r, int(ctx.p["pull_number"]), True)
        for u in body.get("reviewers") or []:
            if u not in i["pull"]["requested_reviewers"]:
                ctx.sb.world.user(str(u))
                i["pull"]["requested_reviewers"].append(str(u))
    ctx.sb.world.save()
    return json_response(ctx.shapes.pull(r, i, git, simple=True), 201)


async def list_reviews(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    i = _issue(r, int(ctx.p["pull_number"]), True)
    submitted = [x for x in reviews.reviews(i["pull"]) if x["state"] != "PENDING"
                 or x["user"] == ctx.login]
    return paginate(ctx, submitted, lambda xs: [ctx.shapes.review(r, i, x) for x in xs])


_REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                  "COMMENT": "COMMENTED", None: "PENDING"}


async def create_review(ctx: Ctx) -> Response:
    """Submit a review; as on GitHub, nobody approves (or blocks) their own pull request."""
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    event = body.get("event")
    if event not in _REVIEW_STATES:
        raise ApiError(422, "Validation Failed", [
            {"resource": "PullRequestReview", "field": "event", "code": "invalid"}])
    text = body.get("body") or ""
    if event in ("REQUEST_CHANGES", "COMMENT") and not text:
        raise ApiError(422, "Unprocessable Entity",
                       [f"Review body is required for {event}"])
    with ctx.sb.world.lock:
        i = _issue(r, int(ctx.p["pull_number"]), True)
        if i["state"] != "open":
            raise ApiError(422, "Unprocessable Entity",
                           ["Can not review a closed or merged pull request"])
        if i["user"] == ctx.actor() and event in ("APPROVE", "REQUEST_CHANGES"):
            verb = "approve" if event == "APPROVE" else "request changes on"
            raise ApiError(422, "Unprocessable Entity",
                           [f"Review Can not {verb} your own pull request"])
        review = reviews.add_review(ctx.sb, i, ctx.actor(), _REVIEW_STATES[event], text)
        if body.get("commit_id"):
            review["commit_id"] = str(body["commit_id"])
    ctx.sb.world.save()
    return json_response(ctx.shapes.review(r, i, review))


# -- releases ------------------------------------------------------------------------------

def _release(r: Json, rid: int) -> Json:
    for rel in r["releases"]:
        if rel["id"] == rid:
            return rel  # type: ignore[no-any-return]
    raise ApiError(404, "Not Found")


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
    return json_response(ctx.shapes.release(r, rel), 201)


async def get_release(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.shapes.release(r, _release(r, int(ctx.p["release_id"]))))


async def latest_release(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    rels = [x for x in r["releases"] if not x["draft"] and not x["prerelease"]]
    if not rels:
        raise ApiError(404, "Not Found")
    latest = max(rels, key=lambda x: _version_key(x["tag_name"]))
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


# -- actions -----------------------------------------------------------------------------

async def list_workflows(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wfs = [ctx.sb.sim.workflow_json(r, w) for w in ctx.sb.sim.workflows(r["full_name"])]
    return json_response({"total_count": len(wfs), "workflows": wfs})


def _workflow(ctx: Ctx, r: Json) -> Json:
    wf = ctx.sb.sim.find_workflow(r["full_name"], ctx.p["workflow_id"])
    if wf is None:
        raise ApiError(404, "Not Found")
    return wf


async def get_workflow(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.sb.sim.workflow_json(r, _workflow(ctx, r)))


async def dispatch(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "ref")
    wf = _workflow(ctx, r)
    if "workflow_dispatch" not in wf["triggers"]:
        raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
    ref = str(body["ref"]).removeprefix("refs/heads/").removeprefix("refs/tags/")
    sha = git.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    inputs = body.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ApiError(422, "inputs must be an object")
    ctx.sb.sim.start(r["full_name"], wf, "workflow_dispatch", ref, sha,
                     {str(k): str(v) for k, v in inputs.items()}, ctx.actor())
    return Response(status_code=204)


def _moment(text: str, end: bool = False) -> float:
    """A ``created`` bound: a date means its whole day (UTC), a date-time that second."""
    text = text.strip()
    if len(text) == 10:
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return (day + timedelta(days=1)).timestamp() - 1e-6 if end else day.timestamp()
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp() + (0.999999 if end else 0.0)


def _created_matches(ts: float, qualifier: str) -> bool:
    """GitHub's ``created`` search qualifier on run listings (``>=D``, ``<=D``, ``>D``,
    ``<D``, ``A..B``, or one date; dates or date-times) against a run's creation time."""
    ts = float(int(ts))  # GitHub's times have whole seconds
    if ".." in qualifier:
        low, high = qualifier.split("..", 1)
        return (low in ("", "*") or ts >= _moment(low)) and \
            (high in ("", "*") or ts <= _moment(high, end=True))
    for op in (">=", "<=", ">", "<"):
        if qualifier.startswith(op):
            value = qualifier[len(op):]
            return {">=": ts >= _moment(value), "<=": ts <= _moment(value, end=True),
                    ">": ts > _moment(value, end=True), "<": ts < _moment(value)}[op]
    return _moment(qualifier) <= ts <= _moment(qualifier, end=True)


def _runs_response(ctx: Ctx, r: Json, runs: list[Json]) -> Response:
    q = ctx.q
    if created := q.get("created"):
        try:
            runs = [x for x in runs if _created_matches(x["created_ts"], created)]
        except ValueError:
            raise ApiError(422, f"Invalid value for created: {created!r}") from None
    if ev := q.get("event"):
        runs = [x for x in runs if x["event"] == ev]
    if br := q.get("branch"):
        runs = [x for x in runs if x["head_branch"] == br]
    if st := q.get("status"):
        runs = [x for x in runs if st in (x["status"], x["conclusion"])]
    if sha := q.get("head_sha"):
        runs = [x for x in runs if x["head_sha"] == sha]
    if actor := q.get("actor"):
        runs = [x for x in runs if x["actor"] == actor]
    runs = sorted(runs, key=lambda x: x["id"], reverse=True)
    total = len(runs)
    return paginate(ctx, runs, lambda xs: {
        "total_count": total, "workflow_runs": [ctx.sb.sim.run_json(r, x) for x in xs]})


async def workflow_runs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wf = _workflow(ctx, r)
    return _runs_response(ctx, r, [x for x in r["runs"] if x["workflow_path"] == wf["path"]])


async def repo_runs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return _runs_response(ctx, r, list(r["runs"]))


def _run(r: Json, run_id: int) -> Json:
    for x in r["runs"]:
        if x["id"] == run_id:
            return x  # type: ignore[no-any-return]
    raise ApiError(404, "Not Found")


async def get_run(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.sb.sim.run_json(r, _run(r, int(ctx.p["run_id"]))))


async def rerun(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    if run["status"] != "completed":
        raise ApiError(403, "This workflow run is not completed")
    ctx.sb.sim.rerun(r["full_name"], run)
    return json_response({}, 201)


async def run_jobs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    jobs = [ctx.sb.sim.job_json(r, run, j) for j in run["jobs"]]
    return json_response({"total_count": len(jobs), "jobs": jobs})


def _job(r: Json, job_id: int) -> tuple[Json, Json]:
    for run in r["runs"]:
        for j in run["jobs"]:
            if j["id"] == job_id:
                return run, j
    raise ApiError(404, "Not Found")


async def get_job(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run, job = _job(r, int(ctx.p["job_id"]))
    return json_response(ctx.sb.sim.job_json(r, run, job))


async def job_logs(ctx: Ctx) -> Response:
    """GitHub answers 302 to a short-lived blob URL; so do we."""
    r, _ = ctx.repo()
    run, job = _job(r, int(ctx.p["job_id"]))
    if run["status"] != "completed":
        raise ApiError(404, "Not Found")
    expires = int(time.time()) + 60
    sig = hashlib.sha256(f"{job['id']}:{expires}".encode()).hexdigest()[:16]
    url = f"{ctx.sb.base_url}/_blobs/actions-logs/{job['id']}.txt?se={expires}&sig={sig}"
    return RedirectResponse(url, status_code=302)


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- routing --------------------------------------------------------------------------------

R = "/repos/{owner}/{repo}"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/rate_limit", rate_limit),
    ("GET", "/user", get_user),
    ("GET", "/search/issues", search_issues),
    ("GET", R, get_repo),
    ("GET", R + "/branches", list_branches),
    ("GET", R + "/branches/{branch:path}", get_branch),
    ("GET", R + "/commits", list_commits),
    ("GET", R + "/commits/{ref:path}/status", commit_status),
    ("GET", R + "/commits/{ref:path}/check-runs", check_runs),
    ("GET", R + "/commits/{ref:path}", get_commit),
    ("GET", R + "/compare/{basehead:path}", compare),
    ("GET", R + "/contents/{path:path}", get_contents),
    ("PUT", R + "/contents/{path:path}", put_contents),
    ("GET", R + "/tags", list_tags),
    ("GET", R + "/git/ref/{ref:path}", get_ref),
    ("GET", R + "/git/matching-refs/{ref:path}", matching_refs),
    ("POST", R + "/git/refs", create_ref),
    ("PATCH", R + "/git/refs/{ref:path}", update_ref),
    ("DELETE", R + "/git/refs/{ref:path}", delete_ref),
    ("POST", R + "/git/tags", create_tag),
    ("GET", R + "/git/tags/{tag_sha}", get_tag),
    ("GET", R + "/git/commits/{commit_sha}", get_git_commit),
    ("GET", R + "/pulls", list_pulls),
    ("POST", R + "/pulls", create_pull),
    ("GET", R + "/pulls/{pull_number:int}", get_pull),
    ("PATCH", R + "/pulls/{pull_number:int}", update_pull),
    ("GET", R + "/pulls/{pull_number:int}/commits", pull_commits),
    ("GET", R + "/pulls/{pull_number:int}/merge", pull_merged),
    ("PUT", R + "/pulls/{pull_number:int}/merge", merge_pull),
    ("POST", R + "/pulls/{pull_number:int}/requested_reviewers", request_reviewers),
    ("GET", R + "/pulls/{pull_number:int}/reviews", list_reviews),
    ("POST", R + "/pulls/{pull_number:int}/reviews", create_review),
    ("GET", R + "/releases", list_releases),
    ("POST", R + "/releases", create_release),
    ("GET", R + "/releases/latest", latest_release),
    ("GET", R + "/releases/tags/{tag:path}", release_by_tag),
    ("GET", R + "/releases/{release_id:int}", get_release),
    ("PATCH", R + "/releases/{release_id:int}", update_release),
    ("DELETE", R + "/releases/{release_id:int}", delete_release),
    ("GET", R + "/releases/{release_id:int}/assets", release_assets),
    ("GET", R + "/issues", list_issues),
    ("POST", R + "/issues", create_issue),
    ("GET", R + "/issues/comments/{comment_id:int}", get_comment),
    ("PATCH", R + "/issues/comments/{comment_id:int}", update_comment),
    ("DELETE", R + "/issues/comments/{comment_id:int}", delete_comment),
    ("GET", R + "/issues/{issue_number:int}", get_issue),
    ("PATCH", R + "/issues/{issue_number:int}", update_issue),
    ("GET", R + "/issues/{issue_number:int}/comments", list_comments),
    ("POST", R + "/issues/{issue_number:int}/comments", create_comment),
    ("GET", R + "/milestones", list_milestones),
    ("POST", R + "/milestones", create_milestone),
    ("GET", R + "/milestones/{milestone_number:int}", get_milestone),
    ("PATCH", R + "/milestones/{milestone_number:int}", update_milestone),
    ("GET", R + "/actions/workflows", list_workflows),
    ("GET", R + "/actions/workflows/{workflow_id}", get_workflow),
    ("POST", R + "/actions/workflows/{workflow_id}/dispatches", dispatch),
    ("GET", R + "/actions/workflows/{workflow_id}/runs", workflow_runs),
    ("GET", R + "/actions/runs", repo_runs),
    ("GET", R + "/actions/runs/{run_id:int}", get_run),
    ("POST", R + "/actions/runs/{run_id:int}/rerun", rerun),
    ("GET", R + "/actions/runs/{run_id:int}/jobs", run_jobs),
    ("GET", R + "/actions/jobs/{job_id:int}", get_job),
    ("GET", R + "/actions/jobs/{job_id:int}/logs", job_logs),
    *github_hooks.ROUTES,
]


def routes(sb: Sandbox) -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for method, path, fn in ROUTES:
        out.append(Route(path, _wrap(sb, fn, write=method != "GET"), methods=[method]))
    return out


async def not_found(sb: Sandbox, request: Request) -> Response:
    return ApiError(404, "Not Found").response()


def parse_json(raw: bytes) -> Any:
    return json.loads(raw) if raw else None
