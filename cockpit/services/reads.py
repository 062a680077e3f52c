"""What a check reads from GitHub, said ahead: the keys of the read-ahead batch.

Why: read one at a time, the ~150 checks of a release ask GitHub ~70 questions in
chains (the repository, then its branch, then the pull request from it...), each a round
trip and most a rate-limit point. A check that says what it will read (``ActionKind.
reads``) lets ``cockpit.services.read_batch`` ask everything GraphQL can answer, across
every repository of the release, in one query; the client's methods then answer these
keys from that batch instead of sending their REST request (``GitHubClient._known``).

Each key names one question exactly as the client's method asks it, so the answer from
the batch is the one the method would have returned. A key nobody declared costs a
request, as before; a key declared but never asked costs a field in the query.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RepoInfo:
    """``find_repo``/``get_repo``: the repository, its default branch and the token's
    permissions there."""

    repo: str


@dataclass(frozen=True)
class RefAt:
    """``get_ref``/``get_branch``/``get_tag_ref``: one ref by its exact name."""

    repo: str
    ref: str
    """Without ``refs/``: ``heads/release`` or ``tags/v0.30.0``."""


@dataclass(frozen=True)
class FileAt:
    """``get_contents``: a file's text at a ref (the default branch when None)."""

    repo: str
    path: str
    ref: str | None = None


@dataclass(frozen=True)
class PullsFrom:
    """``find_pull``: the pull requests from a branch of the repository into ``base``."""

    repo: str
    head: str
    """The branch name, without ``owner:``: the head is in the repository itself."""
    base: str


@dataclass(frozen=True)
class IssuesOf:
    """``find_issue``: every issue of the repository, open and closed (no pull requests)."""

    repo: str


@dataclass(frozen=True)
class ReleaseOf:
    """``get_release_by_tag``: the published release of a tag."""

    repo: str
    tag: str


@dataclass(frozen=True)
class ReleasesOf:
    """``list_releases(limit=100)``: the newest 100 releases, drafts included."""

    repo: str


@dataclass(frozen=True)
class TagMade:
    """``tag_made``: when a tag was made (its tagger's date, or its commit's for a
    lightweight tag); REST needs the tag's ref, then its object."""

    repo: str
    tag: str


Read = RepoInfo | RefAt | FileAt | PullsFrom | IssuesOf | ReleaseOf | ReleasesOf | TagMade
"""A question the batch can answer."""


def ref_at_branch(repo: str, branch: str) -> RefAt:
    return RefAt(repo, f"heads/{branch}")


def ref_at_tag(repo: str, tag: str) -> RefAt:
    return RefAt(repo, f"tags/{tag}")


def release_lookup(repo: str, tag: str) -> list[Read]:
    """What ``find_release`` reads: the published release by tag, then the list."""
    return [ReleaseOf(repo, tag), ReleasesOf(repo)]
