"""Status probe: every check of every stage of a release, against a sandbox with latency.

Side by side in one run, on one sandbox (100 ms added to every request), for the same
release state: the checks one after another (concurrency 1) and with the bounded
concurrency `cockpit status` uses; then the same two for the TUI's check of everything
(`a`, drive mode, headless; clock stopped when the checklist has every result). Reports wall
time and request count for each.

    python bench/status_probe.py [--markdown] [--quick] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_markdown

from cockpit import status as status_module
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.local_journal import Journal
from cockpit.model import Release, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter
from cockpit.sandbox.testing import start_sandbox, stop_sandbox
from cockpit.settings import Settings


async def probe(concurrency: int, version: str) -> tuple[float, int]:
    status_module.MAX_CONCURRENT_CHECKS = concurrency
    playbook = load_playbook()
    release = Release(playbook="kubo", version=Version.parse(version), driver="bench", host="b")
    session = Session(settings=Settings(), prompter=AnswersPrompter(), release=release,
                      read_only=True)
    engine = Engine(playbook, session)
    start = time.perf_counter()
    try:
        rows = await status_module.release_status(engine, Journal(Settings().state_dir, "x"))
    finally:
        await session.aclose()
    return time.perf_counter() - start, len(rows.rows)


async def tui_probe(concurrency: int, version: str) -> tuple[float, int]:
    """The TUI's `a` (check everything, drive mode): from the key to every action checked."""
    import screens.app
    from cockpit.cli import make_release
    from screens.launch import build_app

    screens.app.MAX_CONCURRENT_CHECKS = concurrency
    playbook = load_playbook()
    app = build_app(playbook, make_release(playbook, Version.parse(version), "bench"), "drive",
                    journal=False)
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        await pilot.press("a")
        while "*" in app.running:
            await pilot.pause(0.01)
        seconds = time.perf_counter() - start
    checked = sum(1 for stage in app.state.stages.values() for action in stage.actions.values()
                  if action.reason)
    return seconds, checked


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--version", default="v0.30.0-rc1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        handle = start_sandbox(Path(home) / "sandbox", latency_ms=args.latency_ms)
        os.environ.update(handle.env)
        os.environ["COCKPIT_STATE_DIR"] = str(Path(home) / "state")
        os.environ["COCKPIT_WORKSPACE_DIR"] = str(Path(home) / "work")
        try:
            results = []
            for label, concurrency, how in (
                    ("`cockpit status`, one after another", 1, probe),
                    ("`cockpit status`, bounded concurrency", 16, probe),
                    ("TUI `a` (check everything), one after another", 1, tui_probe),
                    ("TUI `a` (check everything), bounded concurrency", 16, tui_probe)):
                before = len(handle.requests())
                seconds, checks = asyncio.run(how(concurrency, args.version))
                api_requests = len(handle.requests()) - before
                results.append((label, concurrency, seconds, checks, api_requests))
        finally:
            stop_sandbox(handle)
    lines = [
        "### status_probe", "",
        f"Release {args.version}, fresh sandbox world, {args.latency_ms} ms added per HTTP "
        "request (git fetches go through the same server).", "",
        "| checks run | concurrency | wall s | checks | sandbox requests |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, concurrency, seconds, checks, requests in results:
        lines.append(f"| {label} | {concurrency} | {seconds:.2f} | {checks} | {requests} |")
    ratio = results[0][2] / results[1][2]
    lines += ["", f"Speed-up of bounded concurrency: {ratio:.1f}x. Target: under 1.5 s."]
    text = "\n".join(lines)
    print(machine_markdown() + "\n" + text if args.markdown else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
