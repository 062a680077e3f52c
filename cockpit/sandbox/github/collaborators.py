"""Who may do what in a repository: ``GET /repos/{o}/{r}/collaborators``, ``…/{user}``
and ``…/{user}/permission``.

Roles are kept per repository (``collaborators``: login → role) in the world file: the
seed gives the release driver admin and the second maintainer maintain on the release
repositories; a created repository makes its creator admin. As on GitHub, listing them
takes push access, and anyone may read a public repository (its permission is ``read``).
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.http import ApiError, json_response
from cockpit.sandbox.world import Json, World

ROLES = ("read", "triage", "write", "maintain", "admin")
"""GitHub's repository roles, weakest first."""
GRANTS = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain",
          "admin": "admin"}
"""Each ``permissions`` flag and the weakest role that has it."""
LEGACY = {"read": "read", "triage": "read", "write": "write", "maintain": "write",
          "admin": "admin"}
"""The old ``permission`` field knows only admin, write and read."""


def roles(ctx: Ctx, r: Json) -> dict[str, str]:
    return world_roles(ctx.sb.world, r)


def world_roles(world: World, r: Json) -> dict[str, str]:
    """Login → role; a user-owned repository's owner is always its admin."""
    out = dict(r.get("collaborators", {}))
    owner = world.account(r["owner"])
    if owner is not None and owner["type"] != "Organization":
        out[owner["login"]] = "admin"
    return out


def role_of(ctx: Ctx, r: Json, login: str) -> str | None:
    return roles(ctx, r).get(login)


def viewer_role(world: World, r: Json, login: str | None) -> str | None:
    """The role whose permissions GitHub shows the caller on a repository it can read:
    theirs, or ``read`` (a public repository, an organization member's private one);
    None for an anonymous caller, to whom GitHub shows none."""
    if login is None:
        return None
    return world_roles(world, r).get(login, "read")


def for_viewer(ctx: Ctx, r: Json, shape: Json) -> Json:
    """A repository's REST shape (``Shapes.repo``, which knows no caller) with the caller's
    own ``permissions``; none for an anonymous caller, as GitHub does."""
    role = viewer_role(ctx.sb.world, r, ctx.login)
    return shape if role is None else {**shape, "permissions": _permissions(role)}


def _permissions(role: str) -> Json:
    rank = ROLES.index(role)
    return {flag: rank >= ROLES.index(least) for flag, least in GRANTS.items()}


def _collaborator(ctx: Ctx, login: str, role: str) -> Json:
    return {**ctx.shapes.simple_user(login), "permissions": _permissions(role),
            "role_name": role}


def _need_push(ctx: Ctx, r: Json) -> None:
    if ctx.login is None:
        raise ApiError(401, "Requires authentication")
    role = role_of(ctx, r, ctx.login)
    if role is None or ROLES.index(role) < ROLES.index("write"):
        raise ApiError(403, "Must have push access to view repository collaborators.")


async def list_collaborators(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    _need_push(ctx, r)
    wanted = ctx.q.get("permission")
    if wanted is not None and wanted not in GRANTS:
        raise ApiError(422, "Validation Failed", [
            {"resource": "Collaborator", "field": "permission", "code": "invalid"}])
    affiliation = ctx.q.get("affiliation", "all")
    if affiliation not in ("outside", "direct", "all"):
        raise ApiError(422, "Validation Failed", [
            {"resource": "Collaborator", "field": "affiliation", "code": "invalid"}])
    people = sorted(roles(ctx, r).items())
    if affiliation == "outside":  # not members of the owning organization
        members = ctx.sb.world.user(r["owner"]).get("members", [])
        people = [(login, role) for login, role in people if login not in members]
    if wanted:
        people = [(login, role) for login, role in people if _permissions(role)[wanted]]
    return paginate(ctx, people, lambda page: [_collaborator(ctx, u, role) for u, role in page])


async def is_collaborator(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    _need_push(ctx, r)
    account = ctx.sb.world.account(ctx.p["username"])
    if account is None or role_of(ctx, r, account["login"]) is None:
        return Response(status_code=404)
    return Response(status_code=204)


async def permission(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    account = ctx.sb.world.account(ctx.p["username"])
    if account is None:
        raise ApiError(404, "Not Found")
    login = account["login"]
    role = role_of(ctx, r, login)
    if role is None:
        if r.get("private"):
            return json_response({"permission": "none", "role_name": "none",
                                  "user": _collaborator(ctx, login, "read") | {
                                      "permissions": dict.fromkeys(GRANTS, False)}})
        role = "read"
    return json_response({"permission": LEGACY[role], "role_name": role,
                          "user": _collaborator(ctx, login, role)})


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/collaborators", list_collaborators),
    ("GET", REPO + "/collaborators/{username}", is_collaborator),
    ("GET", REPO + "/collaborators/{username}/permission", permission),
]
