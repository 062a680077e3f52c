"""Status probe: every check of every stage of a release, against a sandbox with latency.

Side by side in one run, on one sandbox, for the same release state, at each latency
(100 and 300 ms added to every request): `cockpit status` checking each action alone
with its own requests, one after another (the plain path, `--one-at-a-time`); the
default, checks at once against one snapshot of the world (each GET question asked
once, GitHub's reads the checks declared fetched ahead in one GraphQL query, each clone
fetched once) with a cold on-disk ETag cache (a fresh workspace); the same again with
the cache warm (a second status by the same user: 304s cost no rate limit); the TUI
(drive mode, headless): its opening check (the tracking issue's journal, then every
check; from the app's start to the last result) and then `a`, every check again (from
the key to the last result); and `cockpit status` as a command, process start to exit (Python's
start-up and the imports included). Reports wall time, checks, requests the sandbox saw
and GitHub rate-limit points used (REST plus GraphQL).

The sandbox runs in a process of its own (``_sandbox_process``): its work is not the
client's. The in-process rows time the status from the moment its session exists.

    python bench/status_probe.py [--markdown] [--latency-ms 100 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _sandbox_process
from _common import machine_markdown

from cockpit import status as status_module
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.local_journal import Journal
from cockpit.model import Release, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter
from cockpit.settings import Settings


async def probe(version: str, *, one_at_a_time: bool,
                playbook_path: Path | None = None) -> tuple[float, int, int]:
    """One `cockpit status` in-process (the built-in playbook unless ``playbook_path``):
    seconds, checks, GitHub points."""
    playbook = load_playbook(playbook_path)
    release = Release(playbook=playbook.name, version=playbook.parse_version(version),
                      driver="bench", host="b")
    session = Session(settings=Settings(), prompter=AnswersPrompter(), release=release,
                      read_only=True)
    engine = Engine(playbook, session)
    start = time.perf_counter()
    try:
        rows = await status_module.release_status(engine, Journal(Settings().state_dir, "x"),
                                                  one_at_a_time=one_at_a_time)
    finally:
        await session.aclose()
    return time.perf_counter() - start, len(rows.rows), session.usage.github_points


async def tui_probe(version: str, *, opening: bool = False) -> tuple[float, int, int]:
    """The TUI in drive mode, headless: with ``opening``, its opening check (after the
    first paint: the tracking issue's journal, then every check), timed from the app's
    start; else `a` (check everything again) once the opening is over, from the key."""
    from cockpit.cli import make_release
    from screens.launch import build_app

    playbook = load_playbook()
    app = build_app(playbook, make_release(playbook, Version.parse(version), "bench"), "drive",
                    journal=False)
    usage = app.engine.session.usage
    start, points = time.perf_counter(), 0
    async with app.run_test(size=(160, 48)) as pilot:
        while not app.last_check_cost:  # set when the opening's checks have all answered
            await pilot.pause(0.01)
        if not opening:
            start, points = time.perf_counter(), usage.github_points
            await pilot.press("a")
            while "*" in app.running:
                await pilot.pause(0.01)
        seconds = time.perf_counter() - start
    checked = sum(1 for stage in app.state.stages.values() for action in stage.actions.values()
                  if action.reason)
    await app.engine.session.aclose()  # lets go of its clones for the next row's process
    return seconds, checked, usage.github_points - points


async def command_probe(version: str) -> tuple[float, int, int]:
    """`cockpit status --json` as a command: process start to exit."""
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("cockpit")), "status", "--release", version,
        "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await process.communicate()
    seconds = time.perf_counter() - start
    report = json.loads(out)
    return seconds, len(report["actions"]), int(report["requests"]["github_points"])


ROWS: list[tuple[str, str, Callable[[str], Coroutine[Any, Any, tuple[float, int, int]]]]] = [
    ("`cockpit status --one-at-a-time` (each check alone)", "cold",
     lambda v: probe(v, one_at_a_time=True)),
    ("`cockpit status` (read ahead, shared reads)", "cold",
     lambda v: probe(v, one_at_a_time=False)),
    ("`cockpit status` again", "warm", lambda v: probe(v, one_at_a_time=False)),
    ("TUI opening: the journal, then every check (from the app's start)", "warm",
     lambda v: tui_probe(v, opening=True)),
    ("TUI `a`, check everything again (from the key; requests: its opening's too)", "warm",
     tui_probe),
    ("`cockpit status --json` as a command (process start to exit)", "warm", command_probe),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--version", default="v0.30.0-rc1")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as home:
        os.environ["COCKPIT_STATE_DIR"] = str(Path(home) / "state")
        for latency in args.latency_ms:
            handle = _sandbox_process.start(Path(home) / f"sandbox-{latency}",
                                            latency_ms=latency)
            os.environ.update(handle.env)
            try:
                workspace = ""
                for label, cache, how in ROWS:
                    if cache == "cold":  # a new workspace: nothing on disk yet
                        workspace = tempfile.mkdtemp(dir=home)
                    os.environ["COCKPIT_WORKSPACE_DIR"] = workspace
                    before = handle.requests()
                    seconds, checks, points = asyncio.run(how(args.version))
                    api_requests = handle.requests() - before
                    results.append((label, latency, cache, seconds, checks, api_requests, points))
            finally:
                handle.stop()
    lines = [
        "### status_probe", "",
        f"Release {args.version}, fresh sandbox world, each latency added to every HTTP "
        "request (git fetches go through the same server). Cache: the user's on-disk ETag "
        "cache, empty (cold) or filled by the row above (warm).", "",
        "| checks run | latency ms | cache | wall s | checks | sandbox requests | GitHub points |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for label, latency, cache, seconds, checks, requests, points in results:
        lines.append(f"| {label} | {latency} | {cache} | {seconds:.2f} | {checks} | {requests} "
                     f"| {points} |")
    for latency in args.latency_ms:
        rows = [r for r in results if r[1] == latency]
        lines.append(f"\nAt {latency} ms: reading ahead {rows[0][3] / rows[1][3]:.1f}x faster "
                     f"than one check at a time ({rows[1][5]} vs {rows[0][5]} requests, "
                     f"{rows[1][6]} vs {rows[0][6]} GitHub points); repeated, {rows[2][6]} "
                     f"points.")
    text = "\n".join(lines)
    print(machine_markdown() + "\n" + text if args.markdown else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
