"""The TUI runs stages side by side, each in its own worker: two independent stages meet
(``test.meet`` finishes only if both run at once), a stage pressed while its need runs
waits for it ("waiting for …", neither started nor failed) and then runs."""

from __future__ import annotations

from pathlib import Path

from cockpit.events import StageFinished, StageStarted
from cockpit.local_journal import Journal
from cockpit.model import Outcome
from cockpit.playbook import parse_playbook
from cockpit.settings import Settings
from screens.launch import build_app
from screens.state import State
from screens.widgets.checklist import Checklist
from tests import side_by_side
from tests.side_by_side import Meetings
from tests.ui.helpers import fixed_release, screen_text, wait_for


async def test_two_stages_run_side_by_side_each_in_its_worker(cockpit_home: Path) -> None:
    Meetings.arrived.clear()
    playbook = parse_playbook(side_by_side.PLAYBOOK, "side.toml")
    settings = Settings(sync=False, poll_initial_seconds=0.02, poll_max_seconds=0.05,
                        poll_timeout_seconds=20)
    app = build_app(playbook, fixed_release(playbook), "drive", settings=settings,
                    auto_check=False)
    async with app.run_test(size=(100, 30)) as pilot:
        checklist = app.query_one(Checklist)
        checklist.select_stage("docs")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.state.stages["docs"].status is State.WAITING,
                       what="docs waiting for its partner")
        checklist.select_stage("publish")
        await pilot.press("r")  # needs docs (running) and binaries (not yet asked for)
        await wait_for(pilot, lambda: app.state.stages["publish"].view.reason
                       == "waiting for docs", what="publish queued")
        assert app.state.stages["publish"].status is State.BLOCKED
        assert "4. Publish  blocked · waiting for docs" in screen_text(app)
        assert {s: w.name for s, w in app.running.items()} == {  # a worker each
            "docs": "stage:docs", "publish": "stage:publish"}
        checklist.select_stage("binaries")
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.running, what="every stage ends")
        assert {s: app.reports[s].outcome for s in ("docs", "binaries", "publish")} == {
            "docs": Outcome.DONE, "binaries": Outcome.DONE, "publish": Outcome.DONE}

    journal = Journal(settings.state_dir, app.engine.release_key)
    started = {e.stage: e.at for e in journal.events() if isinstance(e, StageStarted)}
    ended = {e.stage: e.at for e in journal.events() if isinstance(e, StageFinished)}
    assert started["binaries"] < ended["docs"]  # docs was still running: they overlapped
    assert started["publish"] >= max(ended["docs"], ended["binaries"])  # it waited for both
