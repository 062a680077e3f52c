"""Malformed server responses: a clear ``ServiceError``, and no write follows.

A tiny loopback HTTP server of this test's own answers every GET with a body
hypothesis picks — broken JSON, the wrong type, missing or wrong-typed fields, an
empty body, a huge body — and records every request. The cockpit's real GitHub client
must either accept the body (when it happens to be valid) or raise a ``ServiceError``
naming the service and the request; a pydantic, JSON or Python error escaping is a
crash a driver would see. At the stage level, ``cockpit run preflight`` against such
a server must stop cleanly and send no mutating request at all.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit.playbook import load_playbook
from cockpit.services.github import GitHubClient
from cockpit.services.http import RetryPolicy, ServiceError
from tests.reliability.conftest import PROFILE, TRIED, run_cli
from tests.reliability.release_runner import scoped_env


@dataclass
class BadServer:
    """Answers every GET with ``body``; every other method with 500. Loopback only."""

    body: bytes = field(default=b"", repr=False)
    content_type: str = "application/json; charset=utf-8"
    seen: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.seen if m not in ("GET", "HEAD")]


@contextmanager
def bad_server() -> Iterator[BadServer]:
    state = BadServer()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            state.seen.append((self.command, self.path))
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            if self.command in ("GET", "HEAD"):
                status, body = 200, state.body
            else:
                status, body = 500, b'{"message": "this test server accepts no writes"}'
            self.send_response(status)
            self.send_header("content-type", state.content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[BadServer]:
    with bad_server() as state:
        yield state


# -- bodies ------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
SAMPLE = {"full_name": "ipfs/kubo", "name": "master", "commit": {"sha": "a" * 40},
          "number": 1, "title": "Release v0.30.0", "state": "open", "sha": "b" * 40,
          "path": "version.go", "tag_name": "v0.30.0", "id": 7, "html_url": "x",
          "workflow_runs": [{"id": 1}], "status": "ahead", "user": {"login": "x"}}


class Body(bytes):
    """A response body whose repr stays short (hypothesis prints failing examples)."""

    def __repr__(self) -> str:
        head = bytes(self[:80])
        return f"Body({len(self)} bytes: {head!r}{'...' if len(self) > 80 else ''})"


@st.composite
def malformed_body(draw: st.DrawFn, *, for_every_endpoint: bool = False) -> Body:
    """A body no endpoint should accept as it is; with ``for_every_endpoint`` not even a
    list endpoint (no ``[]``, no list of objects that might be valid items)."""
    kind = draw(st.sampled_from(["broken-json", "wrong-type", "fields", "empty", "huge",
                                 "list-of-wrong"]))
    TRIED[f"server responses ({kind})"] += 1
    if kind == "broken-json":
        text = draw(st.text(min_size=1, max_size=60))
        good = json.dumps(SAMPLE)
        cut = draw(st.integers(1, len(good) - 1))
        return Body(draw(st.sampled_from([text, good[:cut], good + text, "{" + text])).encode())
    if kind == "wrong-type":
        return Body(json.dumps(draw(SCALARS | st.lists(SCALARS, min_size=1, max_size=3))
                               ).encode())
    if kind == "fields":
        keys = draw(st.lists(st.sampled_from(sorted(SAMPLE)), unique=True))
        obj = {k: v for k, v in SAMPLE.items() if k not in keys}
        for key in draw(st.lists(st.sampled_from(sorted(SAMPLE)), max_size=3)):
            obj[key] = draw(SCALARS | st.lists(SCALARS, max_size=2))
        wrapped = not for_every_endpoint and draw(st.booleans())
        return Body(json.dumps([obj] if wrapped else obj).encode())
    if kind == "empty":
        return Body(b"")
    if kind == "huge":
        size = draw(st.sampled_from([1 << 20, 8 << 20]))
        return Body(draw(st.sampled_from([b"[" * size, b'{"a": "' + b"x" * size + b'"',
                                          json.dumps([{"x": 1}] * (size // 16)).encode()])))
    return Body(json.dumps(draw(st.lists(SCALARS | st.dictionaries(st.text(max_size=5), SCALARS,
                                                                     max_size=2),
                                         min_size=1, max_size=3))).encode())


Call = Callable[[GitHubClient], Awaitable[Any]]
READS: list[tuple[str, Call]] = [
    ("get_repo", lambda gh: gh.get_repo("ipfs/kubo")),
    ("get_branch", lambda gh: gh.get_branch("ipfs/kubo", "master")),
    ("find_pull", lambda gh: gh.find_pull("ipfs/kubo", "release-v0.30.0", "release")),
    ("find_issue", lambda gh: gh.find_issue("ipfs/kubo", "Release v0.30.0")),
    ("list_runs", lambda gh: gh.list_runs("ipfs/kubo", "docker.yml")),
    ("get_release_by_tag", lambda gh: gh.get_release_by_tag("ipfs/kubo", "v0.30.0")),
    ("get_contents", lambda gh: gh.get_contents("ipfs/kubo", "version.go", "master")),
    ("compare", lambda gh: gh.compare("ipfs/kubo", "release", "master")),
]


async def _call(url: str, read: Call) -> Any:
    async with GitHubClient(url, "test-token", retry=RetryPolicy(max_attempts=1)) as gh:
        return await read(gh)


@PROFILE
@given(body=malformed_body(), read=st.sampled_from(READS))
def test_client_raises_a_clear_error(server: BadServer, body: bytes,
                                     read: tuple[str, Call]) -> None:
    server.body = body
    name, call = read
    try:
        asyncio.run(_call(server.url, call))
    except ServiceError as exc:
        message = str(exc)
        assert "github" in message and "GET" in message, f"{name}: unclear: {message}"
        assert len(message) < 2000, f"{name}: the error carries the whole body"
        assert "test-token" not in message
    # Any other exception escapes and fails the test: a crash, not a clear error.


STAGES = ["preflight", "prepare-branch"]


@pytest.fixture(scope="module")
def skip_failures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Answers that skip every failed action of STAGES, so every check meets the bad body
    (the engine otherwise stops at the first failure)."""
    playbook = load_playbook()
    lines = [f'"{stage}/{action.id}/failed" = {{ value = "skip", note = "bad-response test" }}'
             for stage in STAGES for action in playbook.stage(stage).actions]  # type: ignore[union-attr]
    path = tmp_path_factory.mktemp("answers") / "skip.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@PROFILE
@given(body=malformed_body(for_every_endpoint=True), sync=st.booleans(),
       stage=st.sampled_from(STAGES))
def test_stage_stops_without_writing(server: BadServer, skip_failures: Path, body: bytes,
                                     sync: bool, stage: str) -> None:
    """With sync on, the journal's lookup of the tracking issue meets the bad body first;
    with it off, every check of the stage does (failures are skipped to reach them all)."""
    server.body = body
    server.seen.clear()
    env = {"COCKPIT_GITHUB_API_URL": server.url, "COCKPIT_GIT_BASE_URL": server.url,
           "COCKPIT_GITHUB_TOKEN": "test-token", "COCKPIT_HTTP_RETRY_BASE_SECONDS": "0.001",
           "COCKPIT_SYNC": "true" if sync else "false"}
    for service in ("DISCOURSE", "MATRIX", "REDDIT", "DOCKER_REGISTRY", "NPM_REGISTRY", "DIST",
                    "BLOG"):
        env[f"COCKPIT_{service}_URL"] = server.url
    with scoped_env(env):
        result = run_cli("run", stage, "--version", "v0.30.0-rc1", "--yes", "--answers",
                         str(skip_failures))
    assert result.code in (0, 1), result.err[-2000:]
    assert "Traceback" not in result.out + result.err
    assert "test-token" not in result.out + result.err
    assert not server.writes, f"writes after a malformed response: {server.writes}"
