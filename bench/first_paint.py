"""Cold start to first paint of the main screen: in a real terminal (tmux) and headless.

- tmux: `cockpit --walkthrough --release V` in a fresh tmux session (160x48); the clock
  stops when the release header is on the pane (polled every 5 ms with capture-pane, so
  the figure includes up to ~5 ms of polling, tmux's own redraw, and the pollers' CPU on
  a 2-core machine).
- headless: a fresh interpreter builds the same app (Kubo playbook, walkthrough) and runs
  it under textual's headless driver; the clock stops when the first refresh is done (the
  first after-refresh callback).

Both clocks start just before the process is spawned, so interpreter start and every
import count. Walkthrough mode makes no request at start, so no server is needed.

The cockpit measured is installed the way the README's first command installs it
(`pip install .` into a fresh venv, built here once per run unless `--installed VENV`
names one); the project's editable venv is measured beside it, because an editable
install adds an import hook to every start. Rows, measured interleaved (one run of each
in turn) so that a noisy machine hits them alike:

- the floor: a minimal Textual app (one Static) in the same harness;
- the installed cockpit, warm (the usual start);
- the installed cockpit's first start after an install or upgrade: its cache of checked
  playbooks is empty, so every action kind is imported to check the playbook's parameters;
- the editable dev venv, warm.

No keyring backend is forced: tokens are looked up after the first paint.

    .venv/bin/python bench/first_paint.py [-n 10] [--markdown] [--quick] [--installed VENV]

Targets: first paint under 400 ms (issue 8); at most 1.4x the floor, interleaved (issue 18).
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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, Timing, machine_markdown, timing_table

VERSION = "v0.30.0-rc1"
MARKER = "WALKTHROUGH — every action is explained"  # the banner of the first screen
HEADLESS = textwrap.dedent("""
    import gc, sys, time
    gc.disable()  # as the console script (screens.main) does
    from cockpit.cli import make_release
    from cockpit.model import Version
    from cockpit.playbook import load_playbook
    from screens.app import CockpitApp
    from screens.launch import build_app

    def first_refresh(app):
        print(time.perf_counter(), flush=True)
        app.exit()

    mount = CockpitApp.on_mount
    def on_mount(app):
        app.call_after_refresh(first_refresh, app)  # before the app's own after-refresh work
        mount(app)
    CockpitApp.on_mount = on_mount

    playbook = load_playbook()
    app = build_app(playbook, make_release(playbook, Version.parse(sys.argv[1]), "bench"),
                    "walkthrough", journal=False)
    app.run(headless=True, size=(160, 48))
""")
FLOOR_APP = textwrap.dedent(f"""
    from textual.app import App
    from textual.widgets import Static

    class Floor(App):
        def compose(self):
            yield Static({MARKER!r})

    Floor().run()
""")


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCKPIT_", "XDG_"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    # A developer's (and a user's) Python writes .pyc files: without them the dev venv
    # would recompile every edited module on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return dict(env, HOME=str(home), TERM="xterm-256color",
                XDG_CACHE_HOME=str(home / "cache"), COCKPIT_STATE_DIR=str(home / "state"))


def headless_once(python: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([python, "-c", HEADLESS, VERSION], capture_output=True,
                          text=True, env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1]) - start


def tmux_once(argv: list[str], env: dict[str, str]) -> float:
    name = f"bench-paint-{uuid.uuid4().hex[:8]}"
    passed = [f"{k}={v}" for k, v in env.items()
              if k.startswith(("COCKPIT_", "XDG_", "HOME", "TERM", "PATH"))]
    # The tmux server runs commands with its own environment: unset what we unset.
    command = " ".join(shlex.quote(part) for part in
                       ["env", "-u", "PYTHONDONTWRITEBYTECODE", "-u", "PYTHON_KEYRING_BACKEND",
                        *passed, *argv])
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", command],
                   check=True, env=env)
    pane = ""
    try:
        while time.perf_counter() - start < 20:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
                                  capture_output=True, text=True, check=False).stdout
            if MARKER in pane:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise RuntimeError(f"no first paint after 20 s:\n{pane}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def installed_venv(where: Path) -> Path:
    """A fresh venv with the cockpit installed as the README installs it (not editable)."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    subprocess.run([str(where / "bin" / "pip"), "install", "-q", str(REPO)], check=True,
                   capture_output=True, text=True)
    return where


def interleaved(measures: list[tuple[Timing, Callable[[], float]]], runs: int,
                warmup: int) -> list[Timing]:
    """One run of each measure in turn, ``warmup`` + ``runs`` rounds; the first error
    stops that measure and is recorded."""
    for number in range(warmup + runs):
        for timing, once in measures:
            if timing.error:
                continue
            try:
                elapsed = once()
            except (subprocess.CalledProcessError, RuntimeError, ValueError) as exc:
                lines = (getattr(exc, "stderr", "") or str(exc)).strip().splitlines()
                timing.error = (lines[-1] if lines else type(exc).__name__)[:200]
                timing.samples.clear()
                continue
            if number >= warmup:
                timing.samples.append(elapsed)
    return [timing for timing, _ in measures]


def fresh_cache(env: dict[str, str], home: Path) -> Callable[[], dict[str, str]]:
    """An environment whose cache directory is new each time: a first start."""
    def make() -> dict[str, str]:
        cache = home / "cold-cache" / uuid.uuid4().hex
        return dict(env, XDG_CACHE_HOME=str(cache))
    return make


def _ratios(timings: list[Timing]) -> str:
    """Each tmux row against the floor of the same run: the ratio of the medians and the
    median of the run-by-run ratios (a run's rows are measured back to back, so a busy
    moment of the machine hits both)."""
    by_command = {timing.command: timing for timing in timings}
    floor = by_command.get("floor")
    if floor is None or not floor.samples or floor.error:
        return ""
    said = []
    for command in ("installed", "cold", "dev"):
        row = by_command.get(command)
        if row is None or not row.samples or row.error:
            continue
        pairs = sorted(a / b for a, b in zip(row.samples, floor.samples, strict=False))
        said.append(f"{command} {row.median / floor.median:.2f}x "
                    f"({pairs[len(pairs) // 2]:.2f}x)")
    return ", ".join(said)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--installed", type=Path, metavar="VENV",
                        help="a venv with the cockpit pip-installed (default: build one)")
    args = parser.parse_args()
    runs, warmup = (3, 1) if args.quick else (args.runs, 2)
    dev_script = shutil.which("cockpit", path=str(Path(sys.executable).parent)) or "cockpit"
    with tempfile.TemporaryDirectory(prefix="bench-paint-") as tmp:
        home = Path(tmp)
        env = environment(home)
        started = time.perf_counter()
        venv = args.installed or installed_venv(home / "venv")
        install_seconds = time.perf_counter() - started
        script, python = str(venv / "bin" / "cockpit"), str(venv / "bin" / "python")
        cockpit = [script, "--walkthrough", "--release", VERSION]
        cold = fresh_cache(env, home)
        measures: list[tuple[Timing, Callable[[], float]]] = [
            (Timing("headless: first refresh of the main screen (installed)", "headless"),
             lambda: headless_once(python, env)),
        ]
        if shutil.which("tmux"):
            measures += [
                (Timing("tmux, the floor: a one-Static Textual app", "floor"),
                 lambda: tmux_once([python, "-c", FLOOR_APP], env)),
                (Timing("**tmux: `cockpit --walkthrough`, installed**", "installed"),
                 lambda: tmux_once(cockpit, env)),
                (Timing("tmux: first start after install/upgrade (playbook check not "
                        "cached)", "cold"),
                 lambda: tmux_once(cockpit, cold())),
                (Timing("tmux: `cockpit --walkthrough`, editable dev venv", "dev"),
                 lambda: tmux_once([dev_script, *cockpit[1:]], env)),
            ]
        else:
            measures.append((Timing("tmux", "tmux", error="tmux is not installed"),
                             lambda: 0.0))
        # tmux ends its server with its last session: keep one for the whole run.
        keeper = f"bench-paint-keep-{uuid.uuid4().hex[:6]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 3600"],
                       check=False, env=env, capture_output=True)
        try:
            timings = interleaved(measures, runs, warmup)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", keeper], check=False,
                           capture_output=True)
    if args.markdown:
        print("### first_paint\n\nProcess spawn → main screen painted (Kubo playbook, 15 "
              "stages, walkthrough), measured interleaved. Targets: under 400 ms (the bold "
              "row), and at most 1.4x the floor (issue 18).\n")
    else:
        print(machine_markdown() + "\n")
    print(timing_table(timings))
    ratios = _ratios(timings)
    if ratios:
        print(f"\nAgainst the floor (medians; run by run, median of the ratios): {ratios}.")
    built = "given" if args.installed else f"built in {install_seconds:.0f} s"
    print(f"\nInstalled venv: `pip install .` ({built}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
