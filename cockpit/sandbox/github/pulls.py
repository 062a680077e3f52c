"""Pull requests and their reviews: open, edit, list commits, merge for real (merge
commit, squash or rebase in the bare repository), request reviewers, review.

A pull request is an issue with a ``pull`` part (see ``issues``); review state over
time (reviewers who answer) is simulated in ``cockpit.sandbox.reviews``.
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox import reviews
from cockpit.sandbox.github import events
from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.github.issues import edit_issue, issue_or_404, new_issue
from cockpit.sandbox.gitstore import BareRepo, GitError
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json, now_iso


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
        issue = new_issue(ctx, r, {"title": body["title"], "body": body.get("body")}, pull)
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
    return json_response(ctx.shapes.pull(r, issue_or_404(r, int(ctx.p["pull_number"]), True), git))


async def update_pull(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    with ctx.sb.world.lock:
        i = issue_or_404(r, int(ctx.p["pull_number"]), True)
        if i["pull"]["merged_at"] and body.get("state") == "open":
            raise ApiError(422, "Validation Failed", [{"resource": "PullRequest",
                                                       "code": "custom",
                                                       "message": "Pull request is merged"}])
        before = dict(i)
        edit_issue(i, {k: v for k, v in body.items() if k in ("title", "body", "state")})
        events.on_edit(ctx, r, before, i)
        if "base" in body:
            i["pull"]["base"] = str(body["base"])
    ctx.sb.world.save()
    return json_response(ctx.shapes.pull(r, i, git))


async def pull_commits(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    i = issue_or_404(r, int(ctx.p["pull_number"]), True)
    p = i["pull"]
    base = p["base_sha"] if p["merged_at"] else (git.resolve(f"refs/heads/{p['base']}")
                                                 or p["base_sha"])
    commits = git.log(f"{base}..{p['head_sha']}", reverse=True)
    full = r["full_name"]
    return paginate(ctx, commits, lambda cs: [ctx.shapes.commit(full, c) for c in cs])


async def pull_merged(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    i = issue_or_404(r, int(ctx.p["pull_number"]), True)
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
        i = issue_or_404(r, int(ctx.p["pull_number"]), True)
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
        events.on_merge(ctx, r, i, new)
    ctx.sb.world.save()
    ctx.sb.sim.on_push(r["full_name"], [(base_ref, base, new)])
    return json_response({"sha": new, "merged": True,
                          "message": "Pull Request successfully merged"})


async def request_reviewers(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    with ctx.sb.world.lock:
        i = issue_or_404(r, int(ctx.p["pull_number"]), True)
        for u in body.get("reviewers") or []:
            if u not in i["pull"]["requested_reviewers"]:
                ctx.sb.world.user(str(u))
                i["pull"]["requested_reviewers"].append(str(u))
                events.record(ctx, r, i["number"], "review_requested",
                              requested_reviewer=str(u))
    ctx.sb.world.save()
    return json_response(ctx.shapes.pull(r, i, git, simple=True), 201)


async def list_reviews(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    i = issue_or_404(r, int(ctx.p["pull_number"]), True)
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
        i = issue_or_404(r, int(ctx.p["pull_number"]), True)
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


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/pulls", list_pulls),
    ("POST", REPO + "/pulls", create_pull),
    ("GET", REPO + "/pulls/{pull_number:int}", get_pull),
    ("PATCH", REPO + "/pulls/{pull_number:int}", update_pull),
    ("GET", REPO + "/pulls/{pull_number:int}/commits", pull_commits),
    ("GET", REPO + "/pulls/{pull_number:int}/merge", pull_merged),
    ("PUT", REPO + "/pulls/{pull_number:int}/merge", merge_pull),
    ("POST", REPO + "/pulls/{pull_number:int}/requested_reviewers", request_reviewers),
    ("GET", REPO + "/pulls/{pull_number:int}/reviews", list_reviews),
    ("POST", REPO + "/pulls/{pull_number:int}/reviews", create_review),
]
