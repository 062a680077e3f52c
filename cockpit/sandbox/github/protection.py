"""Branch protection: the resource (``/branches/{branch}/protection``) and its enforcement.

A repository's rules live in its world entry as ``protection: {branch: rules}`` (the
``PUT`` body, normalised); the seeded repositories protect ``master``/``main``/``release``
(``seeded``). The rules are enforced wherever GitHub enforces them:

- ``git push`` (``githttp`` hands ``policy`` to the ``pre-receive`` hook),
- the Git database API (``refs`` asks ``api_refusal``),
- merging a pull request (``pulls`` asks ``merge_refusal``: required status checks green
  on the head, required approving reviews given).

The refusal texts are GitHub's; the decision itself is ``pre_receive.refusal``, one rule
set for both git and the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from cockpit.sandbox import reviews
from cockpit.sandbox.branch_rules import FLAGS, normalise
from cockpit.sandbox.github import pre_receive
from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx
from cockpit.sandbox.gitstore import BareRepo
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

def rules_of(r: Json, branch: str) -> Json | None:
    table: dict[str, Json] = r.get("protection") or {}
    return table.get(branch)


def is_protected(r: Json, branch: str) -> bool:
    return rules_of(r, branch) is not None


def check_states(r: Json, sha: str) -> dict[str, str]:
    """Each check's latest state on ``sha`` (see ``all_check_states``)."""
    return all_check_states(r).get(sha, {})


def all_check_states(r: Json) -> dict[str, dict[str, str]]:
    """Commit → each required-check context's latest state there: ``success``,
    ``failure`` or ``pending``. A context is a check run's name (the jobs of the workflow
    runs the simulator started; call ``sb.sim.tick()`` first) or a commit status's context
    (``statuses``), as on GitHub, where either satisfies a required check."""
    states: dict[str, dict[str, str]] = {}
    for run in sorted(r["runs"], key=lambda x: x["id"]):
        state = ("pending" if run["status"] != "completed" else
                 "success" if run["conclusion"] in ("success", "neutral", "skipped")
                 else "failure")
        on_sha = states.setdefault(run["head_sha"], {})
        for job in run["jobs"] or [{"name": run["workflow_name"]}]:
            on_sha[str(job["name"])] = state
    for status in sorted(r.get("statuses", []), key=lambda x: x["id"]):
        state = status["state"] if status["state"] in ("success", "pending") else "failure"
        states.setdefault(status["sha"], {})[str(status["context"])] = state
    return states


def _green(r: Json, contexts: list[str]) -> list[str]:
    return [sha for sha, states in all_check_states(r).items()
            if all(states.get(c) == "success" for c in contexts)]


def administers(token: Json) -> bool:
    """Whether a token is a repository administrator's (the sandbox's own write token, not
    one limited to some repositories), who skips reviews and checks unless the rules
    ``enforce_admins``. Force-pushes and deletions are refused to everyone."""
    return token.get("scope") == "write" and "repos" not in token


def policy(sb: Sandbox, r: Json, bypass: bool) -> pre_receive.Policy:
    """What the ``pre-receive`` hook enforces for this repository; ``bypass``: the pusher
    is an administrator, who skips reviews and checks unless ``enforce_admins``."""
    sb.sim.tick()
    branches: dict[str, Json] = {}
    for name, rules in (r.get("protection") or {}).items():
        admin_free = bypass and not rules["enforce_admins"]
        checks = rules["required_status_checks"]
        contexts = [] if admin_free or checks is None else list(checks["contexts"])
        pr = rules["required_pull_request_reviews"]
        branches[name] = {
            "force": rules["allow_force_pushes"], "delete": rules["allow_deletions"],
            "reviews": 0 if admin_free or pr is None else pr["required_approving_review_count"],
            "checks": contexts, "green": _green(r, contexts) if contexts else []}
    return {"default": r["default_branch"], "branches": branches}


def api_refusal(ctx: Ctx, r: Json, git: BareRepo, ref: str, old: str | None,
                new: str | None) -> None:
    """422 with GitHub's text when the API would move or delete ``ref`` against the rules."""
    rules = policy(ctx.sb, r, bypass=administers(token_of(ctx)))
    lines = pre_receive.refusal(rules, ref, old, new, git.is_ancestor)
    if lines:
        raise ApiError(422, lines[-1])


def token_of(ctx: Ctx) -> Json:
    token = ctx.request.headers.get("authorization", "").partition(" ")[2].strip()
    info: Json = ctx.sb.world.data["tokens"].get(token, {})
    return info


def commit_refusal(ctx: Ctx, r: Json, branch: str) -> None:
    """409/422 when a commit made by the API (the contents API) may not land on
    ``branch``: its new commit has no checks yet and no pull request was reviewed."""
    rules = policy(ctx.sb, r, bypass=administers(token_of(ctx)))
    lines = pre_receive.refusal(rules, f"refs/heads/{branch}", pre_receive.ZERO,
                                "a new commit", lambda _old, _new: True)
    if lines:
        raise ApiError(409 if "review" in lines[-1] else 422, lines[-1])


def merge_refusal(ctx: Ctx, r: Json, issue: Json, head: str) -> None:
    """405 as GitHub answers a merge into a protected branch whose rules are not met."""
    sb = ctx.sb
    rules = rules_of(r, issue["pull"]["base"])
    if rules is None or (administers(token_of(ctx)) and not rules["enforce_admins"]):
        return
    pr = rules["required_pull_request_reviews"]
    if pr is not None and pr["required_approving_review_count"]:
        wanted = pr["required_approving_review_count"]
        latest: dict[str, str] = {}
        for review in reviews.reviews(issue["pull"]):
            if review["state"] in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
                latest[review["user"]] = review["state"]
        if "CHANGES_REQUESTED" in latest.values():
            raise ApiError(405, "Changes were requested by reviewers with write access.")
        if sum(1 for s in latest.values() if s == "APPROVED") < wanted:
            plural = "s are" if wanted > 1 else " is"
            raise ApiError(405, f"At least {wanted} approving review{plural} required by "
                                "reviewers with write access.")
    checks = rules["required_status_checks"]
    if checks is not None and checks["contexts"]:
        sb.sim.tick()
        states = check_states(r, head)
        for context in checks["contexts"]:
            state = states.get(context)
            if state != "success":
                verb = {"failure": "failing", "pending": "in progress"}.get(
                    state or "", "expected")
                raise ApiError(405, f'Required status check "{context}" is {verb}.')


def as_json(sb: Sandbox, full: str, branch: str, rules: Json) -> Json:
    """GitHub's ``branch-protection`` (GET) / ``protected-branch`` (PUT) body."""
    url = f"{sb.api_url}/repos/{full}/branches/{branch}/protection"
    out: Json = {"url": url,
                 "required_signatures": {"url": f"{url}/required_signatures", "enabled": False},
                 "enforce_admins": {"url": f"{url}/enforce_admins",
                                    "enabled": rules["enforce_admins"]}}
    checks = rules["required_status_checks"]
    if checks is not None:
        out["required_status_checks"] = {
            "url": f"{url}/required_status_checks", "strict": checks["strict"],
            "contexts": checks["contexts"],
            "checks": [{"context": c, "app_id": None} for c in checks["contexts"]],
            "contexts_url": f"{url}/required_status_checks/contexts"}
    pr = rules["required_pull_request_reviews"]
    if pr is not None:
        out["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews", **pr}
    for flag in FLAGS:
        out[flag] = {"enabled": rules[flag]}
    return out


def _branch(ctx: Ctx) -> tuple[Json, str]:
    r, git = ctx.repo()
    name = ctx.p["branch"]
    if git.resolve(f"refs/heads/{name}") is None:
        raise ApiError(404, "Branch not found")
    return r, name


async def get_protection(ctx: Ctx) -> Response:
    r, name = _branch(ctx)
    rules = rules_of(r, name)
    if rules is None:
        raise ApiError(404, "Branch not protected")
    return json_response(as_json(ctx.sb, r["full_name"], name, rules))


async def put_protection(ctx: Ctx) -> Response:
    r, name = _branch(ctx)
    body = await json_body(ctx.request)
    rules = normalise(body)
    with ctx.sb.world.lock:
        r.setdefault("protection", {})[name] = rules
    ctx.sb.world.save()
    return json_response(as_json(ctx.sb, r["full_name"], name, rules))


async def delete_protection(ctx: Ctx) -> Response:
    r, name = _branch(ctx)
    with ctx.sb.world.lock:
        if (r.get("protection") or {}).pop(name, None) is None:
            raise ApiError(404, "Branch not protected")
    ctx.sb.world.save()
    return Response(status_code=204)


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/branches/{branch:path}/protection", get_protection),
    ("PUT", REPO + "/branches/{branch:path}/protection", put_protection),
    ("DELETE", REPO + "/branches/{branch:path}/protection", delete_protection),
]
