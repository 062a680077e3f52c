"""Tag and release kinds through the engine against a real sandbox over loopback, on the
built-in playbook's own actions (the tag stage's check and the GitHub release stage:
a draft first, its assets, then the publication)."""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.events import PromptAsked
from cockpit.model import Outcome
from cockpit.prompts import Confirm
from cockpit.sandbox.seed import KUBO
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.discourse import DiscourseClient
from cockpit.services.github import GitHubClient
from tests.kinds.harness import Run, built_in

pytestmark = pytest.mark.sandbox(workflow_seconds=0.4)

RC = built_in("tag/tag-on-github", "publish-to-github/release-rc",
              "publish-to-github/release-body-links")
FINAL = built_in("publish-to-github", "promote/release-discuss-link")
ASSETS = built_in("publish-to-github")


async def _prepare(sb: SandboxHandle, tag: str, branch: str) -> None:
    """Push an annotated tag on ``branch`` and open the tracking issue, as earlier stages do."""
    base = tag.lstrip("v").split("-")[0]
    async with GitHubClient(sb.api_url, sb.admin_token) as gh:
        head = await gh.get_branch(KUBO, branch)
        assert head is not None
        obj = await gh.create_tag_object(KUBO, tag, f"Release {tag}", head.sha)
        await gh.create_ref(KUBO, f"refs/tags/{tag}", obj.sha)
        await gh.ensure_issue(KUBO, title=f"Release v{base}", body="tracking")


def _releases(sb: SandboxHandle, tag: str) -> list[Any]:
    return [r for r in sb.state()["repos"][KUBO]["releases"] if r["tag_name"] == tag]


async def test_rc_prerelease_once_then_rerun_is_read_only(sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    sandbox.clear_requests()
    run = Run(RC, "v0.30.0-rc1", abort=True)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == ["release-rc"]
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert rel["prerelease"] is True and rel["draft"] is True  # published after its assets
    assert "docs/changelogs/v0.30.md" in rel["body"]
    assert f"/{KUBO}/issues/" in rel["body"]

    sandbox.clear_requests()
    again = Run(RC, "v0.30.0-rc1", abort=True)
    assert (await again()).outcome is Outcome.DONE
    assert again.applied == []
    assert not sandbox.requests(mutating=True)


async def test_release_with_faults_is_created_exactly_once(sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    sandbox.set_faults("5xx:0.3,seed=3")
    await Run(RC, "v0.30.0-rc1", abort=True)()
    sandbox.set_faults("")
    report = await Run(RC, "v0.30.0-rc1", abort=True)()
    assert report.outcome is Outcome.DONE, report
    assert len(_releases(sandbox, "v0.30.0-rc1")) == 1


async def test_missing_tag_fails_with_a_link(sandbox: SandboxHandle) -> None:
    report = await Run(RC, "v0.31.0-rc1", abort=True)()
    assert report.outcome is Outcome.ABORTED
    assert "no tag v0.31.0-rc1" in report.reason
    assert report.actions[0].link
    assert not sandbox.requests(mutating=True)


async def test_final_release_from_changelog_latest_assets_and_forum_link(
        sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0", "master")
    sandbox.sandbox.world.data["dist"]["kubo"].append("v0.30.0")
    env = sandbox.env
    async with DiscourseClient(env["COCKPIT_DISCOURSE_URL"],
                               env["COCKPIT_DISCOURSE_TOKEN"]) as forum:
        post = await forum.create_topic("Kubo v0.30.0 is out!", "Kubo v0.30.0 is out!",
                                        tags=["kubo"])
    run = Run(FINAL, "v0.30.0", abort=True)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == ["release-final", "assets-dispatch", "publish-final",
                           "release-discuss-link"]
    (rel,) = _releases(sandbox, "v0.30.0")
    assert rel["prerelease"] is False and rel["draft"] is False
    _published_after_its_assets(rel)
    body = rel["body"]
    assert body.startswith("- [Overview](#overview)"), body
    assert "## v0.30.0" not in body and "# Kubo changelog" not in body
    assert "### 🔦 Highlights" in body
    assert f"/{KUBO}/issues/" in body
    assert f"/t/{post.topic_slug}/{post.topic_id}" in body
    assert body.count("cockpit:discuss") == 1

    sandbox.clear_requests()
    again = Run(FINAL, "v0.30.0", abort=True)
    assert (await again()).outcome is Outcome.DONE
    assert again.applied == []
    assert not sandbox.requests(mutating=True)


async def test_missing_assets_rerun_the_sync_workflow(sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    # Not on dist.ipfs.tech yet: the sync run skips the release, one rerun does not help.
    report = await Run(ASSETS, "v0.30.0-rc1", abort=True)()
    assert report.outcome is Outcome.ABORTED
    assert report.actions[-1].action == "assets-present" and "missing" in report.actions[-1].reason
    reruns = [r for r in sandbox.requests(mutating=True) if r["path"].endswith("/rerun")]
    assert len(reruns) == 1
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert rel["draft"] is True  # without its binaries, nobody sees it
    # Once listed there, the next attempt reruns the sync run again and the assets appear.
    sandbox.sandbox.world.data["dist"]["kubo"].append("v0.30.0-rc1")
    run = Run(ASSETS, "v0.30.0-rc1", abort=True)
    assert (await run()).outcome is Outcome.DONE
    assert run.applied == ["assets-present", "publish-rc"]  # the draft found is completed
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert len(rel["assets"]) == 10 and rel["draft"] is False
    _published_after_its_assets(rel)


def _published_after_its_assets(rel: dict[str, Any]) -> None:
    assert rel["assets"] and all(a["created_at"] <= rel["published_at"] for a in rel["assets"])


async def test_publishing_is_the_point_of_no_return_and_a_no_publishes_nothing(
        sandbox: SandboxHandle) -> None:
    await _prepare(sandbox, "v0.30.0-rc1", "release")
    sandbox.sandbox.world.data["dist"]["kubo"].append("v0.30.0-rc1")
    refused = Run(ASSETS, "v0.30.0-rc1", {"publish-to-github/publish-rc/confirm": False})
    report = await refused()
    assert report.outcome is Outcome.CANCELLED, report
    (asked,) = [e.prompt for e in refused.events if isinstance(e, PromptAsked)]
    assert asked.id == "publish-to-github/publish-rc/confirm"
    assert isinstance(asked, Confirm) and asked.typed_confirmation == "v0.30.0-rc1"
    assert "(10 assets attached)" in (asked.detail or "")
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert rel["draft"] is True and len(rel["assets"]) == 10

    again = Run(ASSETS, "v0.30.0-rc1")  # a rerun completes the same draft: one release
    assert (await again()).outcome is Outcome.DONE
    assert again.applied == ["publish-rc"]
    (rel,) = _releases(sandbox, "v0.30.0-rc1")
    assert rel["draft"] is False


async def test_an_older_release_s_turn_as_latest_is_over_once_a_later_one_is(
        sandbox: SandboxHandle) -> None:
    """v0.28.0, published after v0.29.0 without taking "latest" from it: for v0.28.0 the
    latest release is a later one, which is no failure and nothing to change; for
    v0.29.0 it is itself."""
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        await gh.create_release(KUBO, tag="v0.28.0", name="v0.28.0", body="older",
                                target_commitish="release", make_latest="false")
    for version, says in [("v0.28.0", "the latest release is v0.29.0, a later one"),
                          ("v0.29.0", "v0.29.0 is the latest release")]:
        run = Run(built_in("publish-to-github/release-latest"), version, abort=True)
        (action,) = (await run()).actions
        assert action.outcome is Outcome.DONE and action.reason.startswith(says), action.reason
        assert run.applied == []
