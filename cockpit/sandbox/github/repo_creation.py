"""Creating and deleting repositories: ``POST /orgs/{org}/repos``, ``POST /user/repos``,
``DELETE /repos/{owner}/{repo}``.

So any project's playbook can be rehearsed, not only Kubo's: a created repository is a
real bare repository at once (cloned and pushed over the sandbox's git HTTP), with
``auto_init`` an initial commit holding a README on ``main``, and every other resource
(issues, pulls, releases, workflows once a workflow file is pushed) works on it. Names
are checked as GitHub checks them: characters other than letters, digits, ``.``, ``-``
and ``_`` become ``-``; a name already taken on the account (case-insensitively) is
GitHub's 422 "name already exists on this account".
"""

from __future__ import annotations

import re
import shutil

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx
from cockpit.sandbox.github.collaborators import for_viewer
from cockpit.sandbox.github.owners import account_or_404
from cockpit.sandbox.gitstore import WEB_FLOW, BareRepo, init_bare
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.world import REPOS_DIR, Json, now_iso, repo_record

DEFAULT_BRANCH = "main"
"""GitHub's default branch name for new repositories."""
MAX_NAME = 100
SETTINGS = {"has_issues": True, "has_projects": True, "has_wiki": True,
            "has_downloads": True, "is_template": False}
"""What a creator may switch, with GitHub's defaults for a new repository."""
TEMPLATES = ("gitignore_template", "license_template")


def _failed(message: str) -> ApiError:
    return ApiError(422, "Repository creation failed.", [
        {"resource": "Repository", "code": "custom", "field": "name", "message": message}])


def repo_name(raw: object) -> str:
    """The name GitHub would give the repository, or its 422."""
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(422, "Invalid request.", [
            {"resource": "Repository", "field": "name", "code": "missing_field"}])
    name = re.sub(r"[^A-Za-z0-9._-]", "-", raw.strip())
    if name in (".", ".."):
        raise _failed("name is reserved")
    if len(name) > MAX_NAME:
        raise _failed(f"name is too long (maximum is {MAX_NAME} characters)")
    return name


def _token_info(ctx: Ctx) -> Json:
    token = ctx.request.headers.get("authorization", "").partition(" ")[2].strip()
    info: Json = ctx.sb.world.data["tokens"].get(token, {})
    return info


def _may_administer(ctx: Ctx) -> None:
    """Creating or deleting a repository needs an unrestricted write token: one limited to
    some repositories (the second maintainer's) is refused, as a fine-grained token
    without administration permission is."""
    if _token_info(ctx).get("repos") is not None:
        raise ApiError(403, "Resource not accessible by personal access token")


def _initial_files(name: str, description: str | None) -> dict[str, bytes | None]:
    readme = f"# {name}\n" + (f"{description}\n" if description else "")
    return {"README.md": readme.encode()}


def create_repository(ctx: Ctx, owner: str, body: Json) -> Json:
    """Add the repository to the world and to disk; returns its world record."""
    name = repo_name(body.get("name"))
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise ApiError(422, "Validation Failed", [
            {"resource": "Repository", "field": "description", "code": "invalid"}])
    for key in TEMPLATES:
        if body.get(key):
            raise ApiError(422, "Validation Failed", [
                {"resource": "Repository", "field": key, "code": "invalid",
                 "message": f"the sandbox has no {key.replace('_', ' ')}s; push the file"}])
    full = f"{owner}/{name}"
    sb = ctx.sb
    with sb.world.lock:
        if any(f.lower() == full.lower() for f in sb.world.data["repos"]):
            raise _failed("name already exists on this account")
        record = repo_record(10_000_000 + sb.world.new_id(), full, description,
                             DEFAULT_BRANCH, now_iso())
        private = bool(body.get("private")) or body.get("visibility") in ("private", "internal")
        record.update(private=private, homepage=body.get("homepage"), language=None,
                      stars=0, forks=0, license=None, topics=[],
                      collaborators={ctx.actor(): "admin"},
                      **{k: bool(body.get(k, v)) for k, v in SETTINGS.items()})
        git = init_bare(sb.data_dir / REPOS_DIR / f"{full}.git", DEFAULT_BRANCH)
        if body.get("auto_init"):
            me = sb.world.user(ctx.actor())
            author = (str(me["name"]), f"{me['id']}+{me['login']}@users.noreply.github.com")
            git.commit_files(DEFAULT_BRANCH, _initial_files(name, description),
                             "Initial commit", author, WEB_FLOW)
        sb.repos[full] = git
        sb.world.data["repos"][full] = record
    sb.world.save()
    return record


def _created(ctx: Ctx, record: Json) -> Response:
    shape = for_viewer(ctx, record, ctx.shapes.repo(record, full=True,
                                                    git=ctx.sb.repos[record["full_name"]]))
    return json_response(shape, 201, {"location": shape["url"]})


async def create_in_org(ctx: Ctx) -> Response:
    org = account_or_404(ctx, ctx.p["org"], org=True)
    if ctx.actor() not in org.get("members", []):
        raise ApiError(403, "You need admin access to the organization before adding a "
                            "repository to it.")
    _may_administer(ctx)
    return _created(ctx, create_repository(ctx, org["login"], await json_body(ctx.request)))


async def create_for_user(ctx: Ctx) -> Response:
    _may_administer(ctx)
    return _created(ctx, create_repository(ctx, ctx.actor(), await json_body(ctx.request)))


async def delete_repo(ctx: Ctx) -> Response:
    """Gone from the API and from git at once (GitHub keeps no trash the API can see)."""
    r, git = ctx.repo()
    _may_administer(ctx)
    owner = ctx.sb.world.user(r["owner"])
    if r["owner"] != ctx.actor() and ctx.actor() not in owner.get("members", []):
        raise ApiError(403, "Must have admin rights to Repository.")
    _remove(ctx, r["full_name"], git)
    return Response(status_code=204)


def _remove(ctx: Ctx, full: str, git: BareRepo) -> None:
    sb = ctx.sb
    with sb.world.lock, git.lock:
        sb.world.data["repos"].pop(full, None)
        sb.repos.pop(full, None)
        shutil.rmtree(git.path, ignore_errors=True)
    sb.world.save()


ROUTES: list[ApiRoute] = [
    ("POST", "/orgs/{org}/repos", create_in_org),
    ("POST", "/user/repos", create_for_user),
    ("DELETE", REPO, delete_repo),
]
