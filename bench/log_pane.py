"""Key-press latency while a stage streams 100k log lines into the TUI's log pane.

A registered bench-only action kind writes N lines through the real path
(``ctx.log`` → engine ``LogLine`` event → bus → app listener → ``LogPane``'s store; its
line-API view catches up every 80 ms), yielding to the loop every CHUNK lines
as a subprocess reader would. Meanwhile a key (j / k: move the checklist cursor) is
posted every 50 ms and the time until its binding runs is recorded.

    .venv/bin/python bench/log_pane.py [--lines 100000] [--chunk 1000] [--markdown] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.actions.base import Params, Step, register
from cockpit.model import CheckResult
from cockpit.playbook import Playbook
from tests.engine_setup import Act, Stage, playbook


class FloodParams(Params):
    lines: int
    chunk: int


@register
class Flood(Step[FloodParams]):
    kind = "bench.flood"
    summary = "Write many log lines (benchmark only)"
    done = False

    def explain(self) -> str:
        return "Writes log lines as fast as it can."

    async def check(self) -> CheckResult:
        if Flood.done:
            return CheckResult.done("flooded")
        return CheckResult.incomplete("not yet")

    async def apply(self) -> None:
        total, chunk = self.params.lines, self.params.chunk
        for start in range(0, total, chunk):
            for number in range(start, min(total, start + chunk)):
                self.ctx.log(f"line {number:6}: building github.com/ipfs/kubo/core/node ok")
            await asyncio.sleep(0)
        Flood.done = True


def bench_playbook(lines: int, chunk: int) -> Playbook:
    """One stage that floods the log, and another for the cursor to go to."""
    return playbook(
        Stage("flood", [Act("flood", "bench.flood", {"lines": lines, "chunk": chunk},
                            title="Write lines")],
              title="Flood the log", summary="Many lines."),
        Stage("other", [Act("by-hand", "manual", {"instructions": "nothing"}, title="Nothing")],
              title="Another stage", summary="Somewhere for the cursor to go."),
        name="bench", title="Log pane benchmark")


async def measure(lines: int, chunk: int) -> dict[str, object]:
    from textual import events

    from cockpit.model import Release, Version
    from cockpit.settings import Settings
    from screens.launch import build_app
    from screens.widgets.checklist import Checklist
    from screens.widgets.log_pane import LogPane

    Flood.done = False
    plan = bench_playbook(lines, chunk)
    home = Path(tempfile.mkdtemp(prefix="bench-log-"))
    settings = Settings(state_dir=home / "state", workspace_dir=home / "work")
    release = Release(playbook="bench", version=Version.parse("v0.30.0-rc1"), driver="bench",
                      host="bench")
    app = build_app(plan, release, "drive", settings=settings, journal=False)
    latencies: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        checklist = app.query_one(Checklist)
        pane = app.query_one(LogPane)
        handled: asyncio.Future[float] | None = None
        original_down, original_up = checklist.action_cursor_down, checklist.action_cursor_up

        def stamp() -> None:
            if handled is not None and not handled.done():
                handled.set_result(time.perf_counter())

        def down() -> None:
            original_down()
            stamp()

        def up() -> None:
            original_up()
            stamp()

        checklist.action_cursor_down = down  # type: ignore[method-assign]
        checklist.action_cursor_up = up  # type: ignore[method-assign]
        checklist.root.children[0].expand()
        await pilot.pause()
        started = time.perf_counter()
        app.run_stage("flood")
        key = "j"
        while "flood" in app.running or len(pane.lines.get("flood", ())) < lines:
            handled = asyncio.get_running_loop().create_future()
            sent = time.perf_counter()
            app.post_message(events.Key(key, key))
            try:
                at = await asyncio.wait_for(handled, timeout=5)
                latencies.append(at - sent)
            except TimeoutError:
                latencies.append(5.0)
            key = "k" if key == "j" else "j"
            await asyncio.sleep(0.05)
            if time.perf_counter() - started > 120:
                break
        ingested = time.perf_counter() - started
        await pilot.pause(0.2)
        shown = pane.log_widget.line_count
    latencies.sort()
    return {
        "lines": lines, "chunk": chunk, "stored": len(pane.lines.get("flood", ())),
        "shown": shown, "seconds": ingested, "flushes": pane.flushes,
        "keys": len(latencies),
        "p50": statistics.median(latencies) * 1000,
        "p90": latencies[min(len(latencies) - 1, int(len(latencies) * 0.9))] * 1000,
        "max": latencies[-1] * 1000,
        "over_100ms": sum(1 for x in latencies if x > 0.1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, nargs="+", default=[100, 1000],
                        help="lines the producer writes between yields to the loop")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    runs = 1 if args.quick else args.runs
    lines = 20_000 if args.quick else args.lines
    results = [asyncio.run(measure(lines, chunk)) for chunk in args.chunk for _ in range(runs)]
    header = ("| run | chunk | lines | stored / shown | ingest s | flushes | keys | p50 ms | p90 ms "
              "| max ms | keys > 100 ms |")
    rows = [header, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for number, r in enumerate(results, 1):
        rows.append(f"| {number} | {r['chunk']} | {r['lines']} | {r['stored']} / {r['shown']} "
                    f"| {r['seconds']:.2f} | {r['flushes']} | {r['keys']} | {r['p50']:.1f} "
                    f"| {r['p90']:.1f} | {r['max']:.1f} | {r['over_100ms']} |")
    text = "\n".join(rows)
    if args.markdown:
        print(f"### log_pane\n\nKey-press latency (post → binding runs) while one stage "
              f"streams {lines} lines through engine → bus → buffered LogPane "
              "(the producer yields to the loop every `chunk` lines; a key every 50 ms; "
              "headless 120x36).\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
