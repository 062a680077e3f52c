"""changelog.fill/check and staging.outcome against the sandbox (real git, real HTTP)."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import KUBO, Run, mutations_since, outcomes

BRANCH = "release-v0.30.0"
COMMON = {"repo": KUBO, "branch": BRANCH, "path": "docs/changelogs/v0.30.md",
          "release_heading": "v0.30.0"}


def fill_actions() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("branch", "git.branch", {"repo": KUBO, "branch": BRANCH, "base": "master"}),
        ("changes", "changelog.fill", {**COMMON, "section": "📝 Changelog",
                                       "generator": "mkreleaselog", "since_tag": "previous",
                                       "until_ref": BRANCH, "message": "docs: changelog"}),
        ("people", "changelog.fill", {**COMMON, "section": "👨‍👩‍👧‍👦 Contributors",
                                      "generator": "contributors-table", "until_ref": BRANCH,
                                      "message": "docs: contributors"}),
        ("check", "changelog.check", {**COMMON, "nonempty_sections": ["📝 Changelog"]}),
    ]


async def test_fill_once(sandbox: SandboxHandle) -> None:
    first = Run(fill_actions(), "v0.30.0")
    report = await first()
    assert report.outcome is Outcome.DONE, report
    assert first.applied == ["branch", "changes", "people"]
    text = httpx.get(f"{sandbox.api_url}/repos/{KUBO}/contents/docs/changelogs/v0.30.md",
                     params={"ref": BRANCH},
                     headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    text = base64.b64decode(text["content"]).decode()
    assert "  - feat(rcmgr): raise default connection limits" in text
    assert "chore: set version to 0.29.0" not in text
    assert "| Carol" in text or "| Bob" in text

    sandbox.clear_requests()
    second = Run(fill_actions(), "v0.30.0")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == []
    assert not sandbox.requests(mutating=True)

    highlights = Run([("h", "changelog.check", {**COMMON, "nonempty_sections": ["Overview"]})],
                     "v0.30.0", abort=True)
    report = await highlights()
    assert report.outcome is Outcome.ABORTED and "Overview" in report.actions[0].reason


async def test_staging_outcome_recorded_once(sandbox: SandboxHandle) -> None:
    title = "Kubo v0.30.0 on staging"
    httpx.post(f"{sandbox.api_url}/repos/ipfs/infra/issues", json={"title": title},
               headers={"Authorization": f"Bearer {sandbox.admin_token}"}).raise_for_status()
    action = ("o", "staging.outcome", {
        "repo": "ipfs/infra", "issue_title": title, "question": "How did it go?",
        "choices": ["no regression", "regression found (stop the release)"],
        "block_on": "regression found (stop the release)",
        "comment": "Staging comparison for Kubo v0.30.0: **{{outcome}}**\n\n{{notes}}\n"})
    first = Run([action], "v0.30.0", {"s/o/outcome": "no regression", "s/o/notes": "same p99"})
    report = await first()
    assert outcomes(report) == {"o": Outcome.DONE}, report
    sandbox.clear_requests()
    second = Run([action], "v0.30.0")  # no answers: a rerun must not ask again
    assert outcomes(await second()) == {"o": Outcome.DONE}
    assert not sandbox.requests(mutating=True)
    comments = [c for i in sandbox.state()["repos"]["ipfs/infra"]["issues"]
                if i["title"] == title for c in i.get("comments", [])]
    assert len(comments) <= 1


NEXT_BRANCH = "changelog-v0.31"


def next_actions() -> list[tuple[str, str, dict[str, Any]]]:
    common = {"repo": KUBO, "branch": NEXT_BRANCH, "directory": "docs/changelogs",
              "after_version": "0.30.0"}
    return [
        ("branch", "git.branch", {"repo": KUBO, "branch": NEXT_BRANCH, "base": "master"}),
        ("next", "changelog.next", {**common, "template_from": "docs/changelogs/v0.30.md",
                                    "message": "docs: add the changelog of the next release"}),
        ("link", "changelog.index-link", {**common, "path": "CHANGELOG.md",
                                          "message": "docs: link the next changelog"}),
    ]


def _file(sandbox: SandboxHandle, path: str, ref: str) -> str:
    answer = httpx.get(f"{sandbox.api_url}/repos/{KUBO}/contents/{path}", params={"ref": ref},
                       headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    return base64.b64decode(answer["content"]).decode()


async def test_next_changelog_and_index_link_once(sandbox: SandboxHandle) -> None:
    first = Run(next_actions(), "v0.30.0")
    assert (await first()).outcome is Outcome.DONE
    assert first.applied == ["branch", "next", "link"]
    assert _file(sandbox, "docs/changelogs/v0.31.md", NEXT_BRANCH) == (
        "# Kubo changelog v0.31\n\n"
        "- [v0.31.0](#v0310)\n\n"
        "## v0.31.0\n\n"
        "- [Overview](#overview)\n"
        "- [🔦 Highlights](#-highlights)\n"
        "- [📝 Changelog](#-changelog)\n"
        "- [👨‍👩‍👧‍👦 Contributors](#-contributors)\n\n"
        "### Overview\n\n"
        "### 🔦 Highlights\n\n"
        "### 📝 Changelog\n\n"
        "### 👨‍👩‍👧‍👦 Contributors\n")
    index = _file(sandbox, "CHANGELOG.md", NEXT_BRANCH).splitlines()
    assert index[2:4] == ["- [v0.31](docs/changelogs/v0.31.md)",
                          "- [v0.30](docs/changelogs/v0.30.md)"]
    head = sandbox.state()["repos"][KUBO]["branches"][NEXT_BRANCH]

    since = time.time()
    second = Run(next_actions(), "v0.30.0")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == []
    assert not mutations_since(sandbox, since)
    assert sandbox.state()["repos"][KUBO]["branches"][NEXT_BRANCH] == head  # no new commit
