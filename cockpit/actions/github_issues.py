"""GitHub issue kinds: tracking issues, plain issues, comments once, checklists, closing.

Issues are found by exact title (``GET repos/{repo}/issues?state=all``), comments by a
hidden marker (``<!-- cockpit:… -->``) in their body, so reruns from any machine find
what an earlier run made and never make a second one. Creates are never retried here:
an ambiguous POST propagates and the engine re-checks the world before anything else.
"""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from typing import TypeVar
from urllib.parse import quote

from cockpit.actions.announce import topic_url_cmd
from cockpit.actions.base import (
    Params,
    Step,
    Verify,
    code_block,
    found,
    register,
    unless_found,
    write_file,
)
from cockpit.actions.workflows import WorkflowRunWait
from cockpit.model import CheckResult, Version
from cockpit.services.github import GitHubClient, Issue
from cockpit.services.reads import IssuesOf, Read


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _find_cmd(repo: str, title: str, state: str = "all") -> str:
    return f"gh issue list -R {repo} --state {state} --search {_q(f'in:title {title}')}"


def issue_lookup_cmd(repo: str, title: str, field: str = "number", state: str = "all",
                     *, required: bool = True) -> str:
    """Sets ``$number`` (or ``$url``…: the ``field`` of ``gh issue list --json``) in a
    person's shell from the issue titled exactly ``title`` that ``find_issue`` finds (gh
    lists the newest first: the oldest open one is the last open, else the newest closed),
    so the commands after it can be pasted as they are. None: the command fails saying so
    (``required``), or sets it empty."""
    missing = (f"error({_jq_string(f'no issue titled {title}')})" if required else "empty")
    pick = (f"map(select(.title == {_jq_string(title)})) | "
            f'((map(select(.state == "OPEN")) | last) // .[0]) | .{field} // {missing}')
    return (f"{field}=$({_find_cmd(repo, title, state)} --json {field},title,state "
            f"--jq {_q(pick)})")


def _unless_found(repo: str, title: str, include_closed: bool, create: str) -> list[str]:
    """Get-or-create by title, as pasted: the issue looked up (open, or also closed), and
    ``create`` run only when there is none."""
    return [issue_lookup_cmd(repo, title, state="all" if include_closed else "open",
                             required=False),
            f'[ -n "$number" ] || {create}   # there: reused']


def _number_cmd(repo: str, title: str) -> str:
    return issue_lookup_cmd(repo, title)


def _jq_string(text: str) -> str:
    """``text`` as a jq (JSON) string literal."""
    return json.dumps(text)


def _sed_literal(text: str) -> str:
    """``text`` matched literally in a sed basic regular expression (``/`` delimited)."""
    return re.sub(r"([\\/.*\[\]^$])", r"\\\1", text)


def _label_cmds(repo: str, labels: list[str]) -> list[str]:
    """Each label made if the repository lacks it: GitHub's REST API (the cockpit's) makes
    a missing label itself, ``gh issue create --label`` refuses one."""
    return [f"gh api repos/{repo}/labels/{quote(label, safe='')} --silent 2>/dev/null || "
            f"gh label create {_q(label)} -R {repo}" for label in labels]


def _marker(marker: str) -> str:
    return f"<!-- {marker} -->"


async def _find(gh: GitHubClient, repo: str, title: str) -> Issue | CheckResult:
    """The issue titled ``title`` (open or closed), or the failed check saying there is none."""
    issue = await gh.find_issue(repo, title)
    if issue is None:
        return CheckResult.failed(f"no issue \"{title}\" in {repo}")
    return issue


def _strip_front_matter(text: str) -> str:
    """Issue templates may start with YAML front matter (``---`` … ``---``): drop it."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5:].lstrip("\n")
    return text


# -- github.issue ------------------------------------------------------------------------

class IssueParams(Params):
    repo: str
    title: str
    body: str = ""
    labels: list[str] = []
    include_closed: bool = False
    """A closed issue with that title also counts (otherwise only an open one does)."""


_IssueP = TypeVar("_IssueP", "IssueParams", "TrackingParams", "NextTrackingParams",
                  covariant=True)
_TemplateP = TypeVar("_TemplateP", "TrackingParams", "NextTrackingParams", covariant=True)


class _IssueBase(Step[_IssueP]):
    """Get-or-create an issue by exact title; subclasses say what title and body."""

    @abstractmethod
    def _title(self) -> str:
        """Each concrete issue kind says this."""

    @abstractmethod
    def _include_closed(self) -> bool:
        """Each concrete issue kind says this."""

    def _labels(self) -> list[str]:
        labels: list[str] = self.params.labels
        return labels

    @abstractmethod
    async def _body(self, gh: GitHubClient) -> str:
        """Each concrete issue kind says this."""

    async def _assignees(self, gh: GitHubClient) -> list[str]:
        return []

    @property
    def _repo(self) -> str:
        repo: str = self.params.repo
        return repo

    def reads(self) -> list[Read]:
        return [IssuesOf(self._repo)]

    async def check(self) -> CheckResult:
        gh = self.ctx.github()
        issue = await gh.find_issue(self._repo, self._title(),
                                    include_closed=self._include_closed())
        if issue is not None:
            return CheckResult.done(f"issue #{issue.number} \"{issue.title}\" is {issue.state}",
                                    issue.html_url)
        return CheckResult.incomplete(f"no issue \"{self._title()}\" in {self._repo} yet")

    async def apply(self) -> None:
        gh = self.ctx.github()
        if await gh.find_issue(self._repo, self._title(),
                               include_closed=self._include_closed()):
            return
        body = await self._body(gh)
        # Not retried on an ambiguous failure: the engine re-checks first.
        issue = await gh.create_issue(self._repo, title=self._title(), body=body,
                                      labels=self._labels() or None,
                                      assignees=await self._assignees(gh) or None)
        self.ctx.log(f"opened issue #{issue.number}: {issue.html_url}")


@register
class OpenIssue(_IssueBase[IssueParams]):
    kind = "github.issue"
    summary = "Open an issue (get-or-create by title)"

    def _title(self) -> str:
        return self.params.title

    def _include_closed(self) -> bool:
        return self.params.include_closed

    async def _body(self, gh: GitHubClient) -> str:
        return self.params.body

    def explain(self) -> str:
        p = self.params
        which = "open or closed" if p.include_closed else "open"
        return (
            f"Opens the issue \"{p.title}\" in **{p.repo}**"
            + (f" with labels {', '.join(p.labels)}" if p.labels else "")
            + f". An {which} issue with exactly that title is reused, never duplicated "
            "(GitHub itself would happily make two).\n\n"
            + code_block(write_file("body.md", p.body),
                         *_label_cmds(p.repo, p.labels),
                         *_unless_found(
                             p.repo, p.title, p.include_closed,
                             f"gh issue create -R {p.repo} --title {_q(p.title)} "
                             "--body-file body.md"
                             + "".join(f" --label {_q(label)}" for label in p.labels)))
        )


# -- github.tracking-issue / github.next-tracking-issue ------------------------------------

class TrackingParams(Params):
    repo: str
    title: str
    template: str
    """Path of the issue template in the repository."""
    template_ref: str = ""
    """Branch the template is read from; empty: the repository's default branch (the
    playbook names it, e.g. ``template_ref = "{default_branch}"``: no ``master`` assumed)."""
    replace: dict[str, str] = {}
    """Literal replacements in the template (``vX.Y.Z`` → ``v0.30.0``)."""
    labels: list[str] = []
    assign_driver: bool = False
    """Assign the issue to the token's user (the release driver)."""
    include_closed: bool = False


def _branch(ref: str, quote: str = "") -> str:
    """How a ``*_ref`` parameter reads in a sentence: empty is the default branch."""
    return f"{quote}{ref}{quote}" if ref else "the repository's default branch"


class _FromTemplate(_IssueBase[_TemplateP]):
    async def _template(self, gh: GitHubClient, replace: dict[str, str]) -> str:
        p = self.params
        content = await gh.get_contents(p.repo, p.template, ref=p.template_ref or None)
        if content is None:
            raise RuntimeError(f"issue template {p.template} not found on "
                               f"{_branch(p.template_ref)}")
        text = _strip_front_matter(content.text)
        for old, new in replace.items():
            text = text.replace(old, new)
        return text

    def _template_cmds(self, replace: dict[str, str]) -> list[str]:
        p = self.params
        sed = " ".join(f"-e {_q(f's/{re.escape(a)}/{b}/g')}" for a, b in replace.items())
        labels = self._labels()
        fetch = (f"gh api repos/{p.repo}/contents/{p.template}"
                 f"{'?ref=' + p.template_ref if p.template_ref else ''} "
                 f"--jq .content | base64 -d{' | sed ' + sed if sed else ''} > body.md")
        create: str = (f"gh issue create -R {p.repo} --title {_q(self._title())} "
                       "--body-file body.md"
                       + "".join(f" --label {_q(label)}" for label in labels)
                       + (" --assignee @me" if getattr(p, "assign_driver", False) else ""))
        repo: str = p.repo
        made: list[str] = _label_cmds(repo, labels)
        return [fetch, *made, *_unless_found(repo, self._title(), self._include_closed(),
                                             create)]


@register
class TrackingIssue(_FromTemplate[TrackingParams]):
    kind = "github.tracking-issue"
    summary = "Get-or-create the release tracking issue from the issue template"

    def _title(self) -> str:
        return self.params.title

    def _include_closed(self) -> bool:
        return self.params.include_closed

    async def _body(self, gh: GitHubClient) -> str:
        return await self._template(gh, self.params.replace)

    async def _assignees(self, gh: GitHubClient) -> list[str]:
        return [(await gh.user()).login] if self.params.assign_driver else []

    def explain(self) -> str:
        p = self.params
        return (
            f"Makes sure the tracking issue \"{p.title}\" exists in **{p.repo}**. The "
            "tracking issue is where the release is coordinated in public: its checklist is "
            "ticked as stages finish, and testers and announcements are linked from it. "
            f"If it is missing it is created from the template `{p.template}` (on "
            f"{_branch(p.template_ref, '`')})"
            + (", " + ", ".join(f"`{a}` → `{b}`" for a, b in p.replace.items())
               if p.replace else "")
            + (", assigned to you" if p.assign_driver else "")
            + ". An existing " + ("open or closed " if p.include_closed else "open ")
            + "issue with that exact title is reused.\n\n"
            + code_block(*self._template_cmds(p.replace))
        )


class NextTrackingParams(Params):
    repo: str
    after_version: str
    """The version just released (``0.30.0``); the next minor is ``0.31.0``."""
    title_format: str = "Release v{version}"
    template: str
    template_ref: str = ""
    """Branch the template is read from; empty: the repository's default branch."""
    labels: list[str] = []


def next_minor(after: str) -> str:
    """``0.30.0`` → ``0.31.0`` (``X.(Y+1).0`` when explaining without a version)."""
    try:
        v = Version.parse(after if after.startswith("v") else f"v{after}")
    except ValueError:
        return "X.(Y+1).0"
    return f"{v.major}.{v.minor + 1}.0"


@register
class NextTrackingIssue(_FromTemplate[NextTrackingParams]):
    kind = "github.next-tracking-issue"
    summary = "Get-or-create the tracking issue of the next minor release vX.(Y+1).0"

    def _title(self) -> str:
        return self.params.title_format.replace("{version}", next_minor(self.params.after_version))

    def _include_closed(self) -> bool:
        return True

    def _replace(self) -> dict[str, str]:
        return {"vX.Y.Z": f"v{next_minor(self.params.after_version)}"}

    async def _body(self, gh: GitHubClient) -> str:
        return await self._template(gh, self._replace())

    def explain(self) -> str:
        p = self.params
        return (
            f"Opens the tracking issue of the next minor release, \"{self._title()}\", in "
            f"**{p.repo}**, from the template `{p.template}` with `vX.Y.Z` filled in, so the "
            "next release has its public checklist from day one. An issue with that exact "
            "title (open or closed) is reused.\n\n"
            + code_block(*self._template_cmds(self._replace()))
        )


# -- github.issue-comment ---------------------------------------------------------------------

class CommentParams(Params):
    repo: str
    issue_title: str
    body: str
    marker: str = ""
    """Hidden marker that makes the comment get-or-create; default ``cockpit:stage/action``."""
    mentions_from: str = ""
    """A file in the repository whose ``@handles`` fill ``{mentions}`` in the body."""
    mentions_ref: str = ""
    """Branch ``mentions_from`` is read from; empty: the repository's default branch."""
    run_of: str = ""
    """An earlier action (``stage/action`` or ``action`` in this stage) whose workflow run
    fills ``{run_url}``; its check must have passed earlier in this run."""
    discourse_title: str = ""
    """Title of the forum topic whose link fills ``{discourse_topic_url}`` when no earlier
    check of this run found it (and in the explanation, which looks it up)."""


_HANDLE = re.compile(r"(?<![\w/])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))")
_LEFT = re.compile(r"\{(\w+)\}")
_FACT_NAMES = {"discourse_topic_url": "the forum topic's link (discourse_topic_url)",
               "run_url": "the workflow run's link (run_url)"}
"""What a comment's placeholder stands for, as a person reads it in a status line."""


@register
class IssueComment(Step[CommentParams]):
    kind = "github.issue-comment"
    summary = "Comment on an issue found by title, once (a hidden marker makes it get-or-create)"

    @property
    def marker(self) -> str:
        return self.params.marker or f"cockpit:{self.ctx.stage_id}/{self.ctx.action_id}"

    def explain(self) -> str:
        p = self.params
        extra = (f" `{{mentions}}` becomes the `@handles` listed in `{p.mentions_from}` (on "
                 f"{_branch(p.mentions_ref, '`')})." if p.mentions_from else "")
        if p.discourse_title:
            extra += (f" `{{discourse_topic_url}}` is the link of the forum topic "
                      f"\"{p.discourse_title}\".")
        lookups, fills = self._fill_cmds()
        return (
            f"Comments on the issue \"{p.issue_title}\" in **{p.repo}**, once: the comment "
            f"carries the hidden marker `{_marker(self.marker)}`, and a comment with that "
            "marker already there counts as done, so a rerun never posts twice." + extra
            + "\n\n" + code_block(
                _number_cmd(p.repo, p.issue_title),
                f'existing=$(gh api --paginate "repos/{p.repo}/issues/$number/comments" --jq '
                f"'.[] | select(.body | contains(\"{_marker(self.marker)}\")) | .html_url')",
                *lookups,
                write_file("comment.md", p.body.rstrip() + "\n\n" + _marker(self.marker)),
                *fills,
                unless_found("existing",
                             f'gh issue comment -R {p.repo} "$number" --body-file comment.md'))
        )

    def _fill_cmds(self) -> tuple[list[str], list[str]]:
        """The commands that find the values of the body's placeholders into shell
        variables, and the one that puts them into ``comment.md`` (bash's own
        ``${body//…/…}``: the body is written as it is, so nothing in it is expanded)."""
        p = self.params
        names = set(_LEFT.findall(p.body))
        lookups: list[str] = []
        if "mentions" in names and p.mentions_from:
            ref = f"?ref={p.mentions_ref}" if p.mentions_ref else ""
            lookups.append(
                f'mentions=$(gh api "repos/{p.repo}/contents/{p.mentions_from}{ref}" --jq '
                ".content | base64 -d | grep -oE '(^|[^A-Za-z0-9_/])@[A-Za-z0-9][A-Za-z0-9-]"
                "{0,38}' | grep -oE '@.+' | awk '!seen[$0]++' | paste -sd ' ')")
        if "discourse_topic_url" in names and p.discourse_title:
            lookups.append(topic_url_cmd(self.ctx.settings.discourse_url, p.discourse_title))
        run = self.ctx.sibling(p.run_of) if "run_url" in names and p.run_of else None
        if isinstance(run, WorkflowRunWait):
            lookups.append(run.run_url_cmd())
        looked_up = {"mentions": bool(p.mentions_from),
                     "discourse_topic_url": bool(p.discourse_title),
                     "run_url": isinstance(run, WorkflowRunWait)}
        filled = [name for name, known in looked_up.items() if name in names and known]
        if not filled:
            return lookups, []
        return lookups, ["body=$(<comment.md)",
                         *(f"body=${{body//'{{{name}}}'/\"${name}\"}}" for name in filled),
                         "printf '%s\\n' \"$body\" > comment.md"]

    async def _text(self, gh: GitHubClient) -> str:
        p = self.params
        body = p.body
        if "{mentions}" in body:
            handles: list[str] = []
            if p.mentions_from:
                content = await gh.get_contents(p.repo, p.mentions_from,
                                                ref=p.mentions_ref or None)
                if content is None:
                    raise RuntimeError(f"{p.mentions_from} not found on "
                                       f"{_branch(p.mentions_ref)}")
                for handle in _HANDLE.findall(content.text):
                    if handle not in handles:
                        handles.append(handle)
            body = body.replace("{mentions}", " ".join(f"@{h}" for h in handles))
        for name, value in (await self._values()).items():
            body = body.replace("{" + name + "}", value)
        return body.rstrip() + "\n\n" + _marker(self.marker)

    def _facts(self) -> dict[str, str]:
        """Values found by earlier actions' checks in this run (topic URL, run URL)."""
        facts = self.ctx.session.facts
        found = {k: v for k, v in facts.items() if ":" not in k}
        if self.params.run_of:
            key = self.params.run_of if "/" in self.params.run_of else \
                f"{self.ctx.stage_id}/{self.params.run_of}"
            if f"run_url:{key}" in facts:
                found["run_url"] = facts[f"run_url:{key}"]
        return found

    async def _values(self) -> dict[str, str]:
        """``_facts``, and the forum topic's link looked up by ``discourse_title`` when no
        earlier check of this run found it."""
        values = self._facts()
        title = self.params.discourse_title
        if title and "discourse_topic_url" not in values and \
                "{discourse_topic_url}" in self.params.body:
            client = self.ctx.discourse()
            topic = await client.find_topic(title)
            if topic is not None:
                values["discourse_topic_url"] = client.topic_url(topic)
        return values

    def reads(self) -> list[Read]:
        return [IssuesOf(self.params.repo)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        issue = await _find(gh, p.repo, p.issue_title)
        if isinstance(issue, CheckResult):
            return issue
        comment = await gh.find_comment(p.repo, issue.number, _marker(self.marker))
        if comment is not None:
            return CheckResult.done(f"commented on #{issue.number}",
                                    comment.html_url or issue.html_url)
        left = sorted(set(_LEFT.findall(p.body)) - {"mentions"} - set(await self._values()))
        if left:
            return CheckResult.failed(
                "the comment needs " + ", ".join(_FACT_NAMES.get(x, x) for x in left)
                + ", which no earlier action of this run has found (run the stage whose "
                f"check finds it first), or post it by hand (with {_marker(self.marker)}) "
                "and rerun", issue.html_url)
        return CheckResult.incomplete(f"no comment on #{issue.number} yet", issue.html_url)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        issue = found(await _find(gh, p.repo, p.issue_title))
        if await gh.find_comment(p.repo, issue.number, _marker(self.marker)) is not None:
            return
        comment = await gh.create_comment(p.repo, issue.number, await self._text(gh))
        self.ctx.log(f"commented: {comment.html_url}")


# -- github.issue-checklist -------------------------------------------------------------------

class ChecklistParams(Params):
    repo: str
    issue_title: str
    item: str
    """Text of the checklist item (its line starts with it after ``- [ ]``)."""
    checked: bool = True


@register
class IssueChecklist(Step[ChecklistParams]):
    kind = "github.issue-checklist"
    summary = "Tick (or untick) one checklist item of an issue's body"

    def _pattern(self) -> re.Pattern[str]:
        return re.compile(r"^(\s*[-*] \[)([ xX])(\] " + re.escape(self.params.item) + r")",
                          re.MULTILINE)

    def explain(self) -> str:
        p = self.params
        mark = "x" if p.checked else " "
        return (
            f"{'Ticks' if p.checked else 'Unticks'} \"{p.item}\" in the checklist of the "
            f"issue \"{p.issue_title}\" in **{p.repo}**, so anyone following the release sees "
            "how far it is. Only that item's box changes; the rest of the body is kept.\n\n"
            + code_block(
                _number_cmd(p.repo, p.issue_title),
                f'gh issue view -R {p.repo} "$number" --json body --jq .body > body.md',
                "sed -i " + _q(f"s/^\\([[:space:]]*[-*] \\[\\)[ xX]\\(\\] {_sed_literal(p.item)}\\)"
                               f"/\\1{mark}\\2/") + f" body.md   # - [{mark}] {p.item}",
                f'gh issue edit -R {p.repo} "$number" --body-file body.md')
        )

    def reads(self) -> list[Read]:
        return [IssuesOf(self.params.repo)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        issue = await _find(gh, p.repo, p.issue_title)
        if isinstance(issue, CheckResult):
            return issue
        m = self._pattern().search(issue.body or "")
        if m is None:
            return CheckResult.failed(f"no checklist item \"{p.item}\" in #{issue.number}",
                                      issue.html_url)
        if (m.group(2) != " ") == p.checked:
            state = "ticked" if p.checked else "unticked"
            return CheckResult.done(f"\"{p.item}\" is {state} on #{issue.number}",
                                    issue.html_url)
        return CheckResult.incomplete(f"\"{p.item}\" needs {'a tick' if p.checked else 'untick'}",
                                      issue.html_url)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        issue = found(await _find(gh, p.repo, p.issue_title))
        # Read-modify-write: the journal (ticking stages) and other stages running side by
        # side edit this body too; in this process, one edit at a time.
        async with self.ctx.session.exclusive(f"issue-body:{p.repo}#{issue.number}"):
            fresh = await gh.get_issue(p.repo, issue.number)
            mark = "x" if p.checked else " "
            body = self._pattern().sub(lambda m: m.group(1) + mark + m.group(3),
                                       fresh.body or "", count=1)
            if body != (fresh.body or ""):
                await gh.update_issue(p.repo, issue.number, body=body)


# -- github.issue-close -----------------------------------------------------------------------

class CloseParams(Params):
    repo: str
    title: str
    state_reason: str = "completed"
    comment: str = ""
    """Closing comment, posted once (hidden marker) before closing."""


@register
class CloseIssue(Step[CloseParams]):
    kind = "github.issue-close"
    summary = "Close an issue found by title, with a closing comment"

    @property
    def marker(self) -> str:
        return f"cockpit:{self.ctx.stage_id}/{self.ctx.action_id}"

    def explain(self) -> str:
        p = self.params
        return (
            f"Closes the issue \"{p.title}\" in **{p.repo}** as `{p.state_reason}`"
            + (", after a closing comment (posted once)" if p.comment else "")
            + ". Closing the tracking issue is the visible end of the release. A closed "
            "issue counts as done.\n\n"
            + code_block(
                _number_cmd(p.repo, p.title),
                f'gh issue close -R {p.repo} "$number" --reason {_q(p.state_reason)}'
                + (f" --comment {_q(p.comment)}" if p.comment else "")
                + "   # already closed: says so")
        )

    def reads(self) -> list[Read]:
        return [IssuesOf(self.params.repo)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        issue = await _find(gh, p.repo, p.title)
        if isinstance(issue, CheckResult):
            return issue
        if issue.state == "closed":
            return CheckResult.done(f"issue #{issue.number} is closed", issue.html_url)
        return CheckResult.incomplete(f"issue #{issue.number} is open", issue.html_url)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        issue = found(await _find(gh, p.repo, p.title))
        if p.comment and await gh.find_comment(p.repo, issue.number, _marker(self.marker)) is None:
            await gh.create_comment(p.repo, issue.number,
                                    p.comment.rstrip() + "\n\n" + _marker(self.marker))
        await gh.update_issue(p.repo, issue.number, state="closed",
                              state_reason=p.state_reason)


# -- github.milestone-empty -------------------------------------------------------------------

class MilestoneParams(Params):
    repo: str
    milestone: str
    """Milestone title, e.g. ``v0.30.0``."""
    missing_ok: bool = False
    """No milestone of that title is fine (nothing can be left open in it)."""


@register
class MilestoneEmpty(Verify[MilestoneParams]):
    kind = "github.milestone-empty"
    summary = "Verify that a milestone has no open issues or pull requests"

    def explain(self) -> str:
        p = self.params
        return (
            f"Verifies that milestone `{p.milestone}` of **{p.repo}** has no open issues or "
            "pull requests: whatever was planned for this release is either done or moved "
            "to the next milestone before the release goes out. It only reads; moving "
            "issues is a human decision."
            + (" A missing milestone is fine." if p.missing_ok else "") + "\n\n"
            + code_block(f"gh api repos/{p.repo}/milestones --jq "
                         f"'.[] | select(.title == \"{p.milestone}\") | .open_issues'",
                         f"gh issue list -R {p.repo} --milestone {_q(p.milestone)} --state open")
        )

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        milestone = await gh.find_milestone(p.repo, p.milestone)
        if milestone is None:
            if p.missing_ok:
                return CheckResult.done(f"no milestone {p.milestone} in {p.repo}")
            return CheckResult.failed(f"no milestone {p.milestone} in {p.repo}")
        if milestone.open_issues:
            return CheckResult.failed(
                f"milestone {p.milestone} still has {milestone.open_issues} open issue(s) or "
                "PR(s): close them or move them to the next milestone",
                milestone.html_url or None)
        return CheckResult.done(f"milestone {p.milestone} has nothing open "
                                f"({milestone.closed_issues} closed)", milestone.html_url or None)


# -- github.next-milestone --------------------------------------------------------------------

class NextMilestoneParams(Params):
    repo: str
    after_version: str
    """The version just released (``0.30.0``); the milestone is for ``0.31.0``."""
    title_format: str = "v{version}"
    description_format: str = ""


@register
class NextMilestone(Step[NextMilestoneParams]):
    kind = "github.next-milestone"
    summary = "Get-or-create the milestone of the next minor release vX.(Y+1).0"

    def _fill(self, fmt: str) -> str:
        return fmt.replace("{version}", next_minor(self.params.after_version))

    def explain(self) -> str:
        p = self.params
        title, description = self._fill(p.title_format), self._fill(p.description_format)
        return (
            f"Makes sure **{p.repo}** has the milestone `{title}` for the next minor release, "
            "so that issues and pull requests meant for it can be filed there from now on "
            "(and the next release's preflight can check that nothing is left open in it). "
            "A milestone with that title, open or closed, is reused: GitHub keeps milestone "
            "titles unique, and a closed one is a human decision to look at, not to undo.\n\n"
            + code_block(
                f"milestone=$(gh api repos/{p.repo}/milestones -X GET -f state=all --jq "
                + _q(f".[] | select(.title == {_jq_string(title)}) | .html_url") + ")",
                f'[ -n "$milestone" ] || gh api repos/{p.repo}/milestones -f title={_q(title)}'
                + (f" -f description={_q(description)}" if description else "")
                + "   # there: reused")
        )

    async def check(self) -> CheckResult:
        p = self.params
        title = self._fill(p.title_format)
        if "X" in title:
            return CheckResult.failed(f"{p.after_version!r} is not a version X.Y.Z")
        milestone = await self.ctx.github().find_milestone(p.repo, title)
        if milestone is None:
            return CheckResult.incomplete(f"no milestone {title} in {p.repo} yet")
        return CheckResult.done(f"milestone {title} exists ({milestone.state})",
                                milestone.html_url or None)

    async def apply(self) -> None:
        p = self.params
        # Get-or-create: an ambiguous failure or a 422 "already exists" looks again.
        milestone, created = await self.ctx.github().ensure_milestone(
            p.repo, self._fill(p.title_format), self._fill(p.description_format) or None)
        if created:
            self.ctx.log(f"created milestone {milestone.title}: {milestone.html_url}")


# -- github.milestone-close -------------------------------------------------------------------

@register
class MilestoneClose(Step[MilestoneParams]):
    kind = "github.milestone-close"
    summary = "Close a milestone once nothing is left open in it"

    def explain(self) -> str:
        p = self.params
        missing = (" A repository without that milestone has nothing to close, so a missing "
                   "milestone counts as done." if p.missing_ok else
                   " A missing milestone is reported as a failure.")
        return (
            f"Closes milestone `{p.milestone}` of **{p.repo}** now that the release is out, so "
            "nobody files new work against a released version. It is only closed when "
            "nothing is open in it any more: open issues or pull requests must first be "
            "closed or moved to the next milestone (a human decision). A closed milestone "
            "counts as done." + missing + "\n\n"
            + code_block(*self._commands())
        )

    def _commands(self) -> list[str]:
        """The milestone's number looked up by title, then closed by it; with
        ``missing_ok`` no number is nothing to close."""
        p = self.params
        milestones = f"gh api repos/{p.repo}/milestones -X GET -f state=all --jq "
        pick = f".[] | select(.title == {_jq_string(p.milestone)})"
        close = f'gh api -X PATCH "repos/{p.repo}/milestones/$number" -f state=closed'
        return [milestones + _q(pick + " | [.number, .state, .open_issues]")
                + "   # open_issues must be 0",
                f"number=$({milestones}{_q(pick + ' | .number')})",
                (f'[ -z "$number" ] || {close}   # no milestone: nothing to close'
                 if p.missing_ok else close)]

    async def check(self) -> CheckResult:
        p = self.params
        milestone = await self.ctx.github().find_milestone(p.repo, p.milestone)
        if milestone is None:
            if p.missing_ok:
                return CheckResult.done(f"no milestone {p.milestone} in {p.repo}: nothing "
                                        "to close")
            return CheckResult.failed(f"no milestone {p.milestone} in {p.repo}")
        link = milestone.html_url or None
        if milestone.state == "closed":
            return CheckResult.done(f"milestone {p.milestone} is closed", link)
        if milestone.open_issues:
            return CheckResult.failed(
                f"milestone {p.milestone} still has {milestone.open_issues} open issue(s) or "
                "PR(s): close them or move them to the next milestone, then retry", link)
        return CheckResult.incomplete(f"milestone {p.milestone} is open", link)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        milestone = await gh.find_milestone(p.repo, p.milestone)
        if milestone is None or milestone.state == "closed":
            return
        await gh.update_milestone(p.repo, milestone.number, state="closed")
