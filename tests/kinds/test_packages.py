"""Docker Hub, npm and dist.ipfs.tech kinds (``cockpit/actions/packages.py``) through the
engine against a real sandbox over loopback, on the built-in playbook's own actions."""

from __future__ import annotations

import json

import pytest

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import Run, built_in, inline

pytestmark = pytest.mark.sandbox(workflow_seconds=0.3)

VERIFY = built_in("publish-to-dockerhub/docker-tag", "publish-to-dockerhub/docker-platforms",
                  "publish-to-distributions/dist-kubo-listed",
                  "publish-to-distributions/dist-go-ipfs-listed",
                  "publish-to-npm/npm-kubo", "publish-to-npm/npm-go-ipfs",
                  "publish-to-npm/npm-tag-latest")
ADD = built_in("publish-to-distributions/dist-branch",
               "publish-to-distributions/dist-kubo-versions")
BUMP = built_in("update-ipfs-desktop/desktop-branch", "update-ipfs-desktop/desktop-bump")


async def test_verifies_pass_for_a_published_version(sandbox: SandboxHandle) -> None:
    run = Run(VERIFY, "v0.29.0", abort=True)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == []
    assert not sandbox.requests(mutating=True)


async def test_verifies_fail_with_a_link_for_an_unpublished_version(
        sandbox: SandboxHandle) -> None:
    report = await Run(VERIFY, "v0.30.0", abort=True)()
    assert report.outcome is Outcome.ABORTED
    first = report.actions[0]
    assert "not on Docker Hub" in first.reason and first.link
    assert not sandbox.requests(mutating=True)


async def test_docker_same_as_compares_digests(sandbox: SandboxHandle) -> None:
    same_self = inline([("d", "registry.docker-tag", {
        "image": "{docker_image}", "tag": "{version.tag}", "same_as": "{version.tag}"})])
    report = await Run(same_self, "v0.29.0", abort=True)()
    assert report.outcome is Outcome.DONE, report
    # The sandbox gives every tag its own digest: "latest" is a different image here.
    report = await Run(built_in("publish-to-dockerhub/docker-latest"), "v0.29.0", abort=True)()
    assert report.outcome is Outcome.ABORTED
    assert "not the same image" in report.actions[0].reason


async def test_dist_add_version_once_even_with_faults(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    run = Run(ADD, "v0.30.0-rc1", abort=True)
    report = await run()
    sandbox.set_faults("")
    assert report.outcome is Outcome.DONE, report
    assert run.applied == ["dist-branch", "dist-kubo-versions"]
    puts = [r for r in sandbox.requests(mutating=True) if r["method"] == "PUT"]
    assert len(puts) == 1
    sandbox.clear_requests()
    again = Run(ADD, "v0.30.0-rc1", abort=True)
    assert (await again()).outcome is Outcome.DONE
    assert not sandbox.requests(mutating=True)
    # The file gained exactly one line.
    repo = sandbox.sandbox.repos["ipfs/distributions"]
    listing = repo.blob_at("release-kubo-0.30.0-rc1", "dists/kubo/versions")
    assert listing is not None
    assert listing[1].decode().splitlines().count("v0.30.0-rc1") == 1


async def test_npm_dependency_bump_one_commit_then_nothing(sandbox: SandboxHandle) -> None:
    run = Run(BUMP, "v0.30.0", abort=True)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == ["desktop-branch", "desktop-bump"]
    git = sandbox.sandbox.repos["ipfs/ipfs-desktop"]
    pkg = git.blob_at("kubo-v0.30.0", "package.json")
    lock = git.blob_at("kubo-v0.30.0", "package-lock.json")
    assert pkg is not None and lock is not None
    assert json.loads(pkg[1])["dependencies"]["kubo"] == "0.30.0"
    entry = json.loads(lock[1])["packages"]["node_modules/kubo"]
    assert entry["version"] == "0.30.0" and entry["resolved"].endswith("kubo-0.30.0.tgz")
    assert json.loads(lock[1])["packages"][""]["dependencies"]["kubo"] == "0.30.0"
    head = git.resolve("refs/heads/kubo-v0.30.0")

    sandbox.clear_requests()
    again = Run(BUMP, "v0.30.0", abort=True)
    assert (await again()).outcome is Outcome.DONE
    assert again.applied == []
    assert git.resolve("refs/heads/kubo-v0.30.0") == head


@pytest.mark.parametrize(("version", "outcome", "says"), [
    ("v0.28.0", Outcome.DONE, "a later release"),
    ("v0.29.0", Outcome.DONE, "is the same image as v0.29.0"),
], ids=["moved-on-by-a-later-release", "its-own-release"])
async def test_latest_moved_on_by_a_later_release_reads_as_done(
        sandbox: SandboxHandle, version: str, outcome: Outcome, says: str) -> None:
    """After v0.29.0's image went out as ``latest`` (as the sandbox's docker workflow
    leaves it) and npm's ``latest`` is 0.29.0, v0.28.0's own steps are still done: a later
    release moved both on. v0.29.0's are done as before."""
    with sandbox.sandbox.world.lock:
        images = sandbox.sandbox.world.data.setdefault("docker_images", {})
        images.setdefault("ipfs/kubo", {})["latest"] = "v0.29.0"
    (docker,) = (await Run(built_in("publish-to-dockerhub/docker-latest"), version,
                           abort=True)()).actions
    (npm,) = (await Run(built_in("publish-to-npm/npm-tag-latest"), version,
                        abort=True)()).actions
    assert docker.outcome is outcome and says in docker.reason, docker.reason
    assert npm.outcome is Outcome.DONE, npm.reason
    if version == "v0.28.0":
        assert docker.reason.startswith("ipfs/kubo:latest is v0.29.0's image"), docker.reason
        assert npm.reason.startswith("kubo@latest is 0.29.0, a later release"), npm.reason
    assert not sandbox.requests(mutating=True)
