"""``pypi.release``: the project's version is on PyPI, with the files a user installs.

A Python project's release ends on PyPI: its publish workflow builds an sdist and a
wheel and uploads them. "The workflow is green" is not the proof (it may have uploaded
the previous version, when the tag was pushed before the version bump, or only the
sdist); PyPI's own JSON API is. This verify reads
``{settings.pypi_url}/pypi/{package}/{version}/json`` and passes only when that version
is there, not yanked, with a file of each expected kind. A version is compared in PEP
440's normalized form (``1.2.0-rc1`` and ``1.2.0rc1`` are one version), as PyPI does.

A playbook action:

    [[stages.actions]]
    id = "on-pypi"
    kind = "pypi.release"
    title = "The release is on PyPI"
    params = { package = "acme-widgets", version = "{version.number}", files = ["sdist", "wheel"] }
"""

from __future__ import annotations

from typing import Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from cockpit.actions.base import Params, Verify, code_block, register
from cockpit.model import CheckResult

FileKind = Literal["sdist", "wheel"]


class PyPIReleaseParams(Params):
    package: str
    """The project's name on PyPI (``acme-widgets``; any spelling PEP 503 normalizes to it)."""
    version: str
    """The version that must be there, usually a template (``{version.number}``); a PEP 440
    version in any spelling (``1.2.0-rc1`` is ``1.2.0rc1``), a leading ``v`` is dropped."""
    files: list[FileKind] = ["sdist", "wheel"]
    """The kinds of file the release must have: ``sdist`` (the source archive) and/or
    ``wheel`` (at least one built distribution)."""


def _normalized(version: str) -> str | None:
    """PEP 440's normal form of ``version`` (``v1.2.0-rc1`` → ``1.2.0rc1``), or None."""
    try:
        return str(Version(version))
    except InvalidVersion:
        return None


@register
class PyPIRelease(Verify[PyPIReleaseParams]):
    kind = "pypi.release"
    summary = "Verify that a version of a project is on PyPI with its sdist and/or wheel"

    def _where(self) -> tuple[str, str, str]:
        """(PyPI's base URL, the normalized name, the version as PyPI spells it)."""
        p = self.params
        return (self.ctx.settings.pypi_url.rstrip("/"), canonicalize_name(p.package),
                _normalized(p.version) or p.version)

    def _page(self) -> str:
        base, name, version = self._where()
        return f"{base}/project/{name}/{version}/"

    def explain(self) -> str:
        p = self.params
        base, name, version = self._where()
        kinds = " and ".join(("an " if k == "sdist" else "a ") + k for k in p.files) or "any file"
        return (f"Verifies that **{p.package} {version}** is on PyPI ({base}), not yanked, "
                f"with {kinds}. The publish workflow uploads them; a green workflow is not "
                "the proof (it may have built the previous version if the tag came before "
                "the version bump, or uploaded only part of the files), PyPI's own record "
                "is. Read-only. By hand:\n\n"
                + code_block(f"curl -fsS {base}/pypi/{name}/{version}/json | jq -r "
                             "'.info.yanked, (.urls[] | .packagetype + \" \" + .filename)'",
                             f"python -m pip download --no-deps --dest /tmp/{name} "
                             f"--index-url {base}/simple/ '{name}=={version}'"))

    def fix(self) -> str:
        _base, name, version = self._where()
        stem = name.replace("-", "_")
        return (f"look at the publish workflow's run (did it build {version}?); to upload by "
                f"hand from the tagged commit: python -m build && twine upload "
                f"dist/{stem}-{version}*")

    async def check(self) -> CheckResult:
        p = self.params
        _base, name, version = self._where()
        link = self._page()
        if _normalized(p.version) is None:
            return CheckResult.failed(f"{p.version!r} is not a PEP 440 version", link)
        pypi = self.ctx.pypi()
        release = await pypi.release(name, version)
        if release is None:
            project = await pypi.project(name)
            if project is None:
                return CheckResult.failed(f"{name} is not on PyPI at all: {self.fix()}", link)
            return CheckResult.failed(f"{name} {version} is not on PyPI (latest is "
                                      f"{project.info.version}): {self.fix()}", link)
        link = release.info.release_url or link
        if release.info.yanked:
            why = f": {release.info.yanked_reason}" if release.info.yanked_reason else ""
            return CheckResult.failed(f"{name} {version} is on PyPI but yanked{why}", link)
        have = {f.kind for f in release.urls if not f.yanked}
        missing = [k for k in p.files if k not in have]
        if missing or not release.urls:
            shown = ", ".join(f.filename for f in release.urls) or "no files"
            return CheckResult.failed(f"{name} {version} is on PyPI without "
                                      f"{' or '.join(missing) or 'files'} (has {shown}): "
                                      f"{self.fix()}", link)
        files = ", ".join(sorted(f.filename for f in release.urls))
        return CheckResult.done(f"{name} {version} is on PyPI: {files}", link)
