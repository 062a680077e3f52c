"""Kinds and a playbook for stages that run side by side (``needs``), shared by the
headless tests (tests/test_playbook_needs.py) and the TUI's (tests/ui/test_side_by_side.py).

``test.meet`` is a rendezvous: its check is "in progress" until its partner's check has
run too. Two stages each holding one can only both finish if they really run at the same
time; run one after the other, the first waits out its deadline and fails. So a passing
run proves the overlap by construction, and the journal's timestamps show it.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from cockpit.actions.base import Params, Verify, Wait, register
from cockpit.model import CheckResult


class MeetParams(Params):
    name: str
    """Who arrives."""
    partner: str
    """Whom it waits for."""


class Meetings:
    """Who has arrived (a stand-in for the outside world both stages look at)."""

    arrived: ClassVar[set[str]] = set()


@register
class Meet(Wait[MeetParams]):
    """In progress until the partner has arrived too."""

    kind = "test.meet"
    summary = "Waits for its partner, in another stage"

    def explain(self) -> str:
        return f"{self.params.name} waits for {self.params.partner}"

    async def check(self) -> CheckResult:
        Meetings.arrived.add(self.params.name)
        if self.params.partner in Meetings.arrived:
            return CheckResult.done(f"met {self.params.partner}")
        return CheckResult.in_progress(f"waiting for {self.params.partner}")


class ToldParams(Params):
    done: bool = True
    """What the check says: done, or failed."""


@register
class Told(Verify[ToldParams]):
    """A check that says what it is told (no world at all)."""

    kind = "test.told"
    summary = "Says done or failed, as told"

    def explain(self) -> str:
        return "says what it is told"

    async def check(self) -> CheckResult:
        if self.params.done:
            return CheckResult.done("as told")
        return CheckResult.failed("told to fail")


class AloneParams(Params):
    clone: str
    """The clone the action works in (held for the action, as ``ActionContext.git`` does)."""


class Inside:
    """Who is working in a clone right now."""

    now: ClassVar[set[str]] = set()


@register
class Alone(Verify[AloneParams]):
    """Works in a clone for a while (yielding to the loop as git commands do); fails if
    another action is working at the same time."""

    kind = "test.alone"
    summary = "Works in a clone, and says whether it was alone there"

    def explain(self) -> str:
        return f"works in {self.params.clone}"

    async def check(self) -> CheckResult:
        await self.ctx.session.hold(f"clone:{self.params.clone}")
        me = f"{self.ctx.stage_id}/{self.ctx.action_id}"
        others = set(Inside.now)
        Inside.now.add(me)
        for _ in range(20):  # hand the loop over, as every awaited git command does
            await asyncio.sleep(0)
            others |= Inside.now - {me}
        Inside.now.discard(me)
        if others:
            return CheckResult.failed(f"{', '.join(sorted(others))} worked there too")
        return CheckResult.done("alone")


TWO_IN_ONE_CLONE = '''
name = "clones"
title = "Two stages, one clone"
[[stages]]
id = "one"
title = "One"
summary = "s"
needs = []
[[stages.actions]]
id = "work"
kind = "test.alone"
title = "Work"
params = { clone = "acme/widgets" }
[[stages]]
id = "two"
title = "Two"
summary = "s"
needs = []
[[stages.actions]]
id = "work"
kind = "test.alone"
title = "Work"
params = { clone = "acme/widgets" }
'''
"""Two independent stages whose actions work in the same clone."""


PLAYBOOK = '''
name = "side"
title = "Side by side"

[[stages]]
id = "prepare"
title = "Prepare"
summary = "First"
[[stages.actions]]
id = "ok"
kind = "test.told"
title = "Ready"

[[stages]]
id = "docs"
title = "Docs"
summary = "Needs prepare only"
needs = ["prepare"]
[[stages.actions]]
id = "meet"
kind = "test.meet"
title = "Meet binaries"
params = { name = "docs", partner = "binaries" }

[[stages]]
id = "binaries"
title = "Binaries"
summary = "Needs prepare only"
needs = ["prepare"]
[[stages.actions]]
id = "meet"
kind = "test.meet"
title = "Meet docs"
params = { name = "binaries", partner = "docs" }

[[stages]]
id = "publish"
title = "Publish"
summary = "Needs both"
needs = ["docs", "binaries"]
[[stages.actions]]
id = "ok"
kind = "test.told"
title = "Published"
'''
"""prepare → (docs ∥ binaries) → publish."""
