"""The release's vocabulary: versions, release kinds and check results.

Everything here is plain data (pydantic models) so that it can be journaled,
compared and sent between processes without any behaviour attached.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, Self

import packaging.version
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from cockpit.errors import BadInput


class VersionScheme(StrEnum):
    """How a playbook numbers its releases (its ``[versions] scheme``)."""

    SEMVER = "semver"
    """Semantic versioning: ``X.Y.Z``, pre-releases ``X.Y.Z-rcN`` (or ``-rc.N``,
    ``-betaN``, ``-alphaN``): Go, npm and most projects on GitHub."""
    PEP440 = "pep440"
    """Python's versions (PEP 440), as PyPI orders them: ``X.Y.Z``, ``X.Y.ZrcN``,
    ``X.Y.ZbN``, ``X.Y.ZaN`` and ``X.Y.Z.postN``."""

    @property
    def words(self) -> str:
        return "semver" if self is VersionScheme.SEMVER else "PEP 440"


class PreKind(StrEnum):
    """A pre-release's kind, in the order a release goes through them."""

    ALPHA = "alpha"
    BETA = "beta"
    RC = "rc"

    @property
    def pep440(self) -> str:
        """How PEP 440 writes it: ``a``, ``b``, ``rc``."""
        return {"alpha": "a", "beta": "b", "rc": "rc"}[self.value]

    @property
    def described(self) -> str:
        return {"alpha": "an alpha", "beta": "a beta", "rc": "a release candidate"}[self.value]


_SEMVER_RE = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[A-Za-z]+)(?P<dot>\.?)(?P<n>[1-9]\d*))?$"
)
"""The semver forms a release uses: X.Y.Z and X.Y.Z-<kind>[.]N. Full semver allows any
dot-separated pre-release identifiers and build metadata; a release the cockpit drives
needs a kind it can name (alpha, beta, rc) and a number to count candidates by, so this
one regex says more than a semver library's parse would (and sorts the same)."""

DEFAULT_TAG = "v{version}"


class VersionError(BadInput, ValueError):
    """A version string that is not one of the forms its playbook's scheme accepts."""

    def __init__(self, text: str, form: VersionFormat | None = None, reason: str = "") -> None:
        form = form or VersionFormat()
        scheme = form.scheme.words + (f"; {reason}" if reason else "")
        super().__init__(f"{text!r} is not a release version ({scheme}): use "
                         f"{form.accepted_forms()}")
        self.text = text


class VersionFormat(BaseModel):
    """How a playbook writes its versions and tags: its ``[versions]`` table.

    The default is Kubo's: semver, tags ``v{version}``, release candidates only. A
    version is parsed by its playbook's format and carries it, so ``{version.tag}``,
    ``{version.number}`` and the release kinds follow the scheme everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: VersionScheme = VersionScheme.SEMVER
    """``semver`` or ``pep440``."""
    tag: str = DEFAULT_TAG
    """The git tag of a version: ``v{version}`` (``v1.2.0``) or ``{version}`` (``1.2.0``)."""
    pre_releases: tuple[PreKind, ...] = (PreKind.RC,)
    """The pre-release kinds this project ships (``alpha``, ``beta``, ``rc``); any other
    pre-release is refused with the forms that are accepted."""

    @field_validator("tag")
    @classmethod
    def _one_version_field(cls, tag: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(tag) if f is not None]
        except ValueError as exc:
            raise ValueError(f"bad tag template {tag!r}: {exc}") from None
        if fields != ["version"]:
            raise ValueError(f"a tag template names {{version}} once and nothing else, as in "
                             f"'v{{version}}' or '{{version}}', not {tag!r}")
        return tag

    def tag_of(self, number: str) -> str:
        return self.tag.format(version=number)

    @property
    def notation(self) -> str:
        """Every release of this format in one word, as help texts write it:
        ``vX.Y.Z[-rcN]`` (Kubo's), ``X.Y.Z[rcN]`` (PEP 440 tagged ``{version}``)."""
        return self.tag_of("X.Y.Z[rcN]" if self.scheme is VersionScheme.PEP440
                           else "X.Y.Z[-rcN]")

    @property
    def tag_glob(self) -> str:
        """The tags of this playbook's versions, for ``git tag -l``: ``v*`` or ``*``."""
        return self.tag_of("*")

    def parse(self, text: str) -> Version:
        """``text`` as a version of this format; it must be written as its tag."""
        stripped = text.strip()
        prefix, _, suffix = self.tag.partition("{version}")
        prefix, suffix = prefix.replace("{{", "{"), suffix.replace("}}", "}")
        if (stripped.startswith(prefix) and stripped.endswith(suffix)
                and len(stripped) > len(prefix) + len(suffix)):
            number = stripped[len(prefix):len(stripped) - len(suffix)]
            if number[:1] not in ("v", "V"):
                return self._number(text, number)
            try:  # v1.2.0 where the tags are 1.2.0
                bare = self._number(text, number[1:])
            except VersionError:
                raise VersionError(text, self) from None
            raise VersionError(text, self, f"its tags have no 'v', write {bare.tag}")
        try:
            bare = self._number(text, stripped)
        except VersionError:
            raise VersionError(text, self) from None
        raise VersionError(text, self, f"write it as its tag, {bare.tag}")

    def _number(self, text: str, number: str) -> Version:
        if self.scheme is VersionScheme.PEP440:
            return self._pep440(text, number)
        match = _SEMVER_RE.match(number)
        if match is None:
            raise VersionError(text, self)
        pre: PreKind | None = None
        if match["pre"] is not None:
            if match["pre"] not in PreKind.__members__.values():
                raise VersionError(text, self, f"{match['pre']!r} is not a pre-release kind "
                                               "(alpha, beta or rc)")
            pre = self._shipped(text, PreKind(match["pre"]))
        return Version(major=int(match["major"]), minor=int(match["minor"]),
                       patch=int(match["patch"]), pre=pre,
                       pre_number=int(match["n"]) if match["n"] else None,
                       pre_dot=bool(match["dot"]), format=self)

    def _pep440(self, text: str, number: str) -> Version:
        try:
            parsed = packaging.version.Version(number)
        except packaging.version.InvalidVersion:
            raise VersionError(text, self) from None
        reason = ("an epoch (N!) is not used by a release" if parsed.epoch else
                  "a local version (+…) is never uploaded to an index" if parsed.local else
                  "a development release (.devN) is not a release" if parsed.dev is not None
                  else "a release is three numbers, X.Y.Z" if len(parsed.release) != 3 else
                  "a post release of a pre-release is not a release"
                  if parsed.pre and parsed.post is not None else "")
        if reason:
            raise VersionError(text, self, reason)
        pre = None
        if parsed.pre is not None:
            pre = self._shipped(text, {"a": PreKind.ALPHA, "b": PreKind.BETA,
                                       "rc": PreKind.RC}[parsed.pre[0]])
        major, minor, patch = parsed.release
        return Version(major=major, minor=minor, patch=patch, pre=pre,
                       pre_number=parsed.pre[1] if parsed.pre else None, post=parsed.post,
                       format=self)

    def _shipped(self, text: str, pre: PreKind) -> PreKind:
        if pre not in self.pre_releases:
            raise VersionError(text, self, f"this playbook ships no {pre.value} pre-releases; "
                                           f"to ship one, add \"{pre.value}\" to [versions] "
                                           "pre_releases")
        return pre

    def example(self, pre: PreKind | None = None, patch: int = 0,
                 post: int | None = None) -> Version:
        """A version of this format for a help text: ``v0.30.0-rc1``, ``1.2.0rc1``."""
        major, minor = (0, 30) if self.scheme is VersionScheme.SEMVER else (1, 2)
        return Version(major=major, minor=minor, patch=patch, pre=pre,
                       pre_number=1 if pre else None, post=post, format=self)

    def accepted_forms(self) -> str:
        """Each accepted form with an example: the help and the errors name them."""
        symbolic = self._symbolic
        forms = [f"{symbolic('')} (a final or patch release, e.g. {self.example().tag} or "
                 f"{self.example(patch=1).tag})"]
        for pre in sorted(self.pre_releases, key=_PRE_ORDER.index, reverse=True):
            forms.append(f"{symbolic(self._pre_text(pre, 'N'))} ({pre.described}, "
                         f"e.g. {self.example(pre).tag})")
        if self.scheme is VersionScheme.PEP440:
            forms.append(f"{symbolic('.postN')} (a post release, e.g. "
                         f"{self.example(post=1).tag})")
        return ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else forms[0]

    def _symbolic(self, suffix: str) -> str:
        return self.tag_of("X.Y.Z" + suffix)

    def _pre_text(self, pre: PreKind, number: str, dot: bool = False) -> str:
        if self.scheme is VersionScheme.PEP440:
            return f"{pre.pep440}{number}"
        return f"-{pre.value}{'.' if dot else ''}{number}"

    def samples(self) -> dict[str, Version]:
        """One version of each kind this format accepts, named as a person says it: every
        template of a playbook is rendered with each at load, and the plan shows what each
        kind of release runs."""
        base = {"major": 1, "minor": 2, "format": self}
        found = {f"{pre.described.replace('a release candidate', 'an RC')}":
                 Version(**base, patch=0, pre=pre, pre_number=1)
                 for pre in sorted(self.pre_releases, key=_PRE_ORDER.index, reverse=True)}
        found["a final release"] = Version(**base, patch=0)
        found["a patch release"] = Version(**base, patch=3)
        if self.scheme is VersionScheme.PEP440:
            found["a post release"] = Version(**base, patch=0, post=1)
        return found


_PRE_ORDER = [PreKind.ALPHA, PreKind.BETA, PreKind.RC]


class ReleaseKind(StrEnum):
    """Which flavour of release a version is; playbook `when` conditions test these."""

    RC = "RC"
    FINAL = "FINAL"
    PATCH = "PATCH"
    BETA = "BETA"
    ALPHA = "ALPHA"
    POST = "POST"
    """A PEP 440 post release (``X.Y.Z.postN``): the same code, re-released."""


_PRE_KIND = {PreKind.RC: ReleaseKind.RC, PreKind.BETA: ReleaseKind.BETA,
             PreKind.ALPHA: ReleaseKind.ALPHA}


class Version(BaseModel):
    """A release version in its playbook's format (Kubo's: ``vX.Y.Z`` or ``vX.Y.Z-rcN``).

    A version is RC (or BETA, ALPHA) when it has a pre-release suffix, FINAL when it has
    none, and PATCH when Z > 0 (a patch release is also FINAL unless it is a pre-release);
    a PEP 440 post release is FINAL and POST. ``Version(major=…, rc=N)`` is short for
    ``pre="rc", pre_number=N``.
    """

    model_config = ConfigDict(frozen=True)

    major: int
    minor: int
    patch: int
    pre: PreKind | None = None
    pre_number: int | None = None
    pre_dot: bool = False
    """semver's ``-rc.1`` spelling; Kubo writes ``-rc1``. Kept so the tag is the one typed."""
    post: int | None = None
    format: VersionFormat = VersionFormat()

    @model_validator(mode="before")
    @classmethod
    def _rc_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rc" in data:
            data = dict(data)
            rc = data.pop("rc")
            if rc is not None:
                data.setdefault("pre", PreKind.RC)
                data["pre_number"] = rc
        return data

    @classmethod
    def parse(cls, text: str, form: VersionFormat | None = None) -> Version:
        """``text`` in ``form`` (Kubo's semver ``vX.Y.Z[-rcN]`` when none is given)."""
        return (form or VersionFormat()).parse(text)

    @property
    def rc(self) -> int | None:
        """The release candidate's number (None for any other version)."""
        return self.pre_number if self.pre is PreKind.RC else None

    @property
    def is_rc(self) -> bool:
        return self.pre is PreKind.RC

    @property
    def is_prerelease(self) -> bool:
        """Any pre-release: alpha, beta or release candidate."""
        return self.pre is not None

    @property
    def is_final(self) -> bool:
        return self.pre is None

    @property
    def is_patch(self) -> bool:
        return self.patch > 0

    @property
    def kinds(self) -> frozenset[ReleaseKind]:
        """Every kind this version satisfies (a patch release is FINAL and PATCH)."""
        found = {_PRE_KIND[self.pre] if self.pre else ReleaseKind.FINAL}
        if self.post is not None:
            found.add(ReleaseKind.POST)
        if self.is_patch:
            found.add(ReleaseKind.PATCH)
        return frozenset(found)

    @property
    def kind(self) -> ReleaseKind:
        """The one word a human uses for this release."""
        if self.pre is not None:
            return _PRE_KIND[self.pre]
        if self.post is not None:
            return ReleaseKind.POST
        return ReleaseKind.PATCH if self.is_patch else ReleaseKind.FINAL

    @property
    def base(self) -> str:
        """``X.Y.Z`` without the pre-release suffix: the name of the version branch."""
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def number(self) -> str:
        """The version as its scheme writes it (``X.Y.Z-rcN``, ``X.Y.ZrcN``): what goes
        into version.go or pyproject.toml."""
        number = self.base
        if self.pre is not None:
            number += self.format._pre_text(self.pre, str(self.pre_number), self.pre_dot)
        if self.post is not None:
            number += f".post{self.post}"
        return number

    @property
    def tag(self) -> str:
        return self.format.tag_of(self.number)

    @property
    def minor_series(self) -> str:
        """``X.Y``: the changelog file and tracking issue are per minor series."""
        return f"{self.major}.{self.minor}"

    @property
    def next_dev(self) -> str:
        """The version master moves to once this minor series branches: ``X.(Y+1).0-dev``
        (PEP 440: ``X.(Y+1).0.dev0``)."""
        dev = "-dev" if self.format.scheme is VersionScheme.SEMVER else ".dev0"
        return f"{self.major}.{self.minor + 1}.0{dev}"

    @property
    def previous_patch(self) -> Version | None:
        """``vX.Y.(Z-1)``, or None for the first release of a minor series."""
        if self.patch == 0:
            return None
        return Version(major=self.major, minor=self.minor, patch=self.patch - 1,
                       format=self.format)

    def sort_key(self) -> tuple[int, ...]:
        # A final release sorts after all of its pre-releases, a post release after it.
        stage = _PRE_ORDER.index(self.pre) if self.pre else len(_PRE_ORDER)
        return (self.major, self.minor, self.patch, stage, self.pre_number or 0,
                -1 if self.post is None else self.post)

    def __lt__(self, other: Version) -> bool:
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        return self.tag


class Condition(StrEnum):
    """A playbook `when` condition; all conditions in a list must hold."""

    RC = "RC"
    FINAL = "FINAL"
    PATCH = "PATCH"
    NOT_RC = "not RC"
    NOT_FINAL = "not FINAL"
    NOT_PATCH = "not PATCH"
    BETA = "BETA"
    ALPHA = "ALPHA"
    POST = "POST"
    NOT_BETA = "not BETA"
    NOT_ALPHA = "not ALPHA"
    NOT_POST = "not POST"

    def holds_for(self, version: Version) -> bool:
        negated = self.value.startswith("not ")
        kind = ReleaseKind(self.value.removeprefix("not "))
        return (kind in version.kinds) != negated


def applies(conditions: list[Condition], version: Version) -> bool:
    return all(condition.holds_for(version) for condition in conditions)


def github_time(value: object) -> datetime | None:
    """A GitHub timestamp (``2026-11-30T05:00:00Z``) as an aware datetime (UTC when it names
    no zone); None if absent or garbled."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Reversibility(StrEnum):
    """How far back an action's change can be taken: a kind declares its default, the
    playbook may say otherwise per action (``reversibility = "irreversible"``).

    The test is what a rerun or an undo can still reach. A branch, a pull request or an
    issue comment can be deleted or closed and nobody is the worse. A merge into a shared
    branch can only be reverted by another commit, after others may have built on it. A
    pushed tag that starts publishing workflows, an npm version, a published release, a
    forum post or a chat message once read: nothing brings those back."""

    REVERSIBLE = "reversible"
    HARD_TO_REVERSE = "hard-to-reverse"
    IRREVERSIBLE = "irreversible"

    @property
    def words(self) -> str:
        """As a person says it: ``hard to reverse``."""
        return self.value.replace("-", " ")

    @property
    def meaning(self) -> str:
        """What the class means for whoever runs (or reruns) the action."""
        return REVERSIBILITY_MEANINGS[self]


REVERSIBILITY_MEANINGS: dict[Reversibility, str] = {
    Reversibility.REVERSIBLE: "what it makes (a branch, a pull request, a comment) can be "
                              "deleted or closed again; a rerun checks it and redoes nothing "
                              "done",
    Reversibility.HARD_TO_REVERSE: "undone only by a visible correction (a revert, a "
                                   "deletion others may have seen); a rerun checks it and "
                                   "never makes it twice",
    Reversibility.IRREVERSIBLE: "a point of no return: once applied nothing undoes it, so "
                                "the cockpit asks for a typed confirmation first; a rerun "
                                "finds it done and never applies it again",
}
"""One line per class: `cockpit explain`, the plan and the help say the same."""


class Status(StrEnum):
    """What a read-only check found in the world."""

    DONE = "done"
    IN_PROGRESS = "in_progress"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class CheckResult(BaseModel):
    """The answer of an action's ``check()``: a status, why, and where to look."""

    model_config = ConfigDict(frozen=True)

    status: Status
    reason: str
    link: str | None = None

    @classmethod
    def done(cls, reason: str, link: str | None = None) -> Self:
        return cls(status=Status.DONE, reason=reason, link=link)

    @classmethod
    def in_progress(cls, reason: str, link: str | None = None) -> Self:
        return cls(status=Status.IN_PROGRESS, reason=reason, link=link)

    @classmethod
    def incomplete(cls, reason: str, link: str | None = None) -> Self:
        return cls(status=Status.INCOMPLETE, reason=reason, link=link)

    @classmethod
    def failed(cls, reason: str, link: str | None = None) -> Self:
        return cls(status=Status.FAILED, reason=reason, link=link)


class Outcome(StrEnum):
    """How an action or stage ended in one run of the engine."""

    DONE = "done"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"
    FAILED = "failed"
    ABORTED = "aborted"
    """The driver stopped the stage after a failure (a failure, said so)."""
    CANCELLED = "cancelled"
    """The run was interrupted (c, q, a hang-up) before it could finish: nothing wrong
    was found; rerun to resume."""
    NEEDS_HUMAN = "needs_human"
    AWAITING_REVIEW = "awaiting_review"
    """A step marked ``review = "required"`` stopped before its point of no return: a second
    maintainer has not approved its facts yet (``cockpit review``); rerun to resume."""
    BLOCKED = "blocked"
    """Never started: a stage it needs did not end done in this run (named in the reason)."""


class Release(BaseModel):
    """One release being driven: which playbook, which version, who drives it."""

    model_config = ConfigDict(frozen=True)

    playbook: str
    version: Version
    driver: str
    host: str

    @model_validator(mode="after")
    def _named(self) -> Release:
        if not self.playbook:
            raise ValueError("a release needs a playbook name")
        return self

    @cached_property
    def key(self) -> str:
        """A file-name-safe identity: one journal file per release (cached: every event
        carries it, a log line included). A tag template may hold a ``/`` (``widgets/v{version}``
        in a monorepo): it becomes ``-`` here."""
        return f"{self.playbook}-{self.version.tag.replace('/', '-')}"
