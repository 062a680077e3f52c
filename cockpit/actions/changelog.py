"""The changelog (fill a placeholder section once, check sections) and the staging outcome.

Kubo's changelog ``docs/changelogs/vX.Y.md`` has, per release, ``### `` sections; the
generated ones (the commit list, the contributors table) start empty and are filled
once from git history. A filled section is never regenerated, so a rerun (or a human
edit made in between) is left alone.
"""

from __future__ import annotations

import re
from collections import defaultdict

from cockpit.actions.base import ActionKind, Params, code_block, register
from cockpit.actions.gitchecks import CannotFix
from cockpit.model import CheckResult
from cockpit.prompts import Choose, TextInput
from cockpit.services.git import GitRepo


def _section_span(text: str, heading: str, section: str) -> tuple[int, int] | None:
    """(start, end) of the body of ``### section`` under ``## heading``, or None."""
    release = re.search(rf"^## {re.escape(heading)}\s*$", text, re.MULTILINE)
    if release is None:
        return None
    nxt = re.search(r"^## ", text[release.end():], re.MULTILINE)
    limit = release.end() + nxt.start() if nxt else len(text)
    found = re.search(rf"^### {re.escape(section)}[ \t]*\n", text[release.end():limit],
                      re.MULTILINE)
    if found is None:
        return None
    start = release.end() + found.end()
    after = re.search(r"^#{2,3} ", text[start:limit], re.MULTILINE)
    return start, (start + after.start() if after else limit)


class FillParams(Params):
    repo: str
    branch: str
    path: str
    release_heading: str
    """The ``## `` heading of the release, e.g. ``v0.30.0``."""
    section: str
    """The ``### `` section to fill, e.g. ``📝 Changelog``."""
    generator: str
    """``mkreleaselog`` (commit list) or ``contributors-table``."""
    since_tag: str = "previous"
    """A tag, or ``previous``: the newest earlier release tag reachable from ``until_ref``."""
    until_ref: str
    message: str


@register
class ChangelogFill(ActionKind):
    kind = "changelog.fill"
    summary = "Fill one empty generated section of the changelog once, commit and push"
    Params = FillParams
    params: FillParams

    def explain(self) -> str:
        p = self.params
        what = ("the list of commits" if p.generator == "mkreleaselog"
                else "the table of contributors (commits, lines, files)")
        return (
            f"Fills the empty **{p.section}** section of `{p.path}` (release {p.release_heading}) "
            f"on `{p.branch}` of **{p.repo}** with {what} since the previous release, commits "
            f"it as \"{p.message}\" and pushes. A section that already has content is never "
            "regenerated, so hand edits survive and a rerun commits nothing.\n\n"
            + code_block(
                f"git checkout -B {p.branch} origin/{p.branch}",
                f"PREV=$(git describe --tags --abbrev=0 --match 'v*' --exclude "
                f"'{p.release_heading}*' origin/{p.until_ref})",
                (f"git log --no-merges --format='  - %s' $PREV..origin/{p.until_ref}"
                 if p.generator == "mkreleaselog" else
                 f"git log --no-merges --numstat --format='@%aN' $PREV..origin/{p.until_ref}"
                 "   # sum per author"),
                f"$EDITOR {p.path}   # paste under ### {p.section}",
                f"git commit -am '{p.message}' && git push origin {p.branch}"))

    async def _text(self, repo: GitRepo) -> str | None:
        p = self.params
        return await repo.show_file(f"origin/{p.branch}", p.path)

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        if await repo.remote_branch_sha(p.branch) is None:
            return CheckResult.failed(f"branch {p.branch} does not exist in {p.repo}")
        text = await self._text(repo)
        if text is None:
            return CheckResult.failed(f"{p.path} does not exist on {p.branch}")
        span = _section_span(text + "\n", p.release_heading, p.section)
        if span is None:
            return CheckResult.failed(f"{p.path} has no section '### {p.section}' under "
                                      f"'## {p.release_heading}'")
        if text[span[0]:span[1]].strip():
            return CheckResult.done(f"{p.section} of {p.release_heading} is filled")
        return CheckResult.incomplete(f"{p.section} of {p.release_heading} is empty")

    async def _since(self, repo: GitRepo) -> str:
        p = self.params
        if p.since_tag != "previous":
            return p.since_tag
        return (await repo.run("describe", "--tags", "--abbrev=0", "--match", "v*",
                               "--exclude", f"{p.release_heading}*",
                               f"origin/{p.until_ref}")).strip()

    async def _generate(self, repo: GitRepo) -> str:
        p = self.params
        since = await self._since(repo)
        span = f"{since}..origin/{p.until_ref}"
        if p.generator == "mkreleaselog":
            subjects = (await repo.run("log", "--no-merges", "--format=%s", span)).splitlines()
            lines = "".join(f"  - {s}\n" for s in subjects if s.strip())
            return (f"<details><summary>Full Changelog</summary>\n\n- github.com/{p.repo}:\n"
                    f"{lines}\n</details>\n\n")
        if p.generator == "contributors-table":
            out = await repo.run("log", "--no-merges", "--numstat", "--format=@%aN", span)
            commits: dict[str, int] = defaultdict(int)
            added: dict[str, int] = defaultdict(int)
            removed: dict[str, int] = defaultdict(int)
            files: dict[str, set[str]] = defaultdict(set)
            author = ""
            for line in out.splitlines():
                if line.startswith("@"):
                    author = line[1:]
                    commits[author] += 1
                elif line.strip():
                    plus, minus, name = [*line.split("\t"), "", "", ""][:3]
                    added[author] += int(plus) if plus.isdigit() else 0
                    removed[author] += int(minus) if minus.isdigit() else 0
                    files[author].add(name)
            rows = sorted(commits, key=lambda a: (-commits[a], a))
            table = ("| Contributor | Commits | Lines ± | Files Changed |\n"
                     "|-------------|---------|---------|---------------|\n")
            table += "".join(f"| {a} | {commits[a]} | +{added[a]}/-{removed[a]} | "
                             f"{len(files[a])} |\n" for a in rows)
            return table + "\n"
        raise CannotFix(f"unknown changelog generator {p.generator!r}: fill "
                        f"'### {p.section}' by hand")

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        await repo.run("checkout", "-B", p.branch, f"origin/{p.branch}")
        target = repo.workdir / p.path
        text = target.read_text(encoding="utf-8")
        span = _section_span(text, p.release_heading, p.section)
        if span is None or text[span[0]:span[1]].strip():
            return  # no placeholder (anymore): the check says what that means
        body = await self._generate(repo)
        start = span[0]
        # Keep the blank line after the heading, and one before the next heading.
        rest = text[span[1]:]
        target.write_text(text[:start] + "\n" + body + rest.lstrip("\n"), encoding="utf-8")
        await repo.run("commit", "-m", p.message, "--", p.path)
        await repo.run("push", "origin", f"HEAD:refs/heads/{p.branch}")


class CheckParams(Params):
    repo: str
    branch: str
    path: str
    release_heading: str
    nonempty_sections: list[str]


@register
class ChangelogCheck(ActionKind):
    kind = "changelog.check"
    summary = "Verify that changelog sections of a release are not empty"
    Params = CheckParams
    params: CheckParams

    def explain(self) -> str:
        p = self.params
        return (f"Verifies that the sections {', '.join(p.nonempty_sections)} of "
                f"{p.release_heading} in `{p.path}` on `{p.branch}` are written: these are "
                "the human-written parts of the release notes, which no tool can fill.\n\n"
                + code_block(f"git show origin/{p.branch}:{p.path} | less"))

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        text = await repo.show_file(f"origin/{p.branch}", p.path)
        if text is None:
            return CheckResult.failed(f"{p.path} does not exist on {p.branch} of {p.repo}")
        empty = []
        for section in p.nonempty_sections:
            span = _section_span(text + "\n", p.release_heading, section)
            if span is None or not text[span[0]:span[1]].strip():
                empty.append(section)
        if empty:
            return CheckResult.failed(f"{', '.join(empty)} of {p.release_heading} is empty "
                                      f"in {p.path} on {p.branch}: write it and push")
        return CheckResult.done(f"{', '.join(p.nonempty_sections)} written")

    async def apply(self) -> None:
        p = self.params
        raise CannotFix(f"write {', '.join(p.nonempty_sections)} of {p.release_heading} in "
                        f"{p.path} on {p.branch} (a pull request to it), then retry")


# -- staging -------------------------------------------------------------------------------

MARKER = "<!-- cockpit:staging-outcome -->"


class StagingParams(Params):
    repo: str
    issue_title: str
    question: str
    choices: list[str]
    block_on: str = ""
    """The choice that stops the release."""
    comment: str
    """Comment template; ``{outcome}`` and ``{notes}`` are filled in."""


@register
class StagingOutcome(ActionKind):
    kind = "staging.outcome"
    summary = "Ask for the staging comparison's outcome and record it on the staging issue"
    Params = StagingParams
    params: StagingParams

    def explain(self) -> str:
        p = self.params
        return (f"Asks the driver: *{p.question}* ({' / '.join(p.choices)}) and records "
                f"the answer as a comment on the issue \"{p.issue_title}\" in **{p.repo}**, "
                "so that everyone (and every rerun, on any machine) sees the outcome. "
                f"\"{p.block_on}\" stops the release.\n\n"
                + code_block(f"gh issue list -R {p.repo} --search '{p.issue_title} in:title'",
                             f"gh issue comment <number> -R {p.repo} --body '<outcome and "
                             "notes>'"))

    async def _issue_and_outcome(self) -> tuple[int | None, str | None, str | None]:
        p = self.params
        gh = self.ctx.github()
        issue = await gh.find_issue(p.repo, p.issue_title)
        if issue is None:
            return None, None, None
        for comment in await gh.list_comments(p.repo, issue.number):
            body = comment.body or ""
            if MARKER in body:
                outcome = next((c for c in p.choices if f"**{c}**" in body), "recorded")
                return issue.number, outcome, comment.html_url or None
        return issue.number, None, None

    async def check(self) -> CheckResult:
        p = self.params
        number, outcome, link = await self._issue_and_outcome()
        if number is None:
            return CheckResult.failed(f"no issue titled {p.issue_title!r} in {p.repo}")
        if outcome is None:
            return CheckResult.incomplete(f"no staging outcome recorded on #{number} yet")
        if p.block_on and outcome == p.block_on:
            return CheckResult.failed(f"staging outcome: {outcome}", link)
        return CheckResult.done(f"staging outcome: {outcome}", link)

    async def apply(self) -> None:
        p = self.params
        number, outcome, _ = await self._issue_and_outcome()
        if number is None or outcome is not None:
            return
        answer = await self.ctx.ask(Choose(id=f"{self.ctx.prompt_prefix}/outcome",
                                           title="Staging outcome", message=p.question,
                                           choices=list(p.choices)))
        notes = await self.ctx.ask(TextInput(id=f"{self.ctx.prompt_prefix}/notes",
                                             title="Staging notes",
                                             message="Notes for the record (links, numbers)",
                                             required=False))
        body = (p.comment.replace("{outcome}", str(answer.value))
                .replace("{notes}", str(notes.value or "")).rstrip() + f"\n\n{MARKER}\n")
        self.ctx.guard_write("comment on the staging issue")
        await self.ctx.github().create_comment(p.repo, number, body)
