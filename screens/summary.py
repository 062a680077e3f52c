"""The summary a driver sees when the release is complete (and any time with ``s``): each
stage's state, duration, driver and links, as `cockpit run` prints it headless."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cockpit.summary import SummaryRow, render
from screens.state import ReleaseState


def rows_from_state(state: ReleaseState) -> list[SummaryRow]:
    """What this screen watched, as summary rows (durations from the journal's times
    where another machine ran the stage)."""
    rows = []
    now = state.clock()
    for number, stage in enumerate(state.stages.values(), 1):
        links = tuple(dict.fromkeys(a.link for a in stage.actions.values() if a.link))
        rows.append(SummaryRow(number, stage.title, stage.status, stage.view.by or
                               stage.facts.by, stage.elapsed(now), links))
    return rows


class SummaryScreen(ModalScreen[None]):
    """Read-only; Escape, Enter or Close dismisses it (closing is always safe)."""

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, title: str, rows: list[SummaryRow]) -> None:
        super().__init__()
        self.heading = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        first, *rest = render(self.heading, self.rows)
        with Vertical(classes="dialog summary", id="summary-dialog"):
            yield Static(first, classes="modal-title", markup=False)
            with VerticalScroll(id="summary-body"):
                yield Static("\n".join(rest).strip("\n"), id="summary-text", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
