"""The demo stays in its sandbox: every link the cockpit shows, opens or writes during a
release (log lines, the tracking issue, release notes, announcements, the journal)
points at the sandbox on 127.0.0.1, never at github.com, discord.com, slack.com, ..."""

from __future__ import annotations

import io
import json
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import httpx

from cockpit.cli import main
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from tests.e2e.driver import STAGES, ReleaseDriver, finished
from tests.reliability.release_runner import release_world

URL = re.compile(r"https?://[^\s<>\"'`)\]\\|]+")


def urls(text: str) -> set[str]:
    return set(URL.findall(text))


def elsewhere(found: set[str], sandbox: SandboxHandle) -> list[str]:
    """The links in ``found`` that do not point at the sandbox."""
    return sorted(u for u in found if not u.startswith(sandbox.base_url + "/")
                  and u != sandbox.base_url)


def said(*args: str) -> str:
    """What ``cockpit ARGS`` prints (run in this process, in the demo's environment)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        main(list(args))
    return out.getvalue() + err.getvalue()


def test_every_link_of_a_demo_release_points_into_its_sandbox(tmp_path: Path) -> None:
    with release_world(tmp_path / "demo") as world:
        sandbox = world.handle
        seeded = urls(json.dumps(sandbox.state()))
        driver = ReleaseDriver(dict(os.environ), world.answers)
        runs = driver.run_release("v0.30.0-rc1")
        assert finished(runs), runs[-1].stdout[-3000:] + runs[-1].stderr[-3000:]
        world_text = json.dumps(sandbox.state())
        journal = "".join(p.read_text() for p in
                          Path(os.environ["COCKPIT_STATE_DIR"]).rglob("*.jsonl"))
        printed = "".join(run.stdout + run.stderr for run in runs)
        shown = said("status", "--release", "v0.30.0-rc1")
        for stage in STAGES:  # every explanation, "Where:" included, of an RC and a final
            shown += said("explain", stage, "--release", "v0.30.0-rc1")
            shown += said("explain", stage, "--release", "v0.30.0")
    assert "Where: <" in shown
    assert elsewhere(urls(shown), sandbox) == []
    made = urls(world_text) - seeded
    assert elsewhere(made, sandbox) == []
    assert elsewhere(urls(journal), sandbox) == []
    assert elsewhere(urls(printed), sandbox) == []
    # It can fail: the demo wrote links (the release, the tracking issue, the forum post).
    assert any("/ipfs/kubo/releases/tag/v0.30.0-rc1" in u for u in made)
    assert any(u.startswith(sandbox.base_url + "/discourse/") for u in made | urls(printed))


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
