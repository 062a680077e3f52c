"""Prints engine events as a readable stage log (``cockpit run``, ``cockpit demo --headless``)."""

from __future__ import annotations

from typing import TextIO

from cockpit.events import (
    ActionChecked,
    ActionFinished,
    Event,
    LogLine,
    PromptAnswered,
    PromptAsked,
    StageFinished,
    StageStarted,
    Waiting,
)
from cockpit.states import outcome_words


class TerminalPrinter:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._review: str | None = None
        """The last wait for review said: each poll of a long wait is not a new line."""

    def print_event(self, event: Event) -> None:
        if isinstance(event, Waiting) and event.review:
            if event.reason == self._review:
                return
            self._review = event.reason
        elif not isinstance(event, LogLine):
            self._review = None
        line = self.render(event)
        if line is not None:
            print(line, file=self.out, flush=True)

    @staticmethod
    def render(event: Event) -> str | None:
        match event:
            case StageStarted():
                return f"\n== stage {event.stage} (driver {event.driver}@{event.host})"
            case ActionChecked():
                return f"   {event.action}: check → {event.result.status.value}: {event.result.reason}"
            case LogLine():
                return f"      {event.line}"
            case Waiting(review=True):
                return (f"   {event.action}: ◎ waiting for review: {event.reason} (looking "
                        f"every {event.seconds:.0f}s)")
            case Waiting():
                return f"   {event.action}: waiting {event.seconds:.1f}s: {event.reason}"
            case PromptAsked():
                return f"   ? {event.prompt.id}: {event.prompt.title}"
            case PromptAnswered():
                return f"   ! {event.prompt_id} → {event.answer.value}"
            case ActionFinished():
                link = f" <{event.link}>" if event.link else ""
                return f"   {event.action}: {outcome_words(event.outcome)}: {event.reason}{link}"
            case StageFinished():
                return f"== {event.stage}: {outcome_words(event.outcome)}: {event.reason}"
        return None
