"""Shared fixtures: an isolated cockpit home (state, workspace) and a git identity."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def cockpit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "cockpit-home"
    monkeypatch.setenv("COCKPIT_STATE_DIR", str(home / "state"))
    monkeypatch.setenv("COCKPIT_WORKSPACE_DIR", str(home / "work"))
    monkeypatch.setenv("COCKPIT_DRIVER", "tester")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # The embedded CI store lives under the user data dir: never the developer's real one.
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("COCKPIT_CI_DATABASE", raising=False)
    for name in ("GIT_AUTHOR", "GIT_COMMITTER"):
        monkeypatch.setenv(f"{name}_NAME", "Test Driver")
        monkeypatch.setenv(f"{name}_EMAIL", "driver@example.invalid")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    if "PYTHON_KEYRING_BACKEND" not in os.environ:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield home
