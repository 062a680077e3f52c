"""``crates.release``: a crate's version is on crates.io, and not yanked.

A Rust project's release ends with ``cargo publish`` (often in a workflow). Like the
PyPI verify, the proof is the registry's own record, not a green run: crates.io's API
(``{settings.crates_url}/api/v1/crates/{crate}/{version}``) says whether that version
exists and whether it was yanked; when it does not, the crate's document says which
version is the newest, so the reason tells "not yet" from "another version went out".
crates.io asks every API client for a User-Agent naming it; this one says "cockpit".

    [[stages.actions]]
    id = "on-crates-io"
    kind = "crates.release"
    title = "The release is on crates.io"
    params = { crate = "acme-widgets", version = "{version.number}" }
"""

from __future__ import annotations

from typing import Any

from cockpit.actions.base import Params, Verify, code_block, register
from cockpit.model import CheckResult

USER_AGENT = "cockpit (a release cockpit)"


class CratesReleaseParams(Params):
    crate: str
    """The crate's name on crates.io."""
    version: str
    """The version that must be there (semver, as in ``Cargo.toml``; a leading ``v`` is
    dropped), usually a template (``{version.number}``)."""


@register
class CratesRelease(Verify[CratesReleaseParams]):
    kind = "crates.release"
    summary = "Verify that a version of a crate is on crates.io and not yanked"

    def _version(self) -> str:
        return self.params.version.removeprefix("v")

    def _base(self) -> str:
        return self.ctx.settings.crates_url.rstrip("/")

    def explain(self) -> str:
        p = self.params
        v, base = self._version(), self._base()
        return (f"Verifies that **{p.crate} {v}** is on crates.io ({base}) and not yanked: "
                "`cargo publish` (by hand or in the release workflow) puts it there, and a "
                "published version can never be replaced, only yanked. The registry's own "
                "record is the proof, not the workflow's colour. Read-only. By hand:\n\n"
                + code_block(f"curl -fsS -A cockpit {base}/api/v1/crates/{p.crate}/{v} | jq "
                             "'.version | {num, yanked}'",
                             f"cargo info {p.crate}@{v}   # cargo 1.82 or later"))

    def fix(self) -> str:
        return (f"publish it from the tagged commit: cargo publish -p {self.params.crate} "
                "(check that Cargo.toml says "
                f"version = \"{self._version()}\"), then retry")

    async def check(self) -> CheckResult:
        p = self.params
        v = self._version()
        link = f"{self._base()}/crates/{p.crate}/{v}"
        http = self.ctx.session.http_client("crates", self._base(),
                                            headers={"User-Agent": USER_AGENT})
        response = await http.get(f"api/v1/crates/{p.crate}/{v}", ok=(404,), auth=False)
        if response.status == 404:
            crate = await http.get(f"api/v1/crates/{p.crate}", ok=(404,), auth=False)
            if crate.status == 404:
                return CheckResult.failed(f"{p.crate} is not on crates.io at all: "
                                          f"{self.fix()}", link)
            doc: dict[str, Any] = crate.json().get("crate") or {}
            return CheckResult.failed(f"{p.crate} {v} is not on crates.io (newest is "
                                      f"{doc.get('newest_version')}): {self.fix()}", link)
        version: dict[str, Any] = response.json().get("version") or {}
        if version.get("num") != v:
            raise response.malformed(f"asked for {v}, got {version.get('num')!r}")
        if version.get("yanked"):
            return CheckResult.failed(f"{p.crate} {v} is on crates.io but yanked", link)
        return CheckResult.done(f"{p.crate} {v} is on crates.io (published "
                                f"{version.get('created_at')})", link)
