"""The second maintainer's screen (``cockpit review --release V``) against the sandbox: the
driver's request beside the facts recomputed here, ``A`` approves, and the two-person rule
holds on screen too. An 80x24 snapshot keeps its layout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.model import Release, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter
from cockpit.sandbox.seed import REVIEWER_LOGIN
from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import GitHubClient
from cockpit.settings import Settings
from cockpit.sync.review import ReviewDesk, Reviewer
from cockpit.sync.thread import Thread, locate
from screens.review import ReviewApp

PLAYBOOK = Path(__file__).parents[1] / "multi" / "data" / "reviewed.toml"
VERSION = Version.parse("v0.30.0-rc1")
Snap = Callable[..., bool]


def _engine(driver: str, host: str, *, read_only: bool) -> Engine:
    playbook = load_playbook(PLAYBOOK)
    release = Release(playbook=playbook.name, version=VERSION, driver=driver, host=host)
    return Engine(playbook, Session(settings=Settings(), prompter=AnswersPrompter(),
                                    release=release, read_only=read_only))


async def _ask(sandbox: SandboxHandle) -> None:
    """What alice@vm's run does before the tag: the tracking issue, then the request."""
    engine = _engine("alice", "vm", read_only=False)
    target = locate(engine)
    assert target is not None
    thread = Thread(GitHubClient(sandbox.api_url, sandbox.admin_token), target)
    try:
        await thread.bootstrap(engine)
        stage = engine.stage("tag")
        spec = stage.action("tag")
        assert spec is not None
        action = engine.build(stage, spec)
        assert action is not None
        verdict = await ReviewDesk(engine, thread).verdict("tag", "tag",
                                                           await action.review_facts())
        assert not verdict.approved
    finally:
        await thread.gh.aclose()
        await engine.session.aclose()


def _screen(sandbox: SandboxHandle, token: str, home: Path,
            monkeypatch: pytest.MonkeyPatch) -> ReviewApp:
    """The reviewer's machine (once the driver asked): its own token and workspace, a
    read-only session."""
    monkeypatch.setenv("COCKPIT_GITHUB_TOKEN", token)
    monkeypatch.setenv("COCKPIT_WORKSPACE_DIR", str(home / "reviewer-work"))
    engine = _engine("carol", "laptop", read_only=True)
    target = locate(engine)
    assert target is not None
    thread = Thread(GitHubClient(sandbox.api_url, token), target)
    return ReviewApp(Reviewer(engine, thread, lambda _line: None), interval=60)


async def _loaded(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, ReviewApp)
    for _ in range(300):
        if app.loaded:
            break
        await pilot.pause(0.05)
    await pilot.pause(0.1)


async def test_a_approves_what_the_screen_shows(sandbox: SandboxHandle, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    await _ask(sandbox)
    app = _screen(sandbox, sandbox.reviewer_token, tmp_path, monkeypatch)
    async with app.run_test(size=(120, 30)) as pilot:
        await _loaded(pilot)
        master = sandbox.state()["repos"]["ipfs/kubo"]["branches"]["master"]
        seen, rows = app.pending[0]
        assert {r.name: r.here for r in rows}["commit"] == master and all(r.same for r in rows)
        await pilot.press("A")
        for _ in range(300):
            if app.approved:
                break
            await pilot.pause(0.05)
        assert app.approved is not None
    approvals = [c for c in sandbox.state()["repos"]["ipfs/kubo"]["comments"]
                 if "<!-- cockpit:approval " in c["body"]]
    assert [c["user"] for c in approvals] == [REVIEWER_LOGIN]
    assert seen.record.digest[:12] in approvals[0]["body"]


async def test_the_drivers_own_account_is_refused_on_screen(
        sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    await _ask(sandbox)
    app = _screen(sandbox, sandbox.admin_token, tmp_path, monkeypatch)
    async with app.run_test(size=(120, 30)) as pilot:
        await _loaded(pilot)
        await pilot.press("A")
        await pilot.pause(1.0)
        for _ in range(100):
            if "not approved" in str(app.query_one("#status").render()):
                break
            await pilot.pause(0.05)
        assert "the account that asked" in str(app.query_one("#status").render())
    assert not [c for c in sandbox.state()["repos"]["ipfs/kubo"]["comments"]
                if "<!-- cockpit:approval " in c["body"]]


def test_review_screen_80x24(snap_compare: Snap, sandbox: SandboxHandle, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_ask(sandbox))
    app = _screen(sandbox, sandbox.reviewer_token, tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_loaded)
