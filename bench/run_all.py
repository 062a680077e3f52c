"""Run every benchmark in bench/ and append their results to bench/RESULTS.md.

A benchmark is any ``bench/*.py`` except this file and helpers whose name starts with
``_``. Each one is run as ``python bench/NAME.py --markdown [--quick]`` with the
interpreter that runs this script, and must print a markdown section on stdout and exit
0. A failing or timed-out benchmark is recorded as such, and the others still run.

    python bench/run_all.py                 # all, appended to bench/RESULTS.md
    python bench/run_all.py --quick         # fewer iterations, for a smoke run
    python bench/run_all.py --only cold_start --dry-run   # print, do not append

Exits non-zero if any benchmark failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_markdown

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"


def benchmarks() -> list[Path]:
    me = Path(__file__).name
    return sorted(p for p in BENCH.glob("*.py") if p.name != me and not p.name.startswith("_"))


def run_one(path: Path, quick: bool, timeout: float) -> tuple[bool, str, float]:
    argv = [sys.executable, str(path), "--markdown"] + (["--quick"] if quick else [])
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        elapsed = time.perf_counter() - start
        return False, f"### {path.stem}\n\nFAILED: timed out after {timeout:.0f} s\n", elapsed
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        text = f"### {path.stem}\n\nFAILED: exit {proc.returncode}\n\n```\n{tail}\n```\n"
        return False, text, elapsed
    return True, proc.stdout.rstrip() + "\n", elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument("--quick", action="store_true", help="pass --quick to each benchmark")
    parser.add_argument("--dry-run", action="store_true", help="print; do not touch RESULTS.md")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per benchmark")
    args = parser.parse_args(argv)

    chosen = [p for p in benchmarks() if not args.only or p.stem in args.only]
    unknown = set(args.only) - {p.stem for p in chosen}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")

    sections = [
        "",
        f"## Run {'(quick) ' if args.quick else ''}of {len(chosen)} benchmark(s)",
        "",
        machine_markdown(),
        "",
    ]
    failed = []
    for path in chosen:
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        ok, text, elapsed = run_one(path, args.quick, args.timeout)
        print(f"  {'ok' if ok else 'FAILED'} in {elapsed:.1f} s", file=sys.stderr)
        if not ok:
            failed.append(path.stem)
        sections.append(text)
    report = "\n".join(sections)

    if args.dry_run:
        print(report)
    else:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(report)
        print(f"appended to {RESULTS}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
