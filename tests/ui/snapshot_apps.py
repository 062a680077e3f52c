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
from screens.state import State
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


def gallery() -> tuple[CockpitApp, ManualClock]:
    """Kubo's own playbook for an RC with every state on one screen: done (with driver
    and duration from the journal), to do, skipped, blocked (within a stage and by an
    earlier stage), held, waiting, failed, cancelled, needs you, running, checking and,
    for the final-only stages, not applicable."""
    from cockpit.playbook import load_playbook
    from cockpit.settings import Settings
    from screens.launch import build_app
    from tests.ui.helpers import fixed_release

    clock = ManualClock()
    playbook = load_playbook(None)
    settings = Settings(git_base_url="https://github.com",
                        github_api_url="https://api.github.com")
    app = build_app(playbook, fixed_release(playbook), "drive", settings=settings,
                    clock=clock, journal=False, auto_check=False)
    app.state.wall = lambda: at(clock)
    state = app.state

    def ev(cls: type, **kw: object) -> Event:
        return cls(release="kubo-v0.30.0-rc1", at=at(clock), **kw)  # type: ignore[no-any-return]

    state.apply(ev(StageStarted, stage="preflight", driver="alice", host="vm"))
    for action in state.stages["preflight"].actions.values():
        if action.facts.applicable:
            state.apply(ev(ActionFinished, stage="preflight", action=action.id,
                           outcome=Outcome.DONE, reason="checked"))
    clock.now += 42
    state.apply(ev(StageFinished, stage="preflight", outcome=Outcome.DONE,
                   reason="every action is done"))
    prepare = [a for a in state.stages["prepare-branch"].actions.values()
               if a.facts.applicable]
    state.apply(ev(ActionFinished, stage="prepare-branch", action=prepare[0].id,
                   outcome=Outcome.DONE, reason="branch release-v0.30.0 exists"))
    state.apply(ev(ActionFinished, stage="prepare-branch", action=prepare[1].id,
                   outcome=Outcome.SKIPPED, reason="skipped: set by hand"))
    state.apply(ev(ActionChecked, stage="prepare-branch", action=prepare[2].id,
                   result=CheckResult.incomplete("no pull request yet")))
    state.apply(ev(ActionChecked, stage="prepare-branch", action=prepare[3].id,
                   result=CheckResult.failed("no pull request to read")))
    stages = state.stages
    stages["tag"].facts.live = State.REVIEW
    stages["tag"].facts.reason = ("tag-rc: a second maintainer approves with `cockpit review "
                                  "--release v0.30.0-rc1 --approve tag/tag-rc`")
    stages["update-ipfs-desktop"].facts.held_by = "bob@laptop until 14:05:00 UTC"
    stages["publish-to-dockerhub"].facts.live = State.WAITING
    stages["publish-to-distributions"].facts.outcome = State.FAILED
    stages["publish-to-distributions"].facts.reason = "dist-pr: merge refused (HTTP 405)"
    stages["publish-to-npm"].facts.outcome = State.CANCELLED
    stages["publish-to-npm"].facts.reason = "cancelled by bob@laptop: rerun to resume"
    stages["publish-to-github"].facts.live = State.NEEDS_YOU
    stages["staging"].facts.live = State.RUNNING
    stages["promote"].facts.live = State.CHECKING
    state.rederive()
    return app, clock
