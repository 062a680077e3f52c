"""Shared fixtures: an isolated cockpit home (state, workspace), a git identity, and the
``sandbox`` (one seeded sandbox per test) with ``module_sandbox`` (one per module) and
``tls_sandbox`` (one over HTTPS per session, for the GitHub CLI: ``tests/gh_setup.py``).

The sandbox is defined here once; a directory's conftest says how its tests want it
(``sandbox_setup``), a module may set its options (``pytest.mark.sandbox``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.sandboxes import SandboxSetup

if TYPE_CHECKING:
    from cockpit.sandbox.testing import SandboxHandle


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
    # A step that needs a second maintainer's review stops soon instead of waiting half an
    # hour in a test that did not mean to meet it (tests/multi/test_review.py means to).
    monkeypatch.setenv("COCKPIT_REVIEW_WAIT_SECONDS", "20")
    if "PYTHON_KEYRING_BACKEND" not in os.environ:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield home


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sandbox(**options): running_sandbox options for the sandbox fixture")


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    """The sandbox as it starts: seeded, nothing exported (a conftest overrides this)."""
    return SandboxSetup()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
            sandbox_setup: SandboxSetup) -> Iterator[SandboxHandle]:
    """A seeded sandbox on 127.0.0.1 for one test, its data under the test's ``tmp_path``."""
    from cockpit.sandbox.testing import running_sandbox

    marker = request.node.get_closest_marker("sandbox")
    options = {**sandbox_setup.options, **(marker.kwargs if marker else {})}
    with running_sandbox(tmp_path, **options) as handle:
        if sandbox_setup.export_env:
            for name, value in {**handle.env, **sandbox_setup.env}.items():
                monkeypatch.setenv(name, value)
        yield handle


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One seeded sandbox shared by a module's tests (each leaves what it made behind)."""
    from cockpit.sandbox.testing import running_sandbox

    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


@pytest.fixture(scope="session")
def tls_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One seeded sandbox served over HTTPS for the whole session, for tests that drive the
    real ``gh`` (``tests.gh_setup.run_gh``); tests share it, so each uses names of its own.
    Its workflow runs take half a second."""
    from cockpit.sandbox.testing import running_sandbox

    with running_sandbox(tmp_path_factory.mktemp("tls-sandbox"), tls=True,
                         workflow_seconds=0.5) as handle:
        yield handle
