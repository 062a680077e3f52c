"""GitHub pull-request kinds: open (get-or-create), keep a body section, wait, merge.

Every kind finds its pull request the same way, by head branch and base branch
(``GET repos/{repo}/pulls?head=owner:head&base=base&state=all``), so a rerun from any
machine finds the PR another machine opened. Creates are never retried here: an
ambiguous POST propagates and the engine re-checks the world before anything else.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Literal

from pydantic import Field

from cockpit.actions.base import (
    REGEX,
    Params,
    Step,
    Wait,
    ci_progress,
    code_block,
    found,
    history_note,
    register,
    write_file,
)
from cockpit.errors import CannotFix
from cockpit.model import CheckResult, Reversibility
from cockpit.services.github import GitHubClient, Pull
from cockpit.services.reads import PullsFrom, Read, ref_at_branch


class PullRef(Params):
    repo: str
    """``owner/name`` of the repository the pull request lives in."""
    head: str
    """Head branch (same repository)."""
    base: str
    """Base branch the pull request merges into."""

    def pulls(self) -> PullsFrom:
        """The read that finds it (``find_pull``)."""
        return PullsFrom(self.repo, self.head, self.base)


async def _find(gh: GitHubClient, p: PullRef, which: str = "", *,
                include_merged: bool = True) -> Pull | CheckResult:
    """The pull request ``p`` names (``find_pull``), or the failed check saying there is no
    ``which`` ("open ") one."""
    pull = await gh.find_pull(p.repo, p.head, p.base, include_merged=include_merged)
    if pull is None:
        return CheckResult.failed(f"no {which}pull request {p.head} → {p.base} in {p.repo}")
    return pull


def _pulls_query(repo: str, head: str, base: str) -> str:
    owner = repo.split("/", 1)[0]
    return f"gh pr list -R {repo} --head {head} --base {base} --state all   # find it ({owner}:{head})"


def _sed_literal(text: str) -> str:
    """``text`` matched literally in a sed basic regular expression (``/`` delimited)."""
    return re.sub(r"([\\/.*\[\]^$])", r"\\\1", text)


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# -- github.pull -----------------------------------------------------------------------------

class PullParams(PullRef):
    title: str
    body: str = ""
    draft: bool = False
    """Open as a draft (release candidates: the PR is only merged for the final release)."""
    labels: list[str] = []
    reviewers: list[str] = []
    """Review requested right after opening."""
    include_merged: bool = False
    """A merged PR head→base also counts as done (otherwise only an open one does)."""
    milestone: str = ""
    """The title of a milestone the PR must be in (it must exist)."""


@register
class OpenPull(Step[PullParams]):
    kind = "github.pull"
    summary = "Open a pull request (get-or-create by head and base)"

    def explain(self) -> str:
        p = self.params
        cmd = (f"gh pr create -R {p.repo} --head {p.head} --base {p.base} "
               f"--title {_q(p.title)} --body-file body.md"
               + (" --draft" if p.draft else "")
               + "".join(f" --label {_q(label)}" for label in p.labels)
               + "".join(f" --reviewer {r}" for r in p.reviewers)
               + (f" --milestone {_q(p.milestone)}" if p.milestone else ""))
        merged = ("A PR that was already merged also counts, so rerunning after the merge "
                  "does not open a new one. " if p.include_merged else "")
        return (
            f"Opens the pull request `{p.head}` → `{p.base}` in **{p.repo}**"
            + (" as a **draft**" if p.draft else "")
            + ", titled \"" + p.title + "\". The pull request is where the change is "
            "reviewed and where CI runs before it reaches `" + p.base + "`. If an open pull "
            "request from the same head into the same base exists it is reused, never "
            "duplicated. " + merged + "Labels"
            + (f" ({', '.join(p.labels)})" if p.labels else "")
            + " are added if missing"
            + (f"; review is requested from {', '.join(p.reviewers)}" if p.reviewers else "")
            + (f"; it is put in the milestone {p.milestone}" if p.milestone else "")
            + ".\n\n" + code_block(*self._commands(cmd))
        )

    def reads(self) -> list[Read]:
        p = self.params
        return [p.pulls(), ref_at_branch(p.repo, p.head), ref_at_branch(p.repo, p.base)]

    def _commands(self, create: str) -> list[str]:
        """The pull request looked up as the check does (open, or merged when that
        counts); created only when there is none."""
        p = self.params
        which = ("--state all --json number,state --jq "
                 + _q('.[] | select(.state == "OPEN" or .state == "MERGED") | .number')
                 if p.include_merged else "--state open --json number --jq '.[].number'")
        labels = "".join(f" --add-label {_q(label)}" for label in p.labels)
        return [_pulls_query(p.repo, p.head, p.base),
                f"number=$(gh pr list -R {p.repo} --head {p.head} --base {p.base} {which})",
                write_file("body.md", p.body),
                f'[ -n "$number" ] || {create}   # there: reused',
                *([f'[ -z "$number" ] || gh pr edit -R {p.repo} "$number"{labels}'
                   "   # reused: with its labels"] if labels else [])]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        pull = await gh.find_pull(p.repo, p.head, p.base, include_merged=p.include_merged)
        if pull is not None:
            missing = await self._missing_labels(gh, pull.number)
            if missing and pull.state == "open":
                return CheckResult.incomplete(
                    f"PR #{pull.number} lacks labels {', '.join(missing)}", pull.html_url)
            if p.milestone and await self._milestone_of(gh, pull.number) != p.milestone:
                return CheckResult.incomplete(
                    f"PR #{pull.number} is not in milestone {p.milestone}", pull.html_url)
            state = "merged" if pull.is_merged else ("draft" if pull.draft else "open")
            where = f", in milestone {p.milestone}" if p.milestone else ""
            return CheckResult.done(f"PR #{pull.number} is {state}{where}", pull.html_url)
        if await gh.get_branch(p.repo, p.head) is None:
            return CheckResult.failed(f"head branch {p.head} does not exist in {p.repo}")
        if await gh.get_branch(p.repo, p.base) is None:
            return CheckResult.failed(f"base branch {p.base} does not exist in {p.repo}")
        comparison = await gh.compare(p.repo, p.base, p.head)
        if not comparison.ahead_by:
            return CheckResult.failed(
                f"{p.head} has no commits that {p.base} lacks: nothing to open a PR for",
                comparison.html_url or None)
        return CheckResult.incomplete(f"no open pull request {p.head} → {p.base} yet")

    async def _missing_labels(self, gh: GitHubClient, number: int) -> list[str]:
        if not self.params.labels:
            return []
        issue = await gh.get_issue(self.params.repo, number)
        have = {label.name for label in issue.labels}
        return [label for label in self.params.labels if label not in have]

    async def _milestone_of(self, gh: GitHubClient, number: int) -> str | None:
        issue = await gh.get_issue(self.params.repo, number)
        return issue.milestone.title if issue.milestone else None

    async def _set_milestone(self, gh: GitHubClient, number: int) -> None:
        p = self.params
        if not p.milestone or await self._milestone_of(gh, number) == p.milestone:
            return
        milestone = await gh.find_milestone(p.repo, p.milestone)
        if milestone is None:
            raise CannotFix(f"no milestone {p.milestone} in {p.repo}: create it, then retry")
        await gh.update_issue(p.repo, number, milestone=milestone.number)
        self.ctx.log(f"PR #{number} is now in milestone {p.milestone}")

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        pull = await gh.find_pull(p.repo, p.head, p.base, include_merged=p.include_merged)
        created = pull is None
        if pull is None:
            # Not retried on an ambiguous failure: the engine re-checks first.
            pull = await gh.create_pull(p.repo, title=p.title, head=p.head, base=p.base,
                                        body=p.body, draft=p.draft)
            self.ctx.log(f"opened PR #{pull.number}: {pull.html_url}")
        missing = await self._missing_labels(gh, pull.number)
        if missing:
            issue = await gh.get_issue(p.repo, pull.number)
            labels = [label.name for label in issue.labels] + missing
            await gh.update_issue(p.repo, pull.number, labels=labels)
        await self._set_milestone(gh, pull.number)
        if created and p.reviewers:
            await gh.request_reviewers(p.repo, pull.number, p.reviewers)


# -- github.pull-body-compare ----------------------------------------------------------------

class BodyCompareParams(PullRef):
    compare_with: str
    """The branch whose commits should be listed when the head does not include them."""
    section_title: str
    marker: str
    """Hidden HTML-comment marker delimiting the section the cockpit owns in the body."""
    ignore_patterns: list[str] = Field(default=[], json_schema_extra=REGEX)
    """Regexes on commit titles to leave out (version bumps, earlier merge-backs)."""


_CHERRY = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,40})\)")


@register
class PullBodyCompare(Step[BodyCompareParams]):
    kind = "github.pull-body-compare"
    summary = "Keep a PR body section listing the commits of another branch not included"

    def explain(self) -> str:
        p = self.params
        return (
            f"Keeps a section \"{p.section_title}\" in the body of the pull request "
            f"`{p.head}` → `{p.base}` of **{p.repo}**, listing the commits of "
            f"`{p.compare_with}` that `{p.head}` does not include (cherry-picks made with "
            "`git cherry-pick -x` count as included). Reviewers see at a glance what this "
            "release leaves out and can ask for a cherry-pick. The section sits between "
            f"hidden `<!-- {p.marker}:start -->` / `<!-- {p.marker}:end -->` markers; the rest "
            "of the body is left as it is, and the section is only rewritten when the list "
            "changed.\n\n"
            + code_block(*self._commands())
        )

    def _commands(self) -> list[str]:
        """The section made by hand: the body, the cherry-picks the head holds, the list
        (jq: the same filters, titles and wording), the old section replaced."""
        p = self.params
        start, end = f"<!-- {p.marker}:start -->", f"<!-- {p.marker}:end -->"
        ignored = ", ".join(f"test({json.dumps(x)})" for x in p.ignore_patterns)
        skip = f" | select([$t | ({ignored})] | any | not)" if ignored else ""
        listing = (
            "[.commits[] | select(.sha as $s | all($picked[]; . as $p | $s | startswith($p) "
            "| not)) | (.commit.message | split(\"\\n\")[0]) as $t" + skip
            + ' | "- [ ] \\(.sha[:7]) \\($t)"] + (if .total_commits > (.commits | length) '
            'then ["- … and \\(.total_commits - (.commits | length)) more: \\(.html_url)"] '
            'else [] end) | if length == 0 then "_None: every commit is included._" '
            "else .[] end")
        return [
            f"gh pr view -R {p.repo} {p.head} --json body --jq .body > body.md",
            f"picked=$(gh api repos/{p.repo}/compare/{p.compare_with}...{p.head} --jq "
            + _q(r'[.commits[].commit.message | scan("\\(cherry picked from commit '
                 r'([0-9a-f]{7,40})\\)")[0]]') + ")",
            f"gh api repos/{p.repo}/compare/{p.head}...{p.compare_with} | "
            f'jq -r --argjson picked "$picked" {_q(listing)} > list.md',
            f"sed -i {_q(f'/{_sed_literal(start)}/,/{_sed_literal(end)}/d')} body.md",
            f"{{ echo; echo {_q(start)}; echo {_q('### ' + p.section_title)}; echo; "
            f"cat list.md; echo {_q(end)}; }} >> body.md",
            f"gh pr edit -R {p.repo} {p.head} --body-file body.md",
        ]

    async def _section(self, gh: GitHubClient) -> str:
        p = self.params
        missing = await gh.compare(p.repo, p.head, p.compare_with)
        own = await gh.compare(p.repo, p.compare_with, p.head)
        picked: set[str] = set()
        for c in own.commits:
            picked.update(_CHERRY.findall(c.commit.message))
        patterns = [re.compile(x) for x in p.ignore_patterns]
        lines = []
        for c in missing.commits:
            if any(c.sha.startswith(s) for s in picked):
                continue
            if any(pat.search(c.title) for pat in patterns):
                continue
            lines.append(f"- [ ] {c.sha[:7]} {c.title}")
        more = missing.total_commits - len(missing.commits)
        if more > 0:
            lines.append(f"- … and {more} more: {missing.html_url}")
        listing = "\n".join(lines) if lines else "_None: every commit is included._"
        return (f"<!-- {p.marker}:start -->\n### {p.section_title}\n\n{listing}\n"
                f"<!-- {p.marker}:end -->")

    def _with_section(self, body: str, section: str) -> str:
        m = self.params.marker
        pattern = re.compile(re.escape(f"<!-- {m}:start -->") + r".*?"
                             + re.escape(f"<!-- {m}:end -->"), re.DOTALL)
        if pattern.search(body):
            return pattern.sub(lambda _: section, body, count=1)
        return (body.rstrip() + "\n\n" + section) if body.strip() else section

    def reads(self) -> list[Read]:
        return [self.params.pulls()]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        pull = await _find(gh, p)
        if isinstance(pull, CheckResult):
            return pull
        if pull.is_merged:
            # Its head branch may be gone; either way the body is history now.
            return CheckResult.done(f"PR #{pull.number} is merged; its body is history",
                                    pull.html_url)
        body = pull.body or ""
        if self._with_section(body, await self._section(gh)) == body:
            return CheckResult.done(f"PR #{pull.number} lists the commits not included",
                                    pull.html_url)
        return CheckResult.incomplete(f"PR #{pull.number}'s body needs an up-to-date list",
                                      pull.html_url)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        pull = found(await _find(gh, p))
        body = self._with_section(pull.body or "", await self._section(gh))
        await gh.update_pull(p.repo, pull.number, body=body)


# -- github.pr-checks-wait --------------------------------------------------------------------

class ChecksWaitParams(PullRef):
    include_merged: bool = False
    """Also wait on (well, look at) the checks of a PR that is already merged."""
    grace_seconds: float = 120.0
    """How long after the PR was opened "no checks at all" still means "not started yet"."""


_BAD = {"failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"}


@register
class PullChecksWait(Wait[ChecksWaitParams]):
    kind = "github.pr-checks-wait"
    summary = "Wait until every check of a pull request's head commit passed"

    def explain(self) -> str:
        p = self.params
        return (
            f"Waits until every check (check runs, workflow runs and commit statuses) of the "
            f"head commit of the pull request `{p.head}` → `{p.base}` in **{p.repo}** has "
            "completed successfully (runs started for another ref of the same commit, such "
            "as a tag push, are not the pull request's and are left out). CI is the "
            "release's safety net: nothing is merged or tagged on a red build. While checks "
            "are queued or running this step is \"in progress\" and is polled; one failed "
            "check fails it, with a link to the run. "
            "Nothing is changed. " + history_note("the slowest running workflow") + "\n\n"
            + code_block(f"gh pr checks -R {p.repo} {p.head} --watch --interval 3"
                         "   # polled as often as gh run watch does",
                         f"sha=$(gh pr view -R {p.repo} {p.head} --json headRefOid "
                         "--jq .headRefOid)",
                         f'gh api "repos/{p.repo}/commits/$sha/check-runs" --jq '
                         "'.check_runs[] | [.name, .status, .conclusion] | @tsv'")
        )

    def reads(self) -> list[Read]:
        return [self.params.pulls()]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        pull = await _find(gh, p, "open ", include_merged=p.include_merged)
        if isinstance(pull, CheckResult):
            return pull
        sha = pull.head.sha
        check_runs = await gh.list_check_runs(p.repo, sha)
        every_run = await gh.list_runs(p.repo, head_sha=sha, limit=100)
        # The head commit is also what a tag points at once the release is tagged: the
        # runs a tag push starts (Docker, release assets) are that tag's, not this pull
        # request's, and would hold it "in progress" long after its own checks passed.
        runs = [r for r in every_run if r.head_branch in (None, pull.head.ref)]
        foreign = {r.check_suite_id for r in every_run if r not in runs and r.check_suite_id}
        checks = [c for c in check_runs if c.suite_id not in foreign]
        items = [(c.name or "check", c.status, c.conclusion, c.details_url or c.html_url)
                 for c in checks]
        items += [(r.name or "workflow run", r.status, r.conclusion, r.html_url) for r in runs]
        # Legacy commit statuses (external CI): "pending" only counts when some exist.
        for s in (await gh.combined_status(p.repo, sha)).statuses:
            items.append((s.context or "status",
                          "completed" if s.state != "pending" else "in_progress",
                          "success" if s.state == "success" else "failure",
                          s.target_url))
        failed = [i for i in items if i[1] == "completed" and i[2] in _BAD]
        if failed:
            name, _, conclusion, link = failed[0]
            return CheckResult.failed(
                f"check {name!r} on {sha[:12]} concluded {conclusion} "
                f"({len(failed)} failed)", link or pull.html_url)
        pending = [i for i in items if i[1] != "completed"]
        if pending:
            running = [r for r in runs if r.status != "completed"]
            eta = f"; {await ci_progress(p.repo, running)}" if running else ""
            return CheckResult.in_progress(
                f"{len(pending)} of {len(items)} checks on {sha[:12]} still running "
                f"({pending[0][0]}){eta}", pending[0][3] or pull.html_url)
        if not items:
            if not pull.is_merged and await self._young(gh, pull):
                return CheckResult.in_progress(f"no checks reported yet on {sha[:12]}",
                                               pull.html_url)
            return CheckResult.done(f"no checks configured for {sha[:12]}", pull.html_url)
        return CheckResult.done(f"all {len(items)} checks on {sha[:12]} passed",
                                pull.html_url)

    async def _young(self, gh: GitHubClient, pull: Pull) -> bool:
        created = (await gh.get_pull(self.params.repo, pull.number)).created_at
        if not created:
            return False
        opened = datetime.fromisoformat(str(created).replace("Z", "+00:00")).timestamp()
        return time.time() - opened < self.params.grace_seconds


# -- github.pull-merge -----------------------------------------------------------------------

class MergeParams(PullRef):
    method: Literal["merge", "squash", "rebase"] = "merge"
    """Kubo's release PRs use ``merge`` (a merge commit) so the tag stays an ancestor."""
    delete_branch: bool = False
    commit_title: str | None = None
    commit_message: str | None = None


@register
class MergePull(Step[MergeParams]):
    kind = "github.pull-merge"
    reversibility = Reversibility.HARD_TO_REVERSE
    """A merge into a shared branch is undone only by a revert commit, after others (and
    their CI) may have built on it."""
    summary = "Merge a pull request with the given method; done if already merged"

    def explain(self) -> str:
        p = self.params
        flag = {"merge": "--merge", "squash": "--squash", "rebase": "--rebase"}[p.method]
        cmd = f"gh pr merge -R {p.repo} {p.head} {flag}"
        if p.commit_title:
            cmd += f" --subject {_q(p.commit_title)}"
        if p.commit_message:
            cmd += f" --body {_q(p.commit_message)}"
        if p.delete_branch:
            cmd += " --delete-branch"
        why = ("A **merge commit** (never squash or rebase) keeps the release commits, and "
               "so the tags on them, in the history of the base."
               if p.method == "merge" else f"This repository merges with `{p.method}`.")
        return (
            f"Merges the pull request `{p.head}` → `{p.base}` in **{p.repo}** with "
            f"`{p.method}`. {why} The merge is pinned to the head commit read just before, "
            "so a branch that moved meanwhile is not merged blindly. "
            + ("The head branch is deleted afterwards. " if p.delete_branch
               else f"The branch `{p.head}` is kept. ")
            + "Already merged counts as done; merged with another method is reported as a "
            "failure for a human to look at.\n\n" + code_block(cmd)
        )

    def reads(self) -> list[Read]:
        p = self.params
        return [p.pulls(), *([ref_at_branch(p.repo, p.head)] if p.delete_branch else [])]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        pull = await _find(gh, p)
        if isinstance(pull, CheckResult):
            return pull
        if pull.is_merged:
            pull = await gh.get_pull(p.repo, pull.number)
            sha = pull.merge_commit_sha
            if sha:
                two = len((await gh.get_commit(p.repo, sha)).parents) > 1
                if two != (p.method == "merge"):
                    how = "a merge commit" if two else "squash or rebase"
                    return CheckResult.failed(
                        f"PR #{pull.number} was merged with {how}, not {p.method}",
                        pull.html_url)
            if p.delete_branch and await gh.get_branch(p.repo, p.head) is not None:
                return CheckResult.incomplete(
                    f"PR #{pull.number} is merged; branch {p.head} is still there",
                    pull.html_url)
            return CheckResult.done(f"PR #{pull.number} is merged ({(sha or '')[:12]})",
                                    pull.html_url)
        if pull.draft:
            return CheckResult.failed(f"PR #{pull.number} is still a draft", pull.html_url)
        return CheckResult.incomplete(f"PR #{pull.number} is open, not merged yet",
                                      pull.html_url)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        pull = found(await _find(gh, p))
        if not pull.is_merged:
            sha = await gh.merge_pull(p.repo, pull.number, merge_method=p.method,
                                      sha=pull.head.sha, commit_title=p.commit_title,
                                      commit_message=p.commit_message)
            self.ctx.log(f"merged PR #{pull.number} as {sha[:12]}")
        if p.delete_branch and await gh.get_branch(p.repo, p.head) is not None:
            await gh.delete_ref(p.repo, f"heads/{p.head}")


# -- github.pull-ready ------------------------------------------------------------------------


@register
class PullReady(Step[PullRef]):
    kind = "github.pull-ready"
    summary = "Mark a draft pull request ready for review"

    def explain(self) -> str:
        p = self.params
        return (
            f"Marks the pull request `{p.head}` → `{p.base}` in **{p.repo}** ready for "
            "review. Release candidates leave it a draft because it is only merged for the "
            "final release; as a draft it can be neither approved for the release nor "
            "merged. A PR that is already ready, or already merged, counts as done.\n\n"
            "GitHub's REST API cannot do this (`PATCH …/pulls/N` ignores `draft`): the "
            "cockpit sends the GraphQL mutation `markPullRequestReadyForReview` with the "
            "PR's node id (`gh pr view --json id`), as `gh pr ready` and the \"Ready for "
            "review\" button on the PR page do.\n\n"
            + code_block(
                _pulls_query(p.repo, p.head, p.base),
                f"gh pr view -R {p.repo} {p.head} --json number,isDraft,state",
                f"gh pr ready -R {p.repo} {p.head}   # already ready: says so; merged: "
                "nothing to do")
        )

    def reads(self) -> list[Read]:
        return [self.params.pulls()]

    async def check(self) -> CheckResult:
        p = self.params
        pull = await self.ctx.github().find_pull(p.repo, p.head, p.base)
        if pull is None:
            return CheckResult.failed(f"no open pull request {p.head} → {p.base} in {p.repo}: "
                                      "open it first")
        if pull.is_merged:
            return CheckResult.done(f"PR #{pull.number} is merged", pull.html_url)
        if pull.draft:
            return CheckResult.incomplete(f"PR #{pull.number} is a draft", pull.html_url)
        return CheckResult.done(f"PR #{pull.number} is ready for review", pull.html_url)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        pull = found(await _find(gh, p, "open "))
        if not pull.draft or pull.is_merged:
            return
        if not pull.node_id:
            raise RuntimeError(f"GitHub sent no node_id for PR #{pull.number}: run "
                               f"`gh pr ready -R {p.repo} {pull.number}` by hand, then retry")
        self.ctx.manual(f"gh pr ready -R {p.repo} {pull.number}")
        still_draft = await gh.mark_ready_for_review(pull)
        self.ctx.log(f"PR #{pull.number} is {'still a draft' if still_draft else 'ready'}: "
                     f"{pull.html_url}")


# -- github.pr-review-wait --------------------------------------------------------------------

class ReviewWaitParams(PullRef):
    approvals: int = 1
    """How many people's approvals the pull request needs."""


# What counts per person is their latest review that approves, blocks or withdraws (a
# plain comment after an approval leaves the approval standing), as on GitHub.
_DECISIVE = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
_APPROVERS = ('[.[] | select(.state | IN("APPROVED", "CHANGES_REQUESTED", "DISMISSED"))] '
              '| group_by(.user.login) | map(last | select(.state == "APPROVED")) | length')
"""jq: how many people's latest decisive review approves (``_DECISIVE``)."""


@register
class PullReviewWait(Wait[ReviewWaitParams]):
    kind = "github.pr-review-wait"
    summary = "Wait until a pull request has the required approving reviews"

    def explain(self) -> str:
        p = self.params
        need = "an approving review" if p.approvals == 1 else f"{p.approvals} approving reviews"
        return (
            f"Waits until the pull request `{p.head}` → `{p.base}` in **{p.repo}** has {need} "
            "from other maintainers: a second pair of eyes on exactly what is released. "
            "Each person's latest decisive review counts (an approval, or changes "
            "requested, which fails this step until they approve). While approvals are "
            "missing this step is \"in progress\" with the PR's link and is polled. The "
            "cockpit never approves anything itself (GitHub would not let you approve your "
            "own PR anyway). A merged PR counts as done.\n\n"
            + code_block(
                f"number=$(gh pr view -R {p.repo} {p.head} --json number --jq .number)",
                f'gh api "repos/{p.repo}/pulls/$number/reviews" '
                "--jq '.[] | [.user.login, .state] | @tsv'",
                f'until [ "$(gh api "repos/{p.repo}/pulls/$number/reviews" --jq '
                f"{_q(_APPROVERS)})\" -ge {p.approvals} ]; do sleep 3; done"
                "   # polled; changes requested: address them, ask again")
        )

    def reads(self) -> list[Read]:
        return [self.params.pulls()]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        pull = await _find(gh, p, "open ")
        if isinstance(pull, CheckResult):
            return pull
        if pull.is_merged:
            return CheckResult.done(f"PR #{pull.number} is merged", pull.html_url)
        if pull.draft:
            return CheckResult.failed(
                f"PR #{pull.number} is still a draft: mark it ready for review first "
                f"(gh pr ready -R {p.repo} {pull.number})", pull.html_url)
        latest: dict[str, str] = {}
        for review in await gh.list_reviews(p.repo, pull.number):
            if review.user is not None and review.state in _DECISIVE:
                latest[review.user.login] = review.state
        blocking = sorted(u for u, s in latest.items() if s == "CHANGES_REQUESTED")
        if blocking:
            return CheckResult.failed(
                f"changes requested on PR #{pull.number} by {', '.join(blocking)}: address "
                "them and ask for a new review, then retry", pull.html_url)
        approved = sorted(u for u, s in latest.items() if s == "APPROVED")
        if len(approved) >= p.approvals:
            return CheckResult.done(f"PR #{pull.number} approved by {', '.join(approved)}",
                                    pull.html_url)
        return CheckResult.in_progress(
            f"PR #{pull.number} has {len(approved)} of {p.approvals} approvals: waiting for "
            "a review", pull.html_url)
