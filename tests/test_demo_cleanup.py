"""A demo ended by a signal (a closed terminal, a kill) leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_killed_demo_removes_its_home_and_stops_its_gpg_agent(tmp_path: Path,
                                                               signum: int) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    demo = subprocess.Popen([sys.executable, "-m", "screens.main", "demo", "--headless",
                             "--yes"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert demo.stderr is not None
        deadline = time.monotonic() + 60
        while "claimed by" not in demo.stderr.readline():  # a stage is running
            assert time.monotonic() < deadline and demo.poll() is None, "demo did not start"
        homes = list(tmp_path.glob("cockpit-demo-*"))
        assert len(homes) == 1
        demo.send_signal(signum)
        code = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert code == 128 + signum
    assert not homes[0].exists(), "the demo's temporary home is left behind"
    assert list(tmp_path.glob("cockpit-sandbox-*")) == [], "the sandbox's seed is left behind"
    agents = subprocess.run(["pgrep", "-af", str(homes[0])], capture_output=True, text=True,
                            check=False).stdout
    assert agents == "", f"gpg-agent left running: {agents}"
