"""Check suites: one per workflow run, as GitHub Actions makes them.

A run's suite has the id ``run id + 1`` (what the run's ``check_suite_id`` and its
check run's ``check_suite`` already say), its status and conclusion, and the one check
run the simulator reports for it.
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, paginate
from cockpit.sandbox.github.repos import commit_or_404
from cockpit.sandbox.http import ApiError, json_response
from cockpit.sandbox.objects import node_id
from cockpit.sandbox.world import Json

ACTIONS_APP_ID = 15368
"""GitHub Actions' app id on github.com (the check runs carry the same app)."""


def suite(ctx: Ctx, r: Json, run: Json) -> Json:
    full = r["full_name"]
    sim = ctx.sb.sim
    shaped = sim.run_json(r, run)
    suite_id = run["id"] + 1
    url = f"{ctx.sb.api_url}/repos/{full}/check-suites/{suite_id}"
    return {
        "id": suite_id, "node_id": node_id("CS", suite_id), "head_branch": run["head_branch"],
        "head_sha": run["head_sha"], "status": shaped["status"],
        "conclusion": shaped["conclusion"], "url": url, "before": None,
        "after": run["head_sha"], "pull_requests": shaped["pull_requests"],
        "app": sim.check_run(r, run)["app"],
        "repository": ctx.shapes.repo(r, full=False),
        "created_at": shaped["created_at"], "updated_at": shaped["updated_at"],
        "head_commit": shaped["head_commit"], "latest_check_runs_count": 1,
        "check_runs_url": f"{url}/check-runs", "rerequestable": True,
        "runs_rerequestable": True,
    }


async def for_ref(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    c = commit_or_404(git, ctx.p["ref"])
    runs = [run for run in r["runs"] if run["head_sha"] == c.sha]
    app_id = ctx.q.get("app_id")
    if app_id is not None and app_id != str(ACTIONS_APP_ID):
        runs = []
    if name := ctx.q.get("check_name"):
        runs = [run for run in runs if (run["jobs"] or [{"name": "build"}])[0]["name"] == name]
    return paginate(ctx, runs, lambda page: {
        "total_count": len(runs), "check_suites": [suite(ctx, r, run) for run in page]})


async def get_suite(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wanted = int(ctx.p["check_suite_id"]) - 1
    for run in r["runs"]:
        if run["id"] == wanted:
            return json_response(suite(ctx, r, run))
    raise ApiError(404, "Not Found")


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/commits/{ref:path}/check-suites", for_ref),
    ("GET", REPO + "/check-suites/{check_suite_id:int}", get_suite),
]
