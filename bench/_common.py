"""Helpers shared by the benchmarks: timing subprocesses, statistics, machine facts.

Not a benchmark itself (run_all.py skips files whose name starts with ``_``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Timing:
    """Wall times (seconds) of repeated runs of one command, or why it could not run."""

    label: str
    command: str
    samples: list[float] = field(default_factory=list)
    error: str | None = None

    def quantile(self, q: float) -> float:
        """Nearest-rank quantile, q in [0, 1]."""
        ordered = sorted(self.samples)
        rank = max(1, round(q * len(ordered) + 0.5 - 1e-9))
        return ordered[min(rank, len(ordered)) - 1]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        return self.quantile(0.9)


@dataclass(frozen=True)
class TimingRuns:
    """How many times a command-timing benchmark runs each command, and with ``--quick``."""

    runs: int
    warmup: int
    quick_runs: int
    """Timed runs with ``--quick`` (after 1 warm-up)."""

    def parser(self, doc: str) -> argparse.ArgumentParser:
        """A parser described by ``doc``'s first line with the options every command-timing
        benchmark takes: -n/--runs, --warmup, --quick, --markdown."""
        parser = argparse.ArgumentParser(description=doc.splitlines()[0])
        parser.add_argument("-n", "--runs", type=int, default=self.runs,
                            help="timed runs per command")
        parser.add_argument("--warmup", type=int, default=self.warmup,
                            help="untimed runs first")
        parser.add_argument("--quick", action="store_true",
                            help=f"{self.quick_runs} runs, 1 warm-up")
        parser.add_argument("--markdown", action="store_true", help="print a results section")
        return parser

    def parse(self, parser: argparse.ArgumentParser, argv: list[str] | None
              ) -> argparse.Namespace:
        """``argv`` parsed, with ``--quick`` applied to the runs and warm-ups."""
        args = parser.parse_args(argv)
        if args.quick:
            args.runs, args.warmup = self.quick_runs, 1
        return args


def time_command(
    label: str, argv: Sequence[str], runs: int, warmup: int = 1, env: dict[str, str] | None = None
) -> Timing:
    """Run ``argv`` ``warmup`` + ``runs`` times and keep the wall time of the last ``runs``.

    The first failing run stops the measurement and records its error instead.
    """
    timing = Timing(label, " ".join(argv))
    for i in range(warmup + runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            timing.error = f"exit {proc.returncode}: {lines[-1] if lines else ''}"
            timing.samples.clear()
            return timing
        if i >= warmup:
            timing.samples.append(elapsed)
    return timing


def timing_table(timings: Sequence[Timing]) -> str:
    """A markdown table: one row per command, median / p90 / min / max in ms."""
    rows = [
        "| what | runs | median ms | p90 ms | min ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in timings:
        if t.error:
            rows.append(f"| {t.label} | 0 | n/a | n/a | n/a | n/a — `{t.error}` |")
            continue
        rows.append(
            f"| {t.label} | {len(t.samples)} | {t.median * 1e3:.0f} | {t.p90 * 1e3:.0f} "
            f"| {min(t.samples) * 1e3:.0f} | {max(t.samples) * 1e3:.0f} |"
        )
    return "\n".join(rows)


def git_commit() -> str:
    """The checked-out commit (short), with ``+dirty`` when the work tree differs from it.

    Untracked files count (a module not yet committed changes what is measured); changes
    under bench/ itself do not (results are appended there while running).
    """
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", ".", ":!bench"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if status else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def machine() -> dict[str, str]:
    """Facts about where a benchmark ran, for the header of a results section."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}"
        f" ({sys.executable})",
    }


def machine_markdown() -> str:
    return "\n".join(f"- {key}: {value}" for key, value in machine().items())


WHOLE_RELEASE = textwrap.dedent("""
    import asyncio, resource, sys
    from pathlib import Path
    from cockpit.cli import _run
    from cockpit.model import Version
    from cockpit.playbook import load_playbook
    from cockpit.prompts import AnswersPrompter

    version, answers = sys.argv[1], Path(sys.argv[2])
    playbook = load_playbook()
    prompter = AnswersPrompter.from_file(answers, yes=True)
    code = asyncio.run(_run(playbook, Version.parse(version), [s.id for s in playbook.stages],
                            prompter))
    rss = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"WHOLE-RELEASE {code} {rss} {peak}", file=sys.stderr)
""")
"""One process that drives every stage of a release, as ``cockpit demo --headless`` does
(argv: version, answers file); its last stderr line is ``WHOLE-RELEASE exit rss peak``."""


@dataclass
class ReleaseRun:
    exit: int
    seconds: float
    rss_kib: int
    peak_kib: int
    error: str | None = None


def run_whole_release(version: str, answers: Path, env: dict[str, str] | None = None
                      ) -> ReleaseRun:
    """Drive a whole release in one fresh process against the sandbox the env points at."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WHOLE_RELEASE, version, str(answers)],
                          capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    found = [line for line in done.stderr.splitlines() if line.startswith("WHOLE-RELEASE ")]
    if not found:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return ReleaseRun(done.returncode, seconds, 0, 0, f"exit {done.returncode}: {tail}")
    _, code, rss, peak = found[-1].split()
    return ReleaseRun(int(code), seconds, int(rss), int(peak))
