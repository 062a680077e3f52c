"""discourse.*, matrix.*, reddit.post, web.page-contains against the sandbox, on the
built-in playbook's own actions (preflight's checks, the promote stage's announcements)."""

from __future__ import annotations

from typing import Any

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
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
    [post] = _posts(sandbox, TITLE)
    assert post["url"].endswith("/ipfs/kubo/releases/tag/v0.30.0")
    assert first.applied == ["discourse-topic", "discourse-pin", "reddit"]

    # The next release's topic unpins this one (a patch release: no Reddit post).
    nxt = "Kubo v0.30.1 is out!"
    second = Run(PROMOTE, "v0.30.1")
    assert (await second()).outcome is Outcome.DONE
    assert second.applied == ["discourse-topic", "discourse-pin", "discourse-unpin-previous"]
    assert not _topics(sandbox, TITLE)[0]["pinned"]
    assert _topics(sandbox, nxt)[0]["pinned"]

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
