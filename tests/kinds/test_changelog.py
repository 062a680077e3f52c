"""changelog.fill/check and staging.outcome against the sandbox (real git, real HTTP)."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.test_gitchecks import KUBO, Run, outcomes
from tests.kinds.test_gitchecks import sandbox as sandbox  # the fixture

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
    assert first.applied == 3
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
    assert second.applied == 0
    assert not sandbox.requests(mutating=True)

    highlights = Run([("h", "changelog.check", {**COMMON, "nonempty_sections": ["Overview"]})],
                     "v0.30.0", {"s/h/failed": "abort"})
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
