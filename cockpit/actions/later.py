"""Later releases: what a finished release's checks must allow for.

A release moves shared pointers: the head of ``release`` or ``main`` and the files on it,
``latest`` on Docker Hub and npm, GitHub's latest release, the pinned announcement. The
next release moves them again, and that is no failure of the older one: looking at
v0.30.0 after v0.30.1 (``cockpit status``, a shadow, the history) must find it done. So
a check that reads such a pointer judges an older release by what a later release left
there (a newer version, a newer release's tag), or by the release's own tag, which no
later release moves. While no later release exists, nothing here changes a check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cockpit.model import Version, VersionError

if TYPE_CHECKING:
    from cockpit.actions.base import ActionKind
    from cockpit.services.git import GitRepo


def this_release(kind: ActionKind) -> Version | None:
    """The version being released, or None where there is none (an explanation)."""
    version = kind.ctx.session.release
    return version.version if version is not None else None


def as_version(kind: ActionKind, text: str) -> Version | None:
    """``text`` (a tag, or a bare version number as npm writes it) as a version of this
    playbook's format, or None if it is none."""
    mine = this_release(kind)
    if mine is None:
        return None
    form = mine.format
    for candidate in (text, form.tag_of(text.removeprefix("v"))):
        try:
            return form.parse(candidate)
        except VersionError:
            continue
    return None


def later_version(kind: ActionKind, text: str) -> Version | None:
    """``text`` as a version (``as_version``) if it is newer than the release being looked
    at; else None."""
    mine, found = this_release(kind), as_version(kind, text)
    if mine is None or found is None or found.sort_key() <= mine.sort_key():
        return None
    return found


async def later_tags(kind: ActionKind, repo: GitRepo, containing: str | None = None
                     ) -> list[Version]:
    """The version tags of ``repo`` (as fetched) newer than this release, oldest first; with
    ``containing``, only the tags whose history holds that commit (a later release made
    from the same line)."""
    mine = this_release(kind)
    if mine is None:
        return []
    args = ["tag", "-l", mine.format.tag_glob]
    if containing is not None:
        args += ["--contains", containing]
    names = (await repo.run(*args, manual=False)).split()
    newer = [v for v in (later_version(kind, name) for name in names) if v is not None]
    return sorted(newer, key=Version.sort_key)


async def later_releases(kind: ActionKind, repo: str) -> list[Version]:
    """The published (not draft) GitHub releases of ``repo`` newer than this release,
    oldest first."""
    if this_release(kind) is None or not repo:
        return []
    releases = await kind.ctx.github().list_releases(repo, limit=100)
    newer = [v for v in (later_version(kind, r.tag_name) for r in releases if not r.draft)
             if v is not None]
    return sorted(newer, key=Version.sort_key)


def tag_repository(kind: ActionKind) -> str:
    """The repository holding the release's tags: the playbook's main one (its ``repo``
    value, e.g. ipfs/kubo), else the action's own."""
    return str(kind.ctx.values.get("repo") or getattr(kind.params, "repo", ""))
