"""discourse.*, matrix.*, reddit.post, web.page-contains against the sandbox, on the
built-in playbook's own actions (preflight's checks, the promote stage's announcements)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from cockpit.model import Outcome
from cockpit.sandbox.seed import CHATTER_ALIAS, CHATTER_ROOM, KUBO
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from tests.kinds.harness import Run, built_in, outcomes

TITLE = "Kubo v0.30.0 is out!"
PROMOTE = built_in("preflight/discourse-category", "preflight/matrix-room",
                   "promote/discourse-topic", "promote/discourse-pin",
                   "promote/discourse-unpin-previous", "promote/matrix-mirrored",
                   "promote/reddit")


def _topics(sb: SandboxHandle, title: str) -> list[dict[str, Any]]:
    return [t for t in sb.state()["discourse"]["topics"] if t["title"] == title]


def _posts(sb: SandboxHandle, title: str) -> list[dict[str, Any]]:
    return [p for p in sb.state()["reddit"]["posts"] if p["title"] == title]


async def test_promote_once_then_rerun_changes_nothing(sandbox: SandboxHandle) -> None:
    first = Run(PROMOTE, "v0.30.0")
    report = await first()
    assert report.outcome is Outcome.DONE, report
    topics = _topics(sandbox, TITLE)
    assert len(topics) == 1 and topics[0]["pinned"] and topics[0]["tags"] == ["kubo", "go-ipfs"]
    # Pinned globally, as Kubo's template says, with no end date: the next one unpins it.
    assert topics[0]["pinned_globally"] and topics[0]["pinned_until"] is None
    [post] = _posts(sandbox, TITLE)
    assert post["url"].endswith("/ipfs/kubo/releases/tag/v0.30.0")
    assert first.applied == ["discourse-topic", "discourse-pin", "reddit"]

    # The next release's topic unpins this one (a patch release: no Reddit post).
    nxt = "Kubo v0.30.1 is out!"
    second = Run(PROMOTE, "v0.30.1")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == ["discourse-topic", "discourse-pin", "discourse-unpin-previous"]
    assert not _topics(sandbox, TITLE)[0]["pinned"]
    assert not _topics(sandbox, TITLE)[0]["pinned_globally"]
    assert _topics(sandbox, nxt)[0]["pinned_globally"]

    sandbox.clear_requests()
    third = Run(PROMOTE, "v0.30.1")
    assert (await third()).outcome is Outcome.DONE
    assert third.applied == []
    assert not sandbox.requests(mutating=True)
    logs = first.log_text() + second.log_text() + third.log_text()
    for secret in ("sandbox-discourse-key", "sandbox-reddit-token", "sandbox-matrix-token",
                   sandbox.admin_token):
        assert secret not in logs
    assert "$ curl" in logs

    # v0.30.0 looked at again once v0.30.1 is released: its pin was taken over, not undone,
    # and the later announcement is not a "previous" one to unpin.
    async with GitHubClient(sandbox.api_url, sandbox.admin_token) as gh:
        await gh.create_release(KUBO, tag="v0.30.1", name="v0.30.1", body="later",
                                target_commitish="release")
    sandbox.clear_requests()
    older = Run(built_in("promote/discourse-pin", "promote/discourse-unpin-previous"),
                "v0.30.0", abort=True)
    report = await older()
    assert report.outcome is Outcome.DONE and older.applied == [], report
    assert report.actions[0].reason.endswith("any more: v0.30.1 was released after")
    assert report.actions[1].reason == "no earlier announcement is pinned"
    assert _topics(sandbox, nxt)[0]["pinned_globally"]
    assert not sandbox.requests(mutating=True)


async def test_faults_still_make_exactly_one_topic_and_one_post(
        sandbox: SandboxHandle) -> None:
    sandbox.set_faults("5xx:0.3,seed=3")
    writes = built_in("promote/discourse-topic", "promote/reddit")
    answers = {f"promote/{a}/failed": "retry" for a in ("discourse-topic", "reddit")}
    for _ in range(2):
        report = await Run(writes, "v0.30.0", answers)()
        assert report.outcome is Outcome.DONE, report
    sandbox.set_faults("")
    assert len(_topics(sandbox, TITLE)) == 1
    assert len(_posts(sandbox, TITLE)) == 1


async def test_page_contains(sandbox: SandboxHandle) -> None:
    """dist.ipfs.tech's build manifest names a published version, not an unpublished one."""
    manifest = built_in("publish-to-distributions/dist-json")
    run = Run(manifest, "v0.29.0")
    assert outcomes(await run()) == {"dist-json": Outcome.DONE}
    report = await Run(manifest, "v9.9.9", abort=True)()
    assert report.outcome is Outcome.ABORTED
    assert "v9.9.9" in report.actions[0].reason


def _check(category: str, pin: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [("can-post", "discourse.category-writable",
             {"url": "{discourse_url}", "category": category, "pin": pin})]


async def test_the_category_check_covers_pinning(sandbox: SandboxHandle,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Preflight's check says what the key's user may do: post in News and pin globally
    (staff), post in Help but not pin globally (a regular user), nothing in News."""
    staff = await Run(built_in("preflight/discourse-category"))()
    assert staff.outcome is Outcome.DONE, staff
    assert staff.actions[0].reason == ("the key can post in News (#13) and pin globally "
                                       "(system is admin)")
    monkeypatch.setenv("COCKPIT_DISCOURSE_USERNAME", "newcomer")
    news = await Run(built_in("preflight/discourse-category"), abort=True)()
    assert news.outcome is Outcome.ABORTED
    assert news.actions[0].reason.startswith("aborted by the driver: the key's user newcomer "
                                             "cannot create topics in News")
    help_ = await Run(_check("Help", "globally"), abort=True)()
    assert help_.actions[0].reason.startswith(
        "aborted by the driver: the key can post in Help (#14), but newcomer is neither "
        "admin nor moderator, and only staff may pin globally")
    assert (await Run(_check("Help", "none"))()).outcome is Outcome.DONE


async def test_the_sandbox_refuses_a_pin_by_a_regular_user(
        sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the check foresees is what happens: the pin itself is refused (403)."""
    assert (await Run(built_in("promote/discourse-topic"))()).outcome is Outcome.DONE
    monkeypatch.setenv("COCKPIT_DISCOURSE_USERNAME", "newcomer")
    pin = await Run(built_in("promote/discourse-pin"), abort=True)()
    assert pin.outcome is Outcome.ABORTED and "403" in pin.actions[0].reason
    assert not _topics(sandbox, TITLE)[0]["pinned"]


async def test_unknown_is_said_and_never_passes(sandbox: SandboxHandle,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A site that does not list its categories: the check cannot know, says so, fails."""
    monkeypatch.setenv("COCKPIT_DISCOURSE_URL", sandbox.base_url + "/no-forum-here")
    report = await Run(built_in("preflight/discourse-category"), abort=True)()
    assert report.outcome is Outcome.ABORTED
    reason = report.actions[0].reason
    assert reason.startswith("aborted by the driver: unknown: ") and "check by hand" in reason, reason
    assert "Pin Topic" in reason


async def test_room_joined_says_whether_the_account_is_in_the_room(
        sandbox: SandboxHandle) -> None:
    """Read from the account's ``joined_rooms`` (one request, no fallback probe): joined
    as seeded, not joined once it left (its history still reads, so reading is no proof),
    joined again after ``/join``."""
    check = built_in("preflight/matrix-room")
    sandbox.clear_requests()
    assert outcomes(await Run(check)()) == {"matrix-room": Outcome.DONE}
    asked = [(r["path"].rsplit("/", 1)[-1], r["status"])
             for r in sandbox.requests(service="matrix")]
    assert ("joined_rooms", 200) in asked and not any(p == "messages" for p, _ in asked)

    m = sandbox.env["COCKPIT_MATRIX_URL"] + "/_matrix/client/v3"
    auth = {"Authorization": f"Bearer {sandbox.env['COCKPIT_MATRIX_TOKEN']}"}
    room = quote(CHATTER_ROOM, safe="")
    httpx.post(f"{m}/rooms/{room}/leave", headers=auth, json={}).raise_for_status()
    left = await Run(check, abort=True)()
    assert left.outcome is Outcome.ABORTED
    assert left.actions[0].reason.endswith(f"has not joined {CHATTER_ALIAS}"), left
    httpx.post(f"{m}/join/{quote(CHATTER_ALIAS, safe='')}", headers=auth,
               json={}).raise_for_status()
    assert outcomes(await Run(check)()) == {"matrix-room": Outcome.DONE}
