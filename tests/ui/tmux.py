"""The cockpit in a real terminal (tmux) for tests: start it, send keys, read the screen, quit.

Why here: the demo tests, the prompt-at-80x24 test and the log-pane search test each drove
a tmux session; two of them wrote the driver out (send-keys, capture-pane, wait for a text)
and the third imported it from another test module. ``Tmux`` is the one driver, ``start``
the one way to launch the cockpit in it (its own HOME and TMPDIR, the pane kept once the
process exits so its exit status can be read), ``session`` the fixture's life cycle.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COCKPIT = Path(sys.executable).with_name("cockpit")

QUIT_PAUSE = 0.5
"""Seconds between Escape and the next key. Sent together (or closer than textual's
escape-sequence delay) the terminal delivers ESC q, which the TUI reads as alt+q."""


class Tmux:
    """One tmux session running the cockpit; keys in, screen text out."""

    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.tmp_path = tmp_path
        """Holds the cockpit's HOME and TMPDIR: whatever it leaves behind is found here."""
        self.exit_file = tmp_path / "exit-status"

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True)
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def pane(self, what: str) -> str:
        return self.run("display", "-p", "-t", self.name, f"#{{{what}}}").strip()

    def click(self, text: str) -> None:
        """Click the middle of ``text`` where it shows on the screen (an SGR mouse event,
        as a terminal sends it): only what is visible can be clicked."""
        for row, line in enumerate(self.screen().splitlines(), 1):
            column = line.find(text)
            if column >= 0:
                x, y = column + len(text) // 2 + 1, row
                self.keys("-l", f"\x1b[<0;{x};{y}M")
                self.keys("-l", f"\x1b[<0;{x};{y}m")
                return
        raise AssertionError(f"{text!r} is not on screen:\n{self.screen()}")

    def quit(self, timeout: float = 20.0) -> int:
        """Close what is open (Escape), then ``q``, as separate keys; wait for the process
        to exit (the pane stays, dead, with remain-on-exit) and return its exit status
        (written by the pane's shell: tmux's pane_dead_status can lag the pane's death)."""
        for key in ("Escape", "q"):
            self.keys(key)
            time.sleep(QUIT_PAUSE)
        deadline = time.monotonic() + timeout
        while self.pane("pane_dead") != "1":
            if time.monotonic() > deadline:
                raise AssertionError(f"the cockpit did not exit {timeout}s after q:\n"
                                     f"{self.screen()}")
            time.sleep(0.2)
        return int(self.exit_file.read_text())

    def quit_and_check_clean(self) -> None:
        """The demo exits 0 on q, removes its temporary home and stops its gpg-agent."""
        assert self.quit() == 0, self.screen()
        assert leftovers(self.tmp_path) == [], "the demo left its temporary home behind"
        server = self.pane("pid")  # tmux's server keeps the argv that started it: ours
        deadline = time.monotonic() + 5  # an agent told to exit takes a moment
        while processes_under(self.tmp_path, server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_under(self.tmp_path, server) == [], "the demo left processes running"

    def settled(self, timeout: float = 60.0) -> str:
        """The screen once no checklist line shows a check in flight (``?``)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if not re.search(r"^│[▶▼├└] \? ", screen, re.MULTILINE):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"checks still running after {timeout}s:\n{screen}")
            time.sleep(0.3)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        size = self.run("display", "-p", "-t", self.name, "#{window_width}x#{window_height}")
        raise AssertionError(f"{text!r} not on screen after {timeout}s ({size.strip()}):\n"
                             f"{screen}")


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "tmp").glob("cockpit-demo-*"))


def processes_under(tmp_path: Path, *but: str) -> list[str]:
    """Command lines of live processes (but the pids ``but``) naming a path under
    ``tmp_path``: a gpg-agent is started with ``--homedir <demo home>/gnupg``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or proc.name in but:
            continue
        try:
            args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(tmp_path) in args:
            found.append(f"{proc.name}: {args.strip()}")
    return found


def session(tmp_path: Path) -> Iterator[Tmux]:
    """A fresh session name (skipped without tmux); afterwards the cockpit quit and the
    session gone."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    name = f"cockpit-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(name, tmp_path)
    yield tmux
    # A test that failed before quitting: quit as a driver would, so the demo stops its
    # sandbox and gpg-agent and removes its home (killing the session would hang the
    # terminal up instead), then end the session, which remain-on-exit keeps.
    try:
        if tmux.pane("pane_dead") != "1":
            tmux.quit()
    except (AssertionError, subprocess.CalledProcessError):
        pass
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)
    for home in leftovers(tmp_path):  # only if the demo failed to; its agent by its homedir
        subprocess.run(["gpgconf", "--homedir", str(tmp_path / "tmp" / home / "gnupg"),
                        "--kill", "gpg-agent"], capture_output=True, check=False)


def start(tmux: Tmux, tmp_path: Path, *args: str, size: tuple[int, int] = (160, 48),
          env_extra: dict[str, str] | None = None) -> None:
    """Run ``cockpit *args`` in the session at ``size``, with HOME and TMPDIR under
    ``tmp_path`` and only the cockpit's, git's and Python's variables from this process."""
    env = {key: value for key, value in os.environ.items() if key.startswith(("COCKPIT_", "GIT_",
                                                                               "PYTHON"))}
    (tmp_path / "tmp").mkdir()
    env.update(HOME=str(tmp_path), TMPDIR=str(tmp_path / "tmp"), TERM="xterm-256color",
               COLORTERM="truecolor", PATH=os.environ.get("PATH", "/usr/bin:/bin"),
               **(env_extra or {}))
    exports = " ".join(f"{k}={quote(v)}" for k, v in env.items())
    command = (f"cd {quote(str(REPO))} && env -i {exports} {quote(str(COCKPIT))} "
               f"{' '.join(args)}; echo $? > {quote(str(tmux.exit_file))}")
    # remain-on-exit keeps the pane once the cockpit exits, so a test can see that it did.
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", str(size[0]), "-y", str(size[1]),
             command,
             ";", "set-option", "-t", tmux.name, "remain-on-exit", "on")


def quote(text: str) -> str:
    """``text`` as one word for the shell."""
    return "'" + text.replace("'", "'\\''") + "'"
