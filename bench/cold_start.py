"""Cold start: how long until the cockpit answers, and what its imports cost.

Measures, each N times in fresh processes (median and p90 side by side):

- ``python -c pass``            the interpreter alone, the floor under everything else
- ``python -c "import cockpit.cli"``  the import cost of the command line
- ``cockpit --version``         the console script end to end
- ``python -c "import textual.app"``  for reference: what the TUI adds when it loads

then lists the slowest modules under ``import cockpit.cli`` (``python -X importtime``,
cumulative) and says whether that import pulled in textual (it should not: the headless
verbs must stay cheap).

    python bench/cold_start.py [-n 20] [--warmup 2] [--module M ...] [--markdown] [--quick]

Runs with the interpreter that runs it: use the project's venv (``.venv/bin/python``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Timing, TimingRuns, machine_markdown, time_command, timing_table


def cockpit_script() -> str | None:
    """The ``cockpit`` console script beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "cockpit"
    if beside.exists():
        return str(beside)
    return shutil.which("cockpit")


def import_profile(module: str) -> tuple[list[tuple[int, int, str]], str | None]:
    """(cumulative us, self us, module) of every import, slowest first, or an error."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return [], f"exit {proc.returncode}: {lines[-1] if lines else ''}"
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    rows.sort(reverse=True)
    return rows, None


RUNS = TimingRuns(runs=20, warmup=2, quick_runs=5)


def main(argv: list[str] | None = None) -> int:
    parser = RUNS.parser(__doc__)
    parser.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="MODULE",
        help="also time `import MODULE` (repeatable)",
    )
    args = RUNS.parse(parser, argv)

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    py = sys.executable
    timings: list[Timing] = [
        time_command(
            "interpreter: `python -c pass`", [py, "-c", "pass"], args.runs, args.warmup, env
        ),
        time_command(
            "`import cockpit.cli`", [py, "-c", "import cockpit.cli"], args.runs, args.warmup, env
        ),
    ]
    for module in args.module:
        timings.append(
            time_command(
                f"`import {module}`", [py, "-c", f"import {module}"], args.runs, args.warmup, env
            )
        )
    script = cockpit_script()
    if script is None:
        timings.append(
            Timing(
                "`cockpit --version`",
                "cockpit --version",
                error="no cockpit console script installed",
            )
        )
    else:
        timings.append(
            time_command("`cockpit --version`", [script, "--version"], args.runs, args.warmup, env)
        )
    timings.append(
        time_command(
            "reference: `import textual.app`",
            [py, "-c", "import textual.app"],
            args.runs,
            args.warmup,
            env,
        )
    )

    profile, profile_error = import_profile("cockpit.cli")
    textual_loaded = any(name.strip().split(".")[0] == "textual" for _, _, name in profile)

    out = []
    if args.markdown:
        out.append("### cold_start\n")
    out.append(timing_table(timings))
    out.append("")
    if profile_error:
        out.append(f"Import profile of `cockpit.cli`: n/a — `{profile_error}`")
    else:
        out.append("Slowest imports under `import cockpit.cli` (`-X importtime`, one run):\n")
        out.append("| module | cumulative ms | self ms |")
        out.append("| --- | ---: | ---: |")
        for cumulative, own, name in profile[:12]:
            out.append(f"| `{name.strip()}` | {cumulative / 1e3:.1f} | {own / 1e3:.1f} |")
        out.append("")
        out.append(f"textual imported by `import cockpit.cli`: {'YES' if textual_loaded else 'no'}")
    if not args.markdown:
        out.insert(0, machine_markdown() + "\n")
    print("\n".join(out))
    # Missing pieces are reported, not failures: the harness records what exists.
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
