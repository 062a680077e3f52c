"""changelog.fill/check/next/index-link and staging.outcome against the sandbox (real git,
real HTTP), on the built-in playbook's own actions."""

from __future__ import annotations

import base64
import time

import httpx

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import KUBO, Run, built_in, mutations_since, outcomes

BRANCH = "release-v0.30.0"
FILL = built_in("prepare-branch/create-version-branch", "prepare-branch/changelog-changes",
                "prepare-branch/changelog-contributors")
HIGHLIGHTS = built_in("prepare-branch/changelog-highlights")
NEXT = built_in("prepare-next/next-changelog-branch", "prepare-next/next-changelog",
                "prepare-next/next-changelog-link")
NEXT_BRANCH = "changelog-after-v0.30.0"


def _file(sandbox: SandboxHandle, path: str, ref: str) -> str:
    answer = httpx.get(f"{sandbox.api_url}/repos/{KUBO}/contents/{path}", params={"ref": ref},
                       headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    return base64.b64decode(answer["content"]).decode()


async def test_fill_once(sandbox: SandboxHandle) -> None:
    first = Run(FILL, "v0.30.0")
    report = await first()
    assert report.outcome is Outcome.DONE, report
    assert first.applied == ["create-version-branch", "changelog-changes",
                             "changelog-contributors"]
    text = _file(sandbox, "docs/changelogs/v0.30.md", BRANCH)
    assert "  - feat(rcmgr): raise default connection limits" in text
    assert "chore: set version to 0.29.0" not in text
    assert "| Carol" in text or "| Bob" in text

    sandbox.clear_requests()
    second = Run(FILL, "v0.30.0")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == []
    assert not sandbox.requests(mutating=True)

    # Highlights are written by a person (the seeded changelog has them): only checked.
    highlights = Run(HIGHLIGHTS, "v0.30.0", abort=True)
    assert (await highlights()).outcome is Outcome.DONE and highlights.applied == []
    # An empty section stops the release until someone writes it.
    overview = Run([("h", "changelog.check", {
        "repo": KUBO, "branch": BRANCH, "path": "docs/changelogs/v0.30.md",
        "release_heading": "v0.30.0", "nonempty_sections": ["Overview"]})], "v0.30.0", abort=True)
    report = await overview()
    assert report.outcome is Outcome.ABORTED and "Overview" in report.actions[0].reason


async def test_staging_outcome_recorded_once(sandbox: SandboxHandle) -> None:
    title = "Kubo v0.30.0 on staging"
    httpx.post(f"{sandbox.api_url}/repos/ipfs/infra/issues", json={"title": title},
               headers={"Authorization": f"Bearer {sandbox.admin_token}"}).raise_for_status()
    outcome = built_in("staging/staging-outcome")
    prompt = "staging/staging-outcome"
    first = Run(outcome, "v0.30.0", {f"{prompt}/outcome": "no regression",
                                     f"{prompt}/notes": "same p99"})
    report = await first()
    assert outcomes(report) == {"staging-outcome": Outcome.DONE}, report
    assert first.applied == ["staging-outcome"]
    sandbox.clear_requests()
    second = Run(outcome, "v0.30.0")  # no answers: a rerun must not ask again
    assert outcomes(await second()) == {"staging-outcome": Outcome.DONE}
    assert not sandbox.requests(mutating=True)
    comments = [c for i in sandbox.state()["repos"]["ipfs/infra"]["issues"]
                if i["title"] == title for c in i.get("comments", [])]
    assert len(comments) <= 1


async def test_next_changelog_and_index_link_once(sandbox: SandboxHandle) -> None:
    first = Run(NEXT, "v0.30.0")
    assert (await first()).outcome is Outcome.DONE
    assert first.applied == ["next-changelog-branch", "next-changelog", "next-changelog-link"]
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
    second = Run(NEXT, "v0.30.0")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == []
    assert not mutations_since(sandbox, since)
    assert sandbox.state()["repos"][KUBO]["branches"][NEXT_BRANCH] == head  # no new commit


async def test_the_commit_list_walks_go_mod_dependencies(sandbox: SandboxHandle) -> None:
    """As Kubo's mkreleaselog: boxo moved v0.20.0 -> v0.21.0 since v0.29.0, so its commits
    in that span are listed under its module path, after Kubo's own."""
    report = await Run(built_in("prepare-branch/create-version-branch",
                                "prepare-branch/changelog-changes"), "v0.30.0")()
    assert report.outcome is Outcome.DONE, report
    text = _file(sandbox, "docs/changelogs/v0.30.md", BRANCH)
    section = text[text.index("- github.com/ipfs/kubo:"):text.index("</details>")]
    assert section.split("- github.com/ipfs/boxo (v0.20.0 -> v0.21.0):\n")[1] == (
        "  - chore: release v0.21.0\n"
        "  - bitswap: rebroadcast the wantlist less often\n"
        "  - pinner: stream recursive pins instead of loading them all\n\n")
    assert "initial" not in section and "chore: release v0.20.0" not in section


def test_go_mod_modules_and_their_revisions() -> None:
    from cockpit.actions.changelog import go_requirements, module_repo, module_rev

    go_mod = ("module github.com/ipfs/kubo\n\ngo 1.22\n\nrequire github.com/ipfs/boxo v0.21.0\n"
              "require (\n\tgithub.com/libp2p/go-libp2p/core/v2 v2.1.0 // indirect\n"
              "\tgithub.com/ipfs/go-cid v0.4.2-0.20240601120000-0123456789ab\n"
              "\tgolang.org/x/sys v0.20.0\n)\n")
    found = go_requirements(go_mod)
    assert found == {"github.com/ipfs/boxo": "v0.21.0",
                     "github.com/libp2p/go-libp2p/core/v2": "v2.1.0",
                     "github.com/ipfs/go-cid": "v0.4.2-0.20240601120000-0123456789ab",
                     "golang.org/x/sys": "v0.20.0"}
    orgs = ["github.com/ipfs", "github.com/libp2p"]
    assert module_repo("github.com/libp2p/go-libp2p/core/v2", orgs) == ("libp2p/go-libp2p",
                                                                        "core")
    assert module_repo("golang.org/x/sys", orgs) is None
    assert module_rev("v2.1.0", "core") == "refs/tags/core/v2.1.0"
    assert module_rev(found["github.com/ipfs/go-cid"], "") == "0123456789ab"
