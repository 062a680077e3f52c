"""The demo's second maintainer: approves the demo's review requests, unless you do first.

Kubo's tag push needs a second maintainer (``review = "required"``). In a real release that
is a person on another machine running ``cockpit review``; in the demo it is the sandbox's
second account, ``release-reviewer``, so a newcomer alone still sees the release finish.
It goes through the same code as ``cockpit review`` (``cockpit.sync.review.Reviewer``): a
session of its own, read-only, with its own workspace, recomputes the facts from the
sandbox and approves with its own token, ``delay`` seconds after a request appears. A
person who runs ``cockpit demo --attach review`` in a second terminal within that time
approves it themselves: the stand-in then sees the approval and stays quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.model import Release, Version
from cockpit.playbook import Playbook
from cockpit.prompts import AnswersPrompter
from cockpit.services.github import GitHubClient
from cockpit.settings import Settings
from cockpit.sync.review import Reviewer, ReviewRefused, read_reviews
from cockpit.sync.thread import Thread, locate

LOGIN = "release-reviewer"
POLL_SECONDS = 1.0
QUICK_SECONDS = 1.0

Say = Callable[[str], None]


class StandInReviewer:
    """A thread that approves each pending request of ``versions`` after ``delay`` s (the
    releases the demo plays first, in ``quick``, after ``QUICK_SECONDS``)."""

    def __init__(self, playbook: Playbook, versions: list[Version], token: str,
                 workspace: Path, say: Say, delay: float,
                 quick: frozenset[Version] = frozenset()) -> None:
        self.playbook = playbook
        self.versions = versions
        self.quick = quick
        self.token = token
        self.workspace = workspace
        self.say = say
        self.delay = delay
        self.approved: list[str] = []
        """``release stage/action``, for each approval the stand-in posted."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="demo-reviewer", daemon=True)
        self._first_seen: dict[tuple[str, str, str, int], float] = {}

    def __enter__(self) -> StandInReviewer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _main(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        settings = Settings(workspace_dir=self.workspace)
        gh = GitHubClient(settings.github_api_url, self.token)
        try:
            while not self._stop.is_set():
                for version in self.versions:
                    with contextlib.suppress(Exception):  # a stand-in never takes the demo down
                        await self._review(settings, gh, version)
                await asyncio.sleep(POLL_SECONDS)
        finally:
            await gh.aclose()

    async def _review(self, settings: Settings, gh: GitHubClient, version: Version) -> None:
        release = Release(playbook=self.playbook.name, version=version, driver=LOGIN,
                          host="demo")
        engine = Engine(self.playbook, Session(settings=settings, prompter=AnswersPrompter(),
                                               release=release, read_only=True))
        try:
            target = locate(engine)
            if target is None:
                return
            thread = Thread(gh, target)
            if await thread.find() is None:
                return
            reviews = await read_reviews(thread)
            for seen in reviews.requests:
                request = seen.record
                if request.release != engine.release_key or any(
                        a.author == LOGIN and a.record.round == request.round
                        for a in reviews.approvals_of(request)):
                    continue
                if any(a.record.round == request.round and a.author != seen.author
                       for a in reviews.approvals_of(request)):
                    continue  # a person approved it first
                key = (request.release, request.stage, request.action, request.round)
                first = self._first_seen.setdefault(key, time.monotonic())
                if time.monotonic() - first < (QUICK_SECONDS if version in self.quick
                                               else self.delay):
                    continue
                await self._approve(engine, thread, request.stage, request.action)
        finally:
            await engine.session.aclose()

    async def _approve(self, engine: Engine, thread: Thread, stage: str, action: str) -> None:
        async def yes(_question: str, _facts: object) -> bool:
            return True

        try:
            posted = await Reviewer(engine, thread, lambda _line: None).approve(stage, action,
                                                                                 yes)
        except ReviewRefused as exc:
            self.say(f"demo: the second maintainer ({LOGIN}) did not approve: {exc}")
            return
        if posted is not None:
            self.approved.append(f"{engine.release_key} {stage}/{action}")
            self.say(f"demo: the second maintainer ({LOGIN}) checked the facts of "
                     f"{stage}/{action} on their own session and approved: {posted.html_url}")
