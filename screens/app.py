"""The cockpit app: the main screen, stage workers, and the one worker-error handler."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import signal
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Literal

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Footer, Static, Tree
from textual.worker import Worker, WorkerState

from cockpit import stage_order
from cockpit.engine import SNAPSHOT_CHECKS, Engine, StageReport
from cockpit.events import ActionChecked, Event, LogLine, StageFinished
from cockpit.explain import explain_action, stage_overview
from cockpit.local_journal import Journal
from cockpit.model import CheckResult, Outcome, Version
from cockpit.playbook import ActionSpec, StageSpec
from cockpit.schedule import StageScheduler
from cockpit.startup import resume_collection
from screens.commands import CockpitCommands
from screens.messages import EngineEvent
from screens.prompter import ModalPrompter
from screens.state import ReleaseState, State
from screens.widgets.checklist import Checklist, Item
from screens.widgets.explanation import ExplanationPane
from screens.widgets.log_pane import FLUSH_SECONDS, LogPane

if TYPE_CHECKING:
    from cockpit.sync.driver import SyncedRun

Mode = Literal["drive", "walkthrough", "shadow"]
MODES: tuple[Mode, ...] = ("drive", "walkthrough", "shadow")
_CODE = re.compile(r"```[a-z]*\n(.*?)```", re.DOTALL)

BANNERS = {
    "walkthrough": "WALKTHROUGH — every action is explained; nothing is executed "
                   "(r runs read-only checks)",
    "shadow": "SHADOW — a read-only view of a release driven elsewhere: its journal on the "
              "tracking issue is polled every {interval:.0f}s",
}


CHECKED_FRAME_SECONDS = 0.1
"""How often the check-all shows what its checks found (each check's result is at most
this late on screen; deriving and redrawing per result cost seconds for a release)."""

class CockpitApp(App[int]):
    """Drive (or walk through, or shadow) one release of one playbook."""

    CSS_PATH = "cockpit.tcss"
    TITLE = "cockpit"
    COMMANDS = App.COMMANDS | {CockpitCommands}
    BINDINGS = [
        Binding("r", "run_selected", "Run stage"),
        Binding("c", "cancel_selected", "Cancel"),
        Binding("S", "steal_selected", "Take over", show=False),
        Binding("a", "check_all", "Check all"),
        Binding("y", "copy_manual", "Copy cmd"),
        Binding("o", "open_link", "Open link"),
        Binding("slash", "search_log", "Search log", show=False),
        Binding("s", "summary", "Summary", show=False),
        Binding("C", "ci_health", "CI health", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False),
    ]

    def __init__(self, engine: Engine, prompter: ModalPrompter, mode: Mode = "drive", *,
                 clock: Callable[[], float] = time.monotonic, shadow_interval: float = 30.0,
                 auto_check: bool = True) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.engine = engine
        self.prompter = prompter
        prompter.app = self  # type: ignore[assignment]
        self.mode: Mode = mode
        self.clock = clock
        self.shadow_interval = shadow_interval
        self.auto_check = auto_check
        """Shadow mode checks at start and then as the journal changes (tests turn it
        off). Drive mode does not: on a release not yet started, read-only checks report
        "failed" for steps whose earlier stages have not run, which painted it red."""
        version = engine.session.version
        self.state = ReleaseState(engine.playbook, clock,
                                  version if isinstance(version, Version) else None,
                                  values=engine.values)
        self.scheduler = StageScheduler(
            engine.playbook.needs, self._drive_one, keep_ended=False, note=self._stage_note,
            limit=engine.session.settings.stages_side_by_side)
        """Stages side by side, each in its own worker, as their needs allow."""
        self._steal: set[str] = set()
        self.running: dict[str, Worker[object]] = {}
        """Stage id → its worker, while a run (or a check pass) is under way."""
        self.reports: dict[str, StageReport] = {}
        self._log_pane: LogPane | None = None
        self.local_journal: Journal | None = None
        """This machine's journal (drive mode): reconciled into the tracking issue."""
        self.sync: SyncedRun | None = None
        """Stage claims and the journal on the tracking issue, opened at the first run."""
        self._sync_opened = False
        self._sync_opening = asyncio.Lock()
        self._summarized = False
        self.last_check_cost = ""
        """What the last check of everything cost (requests, 304s, GitHub points)."""
        """The summary opens by itself once, when a run here completes the release."""
        engine.bus.listen(self._bus_listener)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.header_text(), id="release-header", markup=False)
        if self.mode in BANNERS:
            banner = BANNERS[self.mode].format(interval=self.shadow_interval)
            yield Static(banner, id="mode-banner", classes=self.mode, markup=False)
        with Horizontal(id="body"):
            yield Checklist(self.state, self.clock, id="checklist")
            with Vertical(id="right"):
                yield ExplanationPane(id="explanation")
                yield Static("", id="status-line", markup=False)
                yield LogPane(id="log-pane")
        yield Footer()

    def header_text(self) -> str:
        """Release, where it stands and what is next, mode and driver: one line."""
        release = self.engine.session.release
        playbook = self.engine.playbook
        if release is None:
            return f" {playbook.title} · no release · {self.mode.upper()}"
        version: Version = release.version
        return (f" {playbook.title} {version.tag} {version.kind.value} │ {self.progress_text()}"
                f" │ {self.mode.upper()} │ {release.driver}@{release.host}")

    def progress_text(self) -> str:
        """``4/10 done · next: 5. Publish to npm — r``: the checklist in one phrase."""
        done, total = self.state.progress()
        head = f"{done}/{total} done"
        live = [s for s in self.state.stages.values()
                if s.status in (State.RUNNING, State.WAITING, State.NEEDS_YOU, State.REVIEW)]
        if live:
            return f"{head} · {live[0].status.value}: {self.state.titles[live[0].id]}"
        if done == total:
            return f"{head} · release complete (s: summary)"
        upcoming = self.state.next_stage()
        if upcoming is None:
            return head
        how = {"drive": " — r", "walkthrough": " — r checks it", "shadow": ""}[self.mode]
        return f"{head} · next: {self.state.titles[upcoming]}{how}"

    def on_mount(self) -> None:
        self.title = f"cockpit · {self.engine.playbook.title}"
        checklist = self.query_one(Checklist)
        checklist.focus()
        self.set_interval(1.0, self._tick)
        self.set_interval(FLUSH_SECONDS, self._explanation_tick(self.query_one(ExplanationPane)))
        first = next(iter(self.state.stages), None)
        if first:
            # After the first paint: rendering markdown (and importing its renderer) is the
            # one slow part of the screen, and the checklist is what a driver looks at first.
            self.call_after_refresh(self.show_item, Item(first))
        self.call_after_refresh(resume_collection)  # paused for start-up by screens.main
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._hung_up, signum)
        # Tokens too: a keyring lookup takes ~0.1 s; every redaction waits for it anyway.
        self.call_after_refresh(self.run_worker, self._load_secrets, thread=True,
                                group="secrets")
        # After the first paint: an action's class is its kind's, and kinds import slowly.
        self.call_after_refresh(self._mark_points_of_no_return)
        if self.auto_check and self.mode != "walkthrough":
            # After the first paint: the opening check imports the sync and status code.
            self.call_after_refresh(self._start_opening)
            if self.mode == "shadow":
                self.run_worker(self._follow_journal(), group="shadow")

    def _explanation_tick(self, pane: ExplanationPane) -> Callable[[], None]:
        """The pane's tick (the manual-equivalent lines gathered since the last one, drawn),
        but not while every check runs (the tick after the check-all draws them): each
        drawing renders the whole explanation's markdown again, and a stage's checks add
        lines every tick. The pane is held: a modal on top has no explanation pane."""
        def tick() -> None:
            if not self.state.deferring:
                pane.tick()
        return tick

    def _mark_points_of_no_return(self) -> None:
        """Flag the release's irreversible actions (and their stages) in the checklist."""
        from cockpit.explain import points_of_no_return

        self.state.mark_irreversible([(stage.id, spec.id) for stage, spec
                                      in points_of_no_return(self.engine)])
        self.query_one(Checklist).refresh_all()

    def _load_secrets(self) -> None:
        """(worker thread) Look up every token, so the redactor knows them; a missing
        keyring is said as a notification, not on the terminal the app draws on."""
        from cockpit.secrets import STORE

        said: list[str] = []
        with STORE.warnings_to(said.append):
            self.engine.session.redact.load()
        # Only now: while the lookup holds the token store's lock, the UI thread may be
        # waiting on that lock, and call_from_thread would wait for the UI thread.
        for text in said:
            self.call_from_thread(self.notify, text.removeprefix("cockpit: "),
                                  title="tokens", severity="warning", timeout=20)

    # -- engine events -------------------------------------------------------------------

    def _bus_listener(self, event: Event) -> None:
        """Bus listener (on the app's loop): log lines buffer directly, the rest post."""
        self.log_pane.observe(event)  # lines, waits (folded), outcomes: each under its action
        if isinstance(event, LogLine):
            if event.manual and event.action:
                action = self.state.action(event.stage, event.action)
                # A poll repeats its requests: the manual equivalent lists each once.
                if action is not None and event.manual not in action.manual[-10:]:
                    action.manual.append(event.manual)
                    item = self.selected_item
                    if item and item.stage == event.stage and item.action in (None, event.action):
                        self.query_one(ExplanationPane).add_manual(event.manual)
            return
        self.prompter.observe(event)
        self.post_message(EngineEvent(event))

    @property
    def log_pane(self) -> LogPane:
        """The log pane, looked up once: a DOM query per log line cost more than the rest
        of a line's path through the UI."""
        if self._log_pane is None:
            self._log_pane = self.query_one(LogPane)
        return self._log_pane

    async def _follow_journal(self) -> None:
        """Shadow: the tracking issue's journal, applied as it changes (ETag polls); each
        stage that finishes there is re-checked here, read-only. A playbook without a
        tracking issue falls back to re-checking everything every interval."""
        from cockpit.sync.shadow import follow
        from cockpit.sync.thread import locate

        if locate(self.engine) is None:
            self.set_interval(self.shadow_interval, self.action_check_all)
            return
        async for events in follow(self.engine, self.shadow_interval):
            for event in events:
                self.engine.bus.publish(event)
                if isinstance(event, StageFinished):
                    self.run_stage(event.stage)

    def on_engine_event(self, message: EngineEvent) -> None:
        self.apply_event(message.event)

    def apply_event(self, event: Event) -> None:
        """Update the state and whatever shows it (at the next frame while every check
        runs: ``_show_checked``)."""
        changed = self.state.apply(event)
        if self.state.deferring:
            return
        self.redraw_changed()
        if changed is None:
            return
        stage_id, action_id = changed
        item = self.selected_item
        if item and item.stage == stage_id:
            self._update_status_line()
            if item.action is None or item.action == action_id:
                self.show_item(item, keep_scroll=True)

    def redraw_changed(self) -> None:
        """Relabel every checklist line whose state changed (one fact can change many:
        a stage finishing unblocks every later one), and the header."""
        changed = self.state.take_changed()
        if not changed:
            return
        checklist = self.query_one(Checklist)
        for stage_id, action_id in changed:
            checklist.refresh_item(stage_id, action_id, only=action_id is not None)
        self.query_one("#release-header", Static).update(self.header_text(), layout=False)

    # -- selection -------------------------------------------------------------------------

    @property
    def selected_item(self) -> Item | None:
        return self.query_one(Checklist).selected

    @on(Tree.NodeHighlighted, "#checklist")
    def _highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        if event.node.data is not None:
            self.show_item(event.node.data)

    def specs(self, item: Item) -> tuple[StageSpec, ActionSpec | None]:
        stage = self.engine.stage(item.stage)
        return stage, stage.action(item.action) if item.action else None

    def explanation(self, item: Item) -> str:
        stage, spec = self.specs(item)
        if spec is None:
            view = self.state.stages[stage.id].view
            head = f"**Status:** {view.glyph} {view.sentence()}"
            return head + "\n\n" + stage_overview(self.engine, stage)
        action = self.state.stages[stage.id].actions[spec.id]
        head = f"**Status:** {action.view.glyph} {action.view.sentence()}"
        if action.link:
            head += f"  \n**Link:** <{action.link}>"
        note = {"walkthrough": "\n\n*Walkthrough: explained and checked only, never executed.*",
                "shadow": "\n\n*Shadow: read-only; the driver runs this elsewhere.*"}
        return head + note.get(self.mode, "") + "\n\n" + explain_action(self.engine, stage, spec)

    def show_item(self, item: Item, keep_scroll: bool = False) -> None:
        pane = self.query_one(ExplanationPane)
        stage = self.state.stages[item.stage]
        if item.action:
            manual = stage.actions[item.action].manual
            title = f"explain · {item.stage}/{item.action}"
        else:
            manual = [m for a in stage.actions.values() for m in a.manual]
            title = f"explain · {item.stage}"
        scroll = pane.scroll_y
        pane.show(self.explanation(item), manual, title)
        if not keep_scroll:
            pane.scroll_home(animate=False)
        else:
            pane.scroll_to(y=scroll, animate=False)
        self.query_one(LogPane).show(item.stage, item.action)
        self._update_status_line()

    def _update_status_line(self) -> None:
        item = self.selected_item
        line = ""
        if item is not None:
            stage = self.state.stages[item.stage]
            now = self.clock()
            for action in stage.actions.values():
                if action.waiting_until is not None:
                    left = max(0, int(action.waiting_until - now))
                    line = f"◐ {action.id}: waiting {left}s before checking again — {action.reason}"
            if not line and item.stage in self.running:
                line = f"{stage.view.glyph} {item.stage} is {stage.status.value} (c cancels safely)"
        if not line and self.last_check_cost:
            line = f"checked: {self.last_check_cost}"
        self.query_one("#status-line", Static).update(line, layout=False)

    def _tick(self) -> None:
        try:
            checklist = self.query_one(Checklist)
        except NoMatches:  # the app is closing: its screen's widgets are gone already
            return
        for stage in self.state.stages.values():
            waiting = any(a.waiting_until is not None for a in stage.actions.values())
            if (stage.started is not None and stage.finished is None) or waiting:
                checklist.refresh_item(stage.id)
        self._update_status_line()

    # -- running -------------------------------------------------------------------------

    def run_stage(self, stage_id: str, *, steal: bool = False) -> None:
        """Run (drive), check (walkthrough) or re-check (shadow) one stage in a worker."""
        if stage_id in self.running:
            self.notify(f"{stage_id} is already running", severity="warning")
            return
        if self.mode == "drive":
            after = self.scheduler.dependants_under_way(stage_id)
            if after:
                self.notify(f"{', '.join(after)} need{'s' if len(after) == 1 else ''} "
                            f"{stage_id} and {'is' if len(after) == 1 else 'are'} under way: "
                            "let them finish, or cancel them (c)", severity="warning")
                return
            if "*" in self.running:  # read-only checks: the run checks its stage itself
                self.running.pop("*").cancel()
            if steal:
                self._steal.add(stage_id)
            work: Coroutine[Any, Any, object] = self._drive_stage(stage_id)
            ahead = [s for s in self.scheduler.queued
                     if s in stage_order.ancestors(self.engine.playbook.needs, stage_id)]
            if ahead:
                self.state.set_live(stage_id, State.BLOCKED, f"waiting for {', '.join(ahead)}")
            else:
                self.state.set_live(stage_id, State.RUNNING, "claiming the stage")
            self.redraw_changed()
        else:
            work = self._check_stage(stage_id)
        self.running[stage_id] = self.run_worker(work, name=f"stage:{stage_id}",
                                                 group=f"stage:{stage_id}", exclusive=True,
                                                 exit_on_error=False)

    async def _synced(self) -> SyncedRun | None:
        """Open the shared state once, at the first run (starting the app needs no network).

        As with ``cockpit run``: each stage is claimed on the tracking issue before it runs
        (``StageHeld`` names the holder), its lease renewed, and the run journalled there.
        """
        async with self._sync_opening:  # two stages starting at once open it once
            if not self._sync_opened:
                from cockpit.sync.driver import SyncedRun

                self._sync_opened = True
                self.sync = await SyncedRun.open(self.engine, self._say)
                if self.sync is not None and self.local_journal is not None:
                    await self.sync.reconcile(self.local_journal)
        return self.sync

    def _say(self, line: str) -> None:
        self.notify(self.engine.session.redact(line), timeout=8)

    def _stage_note(self, stage_id: str, line: str) -> None:
        """A queued stage waits for its needs (or a free slot), or will not start."""
        if stage_id in self.state.stages:
            blocked = line.startswith("not started")
            self.state.set_live(stage_id, None if blocked else State.BLOCKED, line)
            self.state.rederive()
            self.redraw_changed()

    async def _drive_one(self, stage_id: str) -> StageReport:
        """Run one stage now (its needs are met): claimed, journalled, like ``cockpit run``."""
        self.state.set_live(stage_id, State.RUNNING, "claiming the stage")
        self.redraw_changed()
        steal = stage_id in self._steal
        self._steal.discard(stage_id)
        sync = await self._synced()
        return await (sync.run_stage(stage_id, steal=steal) if sync is not None
                      else self.engine.run_stage(stage_id))

    async def _drive_stage(self, stage_id: str) -> StageReport:
        report = await self.scheduler.run(stage_id)
        self.reports[stage_id] = report
        good = report.outcome in (Outcome.DONE, Outcome.NOT_APPLICABLE)
        self.notify(f"{stage_id}: {report.outcome.value} — {report.reason}",
                    severity="information" if good else "warning")
        return report

    async def _check_stage(self, stage_id: str, limit: asyncio.Semaphore | None = None) -> None:
        """Read-only checks of every action of a stage that applies (never the apply path);
        with ``limit`` shared by every stage, as many at once as it allows, else in order.
        What a check finds is a fact; whether it shows as "blocked" or "failed" depends on
        the stages before it (``cockpit.states``)."""
        stage = self.engine.stage(stage_id)
        state = self.state
        slots = limit or asyncio.Semaphore(1)
        specs = [spec for spec in stage.actions if self.engine.applies(stage, spec)]

        async def one(spec: ActionSpec) -> None:
            async with slots:
                state.set_checking(stage_id, spec.id, True)
                self.redraw_changed()
                try:
                    result = await self.engine.check_action(stage, spec)
                finally:
                    state.set_checking(stage_id, spec.id, False)
                self.apply_event(ActionChecked(release=self.engine.release_key, stage=stage_id,
                                               action=spec.id, result=result))

        state.set_checking(stage_id, None, True)
        try:
            await asyncio.gather(*(one(spec) for spec in specs))
        finally:  # cancelled (a run starts): what was not checked shows what it showed
            for spec in specs:
                state.set_checking(stage_id, spec.id, False)
            state.set_checking(stage_id, None, False)
            self.redraw_changed()
        if not self.state.deferring and self.selected_item \
                and self.selected_item.stage == stage_id:
            self.show_item(self.selected_item, keep_scroll=True)

    def _start_opening(self) -> None:
        if "*" not in self.running and not any(s != "*" for s in self.running):
            self.running["*"] = self.run_worker(self._opening(), name="check:all",
                                                group="check", exclusive=True,
                                                exit_on_error=False)

    async def _opening(self) -> None:
        """Where the release stands, after the first paint: the tracking issue's journal
        (who did what, when, and who holds a stage now), then every check, read-only. It
        paints no red on a release not yet started: a step whose turn has not come shows
        as blocked (``cockpit.states``)."""
        from cockpit.services.snapshot import reading_snapshot
        from cockpit.status import shared_standing
        from cockpit.sync.records import session_memory

        # One snapshot for the journal and the checks, as ``cockpit status`` reads them: the
        # checks' batch of GitHub reads is asked while the journal is read (a round trip
        # less), and answers the tracking issue's lookup too.
        with reading_snapshot():
            self.engine.read_ahead()
            standing = await shared_standing(self.engine)
            skipped, manual = session_memory(standing.records.values())
            self.engine.session.manual_confirmations |= manual  # not asked again: done
            self.engine.session.skipped.update(skipped)
            for stage_id, record in standing.records.items():
                self.state.apply_record(record, standing.holders.get(stage_id),
                                        watching=self.mode == "shadow")
            for stage_id, held_by in standing.holders.items():
                if stage_id not in standing.records and stage_id in self.state.stages:
                    self.state.stages[stage_id].facts.held_by = held_by
            self.state.rederive()
            self.redraw_changed()
            await self._check_all()

    async def _check_all(self) -> None:
        """Every check of every stage, as many at once as ``cockpit status`` runs: one
        after another, the ~100 requests of a whole release took seconds of waiting."""
        from cockpit.services.snapshot import reading_snapshot

        limit = asyncio.Semaphore(SNAPSHOT_CHECKS)
        usage = self.engine.session.usage
        before = usage.as_json()
        self.state.deferring = True  # what the checks find is shown frame by frame
        frames = self.set_interval(CHECKED_FRAME_SECONDS, self._show_checked)
        try:
            with reading_snapshot():  # one request per question several checks ask
                self.engine.read_ahead()  # and GitHub's answers in one batch
                await asyncio.gather(*(self._check_stage(stage_id, limit)
                                       for stage_id in self.state.stages
                                       if stage_id not in self.running))
        finally:
            frames.stop()
            self.state.deferring = False
            if self.state.flush():
                self.redraw_changed()
            item = self.selected_item
            if item is not None:  # what opened it (the journal's records) shows there too
                self.show_item(item, keep_scroll=True)
        self.last_check_cost = usage.since(before, short=True)
        self._update_status_line()

    def _show_checked(self) -> None:
        """One frame of the check-all: derive what the checks found since the last one,
        relabel what changed, and refresh the explanation if its item changed."""
        if not self.state.flush():
            return
        changed = self.state.changed.copy()
        self.redraw_changed()
        item = self.selected_item
        if item is not None and ((item.stage, item.action) in changed
                                 or (item.stage, None) in changed):
            self.show_item(item, keep_scroll=True)

    def check_one(self, stage_id: str, action_id: str) -> None:
        async def check() -> CheckResult:
            stage = self.engine.stage(stage_id)
            spec = stage.action(action_id)
            assert spec is not None
            result = await self.engine.check_action(stage, spec)
            self.apply_event(ActionChecked(release=self.engine.release_key, stage=stage_id,
                                           action=action_id, result=result))
            view = self.state.stages[stage_id].actions[action_id].view
            self.notify(f"{stage_id}/{action_id}: {view.sentence()}")
            return result

        self.run_worker(check(), name=f"check:{stage_id}/{action_id}", exit_on_error=False)

    def cancel_stage(self, stage_id: str) -> bool:
        worker = self.running.get(stage_id)
        if worker is None:
            return False
        worker.cancel()
        self.notify(f"{stage_id}: cancelled. Rerun it (r) to resume: finished actions are "
                    "checked, not redone.", severity="warning")
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes land: errors become a dialog, never a traceback."""
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        name = worker.name or ""
        for stage_id, running in list(self.running.items()):
            if running is worker:
                del self.running[stage_id]
                stage = self.state.stages.get(stage_id)
                if stage is not None and stage.facts.live is not None:
                    self.state.set_live(stage_id, None)  # ended without a StageFinished
                self.redraw_changed()
        self._update_status_line()
        if event.state is WorkerState.SUCCESS and name.startswith("stage:") \
                and self.mode == "drive":
            self._summary_when_complete()
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        why = self.engine.session.redact(f"{type(error).__name__}: {error}")
        target = name.partition(":")[2] or name
        from cockpit.sync.driver import LeaseLost, StageHeld
        from screens.modals import ErrorModal  # the modals import Markdown and TextArea: ~40 ms

        if isinstance(error, (StageHeld, LeaseLost)):
            why = self.engine.session.redact(str(error))
            resume = ("Nothing was run here. Wait for the other driver, then press r; or take "
                      "the stage over with S (recorded in the journal on the tracking issue).")
            self.push_screen(ErrorModal(f"{name or 'a background task'}", why, resume))
            return
        if name.startswith("stage:") and self.mode == "drive":
            if target in self.state.stages:
                self.state.fail_stage(target, why)
                self.redraw_changed()
            resume = (f"Fix the cause, then select {target} and press r. Every action "
                      "checks the world first, so finished steps are not redone.")
        else:
            resume = "Nothing was changed (read-only). Press r or a to check again."
        self.push_screen(ErrorModal(f"{name or 'a background task'}", why, resume))

    # -- actions (keys and palette) ------------------------------------------------------

    def action_run_selected(self) -> None:
        item = self.selected_item
        if item is not None:
            self.run_stage(item.stage)

    def action_steal_selected(self) -> None:
        """Take the selected stage over from the driver holding it (``--steal``)."""
        item = self.selected_item
        if item is not None and self.mode == "drive":
            self.run_stage(item.stage, steal=True)

    async def action_quit(self) -> None:
        """Leave; while a stage runs, ask first, and cancel it cleanly if told to."""
        busy = [stage for stage in self.running if stage != "*"]
        if busy and self.mode == "drive":
            from screens.quit import QuitWhileRunning

            self.push_screen(QuitWhileRunning(busy), self._quit_answered)
            return
        await self.leave()

    def _quit_answered(self, cancel: bool | None) -> None:
        if cancel:
            self.run_worker(self.leave(), group="quit", exit_on_error=False)

    async def leave(self, *, exit_app: bool = True) -> None:
        """Cancel what runs and wait for it to withdraw its claims and journal the
        cancellation, bring the journal on the tracking issue up to date, then exit."""
        for worker in list(self.running.values()):
            worker.cancel()
        for worker in list(self.running.values()):
            with contextlib.suppress(Exception):
                await worker.wait()
        if self.sync is not None:
            sync, self.sync = self.sync, None
            try:
                await sync.close()
            except Exception as exc:  # leaving must not fail; the next run reconciles
                self.notify(self.engine.session.redact(
                    f"could not update the journal on the tracking issue: {exc}"),
                    severity="warning")
        if exit_app:
            self.exit()

    def _hung_up(self, signum: int) -> None:
        """The terminal closed (SIGHUP) or the process was told to stop (SIGTERM): nobody
        is left to ask, so cancel cleanly and leave, as ``q`` does when told to.

        The terminal's descriptors are pointed at /dev/null first: Textual's shutdown
        writes to the terminal, and on a hung-up one its writer thread and the app waited
        on each other forever, so the demo never got to remove its home and agent."""
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
        os.close(null)
        self.run_worker(self._leave_hung_up(signum), group="quit", exit_on_error=False)

    async def _leave_hung_up(self, signum: int) -> None:
        """Cancel and journal as ``leave`` does, then end the process without textual's
        shutdown, which can wait forever on the dead terminal (its writer's queue): the
        exit functions still run, which is where a demo removes its sandbox, agent and
        home (``cockpit.demo.discard``)."""
        with contextlib.suppress(Exception):
            await self.leave(exit_app=False)
        atexit._run_exitfuncs()
        os._exit(128 + signum)

    def action_cancel_selected(self) -> None:
        item = self.selected_item
        if item is None:
            return
        if self.mode == "shadow":
            view = self.state.stages[item.stage].view
            self.notify(f"read-only: a shadow cannot cancel anything ({item.stage} is "
                        f"{view.sentence()})")
        elif not self.cancel_stage(item.stage):
            self.notify(f"nothing of {item.stage} runs here "
                        f"({self.state.stages[item.stage].view.sentence()})")

    def action_check_all(self) -> None:
        if "*" in self.running:
            self.notify("every action is being checked already")
            return
        if self.mode == "drive" and self.running:
            self.notify("a stage is running; check again when it ends", severity="warning")
            return
        self.running["*"] = self.run_worker(self._check_all(), name="check:all", group="check",
                                            exclusive=True, exit_on_error=False)

    def manual_command(self, item: Item) -> str:
        stage, spec = self.specs(item)
        specs = [spec] if spec is not None else list(stage.actions)
        blocks: list[str] = []
        for each in specs:
            text = explain_action(self.engine, stage, each)
            blocks += [block.strip() for block in _CODE.findall(text)]
        return "\n".join(blocks)

    def copy_manual(self, item: Item) -> None:
        text = self.manual_command(item)
        if not text:
            self.notify("no manual command for this one: see the explanation")
            return
        # OSC 52 is a request to the terminal, with no answer: say what was sent and where
        # else the text is, never "copied".
        import os

        self.copy_to_clipboard(text)
        lines = text.splitlines()
        more = f"\n(+{len(lines) - 1} more line(s))" if len(lines) > 1 else ""
        tmux = (" In tmux it needs `set -g set-clipboard on`." if os.environ.get("TMUX")
                else "")
        self.notify(f"sent to the terminal's clipboard (OSC 52; tmux or your terminal may "
                    f"ignore it):\n{lines[0]}{more}\nThe whole text is in the explanation "
                    f"pane, under the manual equivalent.{tmux}", title="y: manual equivalent",
                    timeout=15)

    def link_for(self, item: Item) -> str | None:
        stage = self.state.stages[item.stage]
        actions = [stage.actions[item.action]] if item.action else list(stage.actions.values())
        for action in actions:
            if action.link:
                return action.link
        _, spec = self.specs(item)
        link = spec.params.get("link") if spec is not None else None
        return link if isinstance(link, str) and link.startswith("http") else None

    def open_link(self, item: Item) -> None:
        link = self.link_for(item)
        if link is None:
            self.notify("no link known yet: check or run the action first")
            return
        hand_to_browser(self, link)

    def action_copy_manual(self) -> None:
        if self.selected_item is not None:
            self.copy_manual(self.selected_item)

    def action_open_link(self) -> None:
        if self.selected_item is not None:
            self.open_link(self.selected_item)

    def select(self, item: Item) -> None:
        checklist = self.query_one(Checklist)
        node = checklist.node_for(item)
        if node is not None:
            if node.parent is not None and not node.parent.is_expanded:
                node.parent.expand()
            # The tree lays out expanded lines on the next refresh.
            self.call_after_refresh(checklist.move_cursor, node)
        self.show_item(item)

    def action_search_log(self) -> None:
        """``/`` from anywhere: the log's search box (Esc gives focus back)."""
        self.log_pane.open_search()

    def action_summary(self) -> None:
        """The release's summary: stages, durations, drivers, links (also shown once by
        itself when the release becomes complete)."""
        from screens.summary import SummaryScreen, rows_from_state

        release = self.engine.session.release
        name = f"{self.engine.playbook.title} {release.version if release else ''}".strip()
        self.push_screen(SummaryScreen(name, rows_from_state(self.state)))

    def _summary_when_complete(self) -> None:
        done, total = self.state.progress()
        if done == total and not self._summarized and not self.running:
            self._summarized = True
            self.action_summary()

    def action_ci_health(self) -> None:
        """``C``: the CI screen over this one (the store of ``COCKPIT_CI_DATABASE``, else
        the embedded one); Esc or q comes back here, with the release still going."""
        from screens.ci import CiScreen

        self.push_screen(CiScreen())

    def action_help(self) -> None:
        from screens.modals import HelpScreen

        self.push_screen(HelpScreen())


def hand_to_browser(app: App[Any], link: str) -> None:
    """Open ``link`` in a browser that can show it, and say which happened (``o``).

    A terminal on a server (or in tmux over ssh) has no browser: Python's webbrowser would
    then start a text browser on top of this screen, or nothing. Only hand the link to a
    browser that can show it, and say which happened; the link is shown either way, to open
    by hand. (The CI screen's ``o`` uses it too.)"""
    import os
    import sys
    import webbrowser

    from textual.drivers.web_driver import WebDriver

    if isinstance(app._driver, WebDriver):  # textual-serve: the viewer's own browser
        app.open_url(link)
        app.notify(f"asked your browser to open {link}", title="o: link")
        return
    graphical = sys.platform in ("darwin", "win32") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))
    try:
        opened = graphical and webbrowser.open(link)
    except webbrowser.Error:
        opened = False
    if opened:
        app.notify(f"handed to your browser: {link}", title="o: link")
    else:
        app.notify(f"no browser here: {link}", title="o: open it by hand", timeout=30)
