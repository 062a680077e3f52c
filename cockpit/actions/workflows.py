"""GitHub Actions kinds: dispatch a workflow once, wait for a run, read a job's log.

The hard part is *once*. GitHub answers a dispatch with 204 and no run id, so a
rerun of the cockpit must recognise "its" run from the outside. The marker is the
release tag: every dispatch of a release happens after its tag was pushed, so a
``workflow_dispatch`` run of the same workflow on the same ref created at or after
the tag's date is this release's run — whether the cockpit dispatched it, an earlier
cockpit did, or a human clicked "Run workflow". Only when there is none does
``apply`` dispatch, and it never dispatches again by itself: after an ambiguous
answer, or while GitHub has not listed the new run yet, the check says "in progress"
for a grace period instead of "incomplete".
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from cockpit.actions.base import (
    ActionKind,
    Params,
    Step,
    Wait,
    ci_progress,
    code_block,
    history_note,
    register,
)
from cockpit.actions.later import later_releases, tag_repository
from cockpit.model import CheckResult, Reversibility
from cockpit.services.github import GitHubClient, WorkflowRun
from cockpit.services.reads import (
    PullsFrom,
    Read,
    ReleasesOf,
    RepoInfo,
    TagMade,
    ref_at_branch,
)

if TYPE_CHECKING:
    from cockpit.context import ActionContext

def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _runs_of(repo: str, workflow: str, branch: str, fields: str) -> str:
    """``gh run list`` of ``workflow``'s runs (on ``branch``), newest first, as JSON with
    ``fields``: the event is filtered with jq by the callers, as every gh has ``--json``
    (``-e`` came after Debian's 2.23)."""
    on = f" -b {branch}" if branch else ""
    return f"gh run list -R {repo} -w {workflow}{on} --json {fields}"


def _run_id_cmd(repo: str, workflow: str, event: str, branch: str) -> str:
    """Sets ``$run`` to the newest such run, for the commands after it."""
    pick = f"map(select(.event == {json.dumps(event)})) | .[0].databaseId"
    return f"run=$({_runs_of(repo, workflow, branch, 'databaseId,event')} --jq {_q(pick)})"


def _run_url_cmd(repo: str, workflow: str, event: str, branch: str, conclusion: str) -> str:
    """Sets ``$run_url`` to the link of the newest such run that concluded ``conclusion``."""
    pick = (f"map(select(.event == {json.dumps(event)} and .conclusion == "
            f"{json.dumps(conclusion)})) | .[0].url // empty")
    return (f"run_url=$({_runs_of(repo, workflow, branch, 'url,event,conclusion')} "
            f"--jq {_q(pick)}); test -n \"$run_url\"   # none yet: wait for the run first")


def _since_tag_cmds(repo: str, tag: str) -> list[str]:
    """Set ``$since`` to when ``tag`` was made, as ``release_marker`` reads it: an annotated
    tag's tagger date, a lightweight one's commit date (GitHub's REST answers both in UTC)."""
    return [f"tag=$(gh api repos/{repo}/git/ref/tags/{tag} --jq '.object.type + \" \" + "
            ".object.sha')   # no tag yet: it marks when this release's dispatches start",
            f'case $tag in "tag "*) since=$(gh api "repos/{repo}/git/tags/${{tag#tag }}" '
            f"--jq .tagger.date);; *) since=$(gh api \"repos/{repo}/git/commits/"
            f"${{tag#commit }}\" --jq .committer.date);; esac"]


def _dispatched_cmd(repo: str, workflow: str, ref: str) -> str:
    """Set ``$existing`` to the newest ``workflow_dispatch`` run on ``ref`` since ``$since``
    (``release_dispatch_runs``)."""
    pick = ('map(select(.event == "workflow_dispatch" and .createdAt >= $since)) '
            "| .[0].databaseId // empty")
    return (f"existing=$({_runs_of(repo, workflow, ref, 'databaseId,event,createdAt')} "
            f"| jq -r --arg since \"$since\" {_q(pick)})")


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _runs_page(kind: ActionKind, repo: str, workflow: str) -> str:
    return kind.ctx.settings.github_link(f"{repo}/actions/workflows/{workflow}")


async def release_marker(kind: ActionKind) -> tuple[str, str, datetime | None]:
    """(tag repo, tag, date): when this release's tag was made (tagger or commit date).

    The tag lives in the playbook's main repository (the ``repo`` value, e.g. ipfs/kubo).
    """
    tag = kind.ctx.release.version.tag
    repo = tag_repository(kind)
    return repo, tag, await kind.ctx.github().tag_made(repo, tag)


def release_marker_reads(kind: ActionKind) -> list[Read]:
    """What ``release_marker`` reads: when the release's tag was made."""
    return [TagMade(tag_repository(kind), kind.ctx.release.version.tag)]


async def release_dispatch_runs(gh: GitHubClient, repo: str, workflow: str,
                                ref: str | None, since: datetime) -> list[WorkflowRun]:
    """``workflow_dispatch`` runs on ``ref`` created at or after ``since``, newest first."""
    runs = await gh.list_runs(repo, workflow, event="workflow_dispatch", branch=ref,
                              created=f">={_stamp(since)}", limit=50)
    out = [r for r in runs if r.event == "workflow_dispatch"
           and (ref is None or r.head_branch == ref)
           and r.created_at and _parse_time(r.created_at) >= since]
    return sorted(out, key=lambda r: (r.created_at, r.id), reverse=True)


async def failure_excerpt(gh: GitHubClient, repo: str, run: WorkflowRun, lines: int = 12
                          ) -> str:
    """The end of the failed jobs' logs (errors first), for the failure reason."""
    parts = []
    for job in await gh.list_jobs(repo, run.id):
        if job.conclusion in (None, "success", "skipped"):
            continue
        log = await gh.job_log(repo, job.id)
        rows = [x for x in log.splitlines() if x.strip()]
        errors = [x for x in rows if "##[error]" in x or "error" in x.lower()]
        tail = (errors or rows)[-lines:]
        parts.append(f"job {job.name!r}:\n" + "\n".join(tail))
    return "\n".join(parts)


class DispatchParams(Params):
    repo: str
    workflow: str
    """The workflow's file name (``main.yml``) or id."""
    ref: str
    """Branch (or tag) the run starts on."""
    inputs: dict[str, str] = {}
    skip_if_branch_exists: str | None = None
    """Done without dispatching if this branch exists (the workflow's result is there)."""


@register
class WorkflowDispatch(Step[DispatchParams]):
    kind = "github.workflow-dispatch"
    reversibility = Reversibility.HARD_TO_REVERSE
    """A run cannot be un-run, and what it changes is the workflow's business: the
    playbook says which dispatches publish (irreversible) and which only test or open a
    pull request (reversible)."""
    summary = "Dispatch a workflow_dispatch workflow once"

    async def confirmation(self) -> tuple[str, str]:
        p = self.params
        inputs = ", ".join(f"{k}={v}" for k, v in p.inputs.items()) or "none"
        return (f"Dispatch {p.workflow} in {p.repo} on {p.ref} (inputs: {inputs}).",
                self.ctx.action_id)

    def __init__(self, params: DispatchParams, ctx: ActionContext) -> None:
        super().__init__(params, ctx)
        self._dispatched_at: float | None = None

    def explain(self) -> str:
        p = self.params
        fields = " ".join(f"-f {k}={v}" for k, v in p.inputs.items())
        tag = self.ctx.session.version.tag  # symbolic (vX.Y.Z) when no release is given
        skip = (f" It is also done if branch `{p.skip_if_branch_exists}` exists, because "
                "that branch is what the workflow produces." if p.skip_if_branch_exists else "")
        return (
            f"Starts the `{p.workflow}` workflow of **{p.repo}** on `{p.ref}`"
            + (f" with inputs {', '.join(f'`{k}={v}`' for k, v in p.inputs.items())}"
               if p.inputs else "")
            + ". This workflow only runs when someone asks it to, and the release needs it "
            "to run exactly once. The cockpit counts any `workflow_dispatch` run of this "
            f"workflow on `{p.ref}` created after the release tag was pushed as this "
            "release's run (whoever started it), so a rerun never dispatches a second one."
            + skip + "\n\n"
            + code_block(
                *_since_tag_cmds(tag_repository(self), tag),
                _dispatched_cmd(p.repo, p.workflow, p.ref),
                f'if [ -z "$since" ]; then echo "no tag {tag} yet: nothing to dispatch"; '
                'elif [ -n "$existing" ]; then echo "already there: $existing"; '
                f"else gh workflow run {p.workflow} -R {p.repo} --ref {p.ref}"
                + (f" {fields}" if fields else "") + "; fi",
            )
            + f"\n\nor press \"Run workflow\" on {_runs_page(self, p.repo, p.workflow)}"
        )

    def reads(self) -> list[Read]:
        p = self.params
        branch = [ref_at_branch(p.repo, p.skip_if_branch_exists)] if p.skip_if_branch_exists else []
        return [*branch, *release_marker_reads(self)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        page = _runs_page(self, p.repo, p.workflow)
        if p.skip_if_branch_exists and await gh.get_branch(
                p.repo, p.skip_if_branch_exists) is not None:
            return CheckResult.done(f"branch {p.skip_if_branch_exists} exists: the workflow "
                                    "already did its work", page)
        if await gh.get_workflow(p.repo, p.workflow) is None:
            return CheckResult.failed(f"workflow {p.workflow} does not exist in {p.repo}", page)
        tag_repo, tag, since = await release_marker(self)
        if since is None:
            return CheckResult.failed(f"tag {tag} is not in {tag_repo} yet: it marks when "
                                      "this release's dispatches start", page)
        runs = await release_dispatch_runs(gh, p.repo, p.workflow, p.ref, since)
        if runs:
            run = runs[0]
            more = f" ({len(runs)} runs since the tag)" if len(runs) > 1 else ""
            return CheckResult.done(f"dispatched: run {run.id} created {run.created_at}, "
                                    f"{run.status}{more}", run.html_url or page)
        if self._dispatched_at is not None and \
                time.monotonic() - self._dispatched_at < self.ctx.settings.dispatch_grace_seconds:
            return CheckResult.in_progress("dispatched; waiting for GitHub to list the run",
                                           page)
        return CheckResult.incomplete(f"no dispatch of {p.workflow} on {p.ref} since {tag} "
                                      f"({_stamp(since)})", page)

    async def apply(self) -> None:
        p = self.params
        # Set before the call: after an ambiguous answer the run may exist, and the
        # re-check must wait for it rather than call for a second dispatch.
        self._dispatched_at = time.monotonic()
        await self.ctx.github().dispatch_workflow(p.repo, p.workflow, p.ref,
                                                  dict(p.inputs) or None)


class RunWaitParams(Params):
    repo: str
    workflow: str
    event: str
    """``push``, ``workflow_dispatch``, ``pull_request``…"""
    branch: str | None = None
    """The run's head branch (or tag, for a tag push)."""
    dispatched_by: str | None = None
    """Id of the ``github.workflow-dispatch`` action whose run this is."""
    after_merge_of: str | None = None
    """Head branch of a pull request into ``branch``: wait for the push run of its merge."""
    inputs: dict[str, str] = {}
    """The dispatch's inputs (for the explanation; GitHub's run listing does not show them)."""
    conclusion: str = "success"


@register
class WorkflowRunWait(Wait[RunWaitParams]):
    kind = "github.workflow-run-wait"
    summary = "Wait for a workflow run to conclude"

    def explain(self) -> str:
        p = self.params
        if p.dispatched_by:
            which = (f"the run dispatched by `{p.dispatched_by}` (the newest `{p.event}` run on "
                     f"`{p.branch}` since the release tag)")
        elif p.after_merge_of:
            which = (f"the `{p.event}` run of the merge commit of the pull request "
                     f"`{p.after_merge_of}` → `{p.branch}`")
        else:
            which = f"the newest `{p.event}` run on `{p.branch}`"
        return (
            f"Waits for {which} of `{p.workflow}` in **{p.repo}** to finish, and requires it "
            f"to conclude `{p.conclusion}`. Later steps verify the workflow's result, so they "
            "must not start before it is done. While it runs the cockpit polls and shows the "
            "run's link; if it fails, the end of the failing job's log is shown. "
            + history_note() + "\n\n"
            + code_block(
                _run_id_cmd(p.repo, p.workflow, p.event, p.branch or ""),
                f'gh run watch -R {p.repo} "$run" --exit-status || '
                f'gh run view -R {p.repo} "$run" --log-failed',
            )
        )

    def run_url_cmd(self) -> str:
        """The command that sets ``$run_url`` to this run's link, for a later action's text
        (``github.issue-comment``'s ``run_of``)."""
        p = self.params
        return _run_url_cmd(p.repo, p.workflow, p.event, p.branch or "", p.conclusion)

    async def _find(self, gh: GitHubClient) -> tuple[WorkflowRun | None, str]:
        p = self.params
        if p.dispatched_by:
            _repo, tag, since = await release_marker(self)
            if since is None:
                return None, f"tag {tag} does not exist yet"
            runs = await release_dispatch_runs(gh, p.repo, p.workflow, p.branch, since)
            return (runs[0] if runs else None), f"no dispatched run since {tag}"
        if p.after_merge_of:
            base = p.branch or (await gh.get_repo(p.repo)).default_branch
            pull = await gh.find_pull(p.repo, p.after_merge_of, base)
            if pull is None or not pull.is_merged or not pull.merge_commit_sha:
                return None, f"the pull request {p.after_merge_of} → {base} is not merged"
            runs = await gh.list_runs(p.repo, p.workflow, event=p.event,
                                      head_sha=pull.merge_commit_sha, limit=10)
            runs = [r for r in runs if r.head_sha == pull.merge_commit_sha]
            return (runs[0] if runs else None), (
                f"no {p.event} run yet for merge commit {pull.merge_commit_sha[:12]}")
        runs = await gh.list_runs(p.repo, p.workflow, event=p.event, branch=p.branch, limit=10)
        runs = [r for r in runs if p.branch is None or r.head_branch == p.branch]
        return (runs[0] if runs else None), f"no {p.event} run on {p.branch} yet"

    def reads(self) -> list[Read]:
        p = self.params
        if p.dispatched_by:
            return release_marker_reads(self)
        if p.after_merge_of:
            return ([PullsFrom(p.repo, p.after_merge_of, p.branch)] if p.branch
                    else [RepoInfo(p.repo)])
        return []

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        page = _runs_page(self, p.repo, p.workflow)
        run, why = await self._find(gh)
        if run is None:
            if p.after_merge_of and "not merged" in why:
                return CheckResult.failed(why, page)
            return CheckResult.in_progress(why, page)
        link = run.html_url or page
        if run.status != "completed":
            return CheckResult.in_progress(f"run {run.id} is {run.status}; "
                                           f"{await ci_progress(p.repo, [run])}", link)
        if run.conclusion == p.conclusion:
            self.ctx.remember(f"run_url:{self.ctx.stage_id}/{self.ctx.action_id}", link)
            return CheckResult.done(f"run {run.id} concluded {run.conclusion}", link)
        excerpt = await failure_excerpt(gh, p.repo, run)
        return CheckResult.failed(f"run {run.id} concluded {run.conclusion}, not "
                                  f"{p.conclusion}" + (f"\n{excerpt}" if excerpt else ""), link)


class JobLogParams(Params):
    repo: str
    workflow: str
    run_of: str
    """Id of the ``github.workflow-dispatch`` action whose run's log is read."""
    text: str
    on_missing: Literal["rerun", "fail"] = "fail"
    max_reruns: int = 0


@register
class JobLogContains(Step[JobLogParams]):
    kind = "github.job-log-contains"
    summary = "Verify that a run's job log contains a text, rerunning the run if it does not"

    def explain(self) -> str:
        p = self.params
        rerun = (f" If it does not, the run is rerun (at most {p.max_reruns} times): the "
                 "workflow may have looked before the thing it looks for was published."
                 if p.on_missing == "rerun" else "")
        return (
            f"Reads the job logs of the run dispatched by `{p.run_of}` (`{p.workflow}` in "
            f"**{p.repo}**) and checks they contain \"{p.text}\". A green run is not enough "
            "when the workflow decides by itself what to publish: its log says what it "
            f"actually did.{rerun} Once a later release exists, the run read is the last "
            "one before its tag (the later release dispatches the workflow again).\n\n"
            + code_block(
                _run_id_cmd(p.repo, p.workflow, "workflow_dispatch", ""),
                f'gh run view -R {p.repo} "$run" --log | grep -F {_q(p.text)}',
            )
            + ("\n\n" + code_block(f'gh run rerun -R {p.repo} "$run"')
               if p.on_missing == "rerun" else "")
        )

    async def _run(self, gh: GitHubClient) -> WorkflowRun | None:
        """The newest run dispatched since this release's tag and, once a later release
        exists, before its tag: a later release dispatches the workflow again, and its run
        logs its own version, not this one's."""
        p = self.params
        repo, _tag, since = await release_marker(self)
        if since is None:
            return None
        runs = await release_dispatch_runs(gh, p.repo, p.workflow, None, since)
        later = await later_releases(self, repo)
        until = await gh.tag_made(repo, later[0].tag) if later else None
        if until is not None:
            runs = [r for r in runs if r.created_at and _parse_time(r.created_at) < until]
        return runs[0] if runs else None

    def reads(self) -> list[Read]:
        return [*release_marker_reads(self), ReleasesOf(tag_repository(self))]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        page = _runs_page(self, p.repo, p.workflow)
        run = await self._run(gh)
        if run is None:
            return CheckResult.failed(f"no run dispatched by {p.run_of} since the release tag",
                                      page)
        link = run.html_url or page
        if run.status != "completed":
            return CheckResult.in_progress(f"run {run.id} (attempt {run.run_attempt}) is "
                                           f"{run.status}; {await ci_progress(p.repo, [run])}",
                                           link)
        for job in await gh.list_jobs(p.repo, run.id):
            if p.text in await gh.job_log(p.repo, job.id):
                return CheckResult.done(f"job {job.name!r} of run {run.id} logged "
                                        f"{p.text!r}", link)
        reruns = run.run_attempt - 1
        if p.on_missing == "rerun" and reruns < p.max_reruns:
            return CheckResult.incomplete(f"run {run.id} did not log {p.text!r}; rerun "
                                          f"{reruns + 1}/{p.max_reruns}", link)
        return CheckResult.failed(f"run {run.id} (attempt {run.run_attempt}) did not log "
                                  f"{p.text!r}", link)

    async def apply(self) -> None:
        gh = self.ctx.github()
        run = await self._run(gh)
        if run is None:
            raise RuntimeError("the run vanished")
        await gh.rerun(self.params.repo, run.id)
