"""Cold start to first paint of the main screen: in a real terminal (tmux) and headless.

- tmux: `cockpit --walkthrough --release V` in a fresh tmux session (160x48); the clock
  stops when the release header is on the pane (polled every 5 ms with capture-pane, so
  the figure includes up to ~5 ms of polling and tmux's own redraw).
- headless: a fresh interpreter builds the same app (Kubo playbook, walkthrough) and runs
  it under textual's headless driver; the clock stops after the first refresh.

Both clocks start just before the process is spawned, so interpreter start and every
import count. Walkthrough mode makes no request at start, so no server is needed.

    .venv/bin/python bench/first_paint.py [-n 10] [--markdown] [--quick]

Target (issue 8): first paint under 400 ms.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Timing, machine_markdown, timing_table

VERSION = "v0.30.0-rc1"
HEADLESS = textwrap.dedent("""
    import asyncio, sys, time
    from cockpit.cli import make_release
    from cockpit.model import Version
    from cockpit.playbook import load_playbook
    from screens.launch import build_app

    async def main():
        playbook = load_playbook()
        app = build_app(playbook, make_release(playbook, Version.parse(sys.argv[1]), "bench"),
                        "walkthrough", journal=False)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            print(time.perf_counter(), flush=True)

    asyncio.run(main())
""")


def environment(home: str) -> dict[str, str]:
    return dict(os.environ, HOME=home, TERM="xterm-256color",
                PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
                COCKPIT_STATE_DIR=str(Path(home) / "state"))


def headless_once(env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", HEADLESS, VERSION], capture_output=True,
                          text=True, env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1]) - start


def tmux_once(script: str, env: dict[str, str]) -> float:
    name = f"bench-paint-{uuid.uuid4().hex[:8]}"
    command = " ".join(shlex.quote(part) for part in
                       ["env", *(f"{k}={v}" for k, v in env.items() if k.startswith(
                           ("COCKPIT_", "PYTHON", "HOME", "TERM"))),
                        script, "--walkthrough", "--release", VERSION])
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", command],
                   check=True, env=env)
    try:
        while time.perf_counter() - start < 20:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
                                  capture_output=True, text=True, check=False).stdout
            if "mode: WALKTHROUGH" in pane:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise RuntimeError(f"no first paint after 20 s:\n{pane}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def measure(label: str, once: object, runs: int, warmup: int) -> Timing:
    timing = Timing(label, label)
    for number in range(warmup + runs):
        try:
            elapsed = once()  # type: ignore[operator]
        except (subprocess.CalledProcessError, RuntimeError, ValueError) as exc:
            timing.error = str(exc).strip().splitlines()[-1][:200]
            timing.samples.clear()
            return timing
        if number >= warmup:
            timing.samples.append(elapsed)
    return timing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, warmup = (3, 1) if args.quick else (args.runs, 2)
    script = shutil.which("cockpit", path=str(Path(sys.executable).parent)) or "cockpit"
    with tempfile.TemporaryDirectory(prefix="bench-paint-") as home:
        env = environment(home)
        timings = [measure("headless: first refresh of the main screen",
                           lambda: headless_once(env), runs, warmup)]
        if shutil.which("tmux"):
            timings.append(measure("tmux: `cockpit --walkthrough` header on screen",
                                   lambda: tmux_once(script, env), runs, warmup))
        else:
            timings.append(Timing("tmux", "tmux", error="tmux is not installed"))
    if args.markdown:
        print("### first_paint\n\nProcess spawn → main screen painted (Kubo playbook, 15 "
              "stages, walkthrough). Target: under 400 ms.\n")
    else:
        print(machine_markdown() + "\n")
    print(timing_table(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
