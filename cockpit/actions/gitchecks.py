"""Git checks and the one git merge: file contents, tag verification, ancestry, merge.

The checks only read a freshly fetched clone (what the *remote* has), so that a rerun
on any machine sees what was pushed from another. They cannot fix anything: each is a
``Verify`` whose ``fix()`` says what a human must do, and the engine asks the human.
``git.merge`` is the exception: it merges and pushes exactly one branch, once.
"""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from cockpit.actions.base import (
    REGEX,
    ActionKind,
    Params,
    Step,
    Verify,
    code_block,
    into_clone,
    register,
)
from cockpit.actions.later import as_version, later_tags, this_release
from cockpit.errors import CannotFix
from cockpit.model import CheckResult, Version
from cockpit.services.git import GitError, GitRepo


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _clone_cmd(action: ActionKind, repo: str) -> str:
    return into_clone(action.ctx.settings.clone_url(repo), repo)


class FileContainsParams(Params):
    repo: str
    ref: str
    """Branch (or tag) whose file is read."""
    path: str
    text: str | None = None
    """Literal text the file must contain."""
    pattern: str | None = Field(default=None, json_schema_extra=REGEX)
    """Python regular expression the file must match (instead of ``text``)."""
    tag: str | None = None
    """The release's tag in this repository: once it exists, the file is read at the tag
    instead of at ``ref``, which a later release moves (Kubo's ``release``: version.go
    reads 0.30.1 after v0.30.1, and v0.30.0 was still released right)."""
    later: str | None = Field(default=None, json_schema_extra=REGEX)
    """A regular expression whose first group captures a version (``kuboVersion:
    '([^']+)'``), for a file a later release rewrites in another repository, where this
    release has no tag: when the file no longer holds what it must but names a version
    newer than this release, a later release moved it, and the check is done."""

    @model_validator(mode="after")
    def _one_of(self) -> FileContainsParams:
        if (self.text is None) == (self.pattern is None):
            raise ValueError("give exactly one of text or pattern")
        if self.later is not None and re.compile(self.later).groups < 1:
            raise ValueError("later needs a group that captures the version")
        return self


async def _ref_exists(repo: GitRepo, ref: str) -> str | None:
    for candidate in (f"origin/{ref}", f"refs/tags/{ref}", ref):
        try:
            await repo.rev(candidate)
            return candidate
        except GitError:
            continue
    return None


@register
class FileContains(Verify[FileContainsParams]):
    kind = "git.file-contains"
    summary = "Verify that a file at a ref contains a text or matches a pattern"

    def _wanted(self) -> str:
        p = self.params
        return f"text {p.text!r}" if p.text is not None else f"pattern {p.pattern!r}"

    def explain(self) -> str:
        p = self.params
        show = (f"{{ git show refs/tags/{p.tag}:{p.path} 2>/dev/null || "
                f"git show origin/{p.ref}:{p.path}; }}" if p.tag else
                f"git show origin/{p.ref}:{p.path}")
        grep = (f"{show} | grep -F {_quote(p.text)}" if p.text is not None else
                f"{show} | grep -E {_quote(p.pattern or '')}")
        fetch = f"git fetch --tags origin {p.ref}" if p.tag else f"git fetch origin {p.ref}"
        tagged = (f" Once the tag `{p.tag}` exists, the file is read at the tag "
                  f"(`git show {p.tag}:{p.path}`): a later release moves `{p.ref}`, never "
                  "the tag, so an older release still reads as done." if p.tag else "")
        later = (" If the file names a version newer than this release instead (a later "
                 "release rewrote it), this release's part is done." if p.later else "")
        return (
            f"Verifies that `{p.path}` on `{p.ref}` of **{p.repo}** contains {self._wanted()}. "
            "A release step that edits a file (the version, a dependency) is only trusted "
            f"once the pushed file really reads that way; this only reads.{tagged}{later}\n\n"
            + code_block(_clone_cmd(self, p.repo), fetch, grep))

    async def _read_at(self, repo: GitRepo) -> tuple[str, str] | None:
        """(the ref to read, how the reason names it): the release's tag once it exists,
        else the branch (or tag) ``ref``; None if neither exists."""
        p = self.params
        if p.tag is not None and await repo.remote_tag(p.tag) is not None:
            return f"refs/tags/{p.tag}", f"at tag {p.tag}"
        ref = await _ref_exists(repo, p.ref)
        return None if ref is None else (ref, f"on {p.ref}")

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        read = await self._read_at(repo)
        if read is None:
            return CheckResult.failed(f"{p.ref} does not exist in {p.repo}")
        ref, where = read
        text = await repo.show_file(ref, p.path)
        if text is None:
            return CheckResult.failed(f"{p.path} does not exist {where} in {p.repo}")
        if p.text is not None:
            found = p.text in text
        else:
            found = re.search(p.pattern or "", text, re.MULTILINE) is not None
        if found:
            return CheckResult.done(f"{p.path} {where} contains {self._wanted()}")
        newer = self._later_version(text)
        if newer is not None:
            return CheckResult.done(f"{p.path} {where} names {newer.tag}, newer than "
                                    f"{this_release(self)}: a later release rewrote it")
        return CheckResult.failed(f"{p.path} {where} does not contain {self._wanted()}")

    def _later_version(self, text: str) -> Version | None:
        """The version a later release left in the file: ``later``'s first group, where
        every version it captures is newer than this release (the oldest of them). A
        version this old or older anywhere in the file means it was not moved on from this
        release, and an unrelated newer number on a page that missed this release does
        not make it done."""
        mine = this_release(self)
        if self.params.later is None or mine is None:
            return None
        named = [v for v in (as_version(self, match.group(1)) for match
                             in re.finditer(self.params.later, text, re.MULTILINE))
                 if v is not None]
        if not named or any(v.sort_key() <= mine.sort_key() for v in named):
            return None
        return min(named, key=Version.sort_key)

    def fix(self) -> str:
        p = self.params
        return (f"edit {p.path} on {p.ref} of {p.repo} so that it contains "
                f"{self._wanted()}, push, then retry")


class IsAncestorParams(Params):
    repo: str
    ancestor: str
    """A ref such as ``refs/tags/v0.30.0``."""
    ref: str
    """The branch that must contain it."""


@register
class IsAncestor(Verify[IsAncestorParams]):
    kind = "git.is-ancestor"
    summary = "Verify that a ref (e.g. a tag) is an ancestor of a branch"

    def explain(self) -> str:
        p = self.params
        return (
            f"Verifies that `{p.ancestor}` is contained in `{p.ref}` of **{p.repo}**: after "
            "the release branch is merged back, the released commit must be part of the "
            "default branch's history (otherwise the next release would miss its fixes).\n\n"
            + code_block(_clone_cmd(self, p.repo), "git fetch --tags origin",
                         f"git merge-base --is-ancestor {p.ancestor} origin/{p.ref} && echo yes"))

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        try:
            ancestor = await repo.rev(p.ancestor)
        except GitError:
            return CheckResult.failed(f"{p.ancestor} does not exist in {p.repo}")
        if await repo.remote_branch_sha(p.ref) is None:
            return CheckResult.failed(f"branch {p.ref} does not exist in {p.repo}")
        try:
            await repo.run("merge-base", "--is-ancestor", ancestor, f"origin/{p.ref}",
                           manual=False)
        except GitError:
            return CheckResult.failed(f"{p.ancestor} ({ancestor[:12]}) is not in {p.ref}")
        return CheckResult.done(f"{p.ancestor} ({ancestor[:12]}) is in {p.ref}")

    def fix(self) -> str:
        p = self.params
        return (f"merge {p.ancestor} into {p.ref} of {p.repo} (through the merge "
                "pull request), then retry")


class TagVerifyParams(Params):
    repo: str
    tag: str
    ref: str
    """Branch whose head the tag must point at."""
    message: str = ""
    """Expected first line of the tag message (empty: not checked)."""
    signed: bool = False
    """Require a valid GPG signature (``git verify-tag``)."""


@register
class TagVerify(Verify[TagVerifyParams]):
    kind = "git.tag-verify"
    summary = "Verify a pushed tag: annotated, message, signature, and on the expected commit"

    def explain(self) -> str:
        p = self.params
        lines = [_clone_cmd(self, p.repo), "git fetch --tags origin",
                 f"git cat-file -t {p.tag}   # must print: tag",
                 f"git rev-parse {p.tag}^{{commit}} origin/{p.ref}   # must be equal, or:",
                 f"git merge-base --is-ancestor {p.tag} origin/{p.ref} && "
                 f"git tag --contains {p.tag}   # {p.ref} moved on: a later release's tag"]
        if p.signed:
            lines.append(f"git verify-tag {p.tag}")
        return (
            f"Verifies tag `{p.tag}` in **{p.repo}**: it is annotated"
            + (f", its message is \"{p.message}\"" if p.message else "")
            + (", its GPG signature is valid" if p.signed else "")
            + f", and it points at the head of `{p.ref}`. Everything downstream (Docker, "
            "dist, npm, the GitHub release) builds from this tag, so it is checked before "
            "anything else starts. Once a later release is tagged on top of it, "
            f"`{p.ref}` has moved on from the tag and that is no failure: the tag must then "
            "be in its history.\n\n" + code_block(*lines))

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        remote = await repo.remote_tag(p.tag)
        if remote is None:
            return CheckResult.failed(f"tag {p.tag} is not pushed to {p.repo}")
        obj, commit = remote
        if obj == commit:
            return CheckResult.failed(f"tag {p.tag} is lightweight, not annotated")
        head = await repo.remote_branch_sha(p.ref)
        if head is None:
            return CheckResult.failed(f"branch {p.ref} does not exist in {p.repo}")
        moved = ""
        if head != commit:
            later = await self._moved_on(repo, commit, head)
            if later is None:
                return CheckResult.failed(f"tag {p.tag} is on {commit[:12]} but {p.ref} is "
                                          f"at {head[:12]}")
            moved = f"; {p.ref} has since moved on to {head[:12]} ({later.tag} was made after)"
        body = await repo.run("cat-file", "-p", obj, manual=False)
        message = body.split("\n\n", 1)[1] if "\n\n" in body else ""
        if p.message and message.strip().splitlines()[:1] != [p.message]:
            first = message.strip().splitlines()[:1]
            return CheckResult.failed(f"tag {p.tag} message is {first[0] if first else ''!r}, "
                                      f"expected {p.message!r}")
        if p.signed:
            if "-----BEGIN PGP SIGNATURE-----" not in body and "-----BEGIN SSH SIGNATURE" \
                    not in body:
                return CheckResult.failed(f"tag {p.tag} is not signed")
            try:
                await repo.run("verify-tag", obj, manual=False)
            except GitError as exc:
                return CheckResult.failed(f"signature of {p.tag} does not verify: {exc}")
        signed = ", signature valid" if p.signed else ""
        return CheckResult.done(f"tag {p.tag} is annotated on {commit[:12]} ({p.ref})"
                                f"{signed}{moved}")

    async def _moved_on(self, repo: GitRepo, commit: str, head: str) -> Version | None:
        """The first later release tagged on top of ``commit`` when ``ref`` only moved on
        from it (``commit`` is in its history): the tag was on the head when it was made,
        and the next release moved the branch. None otherwise: a tag beside the branch,
        or behind it with no later release, is on the wrong commit."""
        try:
            await repo.run("merge-base", "--is-ancestor", commit, head, manual=False)
        except GitError:
            return None
        later = await later_tags(self, repo, containing=commit)
        return later[0] if later else None

    def fix(self) -> str:
        p = self.params
        return (
            f"tag {p.tag} in {p.repo} is not right and a pushed tag is never moved by the "
            f"cockpit: inspect it (git fetch --tags && git show {p.tag}); if it must be "
            f"redone, delete it by hand (git push origin :refs/tags/{p.tag}) and rerun the "
            "tag stage")


class MergeParams(Params):
    repo: str
    branch: str
    """The branch that receives the merge (pushed)."""
    merge: str
    """The branch merged into it."""
    keep_theirs: list[str] = []
    """Paths taken from the merged branch when they conflict."""
    keep_ours: list[str] = []
    """Paths kept as they are on the receiving branch when they conflict (Kubo: the
    release's changelog, whose sections the release filled, over master's older copy)."""
    message: str
    """Merge commit message."""


@register
class Merge(Step[MergeParams]):
    kind = "git.merge"
    summary = "Merge a branch into another with a merge commit and push"

    def explain(self) -> str:
        p = self.params
        merge = f"git merge --no-ff -m {_quote(p.message)} origin/{p.merge}"
        keeps = ([f"git checkout --theirs -- {path} && git add {path}" for path in p.keep_theirs]
                 + [f"git checkout --ours -- {path} && git add {path}" for path in p.keep_ours])
        if keeps:  # on a conflict, resolved as the cockpit resolves it; any other stops
            merge += (" || {   # a conflict: these paths resolved, any other stops the commit\n"
                      + "".join(f"  {keep} &&\n" for keep in keeps)
                      + "  git commit --no-edit\n}")
        lines = [_clone_cmd(self, p.repo), f"git fetch origin {p.branch} {p.merge}",
                 f"git checkout -B {p.branch} origin/{p.branch}", merge,
                 f"git push origin {p.branch}"]
        keep = (f" Conflicts in {', '.join(p.keep_theirs)} are resolved by taking "
                f"`{p.merge}`'s version." if p.keep_theirs else "")
        keep += (f" Conflicts in {', '.join(p.keep_ours)} are resolved by keeping "
                 f"`{p.branch}`'s version." if p.keep_ours else "")
        return (
            f"Merges `{p.merge}` into `{p.branch}` of **{p.repo}** with a merge commit and "
            f"pushes `{p.branch}`.{keep} Nothing happens when `{p.merge}` is already "
            "contained in it, so a rerun never adds a second merge. Any other conflict "
            "stops and is left to a human.\n\n" + code_block(*lines))

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        head = await repo.remote_branch_sha(p.branch)
        if head is None:
            return CheckResult.failed(f"branch {p.branch} does not exist in {p.repo}")
        merged = await repo.remote_branch_sha(p.merge)
        if merged is None:
            return CheckResult.failed(f"branch {p.merge} does not exist in {p.repo}")
        try:
            await repo.run("merge-base", "--is-ancestor", f"origin/{p.merge}",
                           f"origin/{p.branch}", manual=False)
        except GitError:
            pass
        else:
            return CheckResult.done(f"{p.merge} is merged into {p.branch} ({head[:12]})")
        if await self._merged_then_landed(repo):
            return CheckResult.done(f"{p.branch} ({head[:12]}) was merged and has landed in "
                                    f"{p.merge}, which moved on since")
        return CheckResult.incomplete(f"{p.merge} ({merged[:12]}) is not merged into "
                                      f"{p.branch} yet")

    async def _merged_then_landed(self, repo: GitRepo) -> bool:
        """The branch's head is a merge commit that ``merge`` already contains: the merge
        was made and the branch merged (its pull request), so merging ``merge`` again
        would only add a commit. A branch freshly cut from an already merged base has no
        merge commit at its head, and is merged as usual."""
        p = self.params
        parents = (await repo.run("rev-list", "--parents", "-n", "1", f"origin/{p.branch}",
                                  manual=False)).split()
        if len(parents) < 3:
            return False
        try:
            await repo.run("merge-base", "--is-ancestor", f"origin/{p.branch}",
                           f"origin/{p.merge}", manual=False)
        except GitError:
            return False
        return True

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        await repo.run("checkout", "-B", p.branch, f"origin/{p.branch}")
        try:
            await repo.run("merge", "--no-ff", "-m", p.message, f"origin/{p.merge}")
        except GitError:
            unmerged = (await repo.run("diff", "--name-only", "--diff-filter=U",
                                       manual=False)).split()
            if not unmerged:
                await repo.run("merge", "--abort", manual=False)
                raise
            rest = [path for path in unmerged
                    if path not in p.keep_theirs and path not in p.keep_ours]
            if rest:
                await repo.run("merge", "--abort", manual=False)
                raise CannotFix(f"merging {p.merge} into {p.branch} conflicts in "
                                f"{', '.join(rest)}: merge by hand, push {p.branch}, "
                                "then retry") from None
            for path in unmerged:
                side = "--theirs" if path in p.keep_theirs else "--ours"
                await repo.run("checkout", side, "--", path)
                await repo.run("add", "--", path)
            await repo.run("commit", "--no-edit")
        await repo.run("push", "origin", f"HEAD:refs/heads/{p.branch}")
