"""blog.release-entry against the sandbox's ipfs/ipfs-blog (real git over HTTP), and the
front-matter edit on its own."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import yaml

from cockpit.actions.blog import BlogFormatError, front_matter, with_entry
from cockpit.model import Outcome, Status
from cockpit.sandbox.seed import BLOG_RELEASES
from cockpit.sandbox.testing import SandboxHandle
from tests.github_setup import ensure_branch
from tests.kinds.harness import api, applied, inline, make_engine, mutations_since, read_only_refuses

pytestmark = pytest.mark.sandbox(workflow_seconds=0.5)

BLOG = "ipfs/ipfs-blog"
BRANCH = "kubo-release-v0.30.0"
NOTES = "src/_blog/releasenotes.md"
TITLE = "Just released: Kubo 0.30.0!"
URL = "https://github.com/ipfs/kubo/releases/tag/v0.30.0"
PLAYBOOK = inline([
    ("branch", "git.branch", {"repo": BLOG, "branch": BRANCH, "base": "main"}),
    ("entry", "blog.release-entry", {
        "repo": BLOG, "branch": BRANCH, "path": NOTES, "entry_title": TITLE,
        "date": "today", "url": URL, "tags": ["go-ipfs", "kubo"],
        "message": "Release notes: Kubo 0.30.0"}),
])


async def notes(handle: SandboxHandle, ref: str) -> str:
    async with api(handle) as gh:
        content = await gh.get_contents(BLOG, NOTES, ref=ref)
    assert content is not None
    return content.text


async def test_entry_once_then_rerun_and_read_only_change_nothing(
        sandbox: SandboxHandle) -> None:
    async with api(sandbox) as gh:
        main = await gh.get_branch(BLOG, "main")
        assert main is not None
        await ensure_branch(gh, BLOG, BRANCH, main.sha)

    await read_only_refuses(sandbox, PLAYBOOK, "s", ["entry"])

    engine, events = make_engine(PLAYBOOK)
    assert (await engine.run_stage("s")).outcome is Outcome.DONE
    await engine.session.aclose()
    assert applied(events) == ["entry"]
    text = await notes(sandbox, BRANCH)
    first = front_matter(text).data["data"][0]
    assert first == {"title": TITLE, "date": datetime.now(UTC).date(), "publish_date": None,
                     "path": URL, "tags": ["go-ipfs", "kubo"]}
    old, new = BLOG_RELEASES.decode().splitlines(), text.splitlines()
    at = old.index("data:") + 1  # the diff is the seven lines of the entry, newest first
    assert new[:at] == old[:at] and new[at + 7:] == old[at:]
    assert new[at:at + 7] == [f"  - title: '{TITLE}'", f"    date: {first['date']}",
                              "    publish_date:", f"    path: {URL}", "    tags:",
                              "      - go-ipfs", "      - kubo"]

    since = time.time()
    again, events = make_engine(PLAYBOOK)
    assert (await again.run_stage("s")).outcome is Outcome.DONE
    await again.session.aclose()
    assert applied(events) == [] and not mutations_since(sandbox, since)


async def test_merged_entry_counts_and_its_deploy_publishes_it(sandbox: SandboxHandle) -> None:
    async with api(sandbox) as gh:
        content = await gh.get_contents(BLOG, NOTES, ref="main")
        assert content is not None
        await gh.put_contents(BLOG, NOTES, with_entry(content.text, "Kubo 0.30.0 is out", date(
            2024, 7, 1), URL, []), "Release notes: Kubo 0.30.0 (by hand)", "main",
            sha=content.sha)
    engine, _ = make_engine(PLAYBOOK)
    stage = engine.stage("s")
    result = await engine.check_action(stage, stage.actions[1])
    await engine.session.aclose()
    assert result.status is Status.DONE and "default branch" in result.reason

    # The blog's page shows it once the deploy run that the push started has finished.
    page = f"{sandbox.base_url}/blog/releasenotes/"
    assert "Kubo 0.30.0 is out" not in httpx.get(page).text
    assert "Just released: Kubo 0.29.0!" in httpx.get(page).text
    time.sleep(0.6)  # the fixture's runs take 0.5 s
    shown = httpx.get(page).text
    assert f'<a href="{URL}">Kubo 0.30.0 is out</a> <time>2024-07-01</time>' in shown
    assert shown.index("Kubo 0.30.0 is out") < shown.index("Just released: Kubo 0.29.0!")


def test_edit_keeps_the_layout_and_quotes_what_yaml_needs() -> None:
    text = BLOG_RELEASES.decode()
    edited = with_entry(text, "Kubo's 1.0: out!", date(2025, 1, 2), URL + "?a=b c",
                        ["kubo", "a: b"])
    data: dict[str, Any] = yaml.safe_load(edited.split("---")[1])
    assert data["data"][0] == {"title": "Kubo's 1.0: out!", "date": date(2025, 1, 2),
                               "publish_date": None, "path": URL + "?a=b c",
                               "tags": ["kubo", "a: b"]}
    assert data["data"][1:] == yaml.safe_load(text.split("---")[1])["data"]
    with pytest.raises(BlogFormatError):
        with_entry("# no front matter\n", "t", date(2025, 1, 2), URL, [])
    with pytest.raises(BlogFormatError):
        with_entry("---\ntitle: x\n---\n", "t", date(2025, 1, 2), URL, [])
