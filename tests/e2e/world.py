"""What the Kubo checklist says the world looks like after a release, checked fact by fact.

``release_problems`` reads the sandbox (its state and its bare repositories) and lists
every way the world falls short of KUBO_RELEASE.md for one release: an empty list is
a release done right. ``settled`` reduces a normalised world snapshot to what must be
equal between two correct runs of the same cycle, whatever happened along the way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from cockpit.model import Version
from cockpit.sandbox.gitstore import BareRepo
from cockpit.sandbox.testing import SandboxHandle

Json = dict[str, Any]
KUBO = "ipfs/kubo"


class Facts:
    """Collects the problems found while checking one release."""

    def __init__(self, version: Version) -> None:
        self.version = version
        self.problems: list[str] = []

    def expect(self, ok: bool, what: str) -> None:
        if not ok:
            self.problems.append(f"{self.version.tag}: {what}")


def _issues(repo: Json, title: str, *, pulls: bool) -> list[Json]:
    return [i for i in repo["issues"] if i["title"] == title and bool(i["pull"]) == pulls]


def _file(git: BareRepo, ref: str, path: str) -> str:
    found = git.blob_at(ref, path)
    return found[1].decode() if found else ""


def _check_tag(facts: Facts, git: BareRepo, v: Version, target: str) -> None:
    tag_sha = git.refs("refs/tags/").get(f"refs/tags/{v.tag}")
    info = git.tag(tag_sha) if tag_sha else None
    facts.expect(info is not None, "tag is annotated")
    if info is None:
        return
    facts.expect(info.object_sha == git.resolve(target),
                 f"tag points at the head of {target}")
    facts.expect("-----BEGIN PGP SIGNATURE-----" in info.message, "tag is signed")
    expected = f"Prerelease {v.number}" if v.is_rc else f"Release {v.base}"
    facts.expect(info.message.startswith(expected), f"tag message is {expected!r}")


def _merged_with_merge_commit(facts: Facts, git: BareRepo, pull: Json | None,
                              what: str) -> None:
    facts.expect(pull is not None, f"{what} exists")
    if pull is None:
        return
    sha = pull["pull"]["merge_commit_sha"]
    commit = git.commit(sha) if sha else None
    facts.expect(commit is not None and len(commit.parents) == 2,
                 f"{what} is merged with a merge commit (2 parents)")


def release_problems(handle: SandboxHandle, tag: str) -> list[str]:
    """Every way the world falls short of the Kubo checklist for release ``tag``."""
    v = Version.parse(tag)
    facts = Facts(v)
    state = handle.state()
    kubo = state["repos"][KUBO]
    git = handle.sandbox.repos[KUBO]
    branch = f"release-v{v.base}"
    patch = v.patch > 0

    # prepare-branch and tag
    facts.expect(_file(git, f"refs/tags/{v.tag}", "version.go").count(
        f'CurrentVersionNumber = "{v.number}"') == 1, "version.go at the tag reads the version")
    release_pulls = [i for i in kubo["issues"] if i["pull"] and i["pull"]["head"] == branch
                     and i["pull"]["base"] == "release"]
    facts.expect(len(release_pulls) == 1, f"one release PR {branch} → release")
    if v.is_rc:
        _check_tag(facts, git, v, f"refs/heads/{branch}")
    else:
        _check_tag(facts, git, v, "refs/heads/release")
        _merged_with_merge_commit(facts, git, release_pulls[0] if release_pulls else None,
                                  "the release PR")
        facts.expect(git.resolve(f"refs/heads/{branch}") is not None,
                     "the version branch is kept after the merge")
    if v.is_rc and not patch:
        facts.expect(_file(git, "refs/heads/master", "version.go").count(
            f'"{v.next_dev}"') == 1, f"master is at {v.next_dev}")

    # publishing
    facts.expect(v.tag in state["docker"]["ipfs/kubo"], "docker image tag exists")
    for dist in ("kubo", "go-ipfs"):
        facts.expect(state["dist"][dist].count(v.tag) == 1, f"dist {dist} lists it once")
        versions = _file(handle.sandbox.repos["ipfs/distributions"], "refs/heads/master",
                         f"dists/{dist}/versions").split()
        facts.expect(versions.count(v.tag) == 1, f"dists/{dist}/versions lists it once")
        facts.expect(v.number in state["npm"][dist]["versions"], f"npm {dist}@{v.number}")
    releases = [r for r in kubo["releases"] if r["tag_name"] == v.tag]
    facts.expect(len(releases) == 1, "one GitHub release")
    if releases:
        rel = releases[0]
        facts.expect(rel["prerelease"] is v.is_rc, f"pre-release flag is {v.is_rc}")
        facts.expect(not rel["draft"], "the release is published (not a draft)")
        facts.expect(f"Release v{v.base}" in rel["body"] or "/issues/" in rel["body"],
                     "the release body links the tracking issue")
        if v.is_rc:
            facts.expect(f"docs/changelogs/v{v.minor_series}.md" in rel["body"],
                         "the RC body links the changelog")
        else:
            facts.expect("### 📝 Changelog" in rel["body"] and "# Kubo changelog" not in
                         rel["body"], "the body is the changelog without its header")
            facts.expect("Discuss this release on the forum" in rel["body"],
                         "the body links the forum topic")
        facts.expect(len(rel["assets"]) >= 5, "binaries are attached")

    # announcements
    title = f"Kubo {v.tag} is out!"
    topics = [t for t in state["discourse"]["topics"] if t["title"] == title]
    facts.expect(len(topics) == 1, "one Discourse topic")
    facts.expect(bool(topics) and topics[0].get("pinned_globally") is True
                 and topics[0].get("pinned_until") is None,
                 "the topic is pinned globally until the next one unpins it")
    tracking = _issues(kubo, f"Release v{v.base}", pulls=False)
    facts.expect(len(tracking) == 1, "one tracking issue")
    if tracking:
        comments = [c["body"] for c in kubo["comments"]
                    if c["issue_number"] == tracking[0]["number"]]
        for marker in (f"cockpit:announce:{v.tag}", f"cockpit:staging:{v.tag}",
                       f"cockpit:companion:{v.tag}"):
            facts.expect(sum(f"<!-- {marker} -->" in body for body in comments) == 1,
                         f"one tracking-issue comment marked {marker}")
        if not v.is_rc:
            facts.expect(tracking[0]["state"] == "closed", "the tracking issue is closed")
    reddit = [p for p in state["reddit"]["posts"] if p["title"] == title]
    facts.expect(len(reddit) == (0 if v.is_rc or patch else 1),
                 "r/ipfs post only for a new final release")
    infra = _issues(state["repos"]["ipfs/infra"], f"Kubo {v.tag} on staging", pulls=False)
    facts.expect(len(infra) == 1, "one staging issue")

    if v.is_rc:
        return facts.problems
    # downstream, merge-back, next release
    for repo, title_text in (("ipfs/ipfs-desktop", f"chore: bump kubo to {v.number}"),
                             ("ipfs/ipfs-docs", f"Update Kubo: {v.tag}"),
                             ("ipfs/ipfs-blog", f"Release notes: Kubo {v.base}")):
        facts.expect(len(_issues(state["repos"][repo], title_text, pulls=True)) == 1,
                     f"one PR {title_text!r} in {repo}")
    merge_pulls = _issues(kubo, f"Merge release v{v.base}", pulls=True)
    _merged_with_merge_commit(facts, git, merge_pulls[0] if merge_pulls else None,
                              "the merge-back PR")
    facts.expect(git.is_ancestor(f"refs/tags/{v.tag}", "refs/heads/master"),
                 "the tag is an ancestor of master")
    facts.expect(_file(git, "refs/heads/master", "version.go").count("-dev\"") == 1,
                 "master keeps its -dev version")
    if not patch:
        nxt = f"0.{v.minor + 1}"
        facts.expect(bool(_file(git, "refs/heads/master", f"docs/changelogs/v{nxt}.md")),
                     f"docs/changelogs/v{nxt}.md exists on master")
        facts.expect(f"docs/changelogs/v{nxt}.md" in _file(git, "refs/heads/master",
                                                             "CHANGELOG.md"),
                     "CHANGELOG.md links the next changelog")
        facts.expect(len(_issues(kubo, f"Release v{nxt}.0", pulls=False)) == 1,
                     f"one next tracking issue Release v{nxt}.0")
        deps = _issues(kubo, f"chore: update dependencies after v{v.base}", pulls=True)
        facts.expect(len(deps) == 1, "one dependency-update PR")
        numbers = {m["number"]: m["title"] for m in kubo["milestones"]}
        facts.expect(bool(deps) and numbers.get(deps[0]["milestone"]) == f"v{nxt}.0",
                     "the dependency-update PR is in the next milestone")
        facts.expect(len(_issues(kubo, f"docs: improve the release process after v{v.base}",
                                 pulls=True)) == 1, "one 'improve the release process' PR")
        notes = _file(git, f"refs/tags/{v.tag}", f"docs/changelogs/v{v.minor_series}.md")
        facts.expect("- github.com/ipfs/boxo (v0.20.0 -> v0.21.0):" in notes,
                     "the changelog lists the commits of the dependency go.mod moved")
        milestones = {m["title"]: m["state"] for m in kubo["milestones"]}
        facts.expect(milestones.get(f"v{v.base}") == "closed", "this milestone is closed")
        facts.expect(milestones.get(f"v{nxt}.0") == "open", "the next milestone is open")
    return facts.problems


_JOURNAL = re.compile(r"<!-- cockpit:journal (\{.*\}) -->", re.DOTALL)
_CHECKLIST_LINE = re.compile(r"^- \[(.)\] \*\*([\w-]+)\*\* — (\S+).*$", re.MULTILINE)


def _journal_summary(body: str) -> str | None:
    """A journal comment as (release, stage, final status): its log excerpt, timings and
    history record what happened on the way (retries after faults), not the outcome."""
    found = _JOURNAL.search(body)
    if found is None:
        return None
    record = json.loads(found.group(1))
    return f"journal {record['release']} {record['stage']}: {record['status']}"


def _walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)
    elif isinstance(value, str):
        yield value


_CLOCK_KEYS = ("_utc", "_since")
"""Epoch-second clocks the normaliser does not know (Reddit's ``created_utc``, the
sandbox's ``ready_since`` of a pull request marked ready)."""


def _without_clocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<time>" if k.endswith(_CLOCK_KEYS) else _without_clocks(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_without_clocks(v) for v in value]
    return value


def settled(snapshot: Json) -> Json:
    """A normalised world (``tests.reliability.world_diff.snapshot``) without the record of
    how it was reached: journal comments keep their stage and status, checklist lines
    their box and status, and the sandbox's run bookkeeping keeps each run's outcome."""
    out: Json = _without_clocks(json.loads(json.dumps(snapshot)))
    for repo in out["repos"].values():
        for comment in repo["comments"]:
            summary = _journal_summary(comment["body"])
            if summary is not None:
                comment["body"] = summary
            comment.pop("updated_at", None)
        for issue in repo["issues"]:
            if issue.get("body"):
                issue["body"] = _CHECKLIST_LINE.sub(r"- [\1] \2 \3", issue["body"])
        repo["runs"] = sorted(
            (f"{r['workflow_name']} {r['event']} {r['head_branch']} {r['status']} "
             f"{r.get('conclusion')}") for r in repo["runs"])
    return out


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON-like value (for the secret scan)."""
    return _walk_strings(value)
