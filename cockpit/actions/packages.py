"""Registries and the distribution site: Docker Hub tags, npm versions, dist.ipfs.tech.

The "verify" kinds here only read (GET through the session's shared HTTP layer, so
each call is logged with its ``curl`` equivalent). They run after the workflow that
publishes the thing has concluded, so "not there" is reported as failed with a link,
and the human retries once the registry caught up (or looks at the workflow).

``dist.add-version`` is the one writer: it adds a line to ``dists/*/versions`` in the
distributions repository through the GitHub contents API (one commit, guarded by the
file's blob sha, so it can never add the line twice).
"""

from __future__ import annotations

import json
import re
from typing import Any

from cockpit.actions.base import (
    ActionKind,
    Params,
    Step,
    Verify,
    code_block,
    into_clone,
    register,
    unless_found,
)
from cockpit.actions.later import later_version
from cockpit.model import CheckResult, Version
from cockpit.services.reads import FileAt, Read, ref_at_branch


def _hub_page(kind: ActionKind, image: str) -> str:
    hub = kind.ctx.settings.docker_registry_url.rstrip("/")
    namespace, _, name = image.partition("/")
    if namespace == "library" or not name:
        return f"{hub}/_/{name or namespace}/tags"
    return f"{hub}/r/{image}/tags"


def _npm_page(kind: ActionKind, page: str) -> str:
    return f"{kind.ctx.settings.npm_web_url.rstrip('/')}/package/{page}"


async def _docker_tag(kind: ActionKind, image: str, tag: str, link: str
                      ) -> dict[str, Any] | CheckResult:
    """Docker Hub's record of ``image:tag``, or the failed check (with ``link``) saying it is
    not there."""
    response = await kind.ctx.docker_hub().http.get(f"v2/repositories/{image}/tags/{tag}", ok=(404,))
    if response.status == 404:
        return CheckResult.failed(f"{image}:{tag} is not on Docker Hub", link)
    data: dict[str, Any] = response.json()
    return data


async def _packument(kind: ActionKind, package: str) -> dict[str, Any] | None:
    path = package.replace("/", "%2F") if package.startswith("@") else package
    response = await kind.ctx.npm().http.get(path, ok=(404,))
    if response.status == 404:
        return None
    data: dict[str, Any] = response.json()
    return data


async def _published(kind: ActionKind, package: str, link: str) -> dict[str, Any] | CheckResult:
    """The packument of ``package``, or the failed check (with ``link``) saying it is not on
    npm."""
    doc = await _packument(kind, package)
    if doc is None:
        return CheckResult.failed(f"package {package} is not on npm", link)
    return doc


# -- Docker Hub ------------------------------------------------------------------------------


class DockerTagParams(Params):
    image: str
    """``namespace/name`` on Docker Hub, e.g. ``ipfs/kubo``."""
    tag: str
    same_as: str | None = None
    """Another tag of the same image whose digest ``tag`` must equal (``latest`` → vX.Y.Z)."""


@register
class DockerTag(Verify[DockerTagParams]):
    kind = "registry.docker-tag"
    summary = "Verify that an image tag exists on Docker Hub (optionally same digest as another)"

    def explain(self) -> str:
        p = self.params
        same = (f" and that it points at the same image (manifest digest) as `{p.same_as}`"
                if p.same_as else "")
        why = ("`latest` and `release` are what most users pull, so after a final release "
               "they must be the very image built from the tag (or, once a later release "
               "moved them on, a later version's image)." if p.same_as else
               "The tag push starts the \"Publish docker image\" workflow; this confirms "
               "its result is really on Docker Hub before the release is announced.")
        cmds = [f"curl -fsS {self.ctx.settings.docker_registry_url}/v2/repositories/"
                f"{p.image}/tags/{p.tag} | jq .digest"]
        if p.same_as:
            cmds.append(f"curl -fsS {self.ctx.settings.docker_registry_url}/v2/repositories/"
                        f"{p.image}/tags/{p.same_as} | jq .digest   # must be equal")
        return (f"Verifies that `{p.image}:{p.tag}` exists on Docker Hub{same}. {why} "
                "Read-only.\n\n" + code_block(*cmds))

    async def check(self) -> CheckResult:
        p = self.params
        link = _hub_page(self, p.image)
        found = await _docker_tag(self, p.image, p.tag, link)
        if isinstance(found, CheckResult):
            return found
        if p.same_as is None:
            return CheckResult.done(f"{p.image}:{p.tag} is on Docker Hub "
                                    f"(updated {found.get('last_updated') or '?'})", link)
        other = await _docker_tag(self, p.image, p.same_as, link)
        if isinstance(other, CheckResult):
            return other
        if found.get("digest") and found.get("digest") == other.get("digest"):
            return CheckResult.done(f"{p.image}:{p.tag} is the same image as {p.same_as} "
                                    f"({str(found['digest'])[:19]})", link)
        later = await self._later_image(str(found.get("digest") or ""), link)
        if later is not None:
            return CheckResult.done(f"{p.image}:{p.tag} is {later}'s image "
                                    f"({str(found.get('digest'))[:19]}): a later release "
                                    f"moved it on from {p.same_as}", link)
        return CheckResult.failed(
            f"{p.image}:{p.tag} ({str(found.get('digest'))[:19]}) is not the same image as "
            f"{p.same_as} ({str(other.get('digest'))[:19]})", link)


    async def _later_image(self, digest: str, link: str) -> str | None:
        """The tag of a release newer than this one whose image ``tag`` now is (``latest``
        after the next release), newest first; None if it is no later release's image."""
        if not digest:
            return None
        p = self.params
        listed = await self.ctx.docker_hub().http.get(
            f"v2/repositories/{p.image}/tags", params={"page_size": 100})
        names = [str(t.get("name")) for t in listed.json().get("results") or []]
        newer = sorted((v for v in (later_version(self, n) for n in names) if v is not None),
                       key=Version.sort_key, reverse=True)
        for version in newer:
            record = await _docker_tag(self, p.image, version.tag, link)
            if not isinstance(record, CheckResult) and record.get("digest") == digest:
                return version.tag
        return None


class DockerPlatformsParams(Params):
    image: str
    tag: str
    platforms: list[str]
    """``os/architecture`` pairs, e.g. ``linux/amd64``."""


@register
class DockerPlatforms(Verify[DockerPlatformsParams]):
    kind = "registry.docker-platforms"
    summary = "Verify that an image tag has a manifest for each platform"

    def explain(self) -> str:
        p = self.params
        return (f"Verifies that `{p.image}:{p.tag}` was built for "
                f"{', '.join(f'`{x}`' for x in p.platforms)}: a multi-arch build that lost a "
                "platform still pushes a tag, and users on that platform would get an old or "
                "no image. Read-only.\n\n"
                + code_block(f"curl -fsS {self.ctx.settings.docker_registry_url}/v2/repositories/"
                             f"{p.image}/tags/{p.tag} | jq '.images[] | .os + \"/\" + "
                             ".architecture'"))

    async def check(self) -> CheckResult:
        p = self.params
        link = _hub_page(self, p.image)
        found = await _docker_tag(self, p.image, p.tag, link)
        if isinstance(found, CheckResult):
            return found
        have = set()
        for image in found.get("images") or []:
            platform = f"{image.get('os')}/{image.get('architecture')}"
            if image.get("variant"):
                have.add(f"{platform}/{image['variant']}")
            have.add(platform)
        missing = [x for x in p.platforms if x not in have]
        if missing:
            return CheckResult.failed(f"{p.image}:{p.tag} has no image for "
                                      f"{', '.join(missing)} (has {', '.join(sorted(have))})",
                                      link)
        return CheckResult.done(f"{p.image}:{p.tag} has {', '.join(p.platforms)}", link)


# -- npm -------------------------------------------------------------------------------------


class NpmVersionParams(Params):
    package: str
    version: str
    """Without ``v`` (one is accepted and stripped)."""


@register
class NpmVersion(Verify[NpmVersionParams]):
    kind = "registry.npm-version"
    summary = "Verify that a package version is published on npm"

    def explain(self) -> str:
        p = self.params
        v = p.version.removeprefix("v")
        return (f"Verifies that `{p.package}@{v}` is on the npm registry. The \"Release to "
                "npm\" workflow publishes it from the version it finds on dist.ipfs.tech, so "
                "this is the proof that it found the right one. Read-only.\n\n"
                + code_block(f"npm view {p.package}@{v} version "
                             f"--registry {self.ctx.settings.npm_registry_url}",
                             f"curl -fsS {self.ctx.settings.npm_registry_url}/{p.package} | "
                             f"jq '.versions | has(\"{v}\")'"))

    async def check(self) -> CheckResult:
        p = self.params
        v = p.version.removeprefix("v")
        link = _npm_page(self, f"{p.package}/v/{v}")
        doc = await _published(self, p.package, link)
        if isinstance(doc, CheckResult):
            return doc
        if v not in (doc.get("versions") or {}):
            latest = (doc.get("dist-tags") or {}).get("latest")
            return CheckResult.failed(f"{p.package}@{v} is not published (latest is {latest})",
                                      link)
        return CheckResult.done(f"{p.package}@{v} is published", link)


class NpmDistTagParams(Params):
    package: str
    dist_tag: str
    version: str


@register
class NpmDistTag(Verify[NpmDistTagParams]):
    kind = "registry.npm-dist-tag"
    summary = "Verify that an npm dist-tag points at a version"

    def explain(self) -> str:
        p = self.params
        v = p.version.removeprefix("v")
        return (f"Verifies that the dist-tag `{p.dist_tag}` of `{p.package}` points at `{v}`: "
                f"`npm install {p.package}@{p.dist_tag}` is what users run, so a release "
                "candidate must be `next` and a final release `latest` (until a later "
                "release moves the dist-tag on, which is no failure). Read-only; if it is "
                f"wrong, a maintainer fixes it by hand (`npm dist-tag add {p.package}@{v} "
                f"{p.dist_tag} --registry {self.ctx.settings.npm_registry_url}`).\n\n"
                + code_block(f"npm view {p.package} dist-tags.{p.dist_tag} "
                             f"--registry {self.ctx.settings.npm_registry_url}"
                             f"   # must print {v}"))

    async def check(self) -> CheckResult:
        p = self.params
        v = p.version.removeprefix("v")
        link = _npm_page(self, f"{p.package}?activeTab=versions")
        doc = await _published(self, p.package, link)
        if isinstance(doc, CheckResult):
            return doc
        current = (doc.get("dist-tags") or {}).get(p.dist_tag)
        if current == v:
            return CheckResult.done(f"{p.package}@{p.dist_tag} is {v}", link)
        if current is None:
            return CheckResult.failed(f"{p.package} has no dist-tag {p.dist_tag} yet (it "
                                      f"should point at {v})", link)
        if v in (doc.get("versions") or {}) and later_version(self, current) is not None:
            return CheckResult.done(f"{p.package}@{p.dist_tag} is {current}, a later release: "
                                    f"it has moved on from {v}", link)
        return CheckResult.failed(f"{p.package}@{p.dist_tag} is {current}, not {v}", link)


# -- dist.ipfs.tech --------------------------------------------------------------------------


class DistListedParams(Params):
    dist: str
    """``kubo`` or ``go-ipfs``."""
    version: str
    """As the site lists it: ``vX.Y.Z[-rcN]``."""
    url: str | None = None
    """Human page of this version, shown as the link."""


@register
class DistVersionListed(Verify[DistListedParams]):
    kind = "dist.version-listed"
    summary = "Verify that dist.ipfs.tech lists a version of a distribution"

    def explain(self) -> str:
        p = self.params
        base = self.ctx.settings.dist_url.rstrip("/")
        return (f"Verifies that `{base}/{p.dist}/versions` lists `{p.version}`. The site is "
                "rebuilt by the distributions repository's CI after the versions file is "
                "merged; ipfs-update, npm and the release assets all read this list. "
                "Read-only.\n\n"
                + code_block(f"curl -fsS {base}/{p.dist}/versions | grep -x '{p.version}'"))

    async def check(self) -> CheckResult:
        p = self.params
        base = self.ctx.settings.dist_url.rstrip("/")
        link = p.url or f"{base}/{p.dist}/{p.version}"
        response = await self.ctx.dist_site().http.get(f"{p.dist}/versions", ok=(404,))
        if response.status == 404:
            return CheckResult.failed(f"{base}/{p.dist}/versions does not exist", link)
        versions = [x.strip() for x in response.text.splitlines() if x.strip()]
        if p.version in versions:
            return CheckResult.done(f"{p.dist} {p.version} is listed", link)
        return CheckResult.failed(f"{p.dist} {p.version} is not listed yet (last listed: "
                                  f"{versions[-1] if versions else 'none'})", link)


class AddVersionParams(Params):
    repo: str
    branch: str
    path: str
    """``dists/kubo/versions``: one version per line, oldest first."""
    version: str
    message: str


@register
class DistAddVersion(Step[AddVersionParams]):
    kind = "dist.add-version"
    summary = "Add a version line to a dists/*/versions file on a branch, commit and push"

    def explain(self) -> str:
        p = self.params
        return (f"Appends `{p.version}` to `{p.path}` on branch `{p.branch}` of **{p.repo}** in "
                f"one commit (\"{p.message}\"). Once merged, the distributions CI publishes "
                "the binaries of that version on dist.ipfs.tech. If the line is already there "
                "nothing is committed; the update names the file's current blob, so a "
                "concurrent change is refused rather than overwritten.\n\n"
                + code_block(into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                             f"git fetch origin {p.branch}",
                             f"git checkout -B {p.branch} origin/{p.branch}",
                             f"listed=$(grep -x {p.version} {p.path} || true)",
                             unless_found("listed", f"echo {p.version} >> {p.path} && "
                                                    f"git commit -m '{p.message}' -- {p.path}"),
                             f"git push origin {p.branch}   # nothing new: says so"))

    def reads(self) -> list[Read]:
        p = self.params
        return [ref_at_branch(p.repo, p.branch), FileAt(p.repo, p.path, p.branch)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        link = self.ctx.settings.github_link(f"{p.repo}/blob/{p.branch}/{p.path}")
        if await gh.get_branch(p.repo, p.branch) is None:
            return CheckResult.failed(f"branch {p.branch} does not exist in {p.repo}", link)
        content = await gh.get_contents(p.repo, p.path, ref=p.branch)
        if content is None:
            return CheckResult.failed(f"{p.path} does not exist on {p.branch}", link)
        if p.version in [x.strip() for x in content.text.splitlines()]:
            return CheckResult.done(f"{p.path} on {p.branch} lists {p.version}", link)
        return CheckResult.incomplete(f"{p.path} on {p.branch} does not list {p.version}", link)

    async def apply(self) -> None:
        p = self.params
        gh = self.ctx.github()
        content = await gh.get_contents(p.repo, p.path, ref=p.branch)
        if content is None:
            raise RuntimeError(f"{p.path} vanished from {p.branch}")
        text = content.text
        if text and not text.endswith("\n"):
            text += "\n"
        # PUT with the blob sha: GitHub refuses (409) if the file changed meanwhile.
        await gh.put_contents(p.repo, p.path, text + p.version + "\n", p.message, p.branch,
                              sha=content.sha)


# -- npm dependency bump ---------------------------------------------------------------------

_DEP_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


def _dump(doc: Any) -> str:
    """npm's own layout: two-space JSON, UTF-8 as is, trailing newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _bump_spec(spec: str, version: str) -> str:
    """Keep a range prefix (``^``, ``~``, ``>=``…) and replace the version."""
    prefix = re.match(r"^[\^~<>=v ]*", spec)
    return (prefix.group(0) if prefix else "") + version


class BumpParams(Params):
    repo: str
    branch: str
    package: str
    version: str
    """Without ``v``."""
    files: list[str] = ["package.json", "package-lock.json"]
    """``package.json`` and/or the lock file (``package-lock.json``, v1 to v3 layouts)."""
    resolved: str | None = None
    """Tarball URL recorded in the lock file."""
    message: str


@register
class NpmDependencyBump(Step[BumpParams]):
    kind = "npm.dependency-bump"
    summary = "Bump a dependency in package.json and package-lock.json on a branch, commit, push"

    def explain(self) -> str:
        p = self.params
        v = p.version.removeprefix("v")
        return (
            f"On branch `{p.branch}` of **{p.repo}**, sets the dependency `{p.package}` to "
            f"`{v}` in {', '.join(f'`{f}`' for f in p.files)} (the lock entry gets the new "
            "version, tarball URL and, when the registry has it, integrity) and pushes one "
            f"commit \"{p.message}\". This is how the downstream app picks up the new Kubo. "
            "If the files already say so, nothing is committed.\n\n"
            + code_block(
                into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.branch}",
                f"git checkout -B {p.branch} origin/{p.branch}",
                f"npm install --save-exact --package-lock-only --ignore-scripts "
                f"{p.package}@{v} --registry {self.ctx.settings.npm_registry_url}"
                "   # the two files only, as the cockpit: nothing downloaded, nothing run",
                f"git commit -m '{p.message}' -- {' '.join(p.files)}",
                f"git push origin {p.branch}",
            )
        )

    async def _integrity(self) -> str | None:
        doc = await _packument(self, self.params.package)
        entry = ((doc or {}).get("versions") or {}).get(self.params.version.removeprefix("v"))
        value = ((entry or {}).get("dist") or {}).get("integrity")
        return str(value) if value else None

    def _edit(self, name: str, text: str, integrity: str | None) -> tuple[str, bool]:
        """(new text, package found) for one file."""
        p = self.params
        v = p.version.removeprefix("v")
        doc = json.loads(text)
        found = False

        def deps(node: dict[str, Any]) -> None:
            nonlocal found
            for section in _DEP_SECTIONS:
                table = node.get(section)
                if isinstance(table, dict) and isinstance(table.get(p.package), str):
                    table[p.package] = _bump_spec(table[p.package], v)
                    found = True

        def locked(entry: dict[str, Any]) -> None:
            nonlocal found
            found = True
            entry["version"] = v
            if p.resolved:
                entry["resolved"] = p.resolved
            if integrity:
                entry["integrity"] = integrity
            else:
                entry.pop("integrity", None)  # stale for the new tarball

        if name.endswith("package-lock.json") or name.endswith("npm-shrinkwrap.json"):
            packages = doc.get("packages")
            if isinstance(packages, dict):
                if isinstance(packages.get(""), dict):
                    deps(packages[""])
                entry = packages.get(f"node_modules/{p.package}")
                if isinstance(entry, dict):
                    locked(entry)
            legacy = doc.get("dependencies")  # lockfile v1 (and v2's copy)
            if isinstance(legacy, dict) and isinstance(legacy.get(p.package), dict):
                locked(legacy[p.package])
        else:
            deps(doc)
        return _dump(doc), found

    async def _plan(self, show: Any, integrity: str | None) -> tuple[dict[str, str], str]:
        """(files to write, problem)."""
        out: dict[str, str] = {}
        for name in self.params.files:
            text = await show(name)
            if text is None:
                return {}, f"{name} does not exist on {self.params.branch}"
            edited, found = self._edit(name, text, integrity)
            if not found:
                return {}, f"{name} does not depend on {self.params.package}"
            if json.loads(edited) != json.loads(text):
                out[name] = edited
        return out, ""

    async def check(self) -> CheckResult:
        p = self.params
        link = self.ctx.settings.github_link(f"{p.repo}/tree/{p.branch}")
        repo = await self.ctx.git(p.repo)
        if await repo.remote_branch_sha(p.branch) is None:
            return CheckResult.failed(f"branch {p.branch} does not exist in {p.repo}", link)

        async def show(name: str) -> str | None:
            return await repo.show_file(f"origin/{p.branch}", name)

        # Compared as data, so the registry's integrity (which may be unknown) is not needed.
        changes, problem = await self._plan(show, None)
        if problem:
            return CheckResult.failed(problem, link)
        changes = {k: v for k, v in changes.items() if not self._only_integrity(k, v,
                                                                                await show(k))}
        if not changes:
            return CheckResult.done(f"{p.package} is {p.version} in "
                                    f"{', '.join(p.files)} on {p.branch}", link)
        return CheckResult.incomplete(f"{', '.join(changes)} on {p.branch} need "
                                      f"{p.package} {p.version}", link)

    @staticmethod
    def _only_integrity(name: str, edited: str, current: str | None) -> bool:
        """True if the only difference is a dropped integrity field (already bumped)."""
        if current is None:
            return False

        def strip(doc: Any) -> Any:
            if isinstance(doc, dict):
                return {k: strip(v) for k, v in doc.items() if k != "integrity"}
            if isinstance(doc, list):
                return [strip(x) for x in doc]
            return doc

        return bool(strip(json.loads(edited)) == strip(json.loads(current)))

    async def apply(self) -> None:
        p = self.params
        repo = await self.ctx.git(p.repo)
        integrity = await self._integrity()
        await repo.run("checkout", "-B", p.branch, f"origin/{p.branch}")

        async def show(name: str) -> str | None:
            path = repo.workdir / name
            return path.read_text(encoding="utf-8") if path.exists() else None

        changes, problem = await self._plan(show, integrity)
        if problem:
            raise RuntimeError(problem)
        if not changes:
            return
        for name, text in changes.items():
            (repo.workdir / name).write_text(text, encoding="utf-8")
        await repo.commit_and_push(p.branch, p.message, *changes)
