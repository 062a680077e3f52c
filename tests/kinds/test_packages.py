"""Registry, dist and npm kinds through the engine against a real sandbox over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.events import ActionApplying, Event
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import parse_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from cockpit.settings import Settings


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path, workflow_seconds=0.3) as sb:
        for key, value in sb.env.items():
            monkeypatch.setenv(key, value)
        yield sb


def _playbook(actions: str) -> Any:
    return parse_playbook(
        'name = "t"\ntitle = "T"\n[[stages]]\nid = "s"\ntitle = "S"\nsummary = "s"\n'
        + actions, "t.toml")


async def _run(actions: str, version: str = "v0.29.0") -> tuple[Any, list[Event]]:
    settings = Settings(poll_initial_seconds=0.05, poll_max_seconds=0.2,
                        poll_timeout_seconds=20)
    release = Release(playbook="t", version=Version.parse(version), driver="d", host="h")
    # A failure is answered "abort": the report then carries the reason and the link.
    prompter = AnswersPrompter({"s/*": PromptAnswer(value="abort")})
    session = Session(settings=settings, prompter=prompter, release=release)
    engine = Engine(_playbook(actions), session, EventBus())
    events: list[Event] = []
    engine.bus.listen(events.append)
    try:
        report = await engine.run_stage("s")
    finally:
        await session.aclose()
    return report, events


VERIFY = '''
[[stages.actions]]
id = "docker"
kind = "registry.docker-tag"
title = "t"
params = { image = "ipfs/kubo", tag = "{version.tag}" }
[[stages.actions]]
id = "platforms"
kind = "registry.docker-platforms"
title = "t"
params = { image = "ipfs/kubo", tag = "{version.tag}", platforms = ["linux/amd64", "linux/arm64"] }
[[stages.actions]]
id = "npm"
kind = "registry.npm-version"
title = "t"
params = { package = "kubo", version = "{version.number}" }
[[stages.actions]]
id = "npm-latest"
kind = "registry.npm-dist-tag"
title = "t"
params = { package = "kubo", dist_tag = "latest", version = "{version.number}" }
[[stages.actions]]
id = "listed"
kind = "dist.version-listed"
title = "t"
params = { dist = "kubo", version = "{version.tag}", url = "https://dist.ipfs.tech/kubo/{version.tag}" }
'''


async def test_verifies_pass_for_a_published_version(sandbox: SandboxHandle) -> None:
    report, events = await _run(VERIFY, "v0.29.0")
    assert report.outcome is Outcome.DONE, report
    assert not any(isinstance(e, ActionApplying) for e in events)
    assert not sandbox.requests(mutating=True)


async def test_verifies_fail_with_a_link_for_an_unpublished_version(
        sandbox: SandboxHandle) -> None:
    report, _ = await _run(VERIFY, "v0.30.0")
    assert report.outcome is Outcome.ABORTED
    first = report.actions[0]
    assert "not on Docker Hub" in first.reason and first.link
    assert not sandbox.requests(mutating=True)


async def test_docker_same_as_compares_digests(sandbox: SandboxHandle) -> None:
    same_self = '''
[[stages.actions]]
id = "d"
kind = "registry.docker-tag"
title = "t"
params = { image = "ipfs/kubo", tag = "{version.tag}", same_as = "{version.tag}" }
'''
    report, _ = await _run(same_self)
    assert report.outcome is Outcome.DONE, report
    # The sandbox gives every tag its own digest: "latest" is a different image here.
    other = same_self.replace('tag = "{version.tag}", same_as', 'tag = "latest", same_as')
    report, _ = await _run(other)
    assert report.outcome is Outcome.ABORTED
    assert "not the same image" in report.actions[0].reason


ADD = '''
[[stages.actions]]
id = "add"
kind = "dist.add-version"
title = "t"
[stages.actions.params]
repo = "ipfs/distributions"
branch = "master"
path = "dists/kubo/versions"
version = "{version.tag}"
message = "chore: add kubo {version.tag}"
'''


async def test_dist_add_version_once_even_with_faults(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    report, events = await _run(ADD, "v0.30.0-rc1")
    sandbox.set_faults("")
    assert report.outcome is Outcome.DONE, report
    assert sum(isinstance(e, ActionApplying) for e in events) == 1
    puts = [r for r in sandbox.requests(mutating=True) if r["method"] == "PUT"]
    assert len(puts) == 1
    sandbox.clear_requests()
    report, events = await _run(ADD, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE
    assert not sandbox.requests(mutating=True)
    # The file gained exactly one line.
    listing = sandbox.sandbox.repos["ipfs/distributions"].blob_at("master", "dists/kubo/versions")
    assert listing is not None
    assert listing[1].decode().splitlines().count("v0.30.0-rc1") == 1


BUMP = '''
[[stages.actions]]
id = "bump"
kind = "npm.dependency-bump"
title = "t"
[stages.actions.params]
repo = "ipfs/ipfs-desktop"
branch = "kubo-{version.tag}"
package = "kubo"
version = "{version.number}"
files = ["package.json", "package-lock.json"]
resolved = "https://registry.npmjs.org/kubo/-/kubo-{version.number}.tgz"
message = "chore: bump kubo to {version.number}"
'''


async def test_npm_dependency_bump_one_commit_then_nothing(sandbox: SandboxHandle) -> None:
    import json

    from cockpit.services.github import GitHubClient

    desktop = "ipfs/ipfs-desktop"
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        main = await gh.get_branch(desktop, "main")
        assert main is not None
        await gh.ensure_branch(desktop, "kubo-v0.30.0-rc1", main.sha)
    report, events = await _run(BUMP, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE, report
    assert sum(isinstance(e, ActionApplying) for e in events) == 1
    git = sandbox.sandbox.repos[desktop]
    pkg = git.blob_at("kubo-v0.30.0-rc1", "package.json")
    lock = git.blob_at("kubo-v0.30.0-rc1", "package-lock.json")
    assert pkg is not None and lock is not None
    assert json.loads(pkg[1])["dependencies"]["kubo"] == "0.30.0-rc1"
    entry = json.loads(lock[1])["packages"]["node_modules/kubo"]
    assert entry["version"] == "0.30.0-rc1" and entry["resolved"].endswith("kubo-0.30.0-rc1.tgz")
    assert json.loads(lock[1])["packages"][""]["dependencies"]["kubo"] == "0.30.0-rc1"
    head = git.resolve("refs/heads/kubo-v0.30.0-rc1")

    sandbox.clear_requests()
    report, events = await _run(BUMP, "v0.30.0-rc1")
    assert report.outcome is Outcome.DONE
    assert not any(isinstance(e, ActionApplying) for e in events)
    assert git.resolve("refs/heads/kubo-v0.30.0-rc1") == head
