"""GitHub's Git database API: references (read, match, create, move, delete), annotated
tag objects and commit objects, straight on the bare repositories."""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github import protection
from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx
from cockpit.sandbox.github.repos import commit_or_404
from cockpit.sandbox.gitstore import ZERO_SHA, BareRepo
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json


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
        protection.api_refusal(ctx, r, git, ref, old, sha)
        git.update_ref(ref, sha, old)
    ctx.sb.sim.on_push(r["full_name"], [(ref, old, sha)])
    return json_response(_ref_json(ctx, r["full_name"], git, ref, sha))


async def delete_ref(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    ref = "refs/" + ctx.p["ref"].strip("/")
    with git.lock:
        old = git.refs(ref).get(ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        protection.api_refusal(ctx, r, git, ref, old, None)
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
    return json_response(ctx.shapes.git_commit(r["full_name"], commit_or_404(git, sha)))


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/git/ref/{ref:path}", get_ref),
    ("GET", REPO + "/git/matching-refs/{ref:path}", matching_refs),
    ("POST", REPO + "/git/refs", create_ref),
    ("PATCH", REPO + "/git/refs/{ref:path}", update_ref),
    ("DELETE", REPO + "/git/refs/{ref:path}", delete_ref),
    ("POST", REPO + "/git/tags", create_tag),
    ("GET", REPO + "/git/tags/{tag_sha}", get_tag),
    ("GET", REPO + "/git/commits/{commit_sha}", get_git_commit),
]
