"""The CI screen over a real event store: SVG snapshots of each view on a seeded SQLite store
(a fixed clock, so every run draws the same), a delivery posted to a real receiver over
loopback showing up within one refresh, the filters, drill-down and back, the key that opens
it from the release cockpit, and ``cockpit ci`` in a real terminal (tmux) at 80x24.

Update after an intended change with ``pytest tests/ui/test_ci_screen.py --snapshot-update``
and look at the SVGs in ``__snapshots__/test_ci_screen`` before committing them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cockpit.ci.receiver import running_receiver
from cockpit.ci.signature import sign
from cockpit.ci.store import Store, open_store
from screens.ci import AlertScreen, CiApp, CiContext, CiScreen, JobsScreen, RunsScreen
from screens.widgets.ci_data import Filters
from screens.widgets.ci_reader import StoreReader
from screens.widgets.ci_tables import CiTable
from tests.ci.conftest import pg_server, pg_url  # noqa: F401 (fixtures: a real PostgreSQL)
from tests.ci.payloads import delivery, sha, workflow_job, workflow_run
from tests.ui.helpers import screen_text, wait_for

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
"""The seeded world's present: the screen's clock reads it in every snapshot."""
SECRET = "ci-screen-test-secret-7f3a"
LABEL = "sqlite:///…/events.sqlite3"
"""What the screen calls the store in the snapshots (the real path is a temporary one)."""
SIZE = (120, 36)
Snap = Callable[..., bool]


# -- a seeded world -------------------------------------------------------------------------


class Seeder:
    """Deliveries with fixed ids and times (runs created on a schedule, durations from a
    seeded random), ingested as the receiver would."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rng = random.Random(14)
        self.next_id = 5_000_000
        self.count = 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _ingest(self, event: str, payload: dict[str, object], at: datetime) -> None:
        self.count += 1
        the_id = uuid.UUID(int=self.count)
        self.store.ingest(delivery(event, payload, delivery_id=the_id, received_at=at))

    def run(self, repo: str, workflow: str, path: str, created: datetime,
            jobs: list[tuple[str, tuple[str, ...], float, float, str]], *,
            branch: str = "main", finished: bool = True) -> int:
        """A run and its jobs: (name, labels, queue minutes, duration minutes, conclusion)."""
        run_id = self._id()
        head = sha(f"{repo}@{branch}")
        common = {"run_id": run_id, "repo": repo, "workflow_name": workflow, "path": path,
                  "head_branch": branch, "head_sha": head, "created_at": created}
        self._ingest("workflow_run", workflow_run("requested", **common), created)  # type: ignore[arg-type]
        end = created
        worst = "success"
        for name, labels, queue, minutes, conclusion in jobs:
            job_id = self._id()
            start = created + timedelta(minutes=queue)
            done = start + timedelta(minutes=minutes)
            spec = {"job_id": job_id, "run_id": run_id, "repo": repo, "workflow_name": workflow,
                    "name": name, "head_branch": branch, "head_sha": head, "labels": labels,
                    "created_at": created}
            self._ingest("workflow_job", workflow_job("queued", **spec), created)  # type: ignore[arg-type]
            if queue < 0:  # still waiting for a runner
                continue
            self._ingest("workflow_job", workflow_job("in_progress", started_at=start,
                                                      **spec), start)  # type: ignore[arg-type]
            if not finished:
                continue
            self._ingest("workflow_job", workflow_job("completed", started_at=start,
                                                      completed_at=done, conclusion=conclusion,
                                                      **spec), done)  # type: ignore[arg-type]
            end = max(end, done)
            if conclusion != "success":
                worst = conclusion
        if finished:
            self._ingest("workflow_run", workflow_run("completed", conclusion=worst,
                                                      updated_at=end, **common), end)  # type: ignore[arg-type]
        return run_id

    def minutes(self, low: float, high: float) -> float:
        return round(self.rng.uniform(low, high), 2)


HOSTED = ("ubuntu-latest",)
GPU = ("self-hosted", "linux", "x64", "gpu")


def seed(store: Store, present: datetime = NOW) -> None:
    """Two repositories over the 8 days before ``present``: widgets' CI (hosted and self-hosted jobs,
    a run in progress and a job still queued), its Nightly near its 60-minute timeout, a few
    Releases; gadgets' CI, and Docs failing lately (the alert). Two alerts firing, one
    resolved."""
    s = Seeder(store)
    start = present - timedelta(days=7, hours=10)
    for day in range(8):
        base = start + timedelta(days=day)
        for slot in range(5):
            at = base + timedelta(hours=2 * slot + 1)
            if at >= present - timedelta(hours=1):
                continue
            flaky = "failure" if s.rng.random() < 0.15 else "success"
            s.run("acme/widgets", "CI", ".github/workflows/ci.yml", at, [
                ("build", HOSTED, s.minutes(0.1, 0.6), s.minutes(3, 5 + day * 0.3), "success"),
                ("test", HOSTED, s.minutes(0.1, 0.8), s.minutes(6, 9 + day * 0.4), flaky),
                ("e2e", GPU, s.minutes(1, 4 + day), s.minutes(8, 12), "success"),
            ], branch="main" if slot % 2 else f"feature-{day}-{slot}")
        nightly = base + timedelta(hours=1)
        near = 56 + day * 0.3 if day >= 5 else s.minutes(40, 48)
        s.run("acme/widgets", "Nightly", ".github/workflows/nightly.yml", nightly, [
            ("gpu-tests", GPU, s.minutes(2, 9), near, "success" if day != 6 else "cancelled"),
        ])
        if day in (1, 4, 7):
            s.run("acme/widgets", "Release", ".github/workflows/release.yml",
                  base + timedelta(hours=3), [
                      ("publish", HOSTED, s.minutes(0.2, 1), s.minutes(11, 14), "success")])
        for slot in range(3):
            at = base + timedelta(hours=3 * slot + 2)
            if at >= present - timedelta(hours=1):
                continue
            s.run("acme/gadgets", "CI", ".github/workflows/ci.yml", at, [
                ("lint", HOSTED, s.minutes(0.1, 0.4), s.minutes(1, 2), "success"),
                ("unit", HOSTED, s.minutes(0.1, 0.6), s.minutes(4, 6), "success"),
            ])
        docs = "failure" if day >= 4 and day != 5 else "success"
        s.run("acme/gadgets", "Docs", ".github/workflows/docs.yml", base + timedelta(hours=5), [
            ("build-docs", HOSTED, s.minutes(0.1, 0.5), s.minutes(2, 3), docs)])
    # Now: a CI run in progress, its e2e job still waiting for a self-hosted runner.
    s.run("acme/widgets", "CI", ".github/workflows/ci.yml", present - timedelta(minutes=12), [
        ("build", HOSTED, 0.3, 4.0, "success"), ("test", HOSTED, 0.4, 7.0, "success"),
        ("e2e", GPU, -1, 0, "success")], branch="release-v2", finished=False)
    nightly_sha = sha("acme/widgets@main")
    store.execute("INSERT INTO workflow_timeouts (repository, head_sha, workflow_path, job_name, "
                  "timeout_minutes) VALUES ('acme/widgets', :sha, "
                  "'.github/workflows/nightly.yml', 'gpu-tests', 60)", {"sha": nightly_sha})
    now = present.timestamp()
    for rule, scope, fired, facts, resolved in [
        ("success-rate", "acme/gadgets/Docs", now - 2 * 3600 - 600, {
            "summary": "success rate of acme/gadgets/Docs is 57% over 7d (previous: 100%): "
                       "under the floor of 80%",
            "success_rate": 4 / 7, "previous_success_rate": 1.0, "runs": 7, "judged": 7,
            "successes": 4, "failures": 3, "cancelled": 0, "skipped": 0, "threshold": 0.8,
            "drop": 0.15, "window": "7d",
            "link": "https://github.com/acme/gadgets/actions/runs/5000433"}, None),
        ("near-timeout", "acme/widgets/Nightly/gpu-tests", now - 27 * 3600, {
            "summary": "3 job(s) of acme/widgets/Nightly/gpu-tests ran to 90% or more of their "
                       "60-minute timeout in the last 7d (longest: 58m06s)",
            "jobs": 3, "threshold": 2, "percent": 90, "timeout_minutes": 60, "longest": 3486,
            "longest_ratio": 0.968, "window": "7d", "unjudged_jobs_in_window": 0,
            "link": "https://github.com/acme/widgets/actions/runs/5000400/job/5000401"}, None),
        ("queue-time", "acme/widgets/CI", now - 3 * 86400, {"summary": "queue p90 was high"},
         now - 2 * 86400),
    ]:
        store.execute("INSERT INTO alerts (rule, scope, fired_at, resolved_at, facts) VALUES "
                      "(:rule, :scope, :fired, :resolved, :facts)",
                      {"rule": rule, "scope": scope, "fired": fired, "resolved": resolved,
                       "facts": json.dumps(facts)})


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded store, made once per session (each test gets a copy)."""
    path = tmp_path_factory.mktemp("ci-seed") / "events.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        seed(store)
    finally:
        store.close()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A store file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'ci' / 'events.sqlite3'}"


@pytest.fixture
def seeded_url(seeded_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "seeded" / "events.sqlite3"
    copy.parent.mkdir()
    shutil.copy(seeded_file, copy)
    return f"sqlite:///{copy}"


def frozen(url: str, *, standalone: bool = True, filters: Filters | None = None,
           poll_seconds: float = 30.0) -> CiApp:
    """``cockpit ci`` on ``url`` with the clock at NOW (polls far apart: nothing moves)."""
    reader = StoreReader(url, label=LABEL)
    return CiApp(CiContext(reader, lambda: NOW.timestamp(), standalone=standalone,
                           filters=filters, poll_seconds=poll_seconds))


def ci_screen(app: CiApp) -> CiScreen:
    return next(s for s in app.screen_stack if isinstance(s, CiScreen))


async def loaded(pilot: Pilot[object], screen_type: type = CiScreen, loads: int = 1) -> None:
    """Until the screen on top is a ``screen_type`` with ``loads`` loads drawn (the overview:
    and its selected workflow's plot complete)."""
    app = pilot.app

    def ready() -> bool:
        screen = app.screen
        if not isinstance(screen, screen_type) or screen.loads < loads:  # type: ignore[attr-defined]
            return False
        if isinstance(screen, CiScreen) and not screen.settled:
            return False
        # A table given rows gets its height at a later layout pass: wait for it to show.
        return all(table.size.height > 0 for table in screen.query(CiTable).results(CiTable)
                   if table.display and table.row_count)

    await wait_for(pilot, ready, what=f"{screen_type.__name__} loaded")
    await pilot.pause(0.05)


async def settle(pilot: Pilot[object]) -> None:
    """After a key that moves the selection: its plot complete."""
    await pilot.pause(0.05)
    await wait_for(pilot, lambda: ci_screen(pilot.app).settled,  # type: ignore[arg-type]
                   what="the selected workflow's plot")


def table_rows(screen: object, selector: str = ".ci-workflows") -> list[list[str]]:
    rows = []
    for table in screen.query(selector).results(CiTable):  # type: ignore[attr-defined]
        for row in table.ordered_rows:
            rows.append([str(cell) for cell in table.get_row(row.key)])
    return rows


def toasts(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


# -- snapshots ------------------------------------------------------------------------------


def test_overview_with_alerts(snap_compare: Snap, seeded_url: str) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await loaded(pilot)

    assert snap_compare(frozen(seeded_url), terminal_size=SIZE, run_before=before)


def test_overview_80x24(snap_compare: Snap, seeded_url: str) -> None:
    """At 80 columns the workflow names and the per-day bars give way, no number does."""
    async def before(pilot: Pilot[object]) -> None:
        await loaded(pilot)
        await pilot.press("down", "down")  # widgets' CI: its plot below
        await settle(pilot)

    assert snap_compare(frozen(seeded_url), terminal_size=(80, 24), run_before=before)


def test_runs_view(snap_compare: Snap, seeded_url: str) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await loaded(pilot)
        await pilot.press("down", "down", "enter")  # widgets' CI: the run in progress first
        await loaded(pilot, RunsScreen)

    assert snap_compare(frozen(seeded_url), terminal_size=SIZE, run_before=before)


def test_jobs_view_marks_a_job_near_its_timeout(snap_compare: Snap, seeded_url: str) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await loaded(pilot)
        await pilot.press("down", "down", "down", "enter")  # widgets' Nightly
        await loaded(pilot, RunsScreen)
        await pilot.press("enter")  # its newest run: 58 of its 60 minutes
        await loaded(pilot, JobsScreen)

    assert snap_compare(frozen(seeded_url), terminal_size=SIZE, run_before=before)


def test_alert_facts_view(snap_compare: Snap, seeded_url: str) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await loaded(pilot)
        await pilot.press("up", "enter")  # up: into the alerts, on the newest
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AlertScreen))

    assert snap_compare(frozen(seeded_url), terminal_size=SIZE, run_before=before)


def test_empty_store_says_what_to_do(snap_compare: Snap, tmp_path: Path) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await loaded(pilot)

    app = frozen(f"sqlite:///{tmp_path / 'new' / 'events.sqlite3'}")
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


# -- live: a delivery through a real receiver -------------------------------------------------


def post(url: str, event: str, payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
               "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sign(SECRET, body)}
    answer = httpx.post(url, content=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


async def test_a_delivery_to_the_receiver_appears_within_one_refresh(sqlite_url: str) -> None:
    """An empty store says what to do; a signed delivery posted to ``cockpit ci serve``'s
    receiver over loopback is in the table after one poll that saw it, with nothing else
    read in between (the facts are read once per change)."""
    poll = 0.3
    app = CiApp(CiContext(StoreReader(sqlite_url), standalone=True, poll_seconds=poll))
    with running_receiver(sqlite_url, SECRET) as receiver:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            screen = ci_screen(app)
            assert "No CI data yet" in screen_text(app) and "cockpit ci serve" in screen_text(app)
            await pilot.pause(poll * 2)
            assert screen.changes == 0, "nothing arrived, yet the facts were read again"
            polls, changes = screen.polls, screen.changes
            now = datetime.now(UTC)
            run_id = 7_700_001
            post(receiver.url, "workflow_run", workflow_run(
                "completed", run_id=run_id, repo="acme/live", workflow_name="Deploy",
                created_at=now - timedelta(minutes=5), updated_at=now))
            await wait_for(pilot, lambda: any(row[0] == "Deploy" for row in table_rows(screen)),
                           timeout=poll * 10, what="the delivery in the table")
            assert screen.changes == changes + 1, "one change, one reload"
            # Within one refresh counted in polls, not seconds: a loaded machine is slow,
            # not wrong.
            assert screen.polls - polls <= 2, f"{screen.polls - polls} polls (one to see it)"
            assert "No CI data yet" not in screen_text(app)
            deploy = next(row for row in table_rows(screen) if row[0] == "Deploy")
            assert deploy[1:5] == ["1", "100%", "5m00s", "5m00s"], deploy
            assert deploy[5:7] == ["—", "—"], "no job yet: no queue time, no runner counts"
            post(receiver.url, "workflow_job", workflow_job(
                "completed", run_id=run_id, repo="acme/live", workflow_name="Deploy",
                labels=("self-hosted", "linux"), created_at=now - timedelta(minutes=5),
                started_at=now - timedelta(minutes=4), completed_at=now))
            await wait_for(pilot, lambda: any(row[0] == "Deploy" and row[6] == "0/1"
                                              for row in table_rows(screen)),
                           timeout=poll * 10, what="the job's runner in the table")
            deploy = next(row for row in table_rows(screen) if row[0] == "Deploy")
            assert deploy[5] == "1m00s", deploy


async def test_no_data_is_never_drawn_as_zero(sqlite_url: str) -> None:
    """A run still going has no success rate and no duration yet: ``—``, not 0 % or 0s;
    a day without runs is ``·``, not the lowest bar."""
    store = open_store(sqlite_url)
    try:
        for day in (1, 3):
            store.ingest(delivery("workflow_run", workflow_run(
                "requested", run_id=8_800_000 + day, repo="acme/slow", workflow_name="Build",
                created_at=NOW - timedelta(days=day)), received_at=NOW - timedelta(days=day)))
    finally:
        store.close()
    app = frozen(sqlite_url)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        row = table_rows(ci_screen(app))[0]
        assert row[:7] == ["Build", "2", "—", "—", "—", "—", "—"], row
        assert set(row[7]) == {"·"}, "days with runs but no duration yet are no data either"
        plot = str(ci_screen(app).query_one("#ci-plot").render())
        assert "last —" in plot and "▁" not in plot


# -- filters, drill-down, back --------------------------------------------------------------


def names(screen: CiScreen) -> list[str]:
    return [row[0] for row in table_rows(screen)]


async def test_filters_by_repository_runner_window_and_name(seeded_url: str) -> None:
    app = frozen(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        screen = ci_screen(app)
        assert names(screen) == ["CI", "Docs", "CI", "Nightly", "Release"]

        async def press(*keys: str) -> None:
            loads = screen.loads
            await pilot.press(*keys)
            await wait_for(pilot, lambda: screen.loads > loads and screen.settled,
                           what=f"the screen after {keys}")

        await press("p")  # the first repository
        assert names(screen) == ["CI", "Docs"]
        assert [a.scope for a in screen.overview.alerts] == ["acme/gadgets/Docs"]  # type: ignore[union-attr]
        assert "repo acme/gadgets (p)" in screen_text(app)
        await press("p")
        assert names(screen) == ["CI", "Nightly", "Release"]
        await press("p")  # all again
        assert len(names(screen)) == 5

        await press("h")  # hosted jobs: Nightly runs on self-hosted runners only
        rows = {row[0] + str(i): row for i, row in enumerate(table_rows(screen))}
        assert names(screen) == ["CI", "Docs", "CI", "Release"]
        assert rows["CI2"][6] == "70/0" and rows["CI2"][5] != "4m28s"
        await press("h")  # self-hosted
        assert names(screen) == ["CI", "Nightly"]
        assert table_rows(screen)[0][6] == "0/35"
        await press("h")  # all
        await press("w")  # 30 days: the eighth day's runs count too
        assert "last 30d" in screen_text(app)
        assert table_rows(screen)[2][1] == "40"

        await pilot.press("slash", *"ni")
        await pilot.pause(0.1)
        assert names(screen) == ["Nightly"], "typed: filtered without a query"
        await pilot.press("escape")  # out of the box: the keys are keys again
        assert isinstance(app.focused, CiTable)
        await press("x")
        assert len(names(screen)) == 5
        assert screen.query_one("#ci-workflow-filter", Input).value == ""


async def test_drill_down_to_jobs_and_back(seeded_url: str, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    app = frozen(seeded_url)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("enter")  # gadgets' CI
        await loaded(pilot, RunsScreen)
        runs = app.screen
        assert isinstance(runs, RunsScreen) and runs.runs is not None
        created = [run.created_at for run in runs.runs.runs]
        assert created == sorted(created, reverse=True) and len(created) == 21
        await pilot.press("down", "enter")  # the second newest run
        await loaded(pilot, JobsScreen)
        jobs = app.screen
        assert isinstance(jobs, JobsScreen) and jobs.run.run_id == runs.runs.runs[1].run_id
        assert [row[0] for row in table_rows(jobs, "#ci-jobs")] == ["lint", "unit"]
        await pilot.press("down", "o")
        await wait_for(pilot, lambda: any("no browser here" in t for t in toasts(app)))
        job = jobs.jobs.jobs[1]  # type: ignore[union-attr]
        assert f"no browser here: {job.html_url}" in toasts(app)
        await pilot.press("escape")
        assert app.screen is runs
        await pilot.press("escape")
        screen = ci_screen(app)
        assert app.screen is screen and screen.selected == "acme/gadgets\x1fCI"

        await pilot.press("up", "up", "enter")  # into the alerts: the oldest one
        await wait_for(pilot, lambda: isinstance(app.screen, AlertScreen))
        text = screen_text(app)
        assert "FIRING: near-timeout on acme/widgets/Nightly/gpu-tests" in text
        assert "timeout_minutes" in text and "longest_ratio" in text and "0.968" in text
        await pilot.press("escape", "q")
        await pilot.pause(0.1)
    assert app.return_code == 0


async def test_C_opens_it_over_the_release_cockpit_whose_keys_stay_out(
        seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``C`` in the release cockpit: the CI screen of ``COCKPIT_CI_DATABASE``; ``r`` there
    runs no stage (the screen is modal); Esc and q come back to the release, which kept
    ticking beneath."""
    from screens.widgets.checklist import Checklist
    from tests.ui.helpers import frozen_app

    monkeypatch.setenv("COCKPIT_CI_DATABASE", seeded_url)
    app = frozen_app("drive")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CiScreen)
                       and app.screen.loads >= 1, what="the CI screen")
        assert "acme/widgets" in screen_text(app)
        await pilot.press("r", "c", "a")
        await pilot.pause(1.2)  # the release's clock ticks beneath
        assert app.running == {} and isinstance(app.screen, CiScreen)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.screen.query_one(Checklist) is not None
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CiScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("q")  # from anywhere in it: back to the release
        await pilot.pause(0.1)
        assert not isinstance(app.screen, CiScreen | RunsScreen)
        assert app.is_running


# -- both stores --------------------------------------------------------------------------


def test_the_screen_reads_postgresql_as_it_reads_sqlite(sqlite_url: str,
                                                        pg_url: str) -> None:  # noqa: F811
    """The screen's own queries (runs, jobs, the change signal) and the facts it draws give
    the same answers on a real PostgreSQL as on SQLite, seeded alike."""
    from screens.widgets.ci_data import ChangeWatch, load_jobs, load_overview, load_runs

    answers = []
    for url in (sqlite_url, pg_url):
        store = open_store(url)
        try:
            seed(store)
            overview = load_overview(store, Filters(), NOW.timestamp())
            repo = overview.repos[1]
            runs = load_runs(store, repo.repository, "Nightly", Filters(), NOW.timestamp())
            jobs = load_jobs(store, repo.repository, "Nightly", runs.runs[0])
            hosted = load_runs(store, repo.repository, "CI", Filters(runner="self-hosted"),
                               NOW.timestamp())
            watch = ChangeWatch()
            first, again = watch.changed(store), watch.changed(store)
            store.ingest(delivery("workflow_job", workflow_job("queued", repo="acme/widgets"),
                                  received_at=NOW))
            answers.append((overview, runs, jobs, hosted.total, first, again,
                            watch.changed(store), watch.changed(store)))
        finally:
            store.close()
    sqlite, postgres = answers
    assert sqlite[4:] == (True, False, True, False)
    assert postgres == sqlite
    assert sqlite[2].jobs[0].timeout_minutes == 60 and sqlite[3] == 35


# -- cockpit ci, in a real terminal ----------------------------------------------------------


@pytest.fixture
def seeded_now(tmp_path: Path) -> str:
    """A store seeded around the real clock (``cockpit ci`` reads the real time)."""
    url = f"sqlite:///{tmp_path / 'now' / 'events.sqlite3'}"
    store = open_store(url)
    try:
        seed(store, datetime.now(UTC))
    finally:
        store.close()
    return url


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_cockpit_ci_in_tmux_at_80x24(seeded_now: str, tmp_path: Path) -> None:
    """The console script's bare ``cockpit ci`` opens the screen on ``--database``; at 80x24
    every number column is there; q quits with 0. A database URL it cannot read is a
    message and exit 2 before any screen."""
    cockpit = Path(sys.executable).with_name("cockpit")
    bad = subprocess.run([str(cockpit), "ci", "--database", "mysql://nope"], capture_output=True,
                         text=True, timeout=30, check=False)
    assert bad.returncode == 2 and "is not a database URL" in bad.stderr, bad.stderr
    name = f"cockpit-ci-{uuid.uuid4().hex[:8]}"
    status = tmp_path / "exit-status"
    env = " ".join(f"{k}='{v}'" for k, v in os.environ.items()
                   if k.startswith(("PYTHON", "PATH", "HOME", "LANG", "LC_")))
    command = (f"env {env} TERM=xterm-256color {cockpit} ci --database '{seeded_now}'; "
               f"echo $? > {status}")
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command],
                   check=True)
    try:
        screen = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "Nightly" not in screen:
            time.sleep(0.2)
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
                                    capture_output=True, text=True, check=False).stdout
        assert "Nightly" in screen, screen
        (tmp_path / "capture-80x24.txt").write_text(screen)
        for column in ("runs", "ok", "p50", "p90", "queue90", "jobs h/s"):
            assert column in screen, screen
        assert "2 alerts firing" in screen and "acme/gadgets/Docs" in screen
        assert all(len(line) <= 80 for line in screen.splitlines())
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        deadline = time.monotonic() + 15
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)
