"""Git action kinds: branch from a base, edit a file by pattern, annotated tag.

Each one checks the *remote* (after a fetch) so that a rerun from any machine
sees what another machine already pushed, and each pushes exactly one ref.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from pydantic import Field

from cockpit.actions.base import REGEX, Params, Step, code_block, into_clone, register
from cockpit.errors import StageStopped
from cockpit.model import CheckResult, Reversibility
from cockpit.services.git import GitError, GitRepo
from cockpit.services.gpg import signing_fingerprint


async def pushed_file(repo: GitRepo, name: str, branch: str, path: str) -> str | CheckResult:
    """The text of ``path`` as pushed on ``branch`` of ``name`` (``owner/name``), or the failed
    check that says which of the two is missing. (``git show`` drops the last newline.)"""
    if await repo.remote_branch_sha(branch) is None:
        return CheckResult.failed(f"branch {branch} does not exist in {name}")
    text = await repo.show_file(f"origin/{branch}", path)
    if text is None:
        return CheckResult.failed(f"{path} does not exist on {branch}")
    return text


async def checkout_file(repo: GitRepo, branch: str, path: str) -> tuple[Path, str]:
    """Check out the pushed ``branch`` and read ``path`` from the work tree: the start of an
    edit on a branch, which ``repo.commit_and_push`` ends."""
    await repo.run("checkout", "-B", branch, f"origin/{branch}")
    target = repo.workdir / path
    return target, target.read_text(encoding="utf-8")


class BranchParams(Params):
    repo: str
    """``owner/name`` of the repository."""
    branch: str
    """The branch to create."""
    base: str
    """The branch it starts from."""


@register
class CreateBranch(Step[BranchParams]):
    kind = "git.branch"
    summary = "Create a branch from a base branch and push it"

    def explain(self) -> str:
        p = self.params
        return (
            f"Creates branch `{p.branch}` in **{p.repo}** from the current head of `{p.base}` "
            "and pushes it, so that the release work happens on its own branch and the base "
            "keeps moving independently. If the branch already exists it is left alone.\n\n"
            + code_block(
                into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.base}",
                f"git ls-remote --exit-code --heads origin {p.branch} || "
                f"git push origin origin/{p.base}:refs/heads/{p.branch}   # exists: leave it",
            )
        )

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        sha = await repo.remote_branch_sha(p.branch)
        if sha:
            return CheckResult.done(f"branch {p.branch} exists at {sha[:12]}")
        if await repo.remote_branch_sha(p.base) is None:
            return CheckResult.failed(f"base branch {p.base} does not exist in {p.repo}")
        return CheckResult.incomplete(f"branch {p.branch} does not exist yet")

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        await repo.run("push", "origin", f"refs/remotes/origin/{p.base}:refs/heads/{p.branch}")


class EditParams(Params):
    repo: str
    branch: str
    path: str
    """File to edit, relative to the repository root."""
    pattern: str = Field(json_schema_extra=REGEX)
    """Python regular expression; its first match is replaced."""
    replacement: str
    """Replacement text (``\\1`` refers to groups of the pattern)."""
    message: str
    """Commit message."""
    tag: str | None = None
    """The release's tag in this repository: once it exists, the edit is judged in the
    tagged file, not on ``branch``, which a later release may edit again (Kubo's
    release-vX.Y.Z carries each release candidate's version in turn)."""


@register
class EditFile(Step[EditParams]):
    """Replace (or insert around) the first match of a pattern, once, however often it reruns.

    "Done" is decided from the content the edit produces, not from whether the pattern
    still matches: the file is done when it already *is* the result of this edit, i.e.

    - applying the edit to it changes nothing (a replacement whose result the pattern
      matches again, e.g. ``version = "[^"]*"`` → ``version = "1.2.0"``), or
    - it is the edit applied to an earlier version of itself: some match of the pattern
      sits, at the right offset, inside a copy of that match's replacement text, and
      putting the bare match back in place of that copy gives a text the edit turns into
      exactly the current one. That is how an insertion (``^## Unreleased$`` →
      ``## Unreleased\n\n## v1.2.0``, whose pattern still matches after it) is recognised,
      wherever the inserted text goes, before or after what the pattern matched.

    Both are checked by applying the edit, so "done" is never a guess. What cannot be
    recognised is a replacement whose result the pattern no longer matches and that does
    not contain the matched text (the old text is gone): its check fails with "pattern not
    found" rather than editing again.
    """

    kind = "git.edit"
    summary = "Edit a file by pattern on a branch, commit and push"

    def explain(self) -> str:
        p = self.params
        # A replacement that inserts lines would break the inline code and the shell comment.
        replacement = repr(p.replacement) if "\n" in p.replacement else p.replacement
        return (
            f"On branch `{p.branch}` of **{p.repo}**, replaces the first match of "
            f"`{p.pattern}` in `{p.path}` with `{replacement}`, commits it as "
            f"\"{p.message}\" and pushes. The check looks at what the edit produces, not "
            "at whether the pattern still matches: if the file already reads the way the "
            "edit leaves it (for an insertion: the inserted text is already there, around "
            "what the pattern matches), nothing is committed, so a rerun adds no second "
            "commit. If the pattern is no longer found (the file was changed some other "
            "way), the check fails and asks you to look rather than guess."
            + (f" Once the tag `{p.tag}` exists, the edit is judged in the tagged file "
               f"(`git show {p.tag}:{p.path}`): a later release may edit `{p.branch}` again, "
               "never the tag." if p.tag else "")
            + "\n\n"
            + code_block(
                into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.branch}",
                f"git checkout -B {p.branch} origin/{p.branch}",
                _edit_command(p.path, p.pattern, p.replacement),
                f"git commit -am {_quote(p.message)}",
                f"git push origin {p.branch}",
            )
        )

    def _pattern(self) -> re.Pattern[str]:
        return re.compile(self.params.pattern, re.MULTILINE)

    def _edited(self, text: str) -> str:
        return self._pattern().sub(self.params.replacement, text, count=1)

    def already_edited(self, text: str) -> bool:
        """Whether ``text`` is what this edit produces (see the class docstring)."""
        if self._edited(text) == text:
            return True
        for match in self._pattern().finditer(text):
            produced, matched = match.expand(self.params.replacement), match.group(0)
            offset = produced.find(matched)
            while 0 <= offset <= match.start():
                start = match.start() - offset
                if text.startswith(produced, start):
                    before = text[:start] + matched + text[start + len(produced):]
                    if self._edited(before) == text:
                        return True
                offset = produced.find(matched, offset + 1)
        return False

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        if p.tag is not None and await repo.remote_tag(p.tag) is not None:
            return await self._check_tagged(repo, p.tag)
        text = await pushed_file(repo, p.repo, p.branch, p.path)
        if isinstance(text, CheckResult):
            return text
        text += "\n"  # git show's output loses the file's last newline
        if self._pattern().search(text) is None:
            return CheckResult.failed(f"pattern {p.pattern!r} not found in {p.path} on {p.branch}")
        if self.already_edited(text):
            return CheckResult.done(f"{p.path} on {p.branch} already reads {p.replacement!r}")
        return CheckResult.incomplete(f"{p.path} on {p.branch} needs the change")

    async def _check_tagged(self, repo: GitRepo, tag: str) -> CheckResult:
        """The edit as released: the file at the release's tag. Editing the branch now
        cannot change a tag (the cockpit never moves one), so a tag without the change
        is a failure for a person, not something to apply."""
        p = self.params
        text = await repo.show_file(f"refs/tags/{tag}", p.path)
        if text is None:
            return CheckResult.failed(f"{p.path} does not exist at tag {tag}")
        if self.already_edited(text + "\n"):
            return CheckResult.done(f"{p.path} at tag {tag} reads {p.replacement!r}")
        return CheckResult.failed(f"{p.path} at tag {tag} does not read {p.replacement!r}: "
                                  f"{tag} was made without this change, and a pushed tag is "
                                  "never moved")

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        target, text = await checkout_file(repo, p.branch, p.path)
        target.write_text(self._edited(text), encoding="utf-8")
        await repo.commit_and_push(p.branch, p.message, p.path)


class TagParams(Params):
    repo: str
    tag: str
    ref: str
    """Branch whose current head is tagged."""
    message: str
    """Tag message, e.g. "Prerelease 0.30.0-rc1"."""
    sign: bool = False
    """Sign with the driver's GPG key (``git tag -s``) instead of only annotating."""


@register
class CreateTag(Step[TagParams]):
    kind = "git.tag"
    summary = "Create an annotated (optionally signed) tag and push only that tag"
    reversibility = Reversibility.IRREVERSIBLE
    """A pushed tag starts the publishing workflows (Docker images, and what follows from
    them); deleting the tag afterwards leaves everything built from it published."""

    def explain(self) -> str:
        p = self.params
        flag = "-s" if p.sign else "-a"
        return (
            f"Tags the head of `{p.ref}` in **{p.repo}** as `{p.tag}` with the message "
            f"\"{p.message}\" and pushes **only that tag**. A pushed tag starts the release "
            "builds and cannot be taken back cleanly, so the cockpit shows the exact commit "
            "and asks you to type the tag before it goes ahead. An existing tag is never moved. "
            "Where the playbook asks for review, the tag goes on exactly the commit the second "
            "maintainer approved: if the branch moved since, nothing is tagged and the review "
            "is asked again"
            + (". A signed tag's reviewer also checks that your signing key is registered on "
               "your GitHub account (`gh gpg-key list`)" if p.sign else "")
            + ".\n\n"
            + code_block(
                into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.ref}",
                f"git tag {flag} -m {_quote(p.message)} {p.tag} origin/{p.ref}",
                f"git show {p.tag}   # check the commit",
                f"git push origin refs/tags/{p.tag}:refs/tags/{p.tag}   # never --tags",
            )
        )

    async def confirmation(self) -> tuple[str, str]:
        p = self.params
        repo = await self.ctx.git(p.repo)
        sha = (self.approved_facts or {}).get("commit") or await repo.rev(f"origin/{p.ref}")
        subject = (await repo.run("log", "-1", "--format=%s", sha, manual=False)).strip()
        return (f"Tag {p.tag} in {p.repo}\non commit {sha} ({p.ref})\n  {subject}", p.tag)

    async def review_facts(self, requested_by: str | None = None,
                           claimed: dict[str, str] | None = None) -> dict[str, str]:
        """The commit the tag would point at, from the remote now: a branch that moved
        since the request changes the facts, and so voids an approval of the old ones.

        A signed tag adds the key the driver signs with (``SIGNING_KEY``: only the driver's
        machine knows it, so a reviewer takes it from the request as a claim) and whether
        GitHub has that key registered for the driver's account (``ON_GITHUB``: each side
        asks GitHub itself)."""
        p = self.params
        repo = await self.ctx.git(p.repo)
        sha = await repo.rev(f"origin/{p.ref}")
        subject = (await repo.run("log", "-1", "--format=%s", sha, manual=False)).strip()
        flag = "-s" if p.sign else "-a"
        facts = {"repo": p.repo, "tag": p.tag, "branch": p.ref, "commit": sha,
                 "subject": subject, "message": p.message,
                 "signed": "yes (the driver's key, `git tag -s`)" if p.sign else "no (annotated)",
                 "command": f"git tag {flag} -m {_quote(p.message)} {p.tag} {sha} && "
                            f"git push origin refs/tags/{p.tag}:refs/tags/{p.tag}"}
        if p.sign:
            facts |= await self._signing_facts(requested_by, claimed)
        return facts

    async def _signing_facts(self, requested_by: str | None,
                             claimed: dict[str, str] | None) -> dict[str, str]:
        if claimed is None:
            key = await asyncio.to_thread(signing_fingerprint) or NO_KEY
        else:
            key = claimed.get(SIGNING_KEY, NO_KEY)
        gh = self.ctx.github()
        login = requested_by or (await gh.user()).login
        registered = bool(_KEY.fullmatch(key)) and any(k.matches(key)
                                                       for k in await gh.gpg_keys(login))
        return {SIGNING_KEY: key,
                ON_GITHUB: f"registered for {login}: {'yes' if registered else 'no'}"}

    def review_refusal(self, facts: dict[str, str]) -> str | None:
        on_github = facts.get(ON_GITHUB, "")
        if not on_github.endswith(": no"):
            return None
        login = on_github.removeprefix("registered for ").removesuffix(": no")
        key = facts.get(SIGNING_KEY, NO_KEY)
        return (f"the signing key {key} is not registered on GitHub for {login}: GitHub "
                f"would show the tag as unverified. The driver registers it "
                f"(`gpg --armor --export {key} | gh gpg-key add -`), then review again")

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        remote = await repo.remote_tag(p.tag)
        if remote is None:
            if await repo.remote_branch_sha(p.ref) is None:
                return CheckResult.failed(f"branch {p.ref} to tag does not exist in {p.repo}")
            return CheckResult.incomplete(f"tag {p.tag} is not pushed yet")
        obj, commit = remote
        if obj == commit:
            return CheckResult.failed(
                f"tag {p.tag} exists but is lightweight, not annotated; it needs a human"
            )
        head = await repo.remote_branch_sha(p.ref)
        moved = "" if head in (None, commit) else f"; {p.ref} has since moved to {head[:12]}"
        return CheckResult.done(f"tag {p.tag} is pushed on {commit[:12]}{moved}")

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        target = await self._target(repo)
        try:
            existing = await repo.rev(f"refs/tags/{p.tag}")
        except GitError:
            existing = None
        if existing != target:
            if existing is not None:
                # A local leftover from an unpushed attempt on another commit.
                await repo.run("tag", "-d", p.tag)
            await repo.run("tag", "-s" if p.sign else "-a", "-m", p.message, p.tag, target)
        await repo.run("push", "origin", f"refs/tags/{p.tag}:refs/tags/{p.tag}")

    async def _target(self, repo: GitRepo) -> str:
        """The commit to tag: the one a second maintainer approved (a reviewed step), which
        the branch, fetched just now, must still point at; else the branch's head."""
        p = self.params
        head = await repo.rev(f"origin/{p.ref}")
        approved = (self.approved_facts or {}).get("commit")
        if approved is None or approved == head:
            return head
        raise BranchMoved(
            f"not tagged: {p.ref} moved to {head[:12]} after {approved[:12]} was approved, "
            f"and nothing unreviewed is tagged. Rerun the stage: the review request gets the "
            f"new head (a new round) and waits for a second maintainer again")


class BranchMoved(StageStopped):
    """The branch moved between the approval and the tag: a human decides (rerun → review
    again); nothing was tagged."""


SIGNING_KEY, ON_GITHUB = "signing key", "signing key on GitHub"
"""The signed tag's review facts: the driver's key (a claim), its registration (recomputed)."""
NO_KEY = "(none found on the driver's machine)"
_KEY = re.compile(r"[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")


_EDIT = ("import pathlib, re, sys; f = pathlib.Path(sys.argv[1]); "
         "f.write_text(re.sub(sys.argv[2], sys.argv[3], f.read_text(), count=1, flags=re.M))")
"""``git.edit``'s edit, as a command: the same Python regular expression, flags and
replacement syntax, so the file ends exactly as the cockpit leaves it (a sed or an editor
would only approximate a Python pattern)."""


def _edit_command(path: str, pattern: str, replacement: str) -> str:
    return f"python3 -c {_quote(_EDIT)} {path} {_quote(pattern)} {_quote(replacement)}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
