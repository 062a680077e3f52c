"""What every GitHub REST handler shares: the request context, who is calling, the
cross-cutting behaviour real clients depend on, and pagination.

``as_endpoint`` wraps each handler with bearer-token auth (read-only tokens get 403 on
writes), the x-ratelimit-* headers, ETag / If-None-Match → 304 (which costs no rate
limit) and GitHub's error body for ``ApiError``; ``paginate`` is page/per_page with a
Link header. Resource modules (``repos``, ``issues``, ...) hold only handlers and their
``ROUTES``; ``routes`` assembles them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from cockpit.sandbox import reviews
from cockpit.sandbox.gitstore import BareRepo, GitError
from cockpit.sandbox.http import ApiError, json_response
from cockpit.sandbox.world import Json, may_write

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox


Handler = Callable[["Ctx"], Awaitable[Response]]
ApiRoute = tuple[str, str, Handler]
"""(method, path under ``/api/v3``, handler): what each resource module lists in ``ROUTES``."""
REPO = "/repos/{owner}/{repo}"


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
        if r is None or not self.sb.world.may_read(self.login, full):
            raise ApiError(404, "Not Found")
        return r, self.sb.repos[full]

    def actor(self) -> str:
        assert self.login is not None
        return self.login


def identity(sb: Sandbox, request: Request) -> tuple[str | None, str | None]:
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


def _token_info(sb: Sandbox, request: Request) -> Json:
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    info: Json = sb.world.data["tokens"].get(token, {})
    return info


def _repo_of(request: Request) -> str | None:
    p = request.path_params
    return f"{p['owner']}/{p['repo']}" if "owner" in p and "repo" in p else None


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


def as_endpoint(sb: Sandbox, fn: Handler, write: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        headers = {"x-github-api-version-selected": "2022-11-28",
                   "x-github-media-type": "github.v3; format=json"}
        who = "anon:" + (request.client.host if request.client else "")
        try:
            login, scope = identity(sb, request)
            who = login or who
            if write:
                if login is None:
                    raise ApiError(401, "Requires authentication")
                if scope != "write" or not may_write(_token_info(sb, request), _repo_of(request)):
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


def one(items: list[Json], key: str, value: object) -> Json:
    """The item of a repository's list (runs, releases, comments…) whose ``key`` is
    ``value``; GitHub's 404 when there is none."""
    for item in items:
        if item[key] == value:
            return item
    raise ApiError(404, "Not Found")
