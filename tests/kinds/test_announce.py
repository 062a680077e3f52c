"""discourse.*, matrix.*, reddit.post, web.page-contains against the sandbox."""

from __future__ import annotations

from typing import Any

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import Run, outcomes

TITLE = "Kubo v0.30.0 is out!"
DISCOURSE = "https://discuss.ipfs.tech"
RELEASE_URL = "https://github.com/ipfs/kubo/releases/tag/v0.30.0"


def promote(title: str = TITLE) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("writable", "discourse.category-writable", {"url": DISCOURSE, "category": "News",
                                                     "tags": ["kubo", "go-ipfs"]}),
        ("joined", "matrix.room-joined", {"room": "#ipfs-chatter:ipfs.io"}),
        ("topic", "discourse.topic", {"url": DISCOURSE, "category": "News", "title": title,
                                      "tags": ["kubo", "go-ipfs"],
                                      "body": f"# {title}\n\nSee: {RELEASE_URL}\n"}),
        ("pin", "discourse.pin", {"url": DISCOURSE, "title": title, "globally": False,
                                  "until_days": 14}),
        ("unpin", "discourse.unpin", {"url": DISCOURSE, "category": "News",
                                      "title_prefix": "Kubo v", "keep_title": title}),
        ("seen", "matrix.message-seen", {"room": "#ipfs-chatter:ipfs.io", "contains": title,
                                         "within_hours": 24}),
        ("reddit", "reddit.post", {"subreddit": "ipfs", "title": title, "url": RELEASE_URL,
                                   "flair": "Release"}),
    ]


def _topics(sb: SandboxHandle, title: str) -> list[dict[str, Any]]:
    return [t for t in sb.state()["discourse"]["topics"] if t["title"] == title]


def _posts(sb: SandboxHandle, url: str) -> list[dict[str, Any]]:
    return [p for p in sb.state()["reddit"]["posts"] if p["url"] == url]


async def test_promote_once_then_rerun_changes_nothing(sandbox: SandboxHandle) -> None:
    first = Run(promote(), "v0.30.0")
    report = await first()
    assert report.outcome is Outcome.DONE, report
    topics = _topics(sandbox, TITLE)
    assert len(topics) == 1 and topics[0]["pinned"] and topics[0]["tags"] == ["kubo", "go-ipfs"]
    assert len(_posts(sandbox, RELEASE_URL)) == 1
    assert first.applied == ["topic", "pin", "reddit"]

    # The next release's topic unpins this one.
    nxt = "Kubo v0.30.1 is out!"
    second = Run(promote(nxt), "v0.30.1")
    assert (await second()).outcome is Outcome.DONE
    assert not _topics(sandbox, TITLE)[0]["pinned"]
    assert _topics(sandbox, nxt)[0]["pinned"]

    sandbox.clear_requests()
    third = Run(promote(nxt), "v0.30.1")
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
    actions = [a for a in promote() if a[0] in ("topic", "reddit")]
    answers = {f"s/{a}/failed": "retry" for a in ("topic", "reddit")}
    for _ in range(2):
        run = Run(actions, "v0.30.0", answers)
        report = await run()
        assert report.outcome is Outcome.DONE, report
    sandbox.set_faults("")
    assert len(_topics(sandbox, TITLE)) == 1
    assert len(_posts(sandbox, RELEASE_URL)) == 1


async def test_page_contains(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/dist/kubo/versions"
    run = Run([("page", "web.page-contains", {"url": url, "text": "v0.29.0"})], "v0.30.0")
    assert outcomes(await run()) == {"page": Outcome.DONE}
    missing = Run([("page", "web.page-contains", {"url": url, "text": "v9.9.9"})], "v0.30.0",
                  abort=True)
    report = await missing()
    assert report.outcome is Outcome.ABORTED
    assert "v9.9.9" in report.actions[0].reason
