"""Generated release notes: ``POST /repos/{o}/{r}/releases/generate-notes``.

As GitHub writes them: the pull requests merged between the previous release and the
target ("What's Changed", one line each with author and link), the authors whose first
merged pull request is among them ("New Contributors"), and the full-changelog link (a
comparison with the previous release's tag, else the commits up to the tag). The
previous release is ``previous_tag_name`` if given, else the newest published release
whose tag is an ancestor of the target. Categories from ``.github/release.yml`` are
not read.
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx
from cockpit.sandbox.gitstore import BareRepo
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.versions import version_key
from cockpit.sandbox.world import Json


def _previous(r: Json, git: BareRepo, tag: str, target: str) -> str | None:
    tags = [x["tag_name"] for x in r["releases"] if not x["draft"] and x["tag_name"] != tag]
    behind = [t for t in tags if (sha := git.resolve(f"refs/tags/{t}")) is not None
              and git.is_ancestor(sha, target)]
    return max(behind, key=version_key) if behind else None


def notes_body(html: str, r: Json, git: BareRepo, tag: str, target: str,
               previous: str | None) -> str:
    full = r["full_name"]
    rng = f"{git.resolve(f'refs/tags/{previous}')}..{target}" if previous else target
    in_range = {c.sha for c in git.log(rng)}
    merged = sorted((i for i in r["issues"] if i["pull"] and i["pull"]["merged_at"]),
                    key=lambda i: (i["pull"]["merged_at"], i["number"]))
    pulls = [i for i in merged if i["pull"]["merge_commit_sha"] in in_range]
    first: dict[str, int] = {}
    for i in merged:
        first.setdefault(i["user"], i["number"])
    url = f"{html}/{full}/pull/"
    parts = []
    if pulls:
        parts.append("## What's Changed\n" + "\n".join(
            f"* {i['title']} by @{i['user']} in {url}{i['number']}" for i in pulls))
        newcomers = [i for i in pulls if first[i["user"]] == i["number"]]
        if newcomers:
            parts.append("## New Contributors\n" + "\n".join(
                f"* @{i['user']} made their first contribution in {url}{i['number']}"
                for i in newcomers))
    link = (f"{html}/{full}/compare/{previous}...{tag}" if previous
            else f"{html}/{full}/commits/{tag}")
    parts.append(f"**Full Changelog**: {link}")
    return "\n\n".join(parts)


async def generate_notes(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "tag_name")
    tag = str(body["tag_name"])
    target = git.resolve(f"refs/tags/{tag}") or git.resolve(
        str(body.get("target_commitish") or r["default_branch"]))
    if target is None:
        raise ApiError(404, "Not Found")
    previous = body.get("previous_tag_name")
    if previous is not None and git.resolve(f"refs/tags/{previous}") is None:
        raise ApiError(404, "Not Found")
    previous = previous or _previous(r, git, tag, target)
    return json_response({"name": tag, "body": notes_body(
        ctx.sb.base_url, r, git, tag, target, previous)})


ROUTES: list[ApiRoute] = [
    ("POST", REPO + "/releases/generate-notes", generate_notes),
]
