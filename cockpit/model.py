"""The release's vocabulary: versions, release kinds and check results.

Everything here is plain data (pydantic models) so that it can be journaled,
compared and sent between processes without any behaviour attached.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from cockpit.errors import BadInput

ACCEPTED_VERSION_FORMS = (
    "vX.Y.Z (a final or patch release, e.g. v0.30.0 or v0.30.1) "
    "or vX.Y.Z-rcN (a release candidate, e.g. v0.30.0-rc1)"
)

_VERSION_RE = re.compile(
    r"^v(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-rc(?P<rc>[1-9]\d*))?$"
)


class VersionError(BadInput, ValueError):
    """A version string that is not one of the accepted forms."""

    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not a release version: use {ACCEPTED_VERSION_FORMS}")
        self.text = text


class ReleaseKind(StrEnum):
    """Which flavour of release a version is; playbook `when` conditions test these."""

    RC = "RC"
    FINAL = "FINAL"
    PATCH = "PATCH"


class Version(BaseModel):
    """A Kubo-style release version: ``vX.Y.Z`` or ``vX.Y.Z-rcN``.

    A version is RC when it has an ``-rcN`` suffix, FINAL when it has none, and
    PATCH when Z > 0 (a patch release is also FINAL unless it is an RC).
    """

    model_config = ConfigDict(frozen=True)

    major: int
    minor: int
    patch: int
    rc: int | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION_RE.match(text.strip())
        if match is None:
            raise VersionError(text)
        rc = match.group("rc")
        return cls(
            major=int(match.group("major")),
            minor=int(match.group("minor")),
            patch=int(match.group("patch")),
            rc=int(rc) if rc else None,
        )

    @property
    def is_rc(self) -> bool:
        return self.rc is not None

    @property
    def is_final(self) -> bool:
        return self.rc is None

    @property
    def is_patch(self) -> bool:
        return self.patch > 0

    @property
    def kinds(self) -> frozenset[ReleaseKind]:
        """Every kind this version satisfies (a patch release is FINAL and PATCH)."""
        found = {ReleaseKind.RC if self.is_rc else ReleaseKind.FINAL}
        if self.is_patch:
            found.add(ReleaseKind.PATCH)
        return frozenset(found)

    @property
    def kind(self) -> ReleaseKind:
        """The one word a human uses for this release."""
        if self.is_rc:
            return ReleaseKind.RC
        return ReleaseKind.PATCH if self.is_patch else ReleaseKind.FINAL

    @property
    def base(self) -> str:
        """``X.Y.Z`` without the RC suffix: the name of the version branch."""
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def number(self) -> str:
        """``X.Y.Z[-rcN]``: what goes into version.go."""
        return self.base + (f"-rc{self.rc}" if self.rc is not None else "")

    @property
    def tag(self) -> str:
        return "v" + self.number

    @property
    def minor_series(self) -> str:
        """``X.Y``: the changelog file and tracking issue are per minor series."""
        return f"{self.major}.{self.minor}"

    @property
    def next_dev(self) -> str:
        """The version master moves to once this minor series branches: ``X.(Y+1).0-dev``."""
        return f"{self.major}.{self.minor + 1}.0-dev"

    @property
    def previous_patch(self) -> Version | None:
        """``vX.Y.(Z-1)``, or None for the first release of a minor series."""
        if self.patch == 0:
            return None
        return Version(major=self.major, minor=self.minor, patch=self.patch - 1)

    def sort_key(self) -> tuple[int, int, int, int]:
        # A final release sorts after all of its release candidates.
        return (self.major, self.minor, self.patch, self.rc if self.rc is not None else 1 << 30)

    def __lt__(self, other: Version) -> bool:
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        return self.tag

    @property
    def next_minor(self) -> str:
        """``X.(Y+1).0``: the next minor release (its milestone: ``v{version.next_minor}``)."""
        return f"{self.major}.{self.minor + 1}.0"


class Condition(StrEnum):
    """A playbook `when` condition; all conditions in a list must hold."""

    RC = "RC"
    FINAL = "FINAL"
    PATCH = "PATCH"
    NOT_RC = "not RC"
    NOT_FINAL = "not FINAL"
    NOT_PATCH = "not PATCH"

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
        carries it, a log line included)."""
        return f"{self.playbook}-{self.version.tag}"
