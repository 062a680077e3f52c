"""The GitHub Actions simulator: runs that go queued → in_progress → completed.

Workflows are the real ``.github/workflows/*.yml`` files on each repository's
default branch, so a test can add one with a push. A run's phase is a pure
function of the wall clock (queued for the first fifth of its duration), and
``tick()`` — called on every request — completes due runs and applies their
effects. Effects are deliberately small but causal, so the cockpit's "wait,
then verify" checks see the world change for the right reason:

- ipfs/kubo "Publish docker image" (tag push) → the registry reports the tag;
- ipfs/distributions CI on master → the dist site lists ``dists/*/versions``;
- ipfs/npm-go-ipfs "Release to npm" → npm gets the newest dist version (the
  job log says which version it discovered);
- ipfs/kubo "sync-release-assets" → releases whose version is on dist get assets;
- ipfs/ipfs-docs "update-on-new-ipfs-tag" → a PR bumping the docs' Kubo version;
- ipfs/ipfs-blog "Deploy" (push to main) → the blog's release-notes page lists the
  entries of the deployed commit (``cockpit.sandbox.blog``);
- any Python project's workflow that publishes to PyPI (on a tag push, on a published
  release: ``on_release``) → the sandbox's PyPI gets the sdist and wheel of
  ``pyproject.toml``'s version (``cockpit.sandbox.pypi``); one that runs ``cargo
  publish`` → the sandbox's crates.io gets ``Cargo.toml``'s version (``…sandbox.crates``).

Outcomes are configurable per workflow (``set_outcome``): a failing run
completes with ``failure``, a failing job log, and no effect.

Each job has its own times, fixed when its run (or re-run) starts: queued from the
run's creation for ``queue_s``, then running for ``run_s``. The first job takes the
run's classic window (queued for the first fifth, done at the duration), further
jobs start a little later and end a little earlier, so every job falls inside its
run. Two knobs bend them, for CI monitoring (``cockpit.sandbox.webhooks``):
``set_queue_spike`` multiplies a repository's queue times, ``set_creep`` makes a
job run for a fraction of its ``timeout-minutes`` (scaled by ``time_scale``; at 1 or
more it hits the timeout and, like GitHub, concludes ``cancelled``). Labels come from
``runs-on``: ``self-hosted`` (alone or in a list) is a self-hosted runner in the
"Default" group, anything else a GitHub-hosted one.
"""

from __future__ import annotations

import fnmatch
import io
import time
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yaml

from cockpit.sandbox import blog, crates, pypi
from cockpit.sandbox.gitstore import CommitInfo
from cockpit.sandbox.objects import iso, node_id
from cockpit.sandbox.seed import BLOG, DISTRIBUTIONS, DOCS, KUBO, NPM_GO_IPFS
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

NOMINAL_SECONDS = {
    "docker.yml": 900.0, "sync-release-assets.yml": 300.0, "gotest.yml": 600.0,
    "main.yml": 240.0, "update-on-new-ipfs-tag.yml": 120.0, "e2e.yml": 480.0,
    "deploy.yml": 180.0,
}
BOT = "github-actions[bot]"


ARTIFACT_RETENTION_DAYS = 90
"""GitHub's default retention for a public repository's artifacts and logs."""


def _file_name(name: str) -> str:
    """A job or step name as a file name in the log archive (GitHub drops ``/`` and
    ``:``)."""
    return name.replace("/", "").replace(":", "")


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _triggers(doc: Any) -> dict[str, Any]:
    """The ``on:`` block normalised to a dict (YAML 1.1 reads ``on`` as True)."""
    on = doc.get("on", doc.get(True)) if isinstance(doc, dict) else None
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {str(x): {} for x in on}
    if isinstance(on, dict):
        return {str(k): (v or {}) for k, v in on.items()}
    return {}


DEFAULT_TIMEOUT_MINUTES = 360
"""GitHub's ``timeout-minutes`` when a job declares none."""
SELF_HOSTED_LABELS = ["self-hosted", "linux", "x64"]


def runner_labels(spec: Any) -> tuple[list[str], bool, str | None]:
    """(labels, self-hosted?, runner group) for a job's ``runs-on``."""
    runs_on = spec.get("runs-on") if isinstance(spec, dict) else None
    group = None
    if isinstance(runs_on, dict):
        group = str(runs_on["group"]) if runs_on.get("group") else None
        runs_on = runs_on.get("labels")
    if isinstance(runs_on, str):
        runs_on = [runs_on]
    labels = [str(x) for x in runs_on] if isinstance(runs_on, list) else []
    if any(x.lower() == "self-hosted" for x in labels):
        return (labels if len(labels) > 1 else list(SELF_HOSTED_LABELS)), True, group
    if group is not None:  # a runner group without labels: self-hosted runners
        return labels or ["self-hosted"], True, group
    plain = [x for x in labels if "${{" not in x]
    return plain or ["ubuntu-latest"], False, None


def timeout_minutes(spec: Any) -> int:
    value = spec.get("timeout-minutes") if isinstance(spec, dict) else None
    try:
        minutes = int(value) if value is not None else DEFAULT_TIMEOUT_MINUTES
    except (TypeError, ValueError):  # an expression: GitHub evaluates it; we cannot
        return DEFAULT_TIMEOUT_MINUTES
    return minutes if minutes > 0 else DEFAULT_TIMEOUT_MINUTES


def _uploads(steps: Any) -> list[Json]:
    """The artifacts a job's steps upload (``uses: actions/upload-artifact@…``): name (the
    action's default ``artifact``) and path, as the action's ``with`` gives them."""
    out: list[Json] = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict) or not str(step.get("uses", "")).startswith(
                "actions/upload-artifact"):
            continue
        given = step.get("with")
        given = given if isinstance(given, dict) else {}
        out.append({"name": str(given.get("name") or "artifact"),
                    "path": str(given.get("path") or "")})
    return out


def _matches(patterns: list[str] | None, name: str) -> bool:
    if patterns is None:
        return True
    return any(fnmatch.fnmatchcase(name, p.replace("**", "*")) for p in patterns)


class Simulator:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self._commits: dict[tuple[str, str], CommitInfo | None] = {}

    # -- configuration ----------------------------------------------------------

    def set_outcome(self, repo: str, workflow: str, conclusion: str,
                    times: int | None = None) -> None:
        """Make ``repo``'s ``workflow`` (file name) conclude so (next ``times`` runs)."""
        key = f"{repo}:{workflow.rsplit('/', 1)[-1]}"
        with self.sb.world.lock:
            if conclusion == "success" and times is None:
                self.sb.world.data["workflow_outcomes"].pop(key, None)
            else:
                self.sb.world.data["workflow_outcomes"][key] = {
                    "conclusion": conclusion, "times": times}
        self.sb.world.save()

    def _knobs(self) -> Json:
        knobs: Json = self.sb.world.data.setdefault(
            "workflow_knobs", {"queue_spike": {}, "creep": {}})
        return knobs

    def _set_knob(self, knob: str, key: str, value: float | None, what: str) -> None:
        """Set ``key`` of the knob to ``value`` (positive, or ``what`` is refused); None
        clears it."""
        with self.sb.world.lock:
            values = self._knobs()[knob]
            if value is None:
                values.pop(key, None)
            else:
                if value <= 0:
                    raise ValueError(f"{what} is positive")
                values[key] = float(value)
        self.sb.world.save()

    def set_queue_spike(self, repo: str, factor: float | None) -> None:
        """Multiply the queue time of ``repo``'s jobs by ``factor`` (runs started from now
        on); None or 1 clears it."""
        self._set_knob("queue_spike", repo, None if factor == 1 else factor,
                       "a queue spike factor")

    def set_creep(self, target: str, fraction: float | None) -> None:
        """``owner/repo:workflow.yml`` (every job) or ``owner/repo:workflow.yml:job`` (the
        job's key or name) runs for ``fraction`` of its ``timeout-minutes`` times time_scale;
        None clears it. At 1 or more the job times out (``cancelled``)."""
        repo, _, rest = target.partition(":")
        if not repo or not rest:
            raise ValueError("creep target is OWNER/REPO:WORKFLOW.yml[:JOB]")
        wf, _, job = rest.partition(":")
        key = f"{repo}:{wf.rsplit('/', 1)[-1]}" + (f":{job}" if job else "")
        self._set_knob("creep", key, fraction, "a creep fraction")

    def _outcome(self, repo: str, path: str) -> str:
        outcomes = self.sb.world.data["workflow_outcomes"]
        key = f"{repo}:{path.rsplit('/', 1)[-1]}"
        rule = outcomes.get(key)
        if rule is None:
            return "success"
        if rule["times"] is not None:
            rule["times"] -= 1
            if rule["times"] <= 0:
                outcomes.pop(key)
        return str(rule["conclusion"])

    def duration(self, path: str) -> float:
        opts = self.sb.options
        if opts.workflow_seconds is not None:
            return opts.workflow_seconds
        return NOMINAL_SECONDS.get(path.rsplit("/", 1)[-1], 300.0) * opts.time_scale

    # -- workflows ----------------------------------------------------------------

    def workflows(self, full: str) -> list[Json]:
        r = self.sb.world.data["repos"][full]
        git = self.sb.repos[full]
        entries = git.ls_tree(r["default_branch"], ".github/workflows") or []
        out = []
        for e in entries:
            if not e.path.endswith((".yml", ".yaml")) or e.type != "blob":
                continue
            blob = git.blob_at(r["default_branch"], e.path)
            if blob is None:
                continue
            try:
                doc = yaml.safe_load(blob[1])
            except yaml.YAMLError:
                doc = {}
            meta = r["workflows"].setdefault(e.path, {})
            if "id" not in meta:
                with self.sb.world.lock:
                    meta.update(id=self.sb.world.new_id() + 90_000_000,
                                created_at=r["created_at"])
            jobs = doc.get("jobs") if isinstance(doc, dict) else None
            out.append({"id": meta["id"], "path": e.path,
                        "name": (doc.get("name") if isinstance(doc, dict) else None) or e.path,
                        "triggers": _triggers(doc), "jobs": jobs if isinstance(jobs, dict)
                        else {"build": {}}, "created_at": meta["created_at"],
                        "state": meta.get("state", "active")})
        return out

    def set_state(self, full: str, wf: Json, state: str) -> None:
        """``active`` or ``disabled_manually`` (``PUT …/enable``, ``…/disable``): a disabled
        workflow starts no runs, on any event."""
        with self.sb.world.lock:
            self.sb.world.data["repos"][full]["workflows"][wf["path"]]["state"] = state
        self.sb.world.save()

    def find_workflow(self, full: str, ident: str) -> Json | None:
        for wf in self.workflows(full):
            if ident in (str(wf["id"]), wf["path"].rsplit("/", 1)[-1], wf["path"]):
                return wf
        return None

    def workflow_json(self, r: Json, wf: Json) -> Json:
        full = r["full_name"]
        return {
            "id": wf["id"], "node_id": node_id("W", wf["id"]), "name": wf["name"],
            "path": wf["path"],
            "state": r["workflows"].get(wf["path"], {}).get("state", "active"),
            "created_at": wf["created_at"],
            "updated_at": wf["created_at"],
            "url": f"{self.sb.api_url}/repos/{full}/actions/workflows/{wf['id']}",
            "html_url": f"{self.sb.base_url}/{full}/blob/{r['default_branch']}/{wf['path']}",
            "badge_url": f"{self.sb.base_url}/{full}/workflows/{wf['name']}/badge.svg",
        }

    # -- starting runs ---------------------------------------------------------------

    def start(self, full: str, wf: Json, event: str, branch: str | None, sha: str,
              inputs: dict[str, str], actor: str, title: str | None = None,
              pull: int | None = None) -> Json:
        world = self.sb.world
        with world.lock:
            r = world.data["repos"][full]
            number = 1 + sum(1 for x in r["runs"] if x["workflow_path"] == wf["path"])
            now = time.time()
            commit = self.sb.repos[full].commit(sha)
            run = {
                "id": world.new_id() + 9_000_000_000, "run_number": number, "run_attempt": 1,
                "workflow_id": wf["id"], "workflow_path": wf["path"],
                "workflow_name": wf["name"], "event": event, "head_branch": branch,
                "head_sha": sha, "actor": actor, "inputs": inputs, "pull": pull,
                "display_title": title or (commit.message.splitlines()[0] if commit
                                           and commit.message else wf["name"]),
                "created_ts": now, "duration": self.duration(wf["path"]),
                "base_duration": self.duration(wf["path"]),
                "status": "queued", "conclusion": None, "planned": self._outcome(
                    full, wf["path"]),
                "jobs": [], "log": "", "hook_events": [],
            }
            for name, spec in wf["jobs"].items():
                steps = spec.get("steps") if isinstance(spec, dict) else None
                labels, self_hosted, group = runner_labels(spec)
                artifacts = [{"id": world.new_id() + 30_000_000_000, **upload}
                             for upload in _uploads(steps)]
                run["jobs"].append({
                    "id": world.new_id() + 20_000_000_000, "key": str(name),
                    "name": (spec.get("name") if isinstance(spec, dict) else None) or name,
                    "steps": [s.get("name") or s.get("run") or s.get("uses") or "step"
                              for s in (steps or []) if isinstance(s, dict)],
                    "labels": labels, "self_hosted": self_hosted, "runner_group": group,
                    "timeout_minutes": timeout_minutes(spec), "artifacts": artifacts,
                })
            self._plan(full, run)
            r["runs"].append(run)
        world.save()
        return run

    def on_push(self, full: str, updates: list[tuple[str, str | None, str | None]]) -> None:
        """Ref updates from a git push or an API write: start the matching runs."""
        r = self.sb.world.data["repos"][full]
        wfs = self.workflows(full)
        for ref, _old, new in updates:
            if not new or new == "0" * 40:
                continue
            sha = self.sb.repos[full].resolve(new) or new
            if ref.startswith("refs/tags/"):
                name, kind = ref.removeprefix("refs/tags/"), "tags"
            elif ref.startswith("refs/heads/"):
                name, kind = ref.removeprefix("refs/heads/"), "branches"
            else:
                continue
            for wf in wfs:
                push = wf["triggers"].get("push")
                if push is None or wf["state"] != "active":
                    continue
                push = push if isinstance(push, dict) else {}
                has_filters = "tags" in push or "branches" in push
                ok = _matches(push[kind], name) if kind in push else not has_filters
                if ok:
                    self.start(full, wf, "push", name, sha, {}, self._pusher())
            if kind == "branches":
                for i in r["issues"]:
                    p = i["pull"]
                    if p and i["state"] == "open" and p["head"] == name and \
                            p["head_sha"] != sha:
                        with self.sb.world.lock:
                            p["head_sha"] = sha
                        self.on_pull_request(full, i)
        self.sb.world.save()

    def on_release(self, full: str, release: Json) -> None:
        """A release was published (created public, or a draft made public): start the
        workflows ``on: release`` for ``published`` (GitHub also sends ``released`` or
        ``prereleased``), on the tag's commit, as GitHub does."""
        sha = self.sb.repos[full].resolve(f"refs/tags/{release['tag_name']}")
        if sha is None:
            return
        kinds = {"published", "prereleased" if release["prerelease"] else "released"}
        for wf in self.workflows(full):
            spec = wf["triggers"].get("release")
            if spec is None:
                continue
            types = spec.get("types") if isinstance(spec, dict) else None
            if types is None or kinds & {str(t) for t in types}:
                self.start(full, wf, "release", release["tag_name"], sha, {},
                           str(release["author"]), release.get("name") or release["tag_name"])

    def _pusher(self) -> str:
        from cockpit.sandbox.seed import ADMIN_LOGIN

        return ADMIN_LOGIN

    def on_pull_request(self, full: str, issue: Json) -> None:
        for wf in self.workflows(full):
            if "pull_request" in wf["triggers"] and wf["state"] == "active":
                self.start(full, wf, "pull_request", issue["pull"]["head"],
                           issue["pull"]["head_sha"], {}, issue["user"], issue["title"],
                           pull=issue["number"])

    def rerun(self, full: str, run: Json) -> None:
        """A new attempt: new times, and new job ids (GitHub's jobs belong to an attempt)."""
        with self.sb.world.lock:
            self.sb.webhooks.flush_run(full, run)  # the last attempt's webhooks first
            run.update(created_ts=time.time(), status="queued", conclusion=None,
                       run_attempt=run["run_attempt"] + 1, log="",
                       planned=self._outcome(full, run["workflow_path"]), hook_events=[])
            for job in run["jobs"]:
                job["id"] = self.sb.world.new_id() + 20_000_000_000
            self._plan(full, run)
        self.sb.world.save()

    def cancel(self, run: Json) -> None:
        """``POST …/cancel``: what has not finished stops now and concludes ``cancelled``
        (jobs that finished keep their conclusion); the next tick completes the run."""
        with self.sb.world.lock:
            elapsed = max(0.0, time.time() - run["created_ts"])
            for job in run["jobs"]:
                start, end = self.job_window(run, job)
                if end > elapsed:
                    queue = min(start, elapsed)
                    job.update(queue_s=queue, run_s=elapsed - queue, planned="cancelled")
            run.update(planned="cancelled", duration=elapsed,
                       start_s=min(self.run_start(run), elapsed))
        self.sb.world.save()

    def _plan(self, full: str, run: Json) -> None:
        """Fix each job's queue and run time (offsets from the run's creation), then the
        run's own window: in progress when its first job starts, done when its last ends."""
        base = float(run["base_duration"] if "base_duration" in run else run["duration"])
        knobs = self._knobs()
        spike = float(knobs["queue_spike"].get(full, 1.0))
        wf = run["workflow_path"].rsplit("/", 1)[-1]
        run_conclusion = run["planned"]
        for k, job in enumerate(run["jobs"]):
            # The first job has the run's classic window; others vary a little inside it.
            f = 0.0 if k == 0 else (job["id"] % 97) / 97
            queue = base / 5 * (1 + 0.5 * f)
            run_s = base * (1 - 0.1 * f) - queue
            conclusion = run["planned"]
            creep = knobs["creep"].get(f"{full}:{wf}:{job.get('key')}",
                                       knobs["creep"].get(f"{full}:{wf}:{job['name']}",
                                                          knobs["creep"].get(f"{full}:{wf}")))
            if creep is not None:
                limit = job.get("timeout_minutes", DEFAULT_TIMEOUT_MINUTES) * 60 \
                    * self.sb.options.time_scale
                run_s = min(float(creep), 1.0) * limit
                if creep >= 1.0:  # GitHub cancels a job at its timeout
                    conclusion = run_conclusion = "cancelled"
            job.update(queue_s=queue * spike, run_s=run_s, planned=conclusion)
        run["planned"] = run_conclusion
        if run["jobs"]:
            run["start_s"] = min(j["queue_s"] for j in run["jobs"])
            run["duration"] = max(j["queue_s"] + j["run_s"] for j in run["jobs"])
        else:
            run["start_s"], run["duration"] = base / 5, base

    @staticmethod
    def run_start(run: Json) -> float:
        """Seconds from creation until the run is in progress (its first job starts)."""
        return float(run.get("start_s", run["duration"] / 5))

    @staticmethod
    def job_window(run: Json, job: Json) -> tuple[float, float]:
        """A job's (start, end) in seconds from its run's creation."""
        if "queue_s" in job:
            return float(job["queue_s"]), float(job["queue_s"] + job["run_s"])
        return run["duration"] / 5, float(run["duration"])  # runs from before per-job times

    def job_phase(self, run: Json, job: Json, at: float) -> str:
        """queued, in_progress or completed at time ``at`` (a pure function of the clock)."""
        start, end = self.job_window(run, job)
        elapsed = at - run["created_ts"]
        return "completed" if elapsed >= end else "in_progress" if elapsed >= start \
            else "queued"

    # -- the clock ---------------------------------------------------------------------

    def tick(self) -> None:
        """Advance every run to its phase for ``now``; completing runs apply effects."""
        now = time.time()
        changed = False
        with self.sb.world.lock:
            for full, r in self.sb.world.data["repos"].items():
                for run in r["runs"]:
                    if run["status"] == "completed":
                        continue
                    elapsed = now - run["created_ts"]
                    if elapsed >= run["duration"]:
                        run["status"] = "completed"
                        run["conclusion"] = run["planned"]
                        lines = self._effects(full, run) if run["planned"] == "success" \
                            else ["##[error]The operation was canceled."] \
                            if run["planned"] == "cancelled" \
                            else ["##[error]Process completed with exit code 1."]
                        run["log"] = self._log(run, lines)
                        changed = True
                    elif elapsed >= self.run_start(run) and run["status"] == "queued":
                        run["status"] = "in_progress"
                        changed = True
        if changed:
            self.sb.world.save()

    def _log(self, run: Json, lines: list[str]) -> str:
        t = run["created_ts"] + self.run_start(run)
        out = [f"{_stamp(t)} ##[group]Run {run['workflow_name']}",
               f"{_stamp(t)} event: {run['event']} ref: {run['head_branch']} "
               f"sha: {run['head_sha']}"]
        for k, v in sorted(run["inputs"].items()):
            out.append(f"{_stamp(t)} input {k}={v}")
        out.append(f"{_stamp(t)} ##[endgroup]")
        end = run["created_ts"] + run["duration"]
        out += [f"{_stamp(end)} {line}" for line in lines]
        return "\n".join(out) + "\n"

    def _effects(self, full: str, run: Json) -> list[str]:
        wf = run["workflow_path"].rsplit("/", 1)[-1]
        data = self.sb.world.data
        now = _stamp(time.time())
        if full == KUBO and wf == "docker.yml" and run["event"] == "push":
            tag = run["head_branch"]
            tags = data["docker"].setdefault("ipfs/kubo", {})
            tags[tag] = now
            pushed = [tag]
            if "-" not in tag:
                tags["latest"] = tags["release"] = now
                pushed += ["latest", "release"]
                # Moving tags name the same image (same digest) as the version they follow.
                images = data.setdefault("docker_images", {}).setdefault("ipfs/kubo", {})
                images["latest"] = images["release"] = tag
            return [f"Pushed ipfs/kubo:{t}" for t in pushed]
        if full == DISTRIBUTIONS and wf == "main.yml" and run["event"] == "push" \
                and run["head_branch"] == "master":
            git = self.sb.repos[full]
            lines = []
            for dist in ("kubo", "go-ipfs"):
                blob = git.blob_at(run["head_sha"], f"dists/{dist}/versions")
                if blob:
                    versions = [v.strip() for v in blob[1].decode().splitlines() if v.strip()]
                    data["dist"][dist] = versions
                    lines.append(f"Published dists/{dist}: {', '.join(versions[-3:])}")
            return lines
        if full == NPM_GO_IPFS and wf == "main.yml":
            versions = data["dist"].get("kubo") or []
            if not versions:
                return ["No versions on dist.ipfs.tech"]
            latest = versions[-1]
            lines = [f"Discovered kubo version {latest} on dist.ipfs.tech"]
            plain = latest.lstrip("v")
            for pkg in ("kubo", "go-ipfs"):
                npm = data["npm"].setdefault(pkg, {"versions": {}, "dist-tags": {}})
                if plain in npm["versions"]:
                    lines.append(f"{pkg}@{plain} is already published, nothing to do")
                    continue
                npm["versions"][plain] = now
                if "-" not in plain:
                    npm["dist-tags"]["latest"] = plain
                else:
                    npm["dist-tags"]["next"] = plain
                lines.append(f"Published {pkg}@{plain}")
            return lines
        if full == KUBO and wf == "sync-release-assets.yml":
            lines = []
            on_dist = set(data["dist"].get("kubo") or [])
            for rel in data["repos"][KUBO]["releases"]:
                tag = rel["tag_name"]
                if rel["assets"]:  # drafts too: the real workflow lists releases with a
                    continue       # write token, and that list includes the drafts
                if tag not in on_dist:
                    lines.append(f"Skipping {tag}: not on dist.ipfs.tech yet")
                    continue
                for plat in ("darwin-amd64.tar.gz", "darwin-arm64.tar.gz",
                             "linux-amd64.tar.gz", "linux-arm64.tar.gz",
                             "windows-amd64.zip"):
                    for suffix in ("", ".sha512"):
                        rel["assets"].append({"id": self.sb.world.new_id(),
                                              "name": f"kubo_{tag}_{plat}{suffix}",
                                              "size": 128 if suffix else 40_000_000,
                                              "created_at": now})
                lines.append(f"Uploaded {len(rel['assets'])} assets to {tag}")
            return lines or ["All releases in sync"]
        if full == DOCS and wf == "update-on-new-ipfs-tag.yml":
            return self._docs_pr(run)
        if full == BLOG and wf == "deploy.yml" and run["head_branch"] == "main":
            return blog.deploy(self.sb, run)
        if (published := pypi.publish_from_workflow(self.sb, full, run)) is not None:
            return published
        if (published := crates.publish_from_workflow(self.sb, full, run)) is not None:
            return published
        return [f"Job {j['name']} succeeded" for j in run["jobs"]]

    def _docs_pr(self, run: Json) -> list[str]:
        version = run["inputs"].get("version") or ""
        if not version:
            from cockpit.sandbox.versions import version_key

            tags = [t for t in self.sb.repos[KUBO].tags() if "-" not in t]
            version = max(tags, key=version_key) if tags else "v0.0.0"
        git = self.sb.repos[DOCS]
        r = self.sb.world.data["repos"][DOCS]
        branch = f"bump-kubo-to-{version}"
        if git.resolve(f"refs/heads/{branch}") is not None:
            return [f"Branch {branch} already exists"]
        base = r["default_branch"]
        git.update_ref(f"refs/heads/{branch}", git.resolve(base) or "", "0" * 40)
        sha = git.commit_files(branch, {
            "docs/install/command-line.md":
                f"# Install Kubo\n\nCurrent version: {version}\n".encode(),
            "docs/.vuepress/config.js":
                f"module.exports = {{ kuboVersion: '{version}' }}\n".encode(),
        }, f"Bumped Kubo version to {version}", (BOT, "bot@github.com"))
        world = self.sb.world
        now = _stamp(time.time())
        number = world.next_number(r)
        issue: Json = {
            "number": number, "id": world.new_id(), "title": f"Update Kubo: {version}",
            "body": f"Updates the docs to Kubo {version}.", "state": "open",
            "state_reason": None, "user": BOT, "labels": [], "assignees": [],
            "milestone": None, "locked": False, "created_at": now, "updated_at": now,
            "closed_at": None,
            "pull": {"head": branch, "base": base, "head_sha": sha,
                     "base_sha": git.resolve(base), "draft": False, "merged_at": None,
                     "merge_commit_sha": None, "merged_by": None, "requested_reviewers": [],
                     "additions": 2, "deletions": 2, "changed_files": 2},
        }
        r["issues"].append(issue)
        self.on_pull_request(DOCS, issue)  # its checks run, as for any pull request
        return [f"Opened pull request #{number} ({branch})"]

    # -- shapes ----------------------------------------------------------------------

    def _times(self, run: Json, phase: str | None = None) -> tuple[str, str, str | None]:
        created = run["created_ts"]
        started = created + self.run_start(run)
        done = created + run["duration"]
        return _stamp(created), _stamp(started), (_stamp(done) if (phase or run["status"]) ==
                                                   "completed" else None)

    def commit(self, full: str, sha: str) -> CommitInfo | None:
        """A commit by sha, cached: commits never change, and payloads read them often."""
        key = (full, sha)
        if key not in self._commits:
            self._commits[key] = self.sb.repos[full].commit(sha)
        return self._commits[key]

    def run_json(self, r: Json, run: Json, phase: str | None = None) -> Json:
        """The REST shape of a run; ``phase`` (queued, in_progress, completed) shows it as it
        was at that phase (webhook payloads), else as it is now."""
        full = r["full_name"]
        api = f"{self.sb.api_url}/repos/{full}/actions/runs/{run['id']}"
        created, started, done = self._times(run, phase)
        status = phase or run["status"]
        conclusion = run["planned"] if phase == "completed" else \
            None if phase else run["conclusion"]
        updated = done or (started if status != "queued" else created)
        commit = self.commit(full, run["head_sha"])
        shapes = self.sb.shapes
        head_commit = None
        if commit:
            head_commit = {
                "id": commit.sha, "tree_id": commit.tree, "message": commit.message,
                "timestamp": iso(commit.committer.date),
                "author": {"name": commit.author.name, "email": commit.author.email},
                "committer": {"name": commit.committer.name,
                              "email": commit.committer.email},
            }
        pulls = []
        if run.get("pull"):
            repo_min = {"id": r["id"], "url": f"{self.sb.api_url}/repos/{full}",
                        "name": r["name"]}
            pulls.append({"id": run["pull"], "number": run["pull"],
                          "url": f"{self.sb.api_url}/repos/{full}/pulls/{run['pull']}",
                          "head": {"ref": run["head_branch"], "sha": run["head_sha"],
                                   "repo": repo_min},
                          "base": {"ref": r["default_branch"], "sha": run["head_sha"],
                                   "repo": repo_min}})
        return {
            "id": run["id"], "name": run["workflow_name"], "node_id": node_id("WFR", run["id"]),
            "head_branch": run["head_branch"], "head_sha": run["head_sha"],
            "path": run["workflow_path"], "display_title": run["display_title"],
            "run_number": run["run_number"], "run_attempt": run["run_attempt"],
            "event": run["event"], "status": status, "conclusion": conclusion,
            "workflow_id": run["workflow_id"], "check_suite_id": run["id"] + 1,
            "url": api, "html_url": f"{self.sb.base_url}/{full}/actions/runs/{run['id']}",
            "pull_requests": pulls, "created_at": created, "updated_at": updated,
            "run_started_at": started, "actor": shapes.user(run["actor"]),
            "triggering_actor": shapes.user(run["actor"]),
            "jobs_url": f"{api}/jobs", "logs_url": f"{api}/logs",
            "check_suite_url": f"{self.sb.api_url}/repos/{full}/check-suites/{run['id'] + 1}",
            "artifacts_url": f"{api}/artifacts", "cancel_url": f"{api}/cancel",
            "rerun_url": f"{api}/rerun",
            "workflow_url": f"{self.sb.api_url}/repos/{full}/actions/workflows/"
                            f"{run['workflow_id']}",
            "head_commit": head_commit, "repository": shapes.repo(r, full=False),
            "head_repository": shapes.repo(r, full=False),
        }

    def job_json(self, r: Json, run: Json, job: Json, phase: str | None = None) -> Json:
        """The REST (and webhook) shape of a job, at ``phase`` or as it is now."""
        full = r["full_name"]
        created = run["created_ts"]
        start, end = self.job_window(run, job)
        status = phase or self.job_phase(run, job, time.time())
        conclusion = job.get("planned", run["planned"]) if status == "completed" else None
        started = _stamp(created + start) if status != "queued" else _stamp(created)
        names = ["Set up job", *job["steps"], "Complete job"]
        steps: list[Json] = []
        if status != "queued":  # GitHub lists no steps before a runner picks the job up
            now = time.time() if phase is None else created + (end if status == "completed"
                                                               else start)
            span = (end - start) / len(names)
            for n, name in enumerate(names, start=1):
                s0, s1 = created + start + (n - 1) * span, created + start + n * span
                if status == "completed" or now >= s1:
                    step_conclusion = "success"
                    if conclusion != "success" and n == len(names) - 1:
                        step_conclusion = "failure" if conclusion == "failure" else "cancelled"
                    steps.append({"name": name, "number": n, "status": "completed",
                                  "conclusion": step_conclusion, "started_at": _stamp(s0),
                                  "completed_at": _stamp(s1)})
                elif now >= s0 or n == 1:
                    steps.append({"name": name, "number": n, "status": "in_progress",
                                  "conclusion": None, "started_at": _stamp(s0),
                                  "completed_at": None})
                else:
                    steps.append({"name": name, "number": n, "status": "queued",
                                  "conclusion": None, "started_at": None,
                                  "completed_at": None})
        api = f"{self.sb.api_url}/repos/{full}/actions"
        picked = status != "queued"
        self_hosted = bool(job.get("self_hosted"))
        runner = (job["id"] % 7) + 1
        group = job.get("runner_group") or ("Default" if self_hosted else "GitHub Actions")
        return {
            "id": job["id"], "run_id": run["id"], "run_url": f"{api}/runs/{run['id']}",
            "run_attempt": run["run_attempt"], "node_id": node_id("CR", job["id"]),
            "head_sha": run["head_sha"], "head_branch": run["head_branch"],
            "url": f"{api}/jobs/{job['id']}",
            "html_url": f"{self.sb.base_url}/{full}/actions/runs/{run['id']}/job/{job['id']}",
            "status": status, "conclusion": conclusion, "created_at": _stamp(created),
            "started_at": started,
            "completed_at": _stamp(created + end) if status == "completed" else None,
            "name": job["name"], "steps": steps,
            "check_run_url": f"{self.sb.api_url}/repos/{full}/check-runs/{job['id']}",
            "labels": list(job.get("labels") or ["ubuntu-latest"]),
            "runner_id": (100 + runner if self_hosted else runner) if picked else None,
            "runner_name": (f"{full.split('/')[0]}-runner-{runner}" if self_hosted
                            else f"GitHub Actions {runner}") if picked else None,
            "runner_group_id": (1 if self_hosted else 0) if picked else None,
            "runner_group_name": group if picked else None,
            "workflow_name": run["workflow_name"],
        }

    def check_run(self, r: Json, run: Json) -> Json:
        full = r["full_name"]
        _created, started, done = self._times(run)
        job = run["jobs"][0] if run["jobs"] else {"id": run["id"], "name": "build"}
        shapes = self.sb.shapes
        owner = shapes.simple_user(r["owner"])
        return {
            "id": job["id"], "node_id": node_id("CR", job["id"]), "head_sha": run["head_sha"],
            "external_id": str(run["id"]),
            "url": f"{self.sb.api_url}/repos/{full}/check-runs/{job['id']}",
            "html_url": f"{self.sb.base_url}/{full}/runs/{job['id']}",
            "details_url": f"{self.sb.base_url}/{full}/actions/runs/{run['id']}",
            "status": run["status"], "conclusion": run["conclusion"],
            "started_at": started, "completed_at": done,
            "output": {"title": None, "summary": None, "text": None,
                       "annotations_count": len(self.annotations(r, run, job))
                       if run["jobs"] else 0,
                       "annotations_url": f"{self.sb.api_url}/repos/{full}/check-runs/"
                                          f"{job['id']}/annotations"},
            "name": job["name"], "check_suite": {"id": run["id"] + 1},
            "app": {"id": 15368, "slug": "github-actions", "node_id": "MDM6QXBwMTUzNjg=",
                    "owner": owner, "name": "GitHub Actions", "description": "",
                    "external_url": "https://help.github.com/en/actions",
                    "html_url": "https://github.com/apps/github-actions",
                    "created_at": "2018-07-30T09:30:17Z",
                    "updated_at": "2024-04-10T20:33:16Z",
                    "permissions": {"actions": "write", "checks": "write"},
                    "events": ["check_run", "push"]},
            "pull_requests": [],
        }

    def step_logs(self, run: Json, job: Json) -> list[tuple[int, str, str]]:
        """A completed job's log cut by step, as GitHub's log archive holds it: (number,
        step name, text). "Set up job" has the run's header; the job's last own step (the
        one that fails, in ``job_json``) has the rest; the others logged nothing."""
        lines = str(run["log"]).splitlines(keepends=True)
        cut = next((i + 1 for i, line in enumerate(lines) if "##[endgroup]" in line), 0)
        names = ["Set up job", *job["steps"], "Complete job"]
        worker = len(names) - 1 if len(names) > 2 else 1
        texts = {1: "".join(lines[:cut])}
        texts[worker] = texts.get(worker, "") + "".join(lines[cut:])
        return [(n, name, texts.get(n, "")) for n, name in enumerate(names, start=1)]

    def log_archive(self, run: Json) -> bytes | None:
        """``GET …/runs/{id}/logs``: a zip with ``{i}_{job}.txt`` per job and
        ``{job}/{n}_{step}.txt`` per step (what ``gh run view --log`` reads); None until
        the run completes."""
        if run["status"] != "completed":
            return None
        buffer = io.BytesIO()
        stamp = time.gmtime(run["created_ts"] + run["duration"])[:6]
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for i, job in enumerate(run["jobs"]):
                folder = _file_name(job["name"])
                archive.writestr(zipfile.ZipInfo(f"{i}_{folder}.txt", stamp), str(run["log"]))
                for n, step, text in self.step_logs(run, job):
                    archive.writestr(zipfile.ZipInfo(f"{folder}/{n}_{_file_name(step)}.txt",
                                                     stamp), text)
        return buffer.getvalue()

    def artifacts(self, run: Json) -> list[tuple[Json, Json]]:
        """(job, artifact) for what a run uploaded: its jobs' ``upload-artifact`` steps,
        once the run has succeeded."""
        if run["status"] != "completed" or run["conclusion"] != "success":
            return []
        return [(job, a) for job in run["jobs"] for a in job.get("artifacts", [])]

    def artifact_json(self, r: Json, run: Json, artifact: Json) -> Json:
        full = r["full_name"]
        api = f"{self.sb.api_url}/repos/{full}/actions/artifacts/{artifact['id']}"
        done = run["created_ts"] + run["duration"]
        return {
            "id": artifact["id"], "node_id": node_id("A", artifact["id"]),
            "name": artifact["name"], "size_in_bytes": len(self.artifact_zip(artifact)),
            "url": api, "archive_download_url": f"{api}/zip", "expired": False,
            "created_at": _stamp(done), "updated_at": _stamp(done),
            "expires_at": _stamp(done + ARTIFACT_RETENTION_DAYS * 86400), "digest": None,
            "workflow_run": {"id": run["id"], "repository_id": r["id"],
                             "head_repository_id": r["id"], "head_branch": run["head_branch"],
                             "head_sha": run["head_sha"]},
        }

    @staticmethod
    def artifact_zip(artifact: Json) -> bytes:
        """The archive of a simulated upload: no job ran, so it holds a note naming what
        the workflow uploads (its ``path``), not the files themselves."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(zipfile.ZipInfo("UPLOADED-PATHS.txt", (2024, 1, 1, 0, 0, 0)),
                             f"{artifact.get('path', '')}\n")
        return buffer.getvalue()

    def annotations(self, r: Json, run: Json, job: Json) -> list[Json]:
        """The check run's annotations: a finished job that did not succeed carries the
        runner's one-line reason, as GitHub Actions writes it (``gh run view`` shows it)."""
        if self.job_phase(run, job, time.time()) != "completed":
            return []
        message = {"failure": "Process completed with exit code 1.",
                   "cancelled": "The operation was canceled."}.get(
            str(job.get("planned", run["planned"])))
        if message is None:
            return []
        return [{"path": ".github", "start_line": 1, "end_line": 1, "start_column": None,
                 "end_column": None, "annotation_level": "failure", "title": "",
                 "message": message, "raw_details": "",
                 "blob_href": f"{self.sb.base_url}/{r['full_name']}/blob/{run['head_sha']}"
                              "/.github"}]

    def job_log(self, job_id: int) -> str | None:
        for r in self.sb.world.data["repos"].values():
            for run in r["runs"]:
                for j in run["jobs"]:
                    if j["id"] == job_id:
                        return str(run["log"]) if run["status"] == "completed" else None
        return None
