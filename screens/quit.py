"""Asked when the driver quits while a stage runs: leaving must not strand the stage.

A stage that simply stopped with the process would stay claimed on the tracking issue
(another driver locked out until the lease lapses) and its journal would still say
"running". Cancelling first lets the run withdraw its claim and record "cancelled".
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitWhileRunning(ModalScreen[bool]):
    """True: cancel what runs, then quit. False: keep running. No default on Enter."""

    BINDINGS = [Binding("escape", "stay", "Keep running", show=False)]

    def __init__(self, running: list[str]) -> None:
        super().__init__()
        self.stages = running

    def compose(self) -> ComposeResult:
        names = ", ".join(self.stages)
        with Vertical(classes="dialog confirm", id="quit-dialog"):
            yield Static(f"{names} is running", classes="modal-title", markup=False)
            yield Static(
                "Quitting cancels it first: its claim on the tracking issue is withdrawn "
                "at once (another driver can take it over) and the journal records it as "
                "cancelled. Finished actions stay done; rerun the stage (r) to resume.",
                classes="modal-message", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel it and quit", id="quit", variant="error")
                yield Button("Keep running", id="stay", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_stay(self) -> None:
        self.dismiss(False)
