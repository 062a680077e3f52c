"""Accounts: users and organizations, and the repositories each owns.

``ipfs`` (the owner of every seeded repository) is an Organization, as on github.com:
clients that read ``owner.type`` (webhook payloads carry ``organization`` only for one;
``gh repo create ipfs/x`` asks ``/orgs/ipfs``) see what they would see there. Logins
are case-insensitive, as on GitHub.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from cockpit.sandbox.github.api import ApiRoute, Ctx, paginate
from cockpit.sandbox.github.collaborators import for_viewer
from cockpit.sandbox.http import ApiError, json_response
from cockpit.sandbox.world import Json


def account_or_404(ctx: Ctx, login: str, org: bool = False) -> Json:
    """The account ``login`` (an Organization when ``org``); GitHub's 404 otherwise."""
    account = ctx.sb.world.account(login)
    if account is None or (org and account["type"] != "Organization"):
        raise ApiError(404, "Not Found")
    return account


def _caller(ctx: Ctx) -> str:
    if ctx.login is None:
        raise ApiError(401, "Requires authentication")
    return ctx.login


async def get_user(ctx: Ctx) -> Response:
    account = account_or_404(ctx, ctx.p["username"])
    return json_response(ctx.shapes.public_user(account["login"]))


async def get_org(ctx: Ctx) -> Response:
    org = account_or_404(ctx, ctx.p["org"], org=True)
    return json_response(ctx.shapes.organization(org["login"], full=True))


async def my_orgs(ctx: Ctx) -> Response:
    orgs = ctx.sb.world.orgs_of(_caller(ctx))
    return paginate(ctx, orgs, lambda page: [ctx.shapes.organization(o) for o in page])


SORT_KEYS: dict[str, Callable[[Json], str]] = {
    "created": lambda r: str(r["created_at"]),
    "updated": lambda r: str(r.get("updated_at", r["created_at"])),
    "pushed": lambda r: str(r.get("updated_at", r["created_at"])),
    "full_name": lambda r: str(r["full_name"]).lower(),
}


def _repo_list(ctx: Ctx, repos: list[Json], default_sort: str) -> Response:
    """GitHub's ``sort``/``direction`` (ascending by name, newest first otherwise)."""
    sort = ctx.q.get("sort", default_sort)
    if sort not in SORT_KEYS:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Repository", "field": "sort", "code": "invalid"}])
    direction = ctx.q.get("direction", "asc" if sort == "full_name" else "desc")
    repos = sorted(repos, key=SORT_KEYS[sort], reverse=direction == "desc")
    return paginate(ctx, repos, lambda page: [
        for_viewer(ctx, r, ctx.shapes.repo(r, full=True, git=ctx.sb.repos[r["full_name"]]))
        for r in page])


def _owned_by(ctx: Ctx, login: str) -> list[Json]:
    """``login``'s repositories that the caller may see."""
    return [r for full, r in ctx.sb.world.data["repos"].items()
            if r["owner"] == login and ctx.sb.world.may_read(ctx.login, full)]


async def org_repos(ctx: Ctx) -> Response:
    org = account_or_404(ctx, ctx.p["org"], org=True)
    return _repo_list(ctx, _owned_by(ctx, org["login"]), "created")


async def user_repos(ctx: Ctx) -> Response:
    account = account_or_404(ctx, ctx.p["username"])
    return _repo_list(ctx, _owned_by(ctx, account["login"]), "full_name")


async def my_repos(ctx: Ctx) -> Response:
    """The caller's own repositories and those of the organizations it belongs to."""
    me = _caller(ctx)
    owners = {me, *ctx.sb.world.orgs_of(me)}
    repos = [r for r in ctx.sb.world.data["repos"].values() if r["owner"] in owners]
    return _repo_list(ctx, repos, "full_name")


ROUTES: list[ApiRoute] = [
    ("GET", "/user/orgs", my_orgs),
    ("GET", "/user/repos", my_repos),
    ("GET", "/users/{username}", get_user),
    ("GET", "/users/{username}/repos", user_repos),
    ("GET", "/orgs/{org}", get_org),
    ("GET", "/orgs/{org}/repos", org_repos),
]
