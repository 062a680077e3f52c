"""`cockpit sandbox` as a process: printed env, clean shutdown. (How fast it starts is a
benchmark's question, not a test's: a loaded CI machine is not a slow sandbox.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "cockpit.sandbox", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    env: dict[str, str] = {}
    while "COCKPIT_DIST_URL" not in env:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        if line.startswith("export "):
            key, _, value = line[7:].strip().partition("=")
            env[key] = value.strip("'")
    return proc, env


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_starts_serves_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    data = tmp_path / "data"
    proc, env = _start(tmp_path, "--data", str(data), "--faults", "503:req=2")
    try:
        assert env["COCKPIT_GITHUB_API_URL"].startswith("http://127.0.0.1:")
        assert env["COCKPIT_GITHUB_API_URL"] == env["COCKPIT_GIT_BASE_URL"] + "/api/v3"
        for key in ("COCKPIT_GITHUB_TOKEN", "COCKPIT_DISCOURSE_URL", "COCKPIT_DISCORD_WEBHOOK_URL",
                    "COCKPIT_REDDIT_URL", "COCKPIT_MATRIX_URL", "COCKPIT_DOCKER_REGISTRY_URL",
                    "COCKPIT_NPM_REGISTRY_URL"):
            assert env[key]
        auth = {"Authorization": f"Bearer {env['COCKPIT_GITHUB_TOKEN']}"}
        user = env["COCKPIT_GITHUB_API_URL"] + "/user"
        assert httpx.get(user, headers=auth).status_code == 200
        assert httpx.get(user, headers=auth).status_code == 503  # --faults applied
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    assert (data / "world.json").exists()  # --data is kept


def test_bad_fault_spec_is_a_usage_error(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "cockpit.sandbox", "--faults", "nope:1"],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert r.returncode == 2 and "unknown fault kind" in r.stderr
