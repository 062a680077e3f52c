"""Service-test fixtures: a real Synapse homeserver (once per session), and the scripted
HTTP server the HTTP layer's tests talk to (once per module, reset for each test).

Synapse runs from its own venv, made by ``.ci/synapse.sh``, whose python is given in
``COCKPIT_SYNAPSE_PYTHON``. Without it the Matrix tests are skipped locally, but in CI
(``CI=true``) a missing Synapse fails them: the Matrix client must be proven there.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.services.scripted import ScriptedServer
from tests.services.synapse_server import SETUP_HINT, Synapse, config_yaml, free_port


def in_ci() -> bool:
    """``CI`` as CI services set it: GitHub and GitLab say ``true``, others ``1`` or ``yes``."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    python = os.environ.get("COCKPIT_SYNAPSE_PYTHON")
    if not python:
        if in_ci():
            pytest.fail(f"COCKPIT_SYNAPSE_PYTHON is not set in CI: {SETUP_HINT}")
        pytest.skip(f"no Synapse: COCKPIT_SYNAPSE_PYTHON is not set ({SETUP_HINT})")
    directory = tmp_path_factory.mktemp("synapse")
    port = free_port()
    shared_secret = secrets.token_hex(16)
    config = directory / "homeserver.yaml"
    config.write_text(config_yaml(directory, port, shared_secret))
    log = directory / "synapse.log"
    keys = subprocess.run([python, "-m", "synapse.app.homeserver", "-c", str(config),
                           "--generate-keys"], capture_output=True, text=True, timeout=120)
    if keys.returncode != 0:
        pytest.fail(f"synapse --generate-keys failed: {keys.stderr[-2000:]}")
    with (directory / "stdout.log").open("w") as out:
        proc = subprocess.Popen([python, "-m", "synapse.app.homeserver", "-c", str(config)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=directory)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                output = (directory / "stdout.log").read_text()[-3000:]
                pytest.fail(f"synapse exited with {proc.returncode}: {output}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("synapse did not become healthy within 90 s")
            time.sleep(0.1)
        yield Synapse(url, shared_secret, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on 127.0.0.1, shared by one test module."""
    srv = ScriptedServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def srv(server: ScriptedServer) -> ScriptedServer:
    """The module's scripted server with no routes and no history: one test's own."""
    server.script.routes.clear()
    server.script.seen.clear()
    server.script.max_in_flight = 0
    return server
