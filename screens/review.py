"""``cockpit review --release V``: the second maintainer's screen.

Like the shadow it only reads (its engine's session is read-only: nothing of the release
can change from here), with one exception: ``A`` posts an approval of the request on
screen. Each pending request's facts are shown beside the facts this machine computed from
the services, never taken from the driver's text; they are recomputed every poll and once
more when ``A`` is pressed, and the approval is posted only if they are still what the
screen shows (``cockpit.sync.review.Reviewer.approve`` refuses the rest with the reason).
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from cockpit.sync.review import FactRow, Reviewer, ReviewRefused, ReviewRequest, Seen


class ReviewApp(App[int]):
    """Pending review requests of one release, side by side with this machine's facts."""

    TITLE = "cockpit review"
    CSS = """
    #head { background: $boost; padding: 0 1; height: 1; }
    #request { padding: 1 1 0 1; height: auto; }
    #facts { height: auto; max-height: 1fr; margin: 1 1 0 1; }
    #status { padding: 1 1 0 1; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("A", "approve", "Approve (A)"),
        Binding("n", "next", "Next request"),
        Binding("r", "reload", "Reload"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, reviewer: Reviewer, *, interval: float) -> None:
        super().__init__()
        self.reviewer = reviewer
        self.interval = interval
        self.pending: list[tuple[Seen[ReviewRequest], list[FactRow]]] = []
        self.index = 0
        self.loaded = False
        self.approved: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="head")
        yield Static("looking for review requests…", id="request")
        table: DataTable[str] = DataTable(id="facts", cursor_type="row", zebra_stripes=True)
        # Three columns so a 40-character SHA fits at 80 columns: what was recomputed
        # here shows only where it differs, on a row of its own under the request's value.
        table.add_columns(" ", "fact", "the driver's request (✔: recomputed here, the same)")
        yield table
        yield Static("", id="status")
        yield Footer()

    def _head(self) -> str:
        release = self.reviewer.engine.session.release
        version = release.version.tag if release else "?"
        return f" REVIEW · {version} · read-only but for A (approve)"

    def on_mount(self) -> None:
        self.action_reload()
        self.set_interval(self.interval, self.action_reload)

    @work(exclusive=True, group="load")
    async def action_reload(self) -> None:
        try:
            self.pending = await self.reviewer.compared()
        except ReviewRefused as exc:
            self._status(str(exc), "red")
            return
        self.index = min(self.index, max(len(self.pending) - 1, 0))
        self.loaded = True
        self._show()

    def action_next(self) -> None:
        if self.pending:
            self.index = (self.index + 1) % len(self.pending)
            self._show()

    def _show(self) -> None:
        table = self.query_one("#facts", DataTable)
        table.clear()
        request = self.query_one("#request", Static)
        if not self.pending:
            request.update(f"No review request pending for {self.reviewer.engine.release_key}"
                           " (looked again every few seconds).")
            return
        seen, rows = self.pending[self.index]
        many = f" · {self.index + 1} of {len(self.pending)} (n: next)" if len(
            self.pending) > 1 else ""
        request.update(f"[b]{seen.record.title}[/b] ({seen.record.stage}/{seen.record.action})"
                       f"\nasked by {seen.author} ({seen.record.driver}), round "
                       f"{seen.record.round}{many}")
        for row in rows:  # what differs is what must be read: it comes first, in full
            mark = "[green]✔[/]" if row.same else "[red]✘[/]"
            table.add_row(mark, row.name, row.requested or "(absent)")
            if not row.same:
                table.add_row("", "[red]  here[/]", f"[red]{row.here or '(absent)'}[/]")
        differ = [row.name for row in rows if not row.same]
        if differ:
            self._status(f"{', '.join(differ)} differ: do not approve (the driver's waiting "
                         "run updates its request)", "red")
        elif self.approved is None:
            self._status("every fact matches: A approves them", "green")

    def _status(self, text: str, colour: str) -> None:
        self.query_one("#status", Static).update(f"[{colour}]{text}[/]")

    @work(exclusive=True, group="approve")
    async def action_approve(self) -> None:
        if not self.pending:
            self._status("nothing to approve", "yellow")
            return
        seen, shown = self.pending[self.index]

        async def as_shown(_question: str, rows: list[FactRow]) -> bool:
            return rows == shown  # only what the reviewer saw on screen

        try:
            posted = await self.reviewer.approve(seen.record.stage, seen.record.action,
                                                 as_shown)
        except ReviewRefused as exc:
            self._status(f"not approved: {exc}", "red")
            return
        if posted is None:
            self._status("the facts changed while on screen: reloaded, check them again", "red")
            self.action_reload()
            return
        self.approved = posted.html_url
        self._status(f"approved: {posted.html_url}", "green")
