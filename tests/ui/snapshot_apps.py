"""Tiny, deterministic apps for the SVG snapshots: fixed release, driver and host,
github.com URLs (nothing is contacted), and a clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.events import (
    ActionApplying,
    ActionChecked,
    ActionFinished,
    Event,
    LogLine,
    PromptAsked,
    StageFinished,
    StageStarted,
    Waiting,
)
from cockpit.model import CheckResult, Outcome
from cockpit.prompts import Choose, Confirm, Manual, PromptAnswer, TextInput
from screens.app import CockpitApp, Mode
from screens.modals import ChooseModal, ConfirmModal, ErrorModal, ManualModal, TextModal
from tests.ui.helpers import frozen_app

KEY = "kubo-small-v0.30.0-rc1"


class ManualClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


BASE = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
"""The time of day when the manual clock reads 1000: events and the journal are placed
on it, so "done by … at 14:01 UTC" is the same in every run."""


def at(clock: ManualClock) -> datetime:
    return BASE + timedelta(seconds=clock.now - 1000.0)


def make(mode: Mode = "drive") -> tuple[CockpitApp, ManualClock]:
    clock = ManualClock()
    app = frozen_app(mode)
    app.clock = clock
    app.state.clock = clock
    app.state.wall = lambda: at(clock)
    return app, clock


def feed(app: CockpitApp, events: list[Event]) -> None:
    for event in events:
        if isinstance(event, LogLine):
            app._bus_listener(event)
        else:
            app.apply_event(event)


def history(app: CockpitApp, clock: ManualClock) -> None:
    """prepare-branch done in 1:15, tag waiting on a commit status, announce untouched."""
    def ev(cls: type, **kw: object) -> Event:
        return cls(release=KEY, at=at(clock), **kw)  # type: ignore[no-any-return]

    feed(app, [ev(StageStarted, stage="prepare-branch", driver="tester", host="cockpit-host")])
    feed(app, [
        ev(ActionChecked, stage="prepare-branch", action="create-branch",
           result=CheckResult.incomplete("branch release-v0.30.0 does not exist yet")),
        ev(ActionApplying, stage="prepare-branch", action="create-branch"),
        ev(LogLine, stage="prepare-branch", action="create-branch",
           line="$ git push origin refs/remotes/origin/master:refs/heads/release-v0.30.0",
           manual="git push origin refs/remotes/origin/master:refs/heads/release-v0.30.0"),
        ev(ActionFinished, stage="prepare-branch", action="create-branch", outcome=Outcome.DONE,
           reason="branch release-v0.30.0 exists at 87d496d45ea0"),
        ev(LogLine, stage="prepare-branch", action="set-version",
           line="$ git commit -m 'chore: set version to 0.30.0-rc1' -- version.go",
           manual="git commit -m 'chore: set version to 0.30.0-rc1' -- version.go"),
        ev(ActionFinished, stage="prepare-branch", action="set-version", outcome=Outcome.DONE,
           reason="version.go on release-v0.30.0 already reads the version"),
    ])
    clock.now += 75
    feed(app, [ev(StageFinished, stage="prepare-branch", outcome=Outcome.DONE,
                  reason="every action is done")])
    feed(app, [ev(StageStarted, stage="tag", driver="tester", host="cockpit-host")])
    clock.now += 12
    feed(app, [
        ev(ActionChecked, stage="tag", action="push-tag",
           result=CheckResult.in_progress("CI is still running on release-v0.30.0")),
        ev(Waiting, stage="tag", action="push-tag", seconds=8.0,
           reason="CI is still running on release-v0.30.0"),
    ])


CONFIRM = Confirm(id="tag/push-tag/confirm", title="Confirm: Push the annotated tag",
                  message="This is hard to reverse. Check it, then type the confirmation.",
                  detail="Tag v0.30.0-rc1 in ipfs/kubo\non commit "
                         "3aa4eed47e4a262881f13e2849cfe2235c0e3350 (release-v0.30.0)\n"
                         "  chore: set version to 0.30.0-rc1",
                  typed_confirmation="v0.30.0-rc1")
CHOOSE = Choose(id="tag/push-tag/failed", title="Failed: Push the annotated tag",
                message="branch release-v0.30.0 to tag does not exist in ipfs/kubo",
                choices=["retry", "skip", "abort"])
TEXT = TextInput(id="announce/post-forum/url", title="Forum post URL",
                 message="Paste the URL of the announcement you posted.",
                 default="https://discuss.ipfs.tech/t/")
MANUAL = Manual(id="announce/post-forum/manual", title="Post on the forum",
                message="Do this by hand, then press Done.",
                instructions="Post the release announcement in the **News** category.",
                copy_text="Kubo v0.30.0-rc1 is out! Please test it and report issues.",
                link="https://discuss.ipfs.tech")


def _ignore(_: PromptAnswer) -> None:
    return None


def modal(kind: str) -> ConfirmModal | ChooseModal | TextModal | ManualModal:
    if kind == "confirm":
        return ConfirmModal(CONFIRM, _ignore)
    if kind == "choose":
        return ChooseModal(CHOOSE, _ignore)
    if kind == "text":
        return TextModal(TEXT, _ignore)
    return ManualModal(MANUAL, _ignore, None)


def error_modal() -> ErrorModal:
    return ErrorModal(
        "stage:tag",
        "GitError: git push origin refs/tags/v0.30.0-rc1 failed: remote rejected "
        "(HTTP 503 from 127.0.0.1)",
        "Fix the cause, then select tag and press r (or run `cockpit run tag --version …`). "
        "Every action checks the world first, so finished steps are not redone.")


__all__ = ["PromptAsked", "feed", "history", "make", "modal"]
