"""``ModalPrompter``: the engine's Prompter, answered by modal dialogs, one at a time.

The engine runs in async workers on the app's loop and awaits ``ask``; ``ask`` waits
for its turn, pushes the modal for the prompt's kind and awaits a future the modal
resolves. The turn passes on when the dialog has left the screen, not when it is
answered: a manual step's dialog stays until the check after Done has run, and the
engine's next question (retry / skip / abort, say) must not open on top of it. Two
stages asking at once get their dialogs in the order they asked, and a prompt waits for
any other dialog (an error, the help) to be closed first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from cockpit.events import ActionChecked, ActionFinished, Event, StageFinished
from cockpit.model import CheckResult, Outcome
from cockpit.prompts import Manual, Prompt, PromptAnswer

if TYPE_CHECKING:
    from textual.app import App

    from screens.modals import PromptModal


class ModalPrompter:
    """Implements ``cockpit.prompts.Prompter`` with the app's modal screens."""

    def __init__(self, app: App[object] | None = None) -> None:
        self.app = app
        """Set by the app once it exists (the engine is built first)."""
        self._verifying: dict[tuple[str, str], asyncio.Future[CheckResult]] = {}
        self._turn = asyncio.Lock()
        """Held from a dialog's opening until it has left the screen."""
        self.waiting = 0
        """Prompts asked and not shown yet (waiting for the dialog before them)."""
        self._shown: PromptModal | None = None

    async def ask(self, prompt: Prompt) -> PromptAnswer:
        if self.app is None:
            raise RuntimeError("ModalPrompter used before the app started")
        self._count_waiting(+1)
        try:
            await self._turn.acquire()
            try:
                await self._no_other_dialog()
            except BaseException:
                self._turn.release()
                raise
        finally:
            self._count_waiting(-1)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._shown = None
                self._turn.release()

        return await self._show(prompt, release)

    def _count_waiting(self, change: int) -> None:
        self.waiting += change
        if self._shown is not None:
            self._shown.show_waiting(self.waiting)

    async def _no_other_dialog(self) -> None:
        """Wait while another dialog (an error, the help, the palette) is on top: the
        prompt opens when the driver has closed it, never over it."""
        from textual.screen import ModalScreen

        assert self.app is not None
        while isinstance(self.app.screen, ModalScreen):
            await asyncio.sleep(0.1)

    async def _show(self, prompt: Prompt, release: Callable[[], None]) -> PromptAnswer:
        from screens.modals import modal_for  # the modals import Markdown and TextArea

        assert self.app is not None
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[PromptAnswer] = loop.create_future()

        def on_answer(answer: PromptAnswer) -> None:
            if not answered.done():
                answered.set_result(answer)

        verify = None
        if isinstance(prompt, Manual):
            stage, _, rest = prompt.id.partition("/")
            key = (stage, rest.partition("/")[0])
            waiting: asyncio.Future[CheckResult] = loop.create_future()
            self._verifying[key] = waiting

            async def verify() -> CheckResult:
                return await waiting

        try:
            screen = modal_for(prompt, on_answer, verify)
            screen.on_closed = release  # the next dialog's turn comes when this one is gone
            screen.queued = self.waiting
            self._shown = screen
            self.app.push_screen(screen)
        except BaseException:
            release()
            raise
        try:
            return await answered
        except asyncio.CancelledError:
            screen.withdraw()
            raise

    def observe(self, event: Event) -> None:
        """Feed engine events: the first check (or end) after a manual Done is its verdict."""
        if not self._verifying:
            return
        result: CheckResult | None = None
        key: tuple[str, str] | None = None
        if isinstance(event, ActionChecked):
            key, result = (event.stage, event.action), event.result
        elif isinstance(event, ActionFinished):
            key = (event.stage, event.action)
            result = (CheckResult.done(event.reason) if event.outcome is Outcome.DONE
                      else CheckResult.failed(event.reason))
        elif isinstance(event, StageFinished):
            for found in [k for k in self._verifying if k[0] == event.stage]:
                self._resolve(found, CheckResult.failed(f"the stage ended: {event.reason}"))
            return
        if key is not None and result is not None:
            self._resolve(key, result)

    def _resolve(self, key: tuple[str, str], result: CheckResult) -> None:
        future = self._verifying.pop(key, None)
        if future is not None and not future.done():
            future.set_result(result)
