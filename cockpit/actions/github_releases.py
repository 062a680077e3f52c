"""GitHub tags and releases: see the tag, get-or-create the release, verify and amend it,
publish it.

A release is found by its tag (one release per tag is GitHub's own rule), so creating
it is get-or-create: the check looks first, ``apply`` posts once, and an ambiguous
answer is left to the engine's re-check, which finds the release if it landed.

Publishing is draft-first where the playbook asks for it (Kubo's does): the release is
created as a draft, its assets are attached and checked, and only then does
``github.release-publish`` make it public, so nobody lands on a release page without its
binaries (and with GitHub's immutable releases, assets can only be attached before). A
draft found on a rerun is the same release, completed; never a second one.
"""

from __future__ import annotations

from typing import Literal

from cockpit.actions.announce import topic_url_cmd
from cockpit.actions.base import (
    ActionKind,
    Params,
    Step,
    Verify,
    code_block,
    found,
    register,
    unless_found,
    write_file,
)
from cockpit.actions.github_issues import issue_lookup_cmd
from cockpit.actions.later import later_version
from cockpit.model import CheckResult, Reversibility
from cockpit.services.github import GitHubClient, Issue, Release
from cockpit.services.reads import FileAt, IssuesOf, Read, ref_at_tag, release_lookup


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _releases_page(action: ActionKind, repo: str, tag: str) -> str:
    return action.ctx.settings.github_link(f"{repo}/releases/tag/{tag}")


async def _find(action: ActionKind, gh: GitHubClient, repo: str, tag: str
                ) -> tuple[Release, str] | CheckResult:
    """The release of ``tag`` and the link to show for it, or the failed check saying there
    is none (linking the tag's releases page)."""
    page = _releases_page(action, repo, tag)
    release = await gh.find_release(repo, tag)
    if release is None:
        return CheckResult.failed(f"no release of {tag}", page)
    return release, release.html_url or page


def changelog_section(text: str, heading: str | None, strip_header: bool) -> str | None:
    """The section under ``heading`` (to the next heading of the same or higher level),
    or the whole file; ``strip_header`` drops its own heading line. None: no such heading."""
    lines = text.splitlines()
    if heading is not None:
        start = None
        level = 0
        for i, line in enumerate(lines):
            marks = len(line) - len(line.lstrip("#"))
            if marks and line[marks:].strip() == heading:
                start, level = i, marks
                break
        if start is None:
            return None
        end = len(lines)
        for j in range(start + 1, len(lines)):
            marks = len(lines[j]) - len(lines[j].lstrip("#"))
            if 0 < marks <= level and lines[j][marks:marks + 1] == " ":
                end = j
                break
        lines = lines[start:end]
    if strip_header and lines and lines[0].startswith("#"):
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return "\n".join(lines).rstrip() + "\n"


def _section_cmd(heading: str | None, strip_header: bool) -> str:
    """``changelog_section`` as a filter: awk cuts the section (to the next heading of
    its level or higher; reading on to the end, so the command before it never meets a
    closed pipe), sed drops the blank lines it starts with."""
    if heading is None:
        cut = "awk 'NR == 1 && /^#/ {next} {print}'" if strip_header else "cat"
    else:
        script = ("done {next} {marks = match($0, /^#+/) ? RLENGTH : 0} "
                  "level && marks && marks <= level && substr($0, marks + 1, 1) == \" \" "
                  "{done = 1; next} "
                  "!level && marks {t = substr($0, marks + 1); gsub(/^[ \\t]+|[ \\t]+$/, "
                  "\"\", t); if (t == h) {level = marks; "
                  + ("next" if strip_header else "print; next") + "}} "
                  "level {print}")
        cut = f"awk -v h={_quote(heading)} {_quote(script)}"
    return cut + " | sed '/./,$!d'"


class TagExistsParams(Params):
    repo: str
    tag: str
    annotated: bool = True


@register
class TagExists(Verify[TagExistsParams]):
    kind = "github.tag-exists"
    summary = "Verify through the API that a tag exists (and is annotated)"

    def explain(self) -> str:
        p = self.params
        return (f"Asks GitHub's API for `refs/tags/{p.tag}` in **{p.repo}**"
                + (" and checks it points at a tag object (annotated), not directly at a "
                   "commit" if p.annotated else "")
                + ". The builds and the release are started from GitHub's view of the tag, so "
                "this confirms that the push really arrived there. Read-only.\n\n"
                + code_block(f"gh api repos/{p.repo}/git/ref/tags/{p.tag} --jq .object.type"
                             + ("   # must be: tag" if p.annotated else "")))

    def reads(self) -> list[Read]:
        return [ref_at_tag(self.params.repo, self.params.tag)]

    async def check(self) -> CheckResult:
        p = self.params
        link = self.ctx.settings.github_link(f"{p.repo}/tree/{p.tag}")
        ref = await self.ctx.github().get_tag_ref(p.repo, p.tag)
        if ref is None:
            return CheckResult.failed(f"GitHub has no tag {p.tag} in {p.repo}", link)
        if p.annotated and ref.object.type != "tag":
            return CheckResult.failed(f"tag {p.tag} is lightweight (points at a "
                                      f"{ref.object.type}), not annotated", link)
        return CheckResult.done(f"GitHub has tag {p.tag} ({ref.object.type} "
                                f"{ref.object.sha[:12]})", link)


class ReleaseParams(Params):
    repo: str
    tag: str
    name: str
    prerelease: bool = False
    draft: bool = False
    make_latest: Literal["true", "false", "legacy"] | None = None
    body: str | None = None
    """The body as written (a template in the playbook)."""
    body_from_changelog: str | None = None
    """Path of the changelog file whose section becomes the body."""
    body_from_ref: str | None = None
    """Ref to read the changelog at (default: the tag)."""
    changelog_heading: str | None = None
    """Heading text of the section (``v0.30.0``); default: the whole file."""
    strip_header: bool = False
    """Leave out the section's (or file's) own heading line."""
    link_tracking_issue: str | None = None
    """Title of the tracking issue in ``repo``, linked at the end of the body."""


@register
class CreateRelease(Step[ReleaseParams]):
    kind = "github.release"
    reversibility = Reversibility.IRREVERSIBLE
    """A published release notifies every watcher of the repository at once, and with
    GitHub's immutable releases its tag and assets are locked for good. A playbook action
    that creates a draft (``draft = true``) declares itself reversible: nobody sees a
    draft, and it can be deleted."""
    summary = "Create the GitHub release of a tag (get-or-create)"

    def explain(self) -> str:
        p = self.params
        kind = "pre-release" if p.prerelease else "release"
        if p.body_from_changelog:
            src = (f"the `{p.changelog_heading}` section of `{p.body_from_changelog}`"
                   if p.changelog_heading else f"`{p.body_from_changelog}`")
            body = (f"Its body is {src} at `{p.body_from_ref or p.tag}`"
                    + (" without its heading" if p.strip_header else "") + ".")
        else:
            body = "Its body is the text below."
        link = (f" The body ends with a link to the tracking issue \"{p.link_tracking_issue}\"."
                if p.link_tracking_issue else "")
        flags = ["--verify-tag", f"--title {_quote(p.name)}", "--notes-file body.md"]
        if p.prerelease:
            flags.append("--prerelease")
        if p.draft:
            flags.append("--draft")
        if p.make_latest:
            flags.append(f"--latest={p.make_latest}")
        cmds = [f"existing=$(gh api 'repos/{p.repo}/releases?per_page=100' --jq "
                f"'.[] | select(.tag_name == \"{p.tag}\") | .html_url')   # a draft too"]
        if p.body and not p.body_from_changelog:
            cmds.append(write_file("body.md", p.body))
        if p.body_from_changelog:
            cmds += [f"gh api 'repos/{p.repo}/contents/{p.body_from_changelog}"
                     f"?ref={p.body_from_ref or p.tag}' --jq .content | base64 -d | "
                     f"{_section_cmd(p.changelog_heading, p.strip_header)} > body.md",
                     "test -s body.md   # empty: the changelog has no such section"]
        if p.link_tracking_issue:
            cmds += [issue_lookup_cmd(p.repo, p.link_tracking_issue, "url"),
                     "grep -qF \"$url\" body.md || printf '\\nTracking issue: %s\\n' \"$url\" "
                     ">> body.md"]
        cmds.append(unless_found("existing",
                                 f"gh release create {p.tag} -R {p.repo} " + " ".join(flags)))
        what = (f"Creates the GitHub {kind} `{p.name}` of tag `{p.tag}` in **{p.repo}** as a "
                "**draft**: only maintainers see it until it is published, once its assets "
                "are attached" if p.draft else
                f"Publishes the GitHub {kind} `{p.name}` of tag `{p.tag}` in **{p.repo}**")
        text = (f"{what}: the page users land on from the announcements, with the release "
                f"notes. {body}{link} If a release of this tag exists already (a draft "
                "included), it is left alone (one release per tag, never two).\n\n"
                + code_block(*cmds))
        return text

    async def _tracking_issue(self, gh: GitHubClient) -> Issue | None:
        title = self.params.link_tracking_issue
        return await gh.find_issue(self.params.repo, title) if title else None

    async def _body(self, gh: GitHubClient) -> tuple[str | None, str]:
        """(body, problem): the body to publish, or None and why it cannot be made."""
        p = self.params
        body = p.body or ""
        if p.body_from_changelog:
            ref = p.body_from_ref or p.tag
            content = await gh.get_contents(p.repo, p.body_from_changelog, ref=ref)
            if content is None:
                return None, f"{p.body_from_changelog} does not exist at {ref}"
            section = changelog_section(content.text, p.changelog_heading, p.strip_header)
            if section is None:
                return None, (f"{p.body_from_changelog} at {ref} has no heading "
                              f"{p.changelog_heading!r}")
            body = section
        if p.link_tracking_issue:
            issue = await self._tracking_issue(gh)
            if issue is None:
                return None, f"tracking issue {p.link_tracking_issue!r} not found in {p.repo}"
            if issue.html_url not in body:
                body = body.rstrip() + f"\n\nTracking issue: {issue.html_url}\n"
        return body, ""

    def reads(self) -> list[Read]:
        p = self.params
        out = [*release_lookup(p.repo, p.tag), ref_at_tag(p.repo, p.tag)]
        if p.body_from_changelog:
            out.append(FileAt(p.repo, p.body_from_changelog, p.body_from_ref or p.tag))
        if p.link_tracking_issue:
            out.append(IssuesOf(p.repo))
        return out

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        link = _releases_page(self, p.repo, p.tag)
        release = await gh.find_release(p.repo, p.tag)
        if release is not None:
            link = release.html_url or link
            if release.prerelease != p.prerelease:
                return CheckResult.failed(
                    f"release {p.tag} exists but is {'' if release.prerelease else 'not '}"
                    "a pre-release: fix it by hand on GitHub", link)
            state = "draft" if release.draft else (
                "pre-release" if release.prerelease else "release")
            return CheckResult.done(f"{state} {release.name or p.tag} exists", link)
        if await gh.get_tag_ref(p.repo, p.tag) is None:
            return CheckResult.failed(f"tag {p.tag} is not in {p.repo}: push it first", link)
        body, problem = await self._body(gh)
        if body is None:
            return CheckResult.failed(problem, link)
        return CheckResult.incomplete(f"no release of {p.tag} yet", link)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        body, problem = await self._body(gh)
        if body is None:
            raise RuntimeError(problem)
        # One POST; an ambiguous failure propagates and the engine re-checks.
        await gh.create_release(p.repo, tag=p.tag, name=p.name, body=body,
                                prerelease=p.prerelease, draft=p.draft,
                                make_latest=p.make_latest)


class PublishParams(Params):
    repo: str
    tag: str
    make_latest: Literal["true", "false", "legacy"] | None = None
    """Whether GitHub marks it the latest release once it is public (``"false"`` for an RC)."""


@register
class PublishRelease(Step[PublishParams]):
    kind = "github.release-publish"
    summary = "Publish a draft release, once its body and assets are checked"
    reversibility = Reversibility.IRREVERSIBLE
    """Public at once: every watcher is notified, install scripts and packagers pick it up,
    and with GitHub's immutable releases its tag and assets are locked for good."""

    def explain(self) -> str:
        p = self.params
        latest = f" --latest={p.make_latest}" if p.make_latest else ""
        return (f"Publishes the draft release `{p.tag}` of **{p.repo}**. Until now only "
                "maintainers could see it; from now everyone can, watchers are notified and, "
                "with immutable releases, its assets can no longer change. It comes last, "
                "after its body and assets are checked, so nobody lands on a release page "
                "without its binaries. A release already published is left alone.\n\n"
                + code_block(f"gh release view {p.tag} -R {p.repo} --json isDraft,assets "
                             "--jq '{isDraft, assets: [.assets[].name]}'",
                             f"gh release edit {p.tag} -R {p.repo} --draft=false{latest}"))

    def reads(self) -> list[Read]:
        return release_lookup(self.params.repo, self.params.tag)

    async def check(self) -> CheckResult:
        p = self.params
        release = await self.ctx.github().find_release(p.repo, p.tag)
        link = _releases_page(self, p.repo, p.tag)
        if release is None:
            return CheckResult.failed(f"no release of {p.tag}: create it (as a draft) first",
                                      link)
        link = release.html_url or link
        what = "pre-release" if release.prerelease else "release"
        if release.draft:
            return CheckResult.incomplete(f"the {what} {p.tag} is a draft", link)
        return CheckResult.done(f"the {what} {p.tag} is published", link)

    async def confirmation(self) -> tuple[str, str]:
        p = self.params
        gh = self.ctx.github()
        release = await gh.find_release(p.repo, p.tag)
        if release is None:
            raise RuntimeError(f"no release of {p.tag}")
        assets = await gh.list_release_assets(p.repo, release.id)
        what = "pre-release" if release.prerelease else "release"
        return (f"Publish the {what} {p.tag} of {p.repo} ({len(assets)} assets attached): "
                "everyone sees it and every watcher is notified.", p.tag)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        release = await gh.find_release(p.repo, p.tag)
        if release is None:
            raise RuntimeError(f"no release of {p.tag}")
        if release.draft:
            await gh.update_release(p.repo, release.id, draft=False, make_latest=p.make_latest)


class BodyContainsParams(Params):
    repo: str
    tag: str
    contains_issue_link: str
    """Title of the issue (in ``repo``) whose link the body must contain."""


@register
class ReleaseBodyContains(Verify[BodyContainsParams]):
    kind = "github.release-body-contains"
    summary = "Verify that a release's body links the tracking issue"

    def explain(self) -> str:
        p = self.params
        return (f"Verifies that the body of the release `{p.tag}` in **{p.repo}** links the "
                f"issue \"{p.contains_issue_link}\", where users report problems with this "
                "release. Read-only.\n\n"
                + code_block(issue_lookup_cmd(p.repo, p.contains_issue_link, "url"),
                             f"gh release view {p.tag} -R {p.repo} --json body --jq .body | "
                             'grep -F "$url"'))

    def reads(self) -> list[Read]:
        return [*release_lookup(self.params.repo, self.params.tag), IssuesOf(self.params.repo)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        looked_up = await _find(self, gh, p.repo, p.tag)
        if isinstance(looked_up, CheckResult):
            return looked_up
        release, link = looked_up
        issue = await gh.find_issue(p.repo, p.contains_issue_link)
        if issue is None:
            return CheckResult.failed(f"issue {p.contains_issue_link!r} not found", link)
        body = release.body or ""
        if issue.html_url in body or f"{p.repo}/issues/{issue.number}" in body:
            return CheckResult.done(f"the body links #{issue.number}", link)
        return CheckResult.failed(f"the body does not link {issue.html_url}", link)


class LatestParams(Params):
    repo: str
    tag: str


@register
class ReleaseLatest(Step[LatestParams]):
    kind = "github.release-latest"
    summary = "Make sure a release is the one GitHub marks as latest"

    def explain(self) -> str:
        p = self.params
        return (f"Checks that GitHub shows `{p.tag}` as the **latest** release of **{p.repo}** "
                "(what `releases/latest` links and install scripts resolve to). If it is "
                "not, the release is marked latest; once a later release is the latest, "
                "this one's turn is over and nothing is changed.\n\n"
                + code_block(f"gh api repos/{p.repo}/releases/latest --jq .tag_name",
                             f"gh release edit {p.tag} -R {p.repo} --latest"))

    def reads(self) -> list[Read]:
        return release_lookup(self.params.repo, self.params.tag)

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        latest = await gh.latest_release(p.repo)
        if latest is not None and latest.tag_name == p.tag:
            return CheckResult.done(f"{p.tag} is the latest release", latest.html_url or None)
        release = await gh.find_release(p.repo, p.tag)
        link = self.ctx.settings.github_link(f"{p.repo}/releases/latest")
        if release is None:
            return CheckResult.failed(f"no release of {p.tag}", link)
        if release.draft or release.prerelease:
            state = "draft" if release.draft else "pre-release"
            return CheckResult.failed(f"{p.tag} is a {state}: it cannot be the latest", link)
        current = latest.tag_name if latest else "none"
        if latest is not None and later_version(self, latest.tag_name) is not None:
            return CheckResult.done(f"the latest release is {current}, a later one: {p.tag} "
                                    "was followed", latest.html_url or link)
        return CheckResult.incomplete(f"the latest release is {current}, not {p.tag}", link)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        release, _ = found(await _find(self, gh, p.repo, p.tag))
        await gh.update_release(p.repo, release.id, make_latest="true")


class AssetsParams(Params):
    repo: str
    tag: str
    expected: list[str]
    with_checksums: str | None = None
    """Suffix of each asset's checksum file (``.sha512``)."""
    rerun_workflow: str | None = None
    """Workflow whose latest run is rerun when assets are missing."""


@register
class ReleaseAssets(Step[AssetsParams]):
    kind = "github.release-assets"
    summary = "Verify that a release has the expected assets and their checksum files"

    def _wanted(self) -> list[str]:
        p = self.params
        out = list(p.expected)
        if p.with_checksums:
            out += [name + p.with_checksums for name in p.expected]
        return out

    def explain(self) -> str:
        p = self.params
        rerun = (f" If some are missing, the latest run of `{p.rerun_workflow}` is rerun "
                 "(once per attempt) and waited for." if p.rerun_workflow else "")
        cmds = [f"gh release view {p.tag} -R {p.repo} --json assets --jq '.assets[].name'"]
        if p.rerun_workflow:
            cmds += [f"run=$(gh run list -R {p.repo} -w {p.rerun_workflow} -L 1 --json "
                     "databaseId --jq '.[0].databaseId')",
                     f'gh run view -R {p.repo} "$run"   # assets missing and it finished? '
                     f'then: gh run rerun -R {p.repo} "$run"']
        return (f"Verifies that the release `{p.tag}` of **{p.repo}** carries the binaries "
                + (f"and their `{p.with_checksums}` checksum files " if p.with_checksums
                   else "")
                + "that users download from the release page:\n\n"
                + "\n".join(f"- `{x}`" for x in self._wanted()) + f"\n\n{rerun.strip()}\n\n"
                + code_block(*cmds))

    def reads(self) -> list[Read]:
        return release_lookup(self.params.repo, self.params.tag)

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        looked_up = await _find(self, gh, p.repo, p.tag)
        if isinstance(looked_up, CheckResult):
            return looked_up
        release, link = looked_up
        have = {a.name for a in await gh.list_release_assets(p.repo, release.id)}
        missing = [x for x in self._wanted() if x not in have]
        if not missing:
            return CheckResult.done(f"all {len(self._wanted())} assets are there", link)
        what = f"{len(missing)} assets missing ({', '.join(missing[:3])}"
        what += ", …)" if len(missing) > 3 else ")"
        if not p.rerun_workflow:
            return CheckResult.failed(what, link)
        runs = await gh.list_runs(p.repo, p.rerun_workflow, limit=1)
        if not runs:
            return CheckResult.failed(f"{what}; no {p.rerun_workflow} run to rerun", link)
        if runs[0].status != "completed":
            return CheckResult.in_progress(f"{what}; run {runs[0].id} is {runs[0].status}",
                                           runs[0].html_url or link)
        return CheckResult.incomplete(f"{what}; will rerun run {runs[0].id}", link)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        assert p.rerun_workflow is not None, "apply only follows an incomplete check"
        runs = await gh.list_runs(p.repo, p.rerun_workflow, limit=1)
        if not runs or runs[0].status != "completed":
            return  # the re-check reports it
        await gh.rerun(p.repo, runs[0].id)


class BodyAppendParams(Params):
    repo: str
    tag: str
    text: str
    """The line to add; ``{discourse_topic_url}`` is replaced by the topic's link."""
    marker: str
    """Hidden marker (an HTML comment) that makes the append happen once."""
    discourse_title: str | None = None
    """Title of the forum topic whose link fills ``{discourse_topic_url}``."""


@register
class ReleaseBodyAppend(Step[BodyAppendParams]):
    kind = "github.release-body-append"
    summary = "Append a line (once, by marker) to a release's body"

    def explain(self) -> str:
        p = self.params
        topic = (f" `{{discourse_topic_url}}` is the link of the forum topic "
                 f"\"{p.discourse_title}\"." if p.discourse_title else "")
        return (f"Adds \"{p.text}\" to the end of the body of the release `{p.tag}` of "
                f"**{p.repo}**, so readers of the release find the discussion.{topic} A hidden "
                f"`<!-- {p.marker} -->` comment marks it: if the body has it, nothing is done."
                "\n\n" + code_block(*self._commands()))

    def _commands(self) -> list[str]:
        """The body, the line with the topic's link looked up and put in (bash's own
        ``${line//…/…}``), appended once, the body saved."""
        p = self.params
        fill = []
        if p.discourse_title and "{discourse_topic_url}" in p.text:
            fill = [topic_url_cmd(self.ctx.settings.discourse_url, p.discourse_title),
                    "line=${line//'{discourse_topic_url}'/\"$discourse_topic_url\"}"]
        return [f"gh release view {p.tag} -R {p.repo} --json body --jq .body > body.md",
                f"line={_quote(p.text)}", *fill,
                f"grep -F {_quote(self._marker())} body.md || printf '\\n%s\\n%s\\n' "
                f"\"$line\" {_quote(self._marker())} >> body.md",
                f"gh release edit {p.tag} -R {p.repo} --notes-file body.md"]

    def _marker(self) -> str:
        return f"<!-- {self.params.marker} -->"

    async def _topic_url(self) -> str | None:
        title = self.params.discourse_title
        if title is None:
            return None
        client = self.ctx.discourse()
        topic = await client.find_topic(title)
        return client.topic_url(topic) if topic is not None else None

    def reads(self) -> list[Read]:
        return release_lookup(self.params.repo, self.params.tag)

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        looked_up = await _find(self, gh, p.repo, p.tag)
        if isinstance(looked_up, CheckResult):
            return looked_up
        release, link = looked_up
        if self._marker() in (release.body or ""):
            return CheckResult.done("the body already has the line", link)
        if p.discourse_title and await self._topic_url() is None:
            return CheckResult.failed(f"forum topic {p.discourse_title!r} not found", link)
        return CheckResult.incomplete("the line is not in the body yet", link)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        release, _ = found(await _find(self, gh, p.repo, p.tag))
        body = release.body or ""
        if self._marker() in body:
            return
        url = await self._topic_url()
        line = p.text.replace("{discourse_topic_url}", url or "")
        await gh.update_release(p.repo, release.id,
                                body=body.rstrip() + f"\n\n{line}\n{self._marker()}\n")
