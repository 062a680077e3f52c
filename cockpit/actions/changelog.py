"""The changelog (fill a placeholder section once, check sections) and the staging outcome.

Kubo's changelog ``docs/changelogs/vX.Y.md`` has, per release, ``### `` sections; the
generated ones (the commit list, the contributors table) start empty and are filled
once from git history. A filled section is never regenerated, so a rerun (or a human
edit made in between) is left alone.
"""

from __future__ import annotations

import re
import shlex
from collections import defaultdict

from cockpit.actions.base import (
    Params,
    Step,
    Verify,
    code_block,
    into_clone,
    register,
    write_file,
)
from cockpit.actions.git import checkout_file, pushed_file
from cockpit.actions.github_issues import issue_lookup_cmd
from cockpit.errors import CannotFix
from cockpit.model import CheckResult
from cockpit.prompts import Choose, TextInput
from cockpit.services.git import GitRepo
from cockpit.services.reads import IssuesOf, Read


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
    dependency_orgs: list[str] = []
    """``mkreleaselog``: also list the commits of the Go modules under these owners
    (``github.com/ipfs``) whose version ``go.mod`` changed since the previous release,
    each from its own repository, as Kubo's release tool does."""


_REQUIRE_LINE = re.compile(r"^(\S+)\s+(v\S+)$")
_PSEUDO = re.compile(r"\d{14}-([0-9a-f]{12})$")


def go_requirements(go_mod: str) -> dict[str, str]:
    """module → version of a go.mod's ``require`` lines (single and in blocks)."""
    found: dict[str, str] = {}
    block = False
    for raw in go_mod.splitlines():
        line = raw.split("//", 1)[0].strip()
        if block and line == ")":
            block = False
        elif line.startswith("require ("):
            block = True
        elif block or line.startswith("require "):
            match = _REQUIRE_LINE.match(line.removeprefix("require ").strip())
            if match:
                found[match.group(1)] = match.group(2)
    return found


def module_repo(module: str, orgs: list[str]) -> tuple[str, str] | None:
    """(``owner/name``, the module's directory in it) of a module under one of ``orgs``:
    ``github.com/ipfs/boxo`` → (``ipfs/boxo``, ``""``), ``…/go-libp2p/core/v2`` →
    (``libp2p/go-libp2p``, ``core``); None for any other module."""
    for org in orgs:
        prefix = org.rstrip("/") + "/"
        if module.startswith(prefix):
            name, *rest = module.removeprefix(prefix).split("/")
            inside = [part for part in rest if not re.fullmatch(r"v\d+", part)]
            return f"{prefix.rstrip('/').rsplit('/', 1)[-1]}/{name}", "/".join(inside)
    return None


def module_rev(version: str, directory: str) -> str:
    """The git revision of a module version: a pseudo-version's commit, else its tag (a
    module in a subdirectory is tagged ``dir/vX.Y.Z``)."""
    version = version.removesuffix("+incompatible")
    pseudo = _PSEUDO.search(version)
    if pseudo:
        return pseudo.group(1)
    return f"refs/tags/{directory}/{version}" if directory else f"refs/tags/{version}"


_CONTRIBUTORS_CMD = (
    "{ echo '| Contributor | Commits | Lines ± | Files Changed |'; "
    "echo '|-------------|---------|---------|---------------|'; "
    "git log --no-merges --numstat --format='@%aN' SPAN | awk -F'\\t' "
    "'/^@/ {a = substr($0, 2); c[a]++; next} NF == 3 {p[a] += $1; m[a] += $2; "
    "if (!((a, $3) in f)) {f[a, $3] = 1; n[a]++}} "
    "END {for (a in c) printf \"| %s | %d | +%d/-%d | %d |\\n\", a, c[a], p[a], m[a], n[a]}' "
    "| sort -t'|' -k3,3nr -k2,2; } > ../section.md")
"""The contributors table as ``_generate`` makes it (most commits first, then by name),
from the same ``git log``; ``SPAN`` is the revision range."""


@register
class ChangelogFill(Step[FillParams]):
    kind = "changelog.fill"
    summary = "Fill one empty generated section of the changelog once, commit and push"

    def explain(self) -> str:
        p = self.params
        what = ("the list of commits" if p.generator == "mkreleaselog"
                else "the table of contributors (commits, lines, files)")
        return (
            f"Fills the empty **{p.section}** section of `{p.path}` (release {p.release_heading}) "
            f"on `{p.branch}` of **{p.repo}** with {what} since the previous release, commits "
            f"it as \"{p.message}\" and pushes. A section that already has content is never "
            "regenerated, so hand edits survive and a rerun commits nothing: look at the "
            "section first, and run the commands only if it is empty.\n\n"
            + code_block(*self._commands()))

    def _commands(self) -> list[str]:
        """Into the branch, the previous release's tag, the section written to
        ``../section.md`` as the cockpit writes it, then put under its heading."""
        p = self.params
        until = f"origin/{p.until_ref}"
        since = (f"PREV=$(git describe --tags --abbrev=0 --match 'v*' --exclude "
                 f"{shlex.quote(p.release_heading + '*')} {until})"
                 if p.since_tag == "previous" else f"PREV={shlex.quote(p.since_tag)}")
        if p.generator == "mkreleaselog":
            section = [f"{{ printf '<details><summary>Full Changelog</summary>\\n\\n- "
                       f"github.com/{p.repo}:\\n'; git log --no-merges --format='  - %s' "
                       f'"$PREV..{until}"; }} > ../section.md',
                       *self._walk_commands(until),
                       "printf '\\n</details>\\n' >> ../section.md"]
        else:
            section = [_CONTRIBUTORS_CMD.replace("SPAN", f'"$PREV..{until}"')]
        insert = ("NR == FNR {body = body $0 \"\\n\"; next} {print} /^## / {here = ($0 == rel)} "
                  "here && $0 == sec && !done {printf \"\\n%s\", body; done = 1}")
        return [into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch --tags origin {' '.join(dict.fromkeys((p.branch, p.until_ref)))}",
                f"git checkout -B {p.branch} origin/{p.branch}",
                since, *section,
                f"awk -v rel={shlex.quote('## ' + p.release_heading)} "
                f"-v sec={shlex.quote('### ' + p.section)} {shlex.quote(insert)} "
                f"../section.md {p.path} > ../changelog.md && mv ../changelog.md {p.path}"
                f"   # under ### {p.section}",
                f"git commit -m {shlex.quote(p.message)} -- {p.path} && "
                f"git push origin {p.branch}"]

    def _walk_commands(self, until: str) -> list[str]:
        """Each Go module under ``dependency_orgs`` whose version go.mod moved since
        ``$PREV``: its commits between the two versions, from a clone of its repository
        beside this one (``module_repo``, ``module_rev`` in shell)."""
        p = self.params
        if p.generator != "mkreleaselog" or not p.dependency_orgs:
            return []
        orgs = "|".join(f"{org.rstrip('/')}/*" for org in p.dependency_orgs)
        base = self.ctx.settings.github_url
        return [
            "requires() { git show \"$1:go.mod\" | sed -nE "
            "'s#^[[:space:]]*(require[[:space:]]+)?([^[:space:]()]+)[[:space:]]+"
            "(v[^[:space:]]+).*#\\2 \\3#p'; }",
            "rev() { local v=${1%+incompatible}; if [[ $v =~ [0-9]{14}-([0-9a-f]{12})$ ]]; "
            "then echo \"${BASH_REMATCH[1]}\"; else echo \"refs/tags/${dir:+$dir/}$v\"; fi; }",
            f"requires {until} | while read -r module new; do",
            f"  case $module in {orgs}) ;; *) continue ;; esac",
            "  old=$(requires \"$PREV\" | awk -v m=\"$module\" '$1 == m {print $2}')",
            "  [ -n \"$old\" ] && [ \"$old\" != \"$new\" ] || continue",
            "  path=${module#*/}; name=$(cut -d/ -f2 <<<\"$path\")",
            "  dir=$(awk -F/ '{for (i = 3; i <= NF; i++) if ($i !~ /^v[0-9]+$/) "
            "printf \"%s%s\", (n++ ? \"/\" : \"\"), $i}' <<<\"$path\")",
            f"  test -d \"../$name\" || git clone -q \"{base}/${{path%%/*}}/$name.git\" "
            "\"../$name\"",
            "  echo \"- $module ($old -> $new):\"",
            "  git -C \"../$name\" log --no-merges --format='  - %s' "
            "\"$(rev \"$old\")..$(rev \"$new\")\" -- \"${dir:-.}\"",
            "done >> ../section.md"]

    async def check(self) -> CheckResult:
        p = self.params
        text = await pushed_file(await self.ctx.git(p.repo), p.repo, p.branch, p.path)
        if isinstance(text, CheckResult):
            return text
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
            modules = await self._dependencies(repo, since, f"origin/{p.until_ref}")
            return (f"<details><summary>Full Changelog</summary>\n\n- github.com/{p.repo}:\n"
                    f"{lines}{modules}\n</details>\n\n")
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

    async def _dependencies(self, repo: GitRepo, since: str, until: str) -> str:
        """The commit list of each dependency whose version go.mod changed in the span."""
        p = self.params
        if not p.dependency_orgs:
            return ""
        before = go_requirements(await repo.show_file(since, "go.mod") or "")
        after = go_requirements(await repo.show_file(until, "go.mod") or "")
        out = ""
        for module, new in sorted(after.items()):
            old = before.get(module)
            source = module_repo(module, p.dependency_orgs)
            if old is None or old == new or source is None:
                continue
            name, directory = source
            span = f"{module_rev(old, directory)}..{module_rev(new, directory)}"
            try:
                log = await (await self.ctx.git(name)).run(
                    "log", "--no-merges", "--format=%s", span, "--", directory or ".")
            except Exception as exc:  # a module we cannot read: say which, fill by hand
                raise CannotFix(f"cannot list the commits of {module} {old} -> {new} in "
                                f"{name} ({exc}): fill '### {p.section}' by hand") from exc
            lines = "".join(f"  - {s}\n" for s in log.splitlines() if s.strip())
            out += f"- {module} ({old} -> {new}):\n{lines}"
            self.ctx.log(f"{module} {old} -> {new}: {len(log.splitlines())} commits from {name}")
        return out

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        target, text = await checkout_file(repo, p.branch, p.path)
        span = _section_span(text, p.release_heading, p.section)
        if span is None or text[span[0]:span[1]].strip():
            return  # no placeholder (anymore): the check says what that means
        body = await self._generate(repo)
        start = span[0]
        # Keep the blank line after the heading, and one before the next heading.
        rest = text[span[1]:]
        target.write_text(text[:start] + "\n" + body + rest.lstrip("\n"), encoding="utf-8")
        await repo.commit_and_push(p.branch, p.message, p.path)


class CheckParams(Params):
    repo: str
    branch: str
    path: str
    release_heading: str
    nonempty_sections: list[str]


@register
class ChangelogCheck(Verify[CheckParams]):
    kind = "changelog.check"
    summary = "Verify that changelog sections of a release are not empty"

    def explain(self) -> str:
        p = self.params
        return (f"Verifies that the sections {', '.join(p.nonempty_sections)} of "
                f"{p.release_heading} in `{p.path}` on `{p.branch}` are written: these are "
                "the human-written parts of the release notes, which no tool can fill.\n\n"
                + code_block(*self._commands()))

    def _commands(self) -> list[str]:
        """Each section's body printed from the pushed file; one that is empty fails
        (``_section_span`` in awk: up to the next ``## `` or ``### `` heading)."""
        p = self.params
        body = ("/^###? / {if (/^## /) here = ($0 == rel); inside = here && $0 == sec; next} "
                "inside && NF {found = 1; print} END {exit !found}")
        return [into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.branch}",
                *(f"git show origin/{p.branch}:{p.path} | awk "
                  f"-v rel={shlex.quote('## ' + p.release_heading)} "
                  f"-v sec={shlex.quote('### ' + section)} {shlex.quote(body)}"
                  "   # empty: write it" for section in p.nonempty_sections)]

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

    def fix(self) -> str:
        p = self.params
        return (f"write {', '.join(p.nonempty_sections)} of {p.release_heading} in "
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
class StagingOutcome(Step[StagingParams]):
    kind = "staging.outcome"
    summary = "Ask for the staging comparison's outcome and record it on the staging issue"

    def explain(self) -> str:
        p = self.params
        return (f"Asks the driver: *{p.question}* ({' / '.join(p.choices)}) and records "
                f"the answer as a comment on the issue \"{p.issue_title}\" in **{p.repo}**, "
                "so that everyone (and every rerun, on any machine) sees the outcome. "
                f"\"{p.block_on}\" stops the release.\n\n"
                + code_block(*self._commands()))

    def _commands(self) -> list[str]:
        """The outcome chosen in a shell variable, the comment as the cockpit posts it
        (the marker included, which is how the check finds it)."""
        p = self.params
        others = " or ".join(shlex.quote(c) for c in p.choices[1:])
        return [issue_lookup_cmd(p.repo, p.issue_title),
                f"outcome={shlex.quote(p.choices[0])}" + (f"   # or {others}" if others else ""),
                "notes=''   # links, numbers",
                write_file("comment.md", p.comment),
                "sed -i -e \"s|{outcome}|$outcome|\" -e \"s|{notes}|$notes|\" comment.md",
                f"printf '\\n{MARKER}\\n' >> comment.md",
                f'gh issue comment "$number" -R {p.repo} --body-file comment.md']

    async def _issue_and_outcome(self) -> tuple[int | None, str | None, str | None]:
        p = self.params
        gh = self.ctx.github()
        issue = await gh.find_issue(p.repo, p.issue_title)
        if issue is None:
            return None, None, None
        comment = await gh.find_comment(p.repo, issue.number, MARKER)
        if comment is None:
            return issue.number, None, None
        outcome = next((c for c in p.choices if f"**{c}**" in comment.body), "recorded")
        return issue.number, outcome, comment.html_url or None

    def reads(self) -> list[Read]:
        return [IssuesOf(self.params.repo)]

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


# -- the next minor release's changelog ----------------------------------------------------

def _next_minor(after_version: str) -> tuple[str, str]:
    """(``X.Y``, ``X.(Y+1)``) of ``X.Y.Z`` (a leading ``v`` and an RC suffix are ignored).

    A symbolic version (explaining a playbook without one) gives symbolic series.
    """
    found = re.match(r"^v?(\d+)\.(\d+)\.\d+", after_version.strip())
    if found is None:
        return "X.Y", "X.(Y+1)"
    major, minor = int(found.group(1)), int(found.group(2))
    return f"{major}.{minor}", f"{major}.{minor + 1}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading made of a version: ``v0.31.0`` → ``v0310``."""
    return re.sub(r"[^\w-]", "", heading.lower())


_TOC_LINE = re.compile(r"^- \[[^\]]*\]\(#[^)]*\)\s*$")


def next_changelog(template: str, current: str, nxt: str) -> str:
    """The layout of ``template`` (the ``current`` minor's changelog) for ``nxt``, empty.

    Kept: the header (title and banner prose, with the series renamed), one release
    ``## vNEXT.0`` section with its table of contents, and its ``### `` headings with empty
    bodies. Dropped: section contents, ``####`` sub-headings and their TOC entries, and
    any further (patch) release sections.
    """
    heading = f"v{nxt}.0"
    rename = re.compile(rf"v{re.escape(current)}(?![\d])")
    lines = template.splitlines()
    releases = [i for i, line in enumerate(lines) if line.startswith("## ")]
    wanted = next((i for i in releases if lines[i].strip() == f"## v{current}.0"),
                  releases[0] if releases else None)
    header = lines[:releases[0]] if releases else lines
    out: list[str] = []
    listed = False
    for line in header:
        if _TOC_LINE.match(line) and re.search(r"\]\(#v\d", line):
            if not listed:  # the list of releases in this file: only the new one
                out.append(f"- [{heading}](#{_anchor(heading)})")
                listed = True
            continue
        out.append(rename.sub(f"v{nxt}", line))
    if wanted is None:
        body: list[str] = []
    else:
        end = next((i for i in releases if i > wanted), len(lines))
        body = lines[wanted + 1:end]
    out += ["", f"## {heading}", ""]
    for line in body:
        if _TOC_LINE.match(line):
            out.append(line)
        elif line.startswith("### "):
            out += ["", line.rstrip(), ""]
        elif not line.strip():
            out.append("")
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    return text + "\n"


class NextParams(Params):
    repo: str
    branch: str
    """The branch the new file is committed to (a pull request follows)."""
    directory: str
    """Where the per-minor changelogs live, e.g. ``docs/changelogs``."""
    after_version: str
    """The release just made, ``X.Y.Z``: the new file is ``vX.(Y+1).md``."""
    template_from: str
    """The changelog whose layout is copied, e.g. ``docs/changelogs/vX.Y.md``."""
    message: str


@register
class ChangelogNext(Step[NextParams]):
    kind = "changelog.next"
    summary = ("Create the changelog file of the next minor release from the current one's "
               "layout, commit and push")

    @property
    def _path(self) -> str:
        _, nxt = _next_minor(self.params.after_version)
        return f"{self.params.directory.rstrip('/')}/v{nxt}.md"

    def explain(self) -> str:
        p = self.params
        current, nxt = _next_minor(p.after_version)
        return (
            f"Creates `{self._path}` on `{p.branch}` of **{p.repo}**: the changelog of the next "
            f"minor release v{nxt}.0, with the layout of `{p.template_from}` (title, table of "
            "contents and `### ` sections) but every section empty, so that contributors "
            f"can note their changes for v{nxt} from now on instead of in v{current}'s "
            "finished notes. If the file already exists on the branch it is left alone, so a "
            "rerun commits nothing.\n\n"
            + code_block(
                into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.branch}",
                f"git checkout -B {p.branch} origin/{p.branch}",
                f"test -e {self._path} || awk {self._layout_args(current, nxt)} "
                f"{p.template_from} > {self._path}   # exists: leave it",
                f"git add {self._path} && git commit -m {shlex.quote(p.message)} -- "
                f"{self._path}",
                f"git push origin {p.branch}"))

    @staticmethod
    def _layout_args(current: str, nxt: str) -> str:
        """``next_changelog`` in awk: the header renamed, its list of releases down to
        the new one, then the ``## vCURRENT.0`` section's contents list and ``### ``
        headings, every section empty."""
        heading = f"v{nxt}.0"
        script = (
            "/^## / {here = ($0 == cur); if (here) printf \"## %s\\n\\n\", heading; "
            "body = 1; next} "
            "!body && /^- \\[[^]]*\\]\\(#v[0-9]/ {if (!listed++) "
            "printf \"- [%s](#%s)\\n\", heading, anchor; next} "
            "!body {gsub(old, new); print; next} "
            "here && /^### / {printf \"\\n%s\\n\", $0; next} "
            "here && /^- \\[[^]]*\\]\\(#[^)]*\\)[[:space:]]*$/ {print}")
        return (f"-v cur={shlex.quote(f'## v{current}.0')} -v heading={heading} "
                f"-v anchor={_anchor(heading)} -v old={shlex.quote(f'v{current}'.replace('.', '[.]'))} "
                f"-v new=v{nxt} {shlex.quote(script)}")

    async def check(self) -> CheckResult:
        p = self.params
        repo = await self.ctx.git(p.repo)
        if await repo.remote_branch_sha(p.branch) is None:
            return CheckResult.failed(f"branch {p.branch} does not exist in {p.repo}")
        if await repo.show_file(f"origin/{p.branch}", self._path) is not None:
            return CheckResult.done(f"{self._path} exists on {p.branch}")
        if await repo.show_file(f"origin/{p.branch}", p.template_from) is None:
            return CheckResult.failed(f"{p.template_from} (the layout to copy) does not exist "
                                      f"on {p.branch}")
        return CheckResult.incomplete(f"{self._path} does not exist on {p.branch} yet")

    async def apply(self) -> None:
        p = self.params
        current, nxt = _next_minor(p.after_version)
        if nxt.startswith("X"):
            raise CannotFix(f"{p.after_version!r} is not a version X.Y.Z")
        repo = await self.ctx.git(p.repo)
        await repo.run("checkout", "-B", p.branch, f"origin/{p.branch}")
        target = repo.workdir / self._path
        if target.exists():
            return  # the check says what that means
        template = repo.workdir / p.template_from
        if not template.is_file():
            raise CannotFix(f"{p.template_from} does not exist on {p.branch}: create "
                            f"{self._path} by hand")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(next_changelog(template.read_text(encoding="utf-8"), current, nxt),
                          encoding="utf-8")
        await repo.commit_and_push(p.branch, p.message, self._path, new=True)


class IndexLinkParams(Params):
    repo: str
    branch: str
    path: str
    """The index of changelogs, e.g. ``CHANGELOG.md``."""
    directory: str
    after_version: str
    message: str


@register
class ChangelogIndexLink(Step[IndexLinkParams]):
    kind = "changelog.index-link"
    summary = "Link the next minor release's changelog from the changelog index, once"

    def _target(self) -> tuple[str, str]:
        """(the linked file, the list line)."""
        _, nxt = _next_minor(self.params.after_version)
        target = f"{self.params.directory.rstrip('/')}/v{nxt}.md"
        return target, f"- [v{nxt}]({target})"

    def explain(self) -> str:
        p = self.params
        target, line = self._target()
        return (
            f"Adds `{line}` at the top of the list in `{p.path}` on `{p.branch}` of "
            f"**{p.repo}**, so that the index of changelogs leads readers (and the next "
            "release driver) to the next release's notes. Done as soon as the index links "
            f"`{target}`, so a rerun commits nothing.\n\n"
            + code_block(
                into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.branch}",
                f"git checkout -B {p.branch} origin/{p.branch}",
                f"grep -qF '({target})' {p.path} || {{ awk -v line={shlex.quote(line)} "
                "'!done && /^- \\[v[0-9]/ {print line; done = 1} {print} "
                "END {if (!done) printf \"\\n%s\\n\", line}' "
                f"{p.path} > ../index.md && mv ../index.md {p.path}; }}   # newest first",
                f"git commit -m {shlex.quote(p.message)} -- {p.path}",
                f"git push origin {p.branch}"))

    @staticmethod
    def _links(text: str, target: str) -> bool:
        return f"({target})" in text or f"(./{target})" in text

    async def check(self) -> CheckResult:
        p = self.params
        target, _ = self._target()
        text = await pushed_file(await self.ctx.git(p.repo), p.repo, p.branch, p.path)
        if isinstance(text, CheckResult):
            return text
        if self._links(text, target):
            return CheckResult.done(f"{p.path} links {target}")
        return CheckResult.incomplete(f"{p.path} does not link {target} yet")

    async def apply(self) -> None:
        p = self.params
        target, line = self._target()
        if "X" in target:
            raise CannotFix(f"{p.after_version!r} is not a version X.Y.Z")
        repo = await self.ctx.git(p.repo)
        path, text = await checkout_file(repo, p.branch, p.path)
        if self._links(text, target):
            return
        lines = text.splitlines(keepends=True)
        first = next((i for i, existing in enumerate(lines)
                      if re.match(r"^- \[v\d", existing)), None)
        if first is None:  # no list yet: start one at the end
            text = text.rstrip("\n") + "\n\n" + line + "\n"
        else:
            lines.insert(first, line + "\n")
            text = "".join(lines)
        path.write_text(text, encoding="utf-8")
        await repo.commit_and_push(p.branch, p.message, p.path)
