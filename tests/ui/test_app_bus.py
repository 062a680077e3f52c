"""The app's bus listener: a poll's repeated requests list their manual equivalent once."""

from __future__ import annotations

from cockpit.events import LogLine, Waiting
from screens.widgets.log_pane import LogPane
from tests.ui.helpers import frozen_app, wait_for


async def test_a_poll_lists_its_manual_equivalent_once() -> None:
    app = frozen_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.query_one(LogPane).stage is not None, what="ready")
        key, stage, action = app.engine.release_key, "prepare-branch", "set-version"
        requests = ["gh api repos/ipfs/kubo/pulls?head=x", "gh api repos/ipfs/kubo/check-runs"]
        for _ in range(5):
            app.engine.bus.publish(Waiting(release=key, stage=stage, action=action, seconds=5,
                                           reason="checks running"))
            for manual in requests:
                app.engine.bus.publish(LogLine(release=key, stage=stage, action=action,
                                               line=f"$ {manual}  → 200", manual=manual))
        app.engine.bus.publish(LogLine(release=key, stage=stage, action=action,
                                       line="$ git push", manual="git push"))
        state = app.state.action(stage, action)
        assert state is not None
        assert state.manual == [*requests, "git push"]
