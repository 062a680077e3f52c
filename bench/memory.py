"""Memory: the cockpit's RSS after a whole release, and the TUI's with 1M log lines streamed.

Two measurements, side by side in one run:

- release: one process runs all 15 stages of an RC release against a sandbox (the
  sandbox lives in this benchmark's process, so its memory is not counted); reported
  are the process's RSS when the release is done and its peak RSS.
- log: the TUI (headless, 120x36) while one stage streams N log lines through the real
  path (``ctx.log`` → engine event → bus → buffered ``LogPane``), using the flood kind
  of ``log_pane.py``; reported is the RSS before and after, and the peak.

    .venv/bin/python bench/memory.py [--lines 1000000] [--markdown] [--quick]

Target (issue 8): under 200 MB for both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_markdown, run_whole_release


def rss_kib() -> int:
    """This process's resident set size now, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def release_memory(version: str) -> dict[str, object]:
    """Final and peak RSS (KiB) of one process driving a whole release."""
    from cockpit.demo import demo_environment

    source = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    with tempfile.TemporaryDirectory() as home, demo_environment(Path(home)), \
            resources.as_file(source) as answers:
        run = run_whole_release(version, answers)
    if run.error:
        return {"error": run.error}
    return {"exit": run.exit, "rss": run.rss_kib, "peak": run.peak_kib}


async def log_memory(lines: int) -> dict[str, object]:
    """RSS (KiB) of the TUI before and after streaming ``lines`` log lines."""
    import log_pane

    before = rss_kib()
    result = await log_pane.measure(lines, 1000)
    return {"before": before, "after": rss_kib(),
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "stored": result["stored"], "seconds": result["seconds"],
            "p90": result["p90"]}


def mib(kib: object) -> str:
    return f"{int(str(kib)) / 1024:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--version", default="v0.30.0-rc1")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    lines = 100_000 if args.quick else args.lines
    release = release_memory(args.version)
    log = asyncio.run(log_memory(lines))
    rows = ["| what | RSS at end MiB | peak RSS MiB | notes |", "| --- | ---: | ---: | --- |"]
    if "error" in release:
        rows.append(f"| whole {args.version} release, one process | n/a | n/a | "
                    f"{release['error']} |")
    else:
        rows.append(f"| whole {args.version} release, one process | {mib(release['rss'])} | "
                    f"{mib(release['peak'])} | exit {release['exit']}; sandbox not counted |")
    rows.append(f"| TUI streaming {lines:,} log lines | {mib(log['after'])} | {mib(log['peak'])} "
                f"| {mib(log['before'])} MiB before; {log['stored']:,} lines kept; "
                f"ingest {float(str(log['seconds'])):.1f} s; key p90 "
                f"{float(str(log['p90'])):.0f} ms |")
    text = "\n".join(rows)
    if args.markdown:
        print("### memory\n\nTarget: under 200 MB. The log row's process also holds the "
              "benchmark harness (textual's test pilot).\n")
    else:
        print(machine_markdown() + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
