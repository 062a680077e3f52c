"""End to end: a whole RC release in the sandbox, two ways side by side, then a rerun.

- one process: every stage in one `cockpit` process, as `cockpit demo --headless` runs
  them (one session: shared connections, ETag cache and git clones);
- 15 commands: the same release as sequential single calls, one `cockpit run STAGE`
  process per stage (a fresh session, connection and clone fetch each time);
- rerun: the 15 commands again on the finished world; it must change nothing (its
  mutating request count is reported and must be 0).

Each of the first two gets a fresh sandbox (the seeded world), in the same run, so the
figures compare. Reported: wall time, requests (all, mutating, answered 304 from the ETag
cache), peak RSS of the cockpit processes, and stages not done.

    python bench/e2e_release.py [--markdown] [--version v0.30.0-rc1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_markdown, run_whole_release

from cockpit.demo import demo_environment
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle


def run_stage(stage: str, version: str, answers: Path) -> tuple[int, int]:
    """(exit code, peak RSS in KiB) of one `cockpit run`."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "screens.main", "run", stage, "--version", version, "--yes",
         "--answers", str(answers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss


def fifteen_commands(version: str, answers: Path) -> tuple[int, list[str]]:
    """(peak RSS KiB, stages not done) of the release as 15 `cockpit run` commands."""
    peak, failed = 0, []
    for stage in (s.id for s in load_playbook().stages):
        code, rss = run_stage(stage, version, answers)
        peak = max(peak, rss)
        if code != 0:
            failed.append(f"{stage} (exit {code})")
    return peak, failed


def one_process(version: str, answers: Path) -> tuple[int, list[str]]:
    run = run_whole_release(version, answers)
    if run.error:
        return 0, [run.error]
    return run.peak_kib, [] if run.exit == 0 else [f"exit {run.exit}"]


def row(label: str, handle: SandboxHandle, drive: Callable[[], tuple[int, list[str]]]) -> str:
    before = len(handle.requests())
    start = time.perf_counter()
    peak, failed = drive()
    wall = time.perf_counter() - start
    new = handle.requests()[before:]
    mutating = sum(1 for r in new if r.get("mutating"))
    cached = sum(1 for r in new if r.get("status") == 304)
    return (f"| {label} | {wall:.1f} | {len(new)} | {mutating} | {cached} | "
            f"{peak / 1024:.0f} | {', '.join(failed) or 'none'} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true", help="accepted; the run is the same")
    parser.add_argument("--version", default="v0.30.0-rc1")
    args = parser.parse_args()
    source = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    rows: list[str] = []
    with resources.as_file(source) as answers:
        with tempfile.TemporaryDirectory() as home, demo_environment(Path(home)) as handle:
            rows.append(row("one process, all stages", handle,
                            lambda: one_process(args.version, answers)))
        with tempfile.TemporaryDirectory() as home, demo_environment(Path(home)) as handle:
            rows.append(row("15 `cockpit run` commands", handle,
                            lambda: fifteen_commands(args.version, answers)))
            rows.append(row("rerun: 15 commands again", handle,
                            lambda: fifteen_commands(args.version, answers)))
    lines = ["### e2e_release", "",
             f"Release {args.version} in the sandbox (fresh world for each of the first two "
             "rows), `--yes` with the demo answers, workflow simulator at the demo's time "
             "scale.", "",
             "| how | wall s | requests | mutating | 304 | peak RSS MiB | stages not done |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |", *rows]
    text = "\n".join(lines)
    print(text if args.markdown else machine_markdown() + "\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
