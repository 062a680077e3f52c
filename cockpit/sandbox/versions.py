"""Tags and versions in version order, for "the latest release" and the tag list.

A tag is read without its leading ``v``. Semver tags (``1.2.0-rc1``, ``1.2.0-beta.2+b7``)
are ordered by the ``semver`` library, with semver's precedence (a ``-`` suffix is a
pre-release, build metadata does not count); the other PEP 440 versions (``1.2.0rc1``,
``1.2.0.post1``, ``1.2.0.dev3``) by ``packaging.version``, with PEP 440's (a release
candidate before its final, a post release after it). Digits picked out of a name by
hand got both wrong: ``1.2.0rc1`` sorted after ``1.2.0`` and ``1.2.0.post1`` tied with it.

A repository may mix the two (``v1.2.0`` is valid in both), so the order is
lexicographic on what both schemes agree on: the release numbers (trailing zeros
dropped, as PEP 440 compares them), then the phase (pre-release, final, post release),
then the scheme, and only then the library's own order within one scheme (a plain final
is its release numbers in both: ``v1.2`` is ``1.2.0``). Names that
are no version at all (``nightly``) come before every version, by name.
"""

from __future__ import annotations

import functools
from typing import Any

import semver
from packaging.version import InvalidVersion, Version

_PRE, _FINAL, _POST = 0, 1, 2


def _release(numbers: tuple[int, ...]) -> tuple[int, ...]:
    """``(1, 2, 0)`` and ``(1, 2)`` are the same release, as PEP 440 says."""
    end = len(numbers)
    while end > 1 and numbers[end - 1] == 0:
        end -= 1
    return numbers[:end]


def _pep440_phase(version: Version) -> int:
    if version.pre is not None or (version.dev is not None and version.post is None):
        return _PRE  # 1.2.0.dev1 and 1.2.0rc1 come before 1.2.0
    return _POST if version.post is not None else _FINAL  # 1.2.0.post1.dev1 after it


def _key(name: str) -> tuple[Any, ...]:
    text = name[1:] if name[:1] in ("v", "V") else name
    if semver.Version.is_valid(text):
        sv = semver.Version.parse(text)
        release = _release((sv.major, sv.minor, sv.patch))
        return (1, release, _PRE, 0, sv) if sv.prerelease else (1, release, _FINAL)
    try:
        pv = Version(text)
    except InvalidVersion:
        return (0, name)
    phase = _pep440_phase(pv)
    if phase == _FINAL and pv.local is None:
        return (1, _release(pv.release), _FINAL)  # the same final in either scheme
    return (1, _release(pv.release), phase, 1, pv)


@functools.total_ordering
class VersionOrder:
    """A tag's place in version order (``sorted(tags, key=version_key)``)."""

    __slots__ = ("_k", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._k = _key(name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VersionOrder) and self._k == other._k

    def __lt__(self, other: VersionOrder) -> bool:
        result: bool = self._k < other._k
        return result

    def __repr__(self) -> str:
        return f"VersionOrder({self.name!r})"


def version_key(name: str) -> VersionOrder:
    """The sort key of a tag or version: ``max(tags, key=version_key)`` is the latest."""
    return VersionOrder(name)
