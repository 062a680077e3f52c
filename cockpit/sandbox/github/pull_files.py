"""The files a pull request changes: ``GET /repos/{o}/{r}/pulls/{n}/files``.

From git: the pull request's head against its merge base with the base branch (the
base as it was when merged, for a merged one), with each file's blob SHA at the head.
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.github.issues import issue_or_404
from cockpit.sandbox.world import Json

MAX_FILES = 3000
"""GitHub lists at most this many files of a pull request."""


async def list_files(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    p = issue_or_404(r, int(ctx.p["pull_number"]), pull=True)["pull"]
    base_tip = p["base_sha"] if p["merged_at"] else (
        git.resolve(f"refs/heads/{p['base']}") or p["base_sha"])
    head = p["head_sha"]
    base = git.merge_base(base_tip, head) or base_tip
    entries = ctx.shapes.diff_entries(r["full_name"], head, git.changed_files(base, head))
    for e in entries:
        blob = git.blob_at(head, e["filename"]) if e["status"] != "removed" else None
        e["sha"] = blob[0] if blob else None
    files: list[Json] = entries[:MAX_FILES]
    return paginate(ctx, files)


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/pulls/{pull_number:int}/files", list_files),
]
