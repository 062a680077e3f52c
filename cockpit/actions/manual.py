"""The ``manual`` kind: a step a human does by hand, with exact text to paste.

Some steps have no API (a tweet request, a forum without API access). The
cockpit still owns them: it shows the instructions and the text to copy, asks
the human to press Done, and remembers the answer in the journal so that a
rerun, on any machine, knows the step was done.
"""

from __future__ import annotations

from cockpit.actions.base import Params, Step, register
from cockpit.errors import StageStopped
from cockpit.model import CheckResult
from cockpit.prompts import Manual


class ManualParams(Params):
    instructions: str
    """Markdown: what to do, where."""
    copy_text: str = ""
    """Text to paste verbatim (a post, a message)."""
    link: str = ""
    """Where to do it."""


class NotDoneYet(StageStopped):
    """The human said "not yet": the stage stops and waits for them."""


@register
class ManualStep(Step[ManualParams]):
    kind = "manual"
    summary = "A step done by hand: instructions and text to paste, confirmed by the human"

    def explain(self) -> str:
        p = self.params
        parts = ["**Done by hand.** The cockpit shows these instructions and waits for you.",
                 "", p.instructions]
        if p.copy_text:
            parts += ["", "Text to paste:", "", "```text", p.copy_text, "```"]
        if p.link:
            parts += ["", f"Where: <{p.link}>"]
        return "\n".join(parts)

    async def check(self) -> CheckResult:
        key = (self.ctx.stage_id, self.ctx.action_id)
        if key in self.ctx.session.manual_confirmations:
            return CheckResult.done("confirmed done by hand", self.params.link or None)
        return CheckResult.incomplete("waiting for a human to do this by hand",
                                      self.params.link or None)

    async def apply(self) -> None:
        p = self.params
        answer = await self.ctx.ask(Manual(
            id=f"{self.ctx.prompt_prefix}/manual",
            title=f"By hand: {self.ctx.title}" if self.ctx.title else "By hand",
            message="Do this by hand, then press Done.",
            instructions=p.instructions,
            copy_text=p.copy_text,
            link=p.link or None,
        ))
        if answer.value is not True:
            raise NotDoneYet(f"{self.ctx.prompt_prefix}: not done yet")
        self.ctx.session.manual_confirmations.add((self.ctx.stage_id, self.ctx.action_id))
