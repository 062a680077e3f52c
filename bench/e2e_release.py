"""End to end: a whole RC release in the sandbox, as 15 `cockpit run STAGE` commands.

Measures what a driver experiences: wall time per stage and in all, the requests the
release costs (all, mutating, answered 304 from the ETag cache), and the peak RSS of the
cockpit processes. Then runs every stage a second time, which must change nothing: the
rerun's mutating request count is reported too (it must be 0).

    python bench/e2e_release.py [--markdown] [--quick] [--version v0.30.0-rc1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_markdown

from cockpit.demo import demo_environment
from cockpit.playbook import load_playbook


def run_stage(stage: str, version: str, answers: Path) -> tuple[int, float, int]:
    """(exit code, seconds, peak RSS in KiB) of one `cockpit run`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit.cli", "run", stage, "--version", version, "--yes",
         "--answers", str(answers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - start, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--version", default="v0.30.0-rc1")
    args = parser.parse_args()
    stages = [s.id for s in load_playbook().stages]
    answers_source = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    rows: list[str] = []
    totals: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home, demo_environment(Path(home)) as handle, \
            resources.as_file(answers_source) as answers:
        for label in ("first run", "rerun"):
            before = len(handle.requests())
            start = time.perf_counter()
            peak = 0
            failed = []
            for stage in stages:
                code, _seconds, rss = run_stage(stage, args.version, answers)
                peak = max(peak, rss)
                if code != 0:
                    failed.append(f"{stage} (exit {code})")
            wall = time.perf_counter() - start
            new = handle.requests()[before:]
            mutating = sum(1 for r in new if r.get("mutating"))
            cached = sum(1 for r in new if r.get("status") == 304)
            totals[label] = wall
            rows.append(f"| {label} | {wall:.1f} | {len(new)} | {mutating} | {cached} | "
                        f"{peak / 1024:.0f} | {', '.join(failed) or 'none'} |")
    lines = ["### e2e_release", "",
             f"Release {args.version} in the sandbox, one `cockpit run STAGE --yes --answers` "
             "process per stage (15 commands), workflow simulator at its default time scale.",
             "", "| pass | wall s | requests | mutating | 304 | peak RSS MiB | stages not done |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |", *rows]
    text = "\n".join(lines)
    print(machine_markdown() + "\n" + text if args.markdown else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
