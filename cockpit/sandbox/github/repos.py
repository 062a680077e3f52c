"""Repositories and what they hold at a ref: branches, commits (with their check runs),
comparisons, file contents (read and write), tags. A commit's statuses and check suites
are ``statuses`` and ``check_suites``.

Served from the bare repositories (``cockpit.sandbox.gitstore``); a write through the
contents API is a real commit, and starts the workflows a push would.
"""

from __future__ import annotations

import base64

from starlette.responses import Response

from cockpit.sandbox.github import protection
from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.github.collaborators import for_viewer
from cockpit.sandbox.gitstore import WEB_FLOW, BareRepo, CommitInfo
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.versions import version_key


async def get_repo(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    return json_response(for_viewer(ctx, r, ctx.shapes.repo(r, full=True, git=git)))


def commit_or_404(git: BareRepo, ref: str) -> CommitInfo:
    c = git.commit(ref)
    if c is None:
        raise ApiError(404, f"No commit found for SHA: {ref}")
    return c


async def list_branches(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    items = []
    protected = r.get("protection") or {}
    for name, sha in sorted(git.branches().items()):
        items.append({"name": name, "commit": {
            "sha": sha, "url": f"{ctx.sb.api_url}/repos/{r['full_name']}/commits/{sha}"},
            "protected": name in protected})
    if (wanted := ctx.q.get("protected")) is not None:
        items = [b for b in items if b["protected"] == (wanted == "true")]
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
    c = commit_or_404(git, ctx.p["ref"])
    base = c.parents[0] if c.parents else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    files = ctx.shapes.diff_entries(r["full_name"], c.sha, git.changed_files(base, c.sha))
    return json_response(ctx.shapes.commit(r["full_name"], c, files))


async def check_runs(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = commit_or_404(git, ctx.p["ref"])
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
    mb = commit_or_404(git, mb_sha)
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
        protection.commit_refusal(ctx, r, branch)
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
    c = commit_or_404(git, sha)
    file = ctx.shapes.content_file(full, path, blob[0], blob[1], branch)
    file.pop("content"), file.pop("encoding")
    return json_response({"content": file, "commit": ctx.shapes.git_commit(full, c)},
                         200 if existing else 201)


async def list_tags(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    full = r["full_name"]
    tags = []
    for name in sorted(git.tags(), key=version_key, reverse=True):
        sha = git.resolve(f"refs/tags/{name}")
        tags.append({"name": name, "node_id": f"TAG_{name}",
                     "commit": {"sha": sha, "url": f"{ctx.sb.api_url}/repos/{full}/commits/{sha}"},
                     "zipball_url": f"{ctx.sb.api_url}/repos/{full}/zipball/refs/tags/{name}",
                     "tarball_url": f"{ctx.sb.api_url}/repos/{full}/tarball/refs/tags/{name}"})
    return paginate(ctx, tags)


ROUTES: list[ApiRoute] = [
    ("GET", REPO, get_repo),
    ("GET", REPO + "/branches", list_branches),
    ("GET", REPO + "/branches/{branch:path}", get_branch),
    ("GET", REPO + "/commits", list_commits),
    ("GET", REPO + "/commits/{ref:path}/check-runs", check_runs),
    ("GET", REPO + "/commits/{ref:path}", get_commit),
    ("GET", REPO + "/compare/{basehead:path}", compare),
    ("GET", REPO + "/contents/{path:path}", get_contents),
    ("PUT", REPO + "/contents/{path:path}", put_contents),
    ("GET", REPO + "/tags", list_tags),
]
