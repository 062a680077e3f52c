"""The CI screen: the health of the repositories' GitHub Actions, read from the event store.

Why it looks like this: the release driver already sits in the cockpit, and would rather look
than read. Firing alerts come first (what needs someone now), then per repository a table of
its workflows — runs, success rate, duration p50/p90, queue p90, hosted/self-hosted jobs,
and a bar per day — and the selected workflow plotted over the window. Enter drills down
(workflow → its runs → a run's jobs; an alert → the facts behind it), ``o`` opens the
selected run or job on GitHub, Esc goes back.

It reads the store only, never the network: ``cockpit ci serve`` and ``cockpit ci sync``
fill it. Every query runs on the store's own thread (``ci_reader.StoreReader``); every
2 seconds a poll of a few index lookups (``ci_data.ChangeWatch``) says whether anything
arrived, and only then are the facts read again, so the screen follows deliveries live at
almost no cost while nothing happens. It tells the truth: no data is "no data", never 0 %.

The screens are modal so that, opened over the release cockpit with ``C``, the cockpit's
own keys (``r`` runs a stage!) cannot fire from here; the release keeps running beneath.
``cockpit ci`` opens the same screen in an app of its own (``CiApp``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from cockpit.ci.store import Store
from screens.widgets import ci_format as fmt
from screens.widgets.ci_data import (
    NEAR_TIMEOUT_PERCENT,
    RUNNER_FILTERS,
    WINDOWS,
    ChangeWatch,
    DayPoint,
    Filters,
    JobList,
    JobRow,
    Overview,
    RepoSection,
    RunList,
    RunRow,
    WorkflowRow,
    load_jobs,
    load_overview,
    load_runs,
    newest_run_url,
    split_key,
    workflow_days,
)
from screens.widgets.ci_plot import WorkflowPlot
from screens.widgets.ci_reader import StoreReader
from screens.widgets.ci_tables import CiTable, workflow_cells, workflow_columns

T = TypeVar("T")
Clock = Callable[[], float]

POLL_SECONDS = 2.0
"""How often the store is asked whether anything arrived."""
ALERT_ROWS = 3
"""Firing alerts shown at once (more scroll): the workflows need the room at 80x24."""
STALE_SECONDS = 300.0
"""The facts are read again this often even when nothing arrived: the window moves on."""

EMPTY_HELP = """\
No CI data yet: the store ({url}) holds no workflow run and no job.

Fill it, and this screen follows by itself:
  • receive GitHub's webhooks:  cockpit ci serve      (set-up: cockpit ci --help)
  • or read the REST API:       cockpit ci sync --repo OWNER/REPO --since 30d"""

RUNNER_WORDS = {"all": "all", "github-hosted": "hosted", "self-hosted": "self-hosted"}
RESULT_GLYPHS = {"success": ("✔", "green"), "failure": ("✘", "red"), "cancelled": ("■", "dim"),
                 "skipped": ("↷", "dim"), "timed_out": ("✘", "red")}


def result_text(status: str | None, conclusion: str | None) -> Text:
    """``✔ success``, ``✘ failure``, ``● in_progress``, ``○ queued``."""
    if status == "completed":
        glyph, style = RESULT_GLYPHS.get(conclusion or "", ("✘", "red"))
        return Text(f"{glyph} {conclusion or '?'}", style=style, no_wrap=True)
    if status == "in_progress":
        return Text("● running", style="yellow", no_wrap=True)
    return Text(f"○ {status or '?'}", style="cyan", no_wrap=True)


def runner_word(kind: str | None) -> str:
    return {"github-hosted": "hosted", "self-hosted": "self"}.get(kind or "", "?")


class CiContext:
    """What every CI view shares: the store's thread, the clock, the filters, whether the
    screen stands alone (``cockpit ci``) or over the release cockpit (``C``)."""

    def __init__(self, reader: StoreReader, now: Clock = time.time, *, standalone: bool = False,
                 filters: Filters | None = None, poll_seconds: float = POLL_SECONDS,
                 owns_reader: bool = True) -> None:
        self.reader = reader
        self.now = now
        self.standalone = standalone
        self.filters = filters or Filters()
        self.poll_seconds = poll_seconds
        self.owns_reader = owns_reader


class CiView(ModalScreen[None]):
    """One CI view: its keys, its status line, and ``load`` (a query on the store's thread,
    its result drawn on the UI thread, errors said on the status line, never raised)."""

    AUTO_FOCUS = "CiTable"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("o", "open_link", "Open link"),
        Binding("question_mark", "help", "Keys"),
        Binding("q", "leave", "Quit"),
        Binding("ctrl+c", "app.quit", "Quit", show=False),
    ]

    def __init__(self, context: CiContext) -> None:
        super().__init__(classes="ci-view")
        self.ctx = context
        self.loads = 0
        """Completed loads (tests wait on it)."""
        self._generation = 0

    def status(self, text: str | Text) -> None:
        for line in self.query("#ci-status").results(Static):
            line.update(text)

    async def load(self, fn: Callable[[Store], T], show: Callable[[T], Awaitable[None] | None],
                   what: str) -> bool:
        """Run ``fn`` on the store's thread and ``show`` its result, unless a newer load of
        this view started meanwhile; True when shown."""
        self._generation += 1
        generation = self._generation
        try:
            result = await self.ctx.reader.call(fn)
        except Exception as exc:  # the store is down, or a query failed: say so, keep going
            self.status(Text(f"{what}: {type(exc).__name__}: {exc} — tried again at the next "
                             f"poll ({self.ctx.poll_seconds:g} s)", style="red"))
            return False
        if generation != self._generation or not self.is_attached:
            return False
        shown = show(result)
        if shown is not None:
            await shown
        self.loads += 1
        return True

    def reload(self) -> None:
        """Read this view's data again (the overview calls it when the store changed)."""

    def action_back(self) -> None:
        self.dismiss(None)

    def action_leave(self) -> None:
        """q: quit ``cockpit ci``; over the release cockpit, back to it."""
        if self.ctx.standalone:
            self.app.exit(0)
            return
        while isinstance(self.app.screen, CiView):
            self.app.pop_screen()

    def action_open_link(self) -> None:
        link = self.link()
        if link is None:
            self.notify("no link for this line")
            return
        from screens.app import hand_to_browser

        hand_to_browser(self.app, link)

    def link(self) -> str | None:
        return None

    def action_help(self) -> None:
        self.app.push_screen(CiHelp())


# -- the overview ------------------------------------------------------------------------------


class RepoPanel(Vertical):
    """One repository: a title line and its workflows' table."""

    def __init__(self, repository: str) -> None:
        super().__init__(classes="ci-repo")
        self.repository = repository

    def compose(self) -> ComposeResult:
        yield Static("", classes="ci-repo-title", markup=False)
        yield CiTable(classes="ci-workflows")

    @property
    def table(self) -> CiTable:
        return self.query_one(CiTable)


class CiScreen(CiView):
    """Alerts, the workflows of each repository, the selected workflow's days."""

    AUTO_FOCUS = ""
    """The first workflow table takes the focus once drawn (``_keep_focus``)."""

    BINDINGS = [
        Binding("enter", "drill", "Runs", show=False),
        Binding("slash", "filter_workflow", "Filter"),
        Binding("p", "cycle_repository", "Repo"),
        Binding("h", "cycle_runner", "Runner"),
        Binding("w", "cycle_window", "Window"),
        Binding("x", "clear_filters", "Clear", show=False),
    ]

    def __init__(self, context: CiContext | None = None, *, database: str | None = None,
                 now: Clock = time.time) -> None:
        super().__init__(context or CiContext(StoreReader(database), now))
        self.overview: Overview | None = None
        self.change_watch = ChangeWatch()
        self.selected: str | None = None
        """The selected workflow's row key (``ci_data.row_key``)."""
        self._days: dict[str, tuple[DayPoint, ...]] = {}
        """Per-day points with queue time, per workflow, for the current overview."""
        self._polling = False
        self._loaded_at = 0.0
        self.polls = 0
        self.changes = 0
        self.timeline: dict[str, float] = {"created": time.perf_counter()}
        """``perf_counter`` when the screen was created, mounted, first drawn (tables
        filled), first painted (the refresh after that) and its first plot completed."""
        self.last_refresh: float | None = None
        """Seconds the latest reload took, query to tables drawn."""
        self._drawing = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static("CI health", id="ci-header", markup=False)
        with Horizontal(id="ci-filters"):
            yield Input(placeholder="/ workflow filter", id="ci-workflow-filter")
            yield Static("", id="ci-filter-text", markup=False)
        yield Static("", id="ci-alerts-title", markup=False)
        yield CiTable(id="ci-alerts")
        with VerticalScroll(id="ci-repos"):
            yield Static("reading the store…", id="ci-empty", markup=False)
        yield WorkflowPlot(id="ci-plot")
        yield Static("", id="ci-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.timeline["mounted"] = time.perf_counter()
        self.ctx.reader.warm()
        self.query_one("#ci-alerts", CiTable).display = False
        self.query_one("#ci-alerts-title", Static).display = False
        self.query_one(WorkflowPlot).display = False
        self._show_filters()
        self._first_load()
        self.set_interval(self.ctx.poll_seconds, self._tick)

    def on_unmount(self) -> None:
        if self.ctx.owns_reader:
            self.ctx.reader.close()

    # -- loading -------------------------------------------------------------------------------

    @work(group="ci-load", exit_on_error=False)
    async def _first_load(self) -> None:
        with contextlib.suppress(Exception):  # the load below says what is wrong
            await self.ctx.reader.call(self.change_watch.changed)  # the change signal's baseline
        await self._load_overview()

    async def _load_overview(self) -> None:
        filters, now = self.ctx.filters, self.ctx.now()
        started = time.perf_counter()
        if await self.load(lambda store: load_overview(store, filters, now), self._show_overview,
                           "reading the facts"):
            self._loaded_at = time.monotonic()
            self.last_refresh = time.perf_counter() - started
            if "drawn" not in self.timeline:
                self.timeline["drawn"] = time.perf_counter()
                self.call_after_refresh(self._stamp, "painted")

    @work(group="ci-load", exit_on_error=False)
    async def _reload(self) -> None:
        await self._load_overview()

    def reload(self) -> None:
        self._reload()

    def _stamp(self, what: str) -> None:
        self.timeline.setdefault(what, time.perf_counter())
        if what == "painted":
            from cockpit.startup import resume_collection

            resume_collection()  # `cockpit ci` pauses it until now, as the cockpit's TUI does

    def _tick(self) -> None:
        if not self._polling:
            self._polling = True
            self._poll_worker()

    @work(group="ci-poll", exit_on_error=False)
    async def _poll_worker(self) -> None:
        await self.poll()

    async def poll(self) -> bool:
        """One poll: read the facts again (here and in the views above) when the store
        changed, or when they are older than ``STALE_SECONDS``; True when it reloaded."""
        try:
            self.polls += 1
            try:
                changed = await self.ctx.reader.call(self.change_watch.changed)
            except Exception as exc:
                self.status(Text(f"the store cannot be read: {type(exc).__name__}: {exc} — "
                                 f"trying again every {self.ctx.poll_seconds:g} s", style="red"))
                return False
            stale = time.monotonic() - self._loaded_at > STALE_SECONDS
            if not (changed or stale or self.overview is None):
                return False
            self.changes += 1
            await self._load_overview()
            for screen in self.app.screen_stack:
                if isinstance(screen, CiView) and screen is not self:
                    screen.reload()
            return True
        finally:
            self._polling = False

    # -- drawing ------------------------------------------------------------------------------

    async def _show_overview(self, overview: Overview) -> None:
        self.overview = overview
        self._days = {}
        self._show_header(overview)
        self._show_alerts(overview)
        await self._show_repos(overview)
        self._show_selection()
        self.status(f"updated {fmt.clock(overview.now)} UTC · "
                    f"live: the store is polled every {self.ctx.poll_seconds:g} s · "
                    f"{self.ctx.reader.display_url}")

    def _show_header(self, overview: Overview) -> None:
        alerts = len(overview.alerts)
        parts = ["CI health", f"last {overview.filters.window}",
                 f"{len(overview.repos)} repositories", f"{overview.workflow_count} workflows",
                 f"{alerts} alert{'s' if alerts != 1 else ''} firing" if alerts else "no alerts"]
        self.query_one("#ci-header", Static).update(" " + " · ".join(parts))

    def _show_filters(self) -> None:
        filters = self.ctx.filters
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, name, value in (("p", "repo", filters.repository or "all"),
                                 ("h", "runner", RUNNER_WORDS[filters.runner]),
                                 ("w", "window", filters.window)):
            text.append(f" {name} ", style="dim")
            text.append(value, style="bold")
            text.append(f" ({key})", style="dim")
        self.query_one("#ci-filter-text", Static).update(text)

    def _show_alerts(self, overview: Overview) -> None:
        table = self.query_one("#ci-alerts", CiTable)
        title = self.query_one("#ci-alerts-title", Static)
        show = bool(overview.alerts)
        table.display = title.display = show
        if not show:
            return
        title.update(Text(f" Firing alerts ({len(overview.alerts)}) — Enter: the facts",
                          style="bold red"))
        key = table.selected_key()
        width = self.size.width - 4
        rule, since = 14, 9
        scope = min(max(len(a.scope) for a in overview.alerts), max(width // 4, 12))
        fact = max(width - rule - scope - since - 8, 10)
        table.clear(columns=True)
        for label, size in (("rule", rule), ("scope", scope), ("since", since), ("fact", fact)):
            table.add_column(label, width=size, key=label)
        for alert in overview.alerts:
            table.add_row(Text(fmt.fit(alert.rule, rule), style="red"), fmt.fit(alert.scope, scope),
                          fmt.duration(overview.now - alert.fired_at),
                          fmt.fit(alert.summary, fact), key=str(alert.id))
        # An explicit height: ``auto`` is measured at a layout pass that may come before
        # the table has counted its new rows, and then stays 0.
        table.styles.height = min(len(overview.alerts), ALERT_ROWS) + 1
        table.move_to_key(key)

    async def _show_repos(self, overview: Overview) -> None:
        async with self._drawing:  # a resize or a keystroke while panels are being mounted
            await self._draw_repos(overview)

    async def _draw_repos(self, overview: Overview) -> None:
        box = self.query_one("#ci-repos", VerticalScroll)
        repos = overview.visible(self.ctx.filters.workflow)
        panels = {panel.repository: panel for panel in box.query(RepoPanel).results(RepoPanel)}
        wanted = [repo.repository for repo in repos]
        for name, panel in panels.items():
            if name not in wanted:
                await panel.remove()
        new = [RepoPanel(name) for name in wanted if name not in panels]
        if new:
            await box.mount_all(new)
        ordered = {panel.repository: panel for panel in box.query(RepoPanel).results(RepoPanel)}
        if list(ordered) != wanted:  # a new repository sorts before one shown already
            await box.remove_children(RepoPanel)
            await box.mount_all([RepoPanel(name) for name in wanted])
            ordered = {p.repository: p for p in box.query(RepoPanel).results(RepoPanel)}
        for repo in repos:
            self._fill_panel(ordered[repo.repository], repo, overview)
        self._show_empty(overview, repos)
        self._keep_focus()

    def _fill_panel(self, panel: RepoPanel, repo: RepoSection, overview: Overview) -> None:
        width = self.size.width - 2
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" {repo.repository}", style="bold")
        title.append(f" · {len(repo.workflows)} workflow{'s' if len(repo.workflows) != 1 else ''}"
                     f" · last webhook {fmt.ago(repo.last_webhook, overview.now)}", style="dim")
        panel.query_one(".ci-repo-title", Static).update(title)
        table = panel.table
        key = table.selected_key()
        longest = max(len(row.workflow) for row in repo.workflows)
        columns = workflow_columns(width, len(overview.days), longest)
        table.clear(columns=True)
        for column in columns:
            table.add_column(column.label, width=column.width, key=column.key)
        for row in repo.workflows:
            table.add_row(*workflow_cells(row, columns), key=row.key)
        table.styles.height = len(repo.workflows) + 1  # see _show_alerts
        table.move_to_key(key)

    def _show_empty(self, overview: Overview, repos: Sequence[RepoSection]) -> None:
        empty = self.query_one("#ci-empty", Static)
        filters = self.ctx.filters
        if overview.store_empty:
            text = EMPTY_HELP.format(url=self.ctx.reader.display_url)
        elif not repos:
            text = f"No workflow runs in the last {filters.window} ({filters.described()})."
            hidden = overview.hidden + (overview.workflow_count if filters.workflow else 0)
            if hidden:
                text += f"\n{hidden} workflow(s) left out by the filters: x clears them."
            text += "\nw: a longer window."
        else:
            empty.display = False
            return
        empty.update(text)
        empty.display = True

    def _tables(self) -> list[CiTable]:
        tables = [t for t in self.query(".ci-workflows").results(CiTable)]
        alerts = self.query_one("#ci-alerts", CiTable)
        return ([alerts] if alerts.display and alerts.row_count else []) + tables

    def _keep_focus(self) -> None:
        """After a redraw: the selected workflow keeps the cursor; else the first one."""
        tables = [t for t in self._tables() if "ci-workflows" in t.classes and t.row_count]
        focused = self.focused
        if isinstance(focused, Input):
            return
        for table in tables:
            if self.selected is not None and self.selected in _keys(table):
                table.move_to_key(self.selected)
                if not isinstance(focused, CiTable) or focused.id != "ci-alerts":
                    table.focus()
                return
        if tables:
            tables[0].move_cursor(row=0)
            self.selected = tables[0].selected_key()
            if not (isinstance(focused, CiTable) and focused.is_attached
                    and focused.row_count):
                tables[0].focus()
        else:
            self.selected = None

    @property
    def settled(self) -> bool:
        """Drawn, with the selected workflow's plot complete (tests and the bench wait on it)."""
        return self.overview is not None and (self.selected is None or self.selected in self._days)

    # -- the selected workflow ----------------------------------------------------------------

    def selected_row(self) -> WorkflowRow | None:
        if self.overview is None or self.selected is None:
            return None
        repository, workflow = split_key(self.selected)
        for repo in self.overview.repos:
            if repo.repository == repository:
                for row in repo.workflows:
                    if row.workflow == workflow:
                        return row
        return None

    def _show_selection(self) -> None:
        plot = self.query_one(WorkflowPlot)
        row = self.selected_row()
        if row is None or self.overview is None:
            plot.display = False
            return
        plot.display = True
        width = self.size.width - 4
        days = self._days.get(row.key)
        plot.show(row, days or row.days, self.overview.filters.window, queue_loaded=days is not None,
                  width=width)
        if days is None:
            self._load_days(row, self.overview)

    @work(group="ci-days", exclusive=True, exit_on_error=False)
    async def _load_days(self, row: WorkflowRow, overview: Overview) -> None:
        filters, now = overview.filters, overview.now
        try:
            days = await self.ctx.reader.call(lambda store: workflow_days(store, row, filters, now))
        except Exception as exc:
            self.status(Text(f"reading {row.workflow}'s days: {exc}", style="red"))
            return
        if self.overview is overview:
            self._days[row.key] = days
            if self.selected == row.key:
                self._show_selection()
                self._stamp("plot")

    @on(DataTable.RowHighlighted, ".ci-workflows")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus and event.row_key.value != self.selected:
            self.selected = event.row_key.value
            self._show_selection()

    @on(events.DescendantFocus)
    def _focused(self, event: events.DescendantFocus) -> None:
        widget = event.widget
        if isinstance(widget, CiTable) and "ci-workflows" in widget.classes:
            key = widget.selected_key()
            if key is not None and key != self.selected:
                self.selected = key
                self._show_selection()

    @on(CiTable.Edge)
    def _edge(self, event: CiTable.Edge) -> None:
        tables = self._tables()
        if event.table not in tables:
            return
        index = tables.index(event.table) + event.direction
        if 0 <= index < len(tables):
            target = tables[index]
            target.focus()
            target.move_cursor(row=0 if event.direction > 0 else target.row_count - 1)

    # -- drilling down ------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is None or self.overview is None:
            return
        if event.data_table.id == "ci-alerts":
            alert = next((a for a in self.overview.alerts if str(a.id) == key), None)
            if alert is not None:
                self.app.push_screen(AlertScreen(self.ctx, alert))
            return
        repository, workflow = split_key(key)
        self.app.push_screen(RunsScreen(self.ctx, repository, workflow))

    def action_drill(self) -> None:
        focused = self.focused
        if isinstance(focused, CiTable):
            focused.action_select_cursor()

    def link(self) -> str | None:
        focused = self.focused
        if isinstance(focused, CiTable) and focused.id == "ci-alerts" and self.overview:
            key = focused.selected_key()
            alert = next((a for a in self.overview.alerts if str(a.id) == key), None)
            link = alert.facts.get("link") if alert is not None else None
            return link if isinstance(link, str) else None
        return None

    def action_open_link(self) -> None:
        if self.link() is not None or self.selected is None:
            super().action_open_link()
            return
        repository, workflow = split_key(self.selected)
        self._open_newest(repository, workflow)

    @work(exit_on_error=False)
    async def _open_newest(self, repository: str, workflow: str) -> None:
        try:
            url = await self.ctx.reader.call(
                lambda store: newest_run_url(store, repository, workflow))
        except Exception as exc:
            self.status(Text(f"no link: {exc}", style="red"))
            return
        if url is None:
            self.notify("no run of it is known")
            return
        from screens.app import hand_to_browser

        hand_to_browser(self.app, url)

    # -- filters ------------------------------------------------------------------------------

    def _refilter(self, **changes: Any) -> None:
        from dataclasses import replace

        self.ctx.filters = replace(self.ctx.filters, **changes)
        self._show_filters()
        self.status(f"reading the facts for {self.ctx.filters.described()}…")
        self.reload()

    def action_cycle_repository(self) -> None:
        known = list(self.overview.repositories) if self.overview else []
        choices: list[str | None] = [None, *known]
        current = self.ctx.filters.repository
        index = choices.index(current) if current in choices else 0
        self._refilter(repository=choices[(index + 1) % len(choices)])

    def action_cycle_runner(self) -> None:
        index = RUNNER_FILTERS.index(self.ctx.filters.runner)
        self._refilter(runner=RUNNER_FILTERS[(index + 1) % len(RUNNER_FILTERS)])

    def action_cycle_window(self) -> None:
        names = list(WINDOWS)
        index = names.index(self.ctx.filters.window)
        self._refilter(window=names[(index + 1) % len(names)])

    def action_clear_filters(self) -> None:
        self.query_one("#ci-workflow-filter", Input).value = ""
        self._refilter(repository=None, runner="all", workflow="")

    def action_filter_workflow(self) -> None:
        self.query_one("#ci-workflow-filter", Input).focus()

    @on(Input.Changed, "#ci-workflow-filter")
    async def _typed(self, event: Input.Changed) -> None:
        from dataclasses import replace

        self.ctx.filters = replace(self.ctx.filters, workflow=event.value)
        if self.overview is not None:
            self.overview = replace(self.overview, filters=self.ctx.filters)
            await self._show_repos(self.overview)
            self._show_selection()

    @on(Input.Submitted, "#ci-workflow-filter")
    def _submitted(self) -> None:
        self._focus_tables()

    def _focus_tables(self) -> None:
        tables = [t for t in self._tables() if "ci-workflows" in t.classes]
        if tables:
            tables[0].focus()

    def action_back(self) -> None:
        """Esc: out of the filter box; else (over the release cockpit) back to it."""
        if isinstance(self.focused, Input):
            self._focus_tables()
            return
        if self.ctx.standalone:
            self.notify("q quits")
            return
        self.dismiss(None)

    async def on_resize(self) -> None:
        if self.overview is not None:
            self._show_alerts(self.overview)
            await self._show_repos(self.overview)
            self._show_selection()


def _keys(table: CiTable) -> list[str | None]:
    return [row.key.value for row in table.ordered_rows]


# -- a workflow's runs ------------------------------------------------------------------------


class RunsScreen(CiView):
    """A workflow's runs in the window, newest first; Enter: the run's jobs."""

    BINDINGS = [Binding("enter", "drill", "Jobs", show=False)]

    def __init__(self, context: CiContext, repository: str, workflow: str) -> None:
        super().__init__(context)
        self.repository = repository
        self.workflow = workflow
        self.runs: RunList | None = None

    def compose(self) -> ComposeResult:
        yield Static(f" {self.repository} · {self.workflow} · runs", id="ci-header", markup=False)
        yield CiTable(id="ci-runs")
        yield Static("reading the runs…", id="ci-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CiTable).focus()
        self.reload()

    def reload(self) -> None:
        filters, now = self.ctx.filters, self.ctx.now()
        self._read(lambda store: load_runs(store, self.repository, self.workflow, filters, now))

    @work(group="ci-load", exclusive=True, exit_on_error=False)
    async def _read(self, fn: Callable[[Store], RunList]) -> None:
        await self.load(fn, self._show, "reading the runs")

    def _show(self, runs: RunList) -> None:
        self.runs = runs
        now = self.ctx.now()
        shown = len(runs.runs)
        count = (f"{runs.total}" if shown == runs.total else f"newest {shown} of {runs.total}")
        runner = self.ctx.filters.runner
        kind = "" if runner == "all" else f" with a {RUNNER_WORDS[runner]} job"
        self.query_one("#ci-header", Static).update(
            f" {self.repository} · {self.workflow} · {count} run(s){kind} in the last "
            f"{self.ctx.filters.window}, newest first")
        table = self.query_one(CiTable)
        key = table.selected_key()
        width = self.size.width - 4
        fixed = {"created": 11, "result": 12, "sha": 7, "duration": 8, "queue": 7, "jobs": 4}
        branch = max(width - sum(fixed.values()) - 2 * (len(fixed) + 1), 8)
        table.clear(columns=True)
        for label, size in (("created", 11), ("result", 12), ("branch", branch), ("sha", 7),
                            ("duration", 8), ("queue", 7), ("jobs", 4)):
            table.add_column(label, width=size, key=label)
        for run in runs.runs:
            attempt = f" #{run.run_attempt}" if run.run_attempt > 1 else ""
            table.add_row(fmt.stamp(run.created_at) if run.created_at else fmt.NONE,
                          result_text(run.status, run.conclusion),
                          fmt.fit((run.branch or fmt.NONE) + attempt, branch),
                          (run.sha or fmt.NONE)[:7], _elapsed(run.status, run.duration(now)),
                          _right(fmt.duration(run.queue)), _right(str(run.jobs)), key=run.key)
        table.move_to_key(key)
        if not runs.runs:
            self.status(f"No run of {self.workflow} in the last {self.ctx.filters.window}. "
                        "Esc: back")
        else:
            self.status("queue: the longest any job of the run waited for a runner · "
                        "Enter: its jobs · o: the run on GitHub")

    def selected_run(self) -> RunRow | None:
        key = self.query_one(CiTable).selected_key()
        if self.runs is None or key is None:
            return None
        return next((run for run in self.runs.runs if run.key == key), None)

    def action_drill(self) -> None:
        self.query_one(CiTable).action_select_cursor()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        run = self.selected_run()
        if run is not None:
            self.app.push_screen(JobsScreen(self.ctx, self.repository, self.workflow, run))

    def link(self) -> str | None:
        run = self.selected_run()
        return run.html_url if run else None


def _right(text: str) -> Text:
    return Text(text, justify="right", no_wrap=True)


def _elapsed(status: str | None, seconds: int | None) -> Text:
    """A duration; one still running is so far (``12m00s…``, in yellow)."""
    if status == "completed" or seconds is None:
        return _right(fmt.duration(seconds))
    return Text(fmt.duration(seconds) + "…", justify="right", no_wrap=True, style="yellow")


# -- a run's jobs ---------------------------------------------------------------------------


class JobsScreen(CiView):
    """A run attempt's jobs: runner kind, labels, queue, duration, near-timeout mark."""

    def __init__(self, context: CiContext, repository: str, workflow: str, run: RunRow) -> None:
        super().__init__(context)
        self.repository = repository
        self.workflow = workflow
        self.run = run
        self.jobs: JobList | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._title(self.run), id="ci-header", markup=False)
        yield CiTable(id="ci-jobs")
        yield Static("reading the jobs…", id="ci-status", markup=False)
        yield Footer()

    def _title(self, run: RunRow) -> str:
        attempt = f" (attempt {run.run_attempt})" if run.run_attempt > 1 else ""
        return (f" {self.repository} · {self.workflow} · run {run.run_id}{attempt} · "
                f"{run.branch or '?'} @ {(run.sha or '?')[:7]} · "
                f"{run.conclusion or run.status or '?'} · "
                f"{fmt.duration(run.duration(self.ctx.now()))}")

    def on_mount(self) -> None:
        self.query_one(CiTable).focus()
        self.reload()

    def reload(self) -> None:
        self._read()

    @work(group="ci-load", exclusive=True, exit_on_error=False)
    async def _read(self) -> None:
        run = self.run
        await self.load(lambda store: load_jobs(store, self.repository, self.workflow, run),
                        self._show, "reading the jobs")

    def _show(self, jobs: JobList) -> None:
        self.jobs = jobs
        self.run = jobs.run
        self.query_one("#ci-header", Static).update(self._title(jobs.run))
        now = self.ctx.now()
        table = self.query_one(CiTable)
        key = table.selected_key()
        width = self.size.width - 4
        fixed = {"result": 12, "runner": 6, "queue": 7, "duration": 8, "timeout": 9}
        room = width - sum(fixed.values()) - 2 * (len(fixed) + 2)
        labels = max(min(room // 2, max((len(", ".join(j.labels)) for j in jobs.jobs),
                                        default=6)), 6)
        name = max(room - labels, 10)
        table.clear(columns=True)
        for label, size in (("job", name), ("result", 12), ("runner", 6), ("labels", labels),
                            ("queue", 7), ("duration", 8), ("timeout", 9)):
            table.add_column(label, width=size, key=label)
        for job in jobs.jobs:
            table.add_row(fmt.fit(job.name or "?", name), result_text(job.status, job.conclusion),
                          runner_word(job.runner_kind),
                          fmt.fit(", ".join(job.labels) or fmt.NONE, labels),
                          _right(fmt.duration(job.queue)), _elapsed(job.status, job.duration(now)),
                          _near(job), key=str(job.job_id))
        table.move_to_key(key)
        note = (f"timeout: ⚠ marks a job that ran {NEAR_TIMEOUT_PERCENT}% or more of its timeout-minutes"
                + (f" ({jobs.near_timeout_unjudged} finished job(s) not judged: their workflow "
                   "file was not read yet — cockpit ci sync reads it)"
                   if jobs.near_timeout_unjudged else ""))
        self.status(note if jobs.jobs else "No job of this run is known yet (they arrive as "
                                           "workflow_job deliveries). Esc: back")

    def selected_job(self) -> JobRow | None:
        key = self.query_one(CiTable).selected_key()
        if self.jobs is None or key is None:
            return None
        return next((job for job in self.jobs.jobs if str(job.job_id) == key), None)

    def link(self) -> str | None:
        job = self.selected_job()
        return (job.html_url if job and job.html_url else self.run.html_url)


def _near(job: JobRow) -> Text:
    share = job.timeout_share
    if share is None:
        return Text("")
    return Text(f"⚠ {share * 100:.0f}%/{job.timeout_minutes}m", style="bold yellow",
                no_wrap=True)


# -- an alert's facts -----------------------------------------------------------------------


class AlertScreen(CiView):
    """What an alert says and the facts behind it, as its rule found them."""

    def __init__(self, context: CiContext, alert: Any) -> None:
        super().__init__(context)
        self.alert = alert

    def compose(self) -> ComposeResult:
        alert = self.alert
        yield Static(f" FIRING: {alert.rule} on {alert.scope}", id="ci-header", markup=False)
        with VerticalScroll(id="ci-alert-body"):
            yield Static(self._body(), id="ci-alert-facts")
        yield Static("o: the link · Esc: back", id="ci-status", markup=False)
        yield Footer()

    def _body(self) -> Text:
        alert, now = self.alert, self.ctx.now()
        text = Text()
        text.append(f"since {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(alert.fired_at))}"
                    f" UTC ({fmt.ago(alert.fired_at, now)})\n\n", style="dim")
        text.append(alert.summary + "\n\n", style="bold")
        hidden = {"summary", "link"}
        facts = {k: v for k, v in sorted(alert.facts.items()) if k not in hidden}
        width = max((len(key) for key in facts), default=0)
        for key, value in facts.items():
            text.append(f"{key:<{width}}  ", style="cyan")
            text.append(_fact(value) + "\n")
        link = alert.facts.get("link")
        if link:
            text.append(f"\n{link}\n", style="underline")
        text.append("\nThe facts as the rule found them when it fired; `cockpit ci alerts` "
                    "lists every alert.", style="dim")
        return text

    def link(self) -> str | None:
        link = self.alert.facts.get("link")
        return link if isinstance(link, str) else None


def _fact(value: object) -> str:
    import json

    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


# -- keys -----------------------------------------------------------------------------------

CI_KEYS = """\
CI screen — keys

  ↑ ↓ / j k   move (on past a table's end into the next repository)
  Enter       a workflow: its runs · a run: its jobs · an alert: its facts
  Esc         back one view (from the overview: back to the release cockpit)
  o           open the selected run / job / alert link on GitHub (says so without a browser)
  /           filter workflows by name (typing stays text; Enter or Esc returns)
  p           repository: all, then each in turn
  h           runner kind of the job columns: all, hosted, self-hosted
  w           window: 1d, 7d, 30d
  x           clear the filters
  q           quit (over the release cockpit: back to it)

Per day: bar height = that day's run duration p50, colour = how its runs ended
(green all passed, yellow some failed, red most failed); · = no run that day.
Numbers come from the event store only (cockpit ci serve / sync fill it): — means no data.
"""


class CiHelp(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help ci-help"):
            yield Static(CI_KEYS, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


# -- cockpit ci -------------------------------------------------------------------------------


class CiApp(App[int]):
    """``cockpit ci``: the CI screen on its own."""

    CSS_PATH = "cockpit.tcss"
    TITLE = "cockpit ci"

    def __init__(self, context: CiContext) -> None:
        super().__init__()
        self.context = context

    def on_mount(self) -> None:
        self.push_screen(CiScreen(self.context))

    @property
    def ci_screen(self) -> CiScreen:
        return next(s for s in self.screen_stack if isinstance(s, CiScreen))
