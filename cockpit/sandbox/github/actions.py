"""GitHub Actions: workflows (list, get, dispatch, disable/enable), their runs (filtered as GitHub
filters them, rerun, cancel), jobs, logs (a job's text, a run's zip archive) and artifacts.

Logs and artifact archives are answered as GitHub answers them: a 302 to a short-lived
blob URL (``blob_routes``, served at the root beside git), which is what ``gh run view
--log`` and ``gh run download`` follow.

The runs themselves move in ``cockpit.sandbox.workflows`` (the simulator); this module
only reads and steers it over the REST API.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx, one, paginate
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox


async def list_workflows(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wfs = [ctx.sb.sim.workflow_json(r, w) for w in ctx.sb.sim.workflows(r["full_name"])]
    return json_response({"total_count": len(wfs), "workflows": wfs})


def _workflow(ctx: Ctx, r: Json) -> Json:
    wf = ctx.sb.sim.find_workflow(r["full_name"], ctx.p["workflow_id"])
    if wf is None:
        raise ApiError(404, "Not Found")
    return wf


async def get_workflow(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.sb.sim.workflow_json(r, _workflow(ctx, r)))


async def dispatch(ctx: Ctx) -> Response:
    r, git = ctx.repo()
    body = await json_body(ctx.request)
    need(body, "ref")
    wf = _workflow(ctx, r)
    if wf["state"] != "active":
        raise ApiError(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
    if "workflow_dispatch" not in wf["triggers"]:
        raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
    ref = str(body["ref"]).removeprefix("refs/heads/").removeprefix("refs/tags/")
    sha = git.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    inputs = body.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ApiError(422, "inputs must be an object")
    ctx.sb.sim.start(r["full_name"], wf, "workflow_dispatch", ref, sha,
                     {str(k): str(v) for k, v in inputs.items()}, ctx.actor())
    return Response(status_code=204)


async def disable(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    ctx.sb.sim.set_state(r["full_name"], _workflow(ctx, r), "disabled_manually")
    return Response(status_code=204)


async def enable(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    ctx.sb.sim.set_state(r["full_name"], _workflow(ctx, r), "active")
    return Response(status_code=204)


def _moment(text: str, end: bool = False) -> float:
    """A ``created`` bound: a date means its whole day (UTC), a date-time that second."""
    text = text.strip()
    if len(text) == 10:
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return (day + timedelta(days=1)).timestamp() - 1e-6 if end else day.timestamp()
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp() + (0.999999 if end else 0.0)


def _created_matches(ts: float, qualifier: str) -> bool:
    """GitHub's ``created`` search qualifier on run listings (``>=D``, ``<=D``, ``>D``,
    ``<D``, ``A..B``, or one date; dates or date-times) against a run's creation time."""
    ts = float(int(ts))  # GitHub's times have whole seconds
    if ".." in qualifier:
        low, high = qualifier.split("..", 1)
        return (low in ("", "*") or ts >= _moment(low)) and \
            (high in ("", "*") or ts <= _moment(high, end=True))
    for op in (">=", "<=", ">", "<"):
        if qualifier.startswith(op):
            value = qualifier[len(op):]
            return {">=": ts >= _moment(value), "<=": ts <= _moment(value, end=True),
                    ">": ts > _moment(value, end=True), "<": ts < _moment(value)}[op]
    return _moment(qualifier) <= ts <= _moment(qualifier, end=True)


def _runs_response(ctx: Ctx, r: Json, runs: list[Json]) -> Response:
    q = ctx.q
    if created := q.get("created"):
        try:
            runs = [x for x in runs if _created_matches(x["created_ts"], created)]
        except ValueError:
            raise ApiError(422, f"Invalid value for created: {created!r}") from None
    if ev := q.get("event"):
        runs = [x for x in runs if x["event"] == ev]
    if br := q.get("branch"):
        runs = [x for x in runs if x["head_branch"] == br]
    if st := q.get("status"):
        runs = [x for x in runs if st in (x["status"], x["conclusion"])]
    if sha := q.get("head_sha"):
        runs = [x for x in runs if x["head_sha"] == sha]
    if actor := q.get("actor"):
        runs = [x for x in runs if x["actor"] == actor]
    runs = sorted(runs, key=lambda x: x["id"], reverse=True)
    total = len(runs)
    return paginate(ctx, runs, lambda xs: {
        "total_count": total, "workflow_runs": [ctx.sb.sim.run_json(r, x) for x in xs]})


async def workflow_runs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    wf = _workflow(ctx, r)
    return _runs_response(ctx, r, [x for x in r["runs"] if x["workflow_path"] == wf["path"]])


async def repo_runs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return _runs_response(ctx, r, list(r["runs"]))


def _run(r: Json, run_id: int) -> Json:
    return one(r["runs"], "id", run_id)


async def get_run(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response(ctx.sb.sim.run_json(r, _run(r, int(ctx.p["run_id"]))))


async def rerun(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    if run["status"] != "completed":
        raise ApiError(403, "This workflow run is not completed")
    ctx.sb.sim.rerun(r["full_name"], run)
    return json_response({}, 201)


async def cancel(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    if run["status"] == "completed":
        raise ApiError(409, "Cannot cancel a workflow run that is completed.")
    ctx.sb.sim.cancel(run)
    return json_response({}, 202)


async def run_jobs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    jobs = [ctx.sb.sim.job_json(r, run, j) for j in run["jobs"]]
    return json_response({"total_count": len(jobs), "jobs": jobs})


def _job(r: Json, job_id: int) -> tuple[Json, Json]:
    for run in r["runs"]:
        for j in run["jobs"]:
            if j["id"] == job_id:
                return run, j
    raise ApiError(404, "Not Found")


async def get_job(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run, job = _job(r, int(ctx.p["job_id"]))
    return json_response(ctx.sb.sim.job_json(r, run, job))


def _blob_redirect(ctx: Ctx, path: str) -> Response:
    """GitHub answers 302 to a short-lived blob URL; so do we."""
    expires = int(time.time()) + 60
    sig = hashlib.sha256(f"{path}:{expires}".encode()).hexdigest()[:16]
    return RedirectResponse(f"{ctx.sb.base_url}/_blobs/{path}?se={expires}&sig={sig}",
                            status_code=302)


async def job_logs(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run, job = _job(r, int(ctx.p["job_id"]))
    if run["status"] != "completed":
        raise ApiError(404, "Not Found")
    return _blob_redirect(ctx, f"actions-logs/{job['id']}.txt")


async def check_run_annotations(ctx: Ctx) -> Response:
    """A job's check run (same id) and its annotations."""
    r, _ = ctx.repo()
    run, job = _job(r, int(ctx.p["check_run_id"]))
    return paginate(ctx, ctx.sb.sim.annotations(r, run, job))


async def run_logs(ctx: Ctx) -> Response:
    """The run's log archive (a zip); 404 until the run completes, as on GitHub."""
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    if run["status"] != "completed":
        raise ApiError(404, "Not Found")
    return _blob_redirect(ctx, f"actions-run-logs/{run['id']}.zip")


async def run_artifacts(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run = _run(r, int(ctx.p["run_id"]))
    found = [a for _, a in ctx.sb.sim.artifacts(run)
             if ctx.q.get("name") in (None, a["name"])]
    return paginate(ctx, found, lambda xs: {
        "total_count": len(found),
        "artifacts": [ctx.sb.sim.artifact_json(r, run, a) for a in xs]})


def _artifact(ctx: Ctx, r: Json) -> tuple[Json, Json]:
    wanted = int(ctx.p["artifact_id"])
    for run in r["runs"]:
        for _, artifact in ctx.sb.sim.artifacts(run):
            if artifact["id"] == wanted:
                return run, artifact
    raise ApiError(404, "Not Found")


async def get_artifact(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    run, artifact = _artifact(ctx, r)
    return json_response(ctx.sb.sim.artifact_json(r, run, artifact))


async def download_artifact(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    _, artifact = _artifact(ctx, r)
    if ctx.p["archive_format"] != "zip":
        raise ApiError(404, "Not Found")
    return _blob_redirect(ctx, f"actions-artifacts/{artifact['id']}.zip")


# -- blobs (the redirect targets) ---------------------------------------------------------

def _sandbox(request: Request) -> Sandbox:
    sb: Sandbox = request.app.state.sandbox
    return sb


def _zip(data: bytes | None) -> Response:
    if data is None:
        return Response("BlobNotFound", 404, media_type="text/plain")
    return Response(data, media_type="application/zip")


async def run_log_blob(request: Request) -> Response:
    sb = _sandbox(request)
    wanted = int(request.path_params["run_id"])
    for r in sb.world.data["repos"].values():
        for run in r["runs"]:
            if run["id"] == wanted:
                return _zip(sb.sim.log_archive(run))
    return _zip(None)


async def artifact_blob(request: Request) -> Response:
    sb = _sandbox(request)
    wanted = int(request.path_params["artifact_id"])
    for r in sb.world.data["repos"].values():
        for run in r["runs"]:
            for _, artifact in sb.sim.artifacts(run):
                if artifact["id"] == wanted:
                    return _zip(sb.sim.artifact_zip(artifact))
    return _zip(None)


def blob_routes() -> list[BaseRoute]:
    return [Route("/_blobs/actions-run-logs/{run_id:int}.zip", run_log_blob, methods=["GET"]),
            Route("/_blobs/actions-artifacts/{artifact_id:int}.zip", artifact_blob,
                  methods=["GET"])]


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/actions/workflows", list_workflows),
    ("GET", REPO + "/actions/workflows/{workflow_id}", get_workflow),
    ("POST", REPO + "/actions/workflows/{workflow_id}/dispatches", dispatch),
    ("GET", REPO + "/actions/workflows/{workflow_id}/runs", workflow_runs),
    ("PUT", REPO + "/actions/workflows/{workflow_id}/disable", disable),
    ("PUT", REPO + "/actions/workflows/{workflow_id}/enable", enable),
    ("GET", REPO + "/actions/runs", repo_runs),
    ("GET", REPO + "/actions/runs/{run_id:int}", get_run),
    ("POST", REPO + "/actions/runs/{run_id:int}/rerun", rerun),
    ("POST", REPO + "/actions/runs/{run_id:int}/cancel", cancel),
    ("GET", REPO + "/actions/runs/{run_id:int}/jobs", run_jobs),
    ("GET", REPO + "/actions/jobs/{job_id:int}", get_job),
    ("GET", REPO + "/actions/jobs/{job_id:int}/logs", job_logs),
    ("GET", REPO + "/actions/runs/{run_id:int}/logs", run_logs),
    ("GET", REPO + "/actions/runs/{run_id:int}/artifacts", run_artifacts),
    ("GET", REPO + "/check-runs/{check_run_id:int}/annotations",
     check_run_annotations),
    ("GET", REPO + "/actions/artifacts/{artifact_id:int}", get_artifact),
    ("GET", REPO + "/actions/artifacts/{artifact_id:int}/{archive_format}", download_artifact),
]
