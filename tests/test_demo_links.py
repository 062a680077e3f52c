"""The sandbox's stand-in pages: a browser opening a link the demo shows sees what it
stands for. (That every such link points into the sandbox is checked on the session's
release cycle: tests/e2e/test_links.py.)"""

from __future__ import annotations

from pathlib import Path

import httpx

from cockpit.sandbox.testing import running_sandbox


def test_a_browser_opening_a_sandbox_link_sees_what_it_stands_for(tmp_path: Path) -> None:
    """`o` opens these links: a browser gets a page naming the sandbox (and, for a release
    or issue, its text); an API client still gets a plain 404 for an unknown path."""
    page = {"accept": "text/html,application/xhtml+xml"}
    with running_sandbox(tmp_path) as sandbox:
        base = sandbox.base_url
        release = httpx.get(f"{base}/ipfs/kubo/releases/tag/v0.29.0", headers=page)
        channel = httpx.get(f"{base}/discord/channels/806902334369824788", headers=page)
        slack = httpx.get(f"{base}/slack/archives/C018EJ8LWH1", headers=page)
        nowhere = httpx.get(f"{base}/no/such-repo/issues/1", headers=page)
        api = httpx.get(f"{base}/discord/channels/806902334369824788")
    assert release.status_code == 200 and "cockpit sandbox" in release.text
    assert "ipfs/kubo release v0.29.0" in release.text and "Faster providing" in release.text
    assert channel.status_code == 200 and "discord" in channel.text
    assert slack.status_code == 200 and "only links to it" in slack.text
    assert nowhere.status_code == 404
    assert api.status_code == 404 and "html" not in api.headers["content-type"]
