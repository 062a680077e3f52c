"""Every issue (and pull request) comment of a repository: ``GET
/repos/{o}/{r}/issues/comments``, with GitHub's ``sort``, ``direction`` and ``since``."""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.http import ApiError


async def list_repo_comments(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    sort = ctx.q.get("sort", "created")
    if sort not in ("created", "updated"):
        raise ApiError(422, "Validation Failed", [
            {"resource": "IssueComment", "field": "sort", "code": "invalid"}])
    key = f"{sort}_at"
    comments = list(r["comments"])
    if since := ctx.q.get("since"):
        comments = [c for c in comments if c["updated_at"] >= since]
    # GitHub sorts ascending unless asked otherwise; ties keep the order of creation.
    comments.sort(key=lambda c: (c[key], c["id"]), reverse=ctx.q.get("direction") == "desc")
    return paginate(ctx, comments, lambda page: [ctx.shapes.comment(r, c) for c in page])


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/issues/comments", list_repo_comments),
]
