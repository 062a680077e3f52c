"""Each HTTP-layer transport alone: over a real server on 127.0.0.1 where it speaks HTTP.

A layer is stacked on ``SharedPool`` (a real ``httpx.AsyncClient`` talking TCP to the
scripted uvicorn server) when its behaviour depends on what goes over the wire: timeouts,
dropped connections, status codes and headers. Only where the unit is the transport's own
logic (nothing is sent: a refusal, an LRU, a record) is the inner transport an
``httpx.MockTransport``, httpx's documented way to test a transport. ``HttpClient`` as a
whole is tested in ``test_http.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from cockpit.errors import ReadOnlyViolation
from cockpit.secrets import Redactor
from cockpit.services.etag_store import DiskEtagStore
from cockpit.services.http import (
    CALL,
    AmbiguousWriteError,
    Call,
    ConnectionFailedError,
    RateLimitError,
    RequestRecord,
    RetryPolicy,
)
from cockpit.services.transports import (
    EtagCache,
    RateLimit,
    ReadOnlyGuard,
    Recording,
    Retry,
    SharedPool,
)
from tests.services.scripted import ScriptedServer, json_response

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)
SECRET = "ghp_TransportSecret0123456789"


@pytest.fixture
async def pool() -> AsyncIterator[SharedPool]:
    async with httpx.AsyncClient(timeout=0.5) as client:
        yield SharedPool(client)


class Waits:
    """A fake clock and a ``Pause`` that advances it instantly, remembering each wait."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.waits: list[tuple[float, str]] = []

    def clock(self) -> float:
        return self.now

    async def pause(self, seconds: float, reason: str) -> None:
        self.waits.append((seconds, reason))
        self.now += seconds


def request(method: str, url: str, *, repeatable: bool | None = None,
            redact: Redactor | None = None, credential: str = "", body: bytes | None = None
            ) -> httpx.Request:
    """A request carrying a ``Call`` as ``HttpClient`` builds it."""
    call = Call("github", url, redact or Redactor(),
                repeatable=method in ("GET", "HEAD") if repeatable is None else repeatable,
                credential=credential, render_manual=lambda: f"curl -X {method} {url}")
    return httpx.Request(method, url, content=body, extensions={CALL: call})


def mock(status: int = 200, **kwargs: object) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """An inner transport answering ``status`` to everything, and what reached it."""
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(status, **kwargs)  # type: ignore[arg-type]

    return httpx.MockTransport(handler), seen


# -- ReadOnlyGuard ---------------------------------------------------------------------------


async def test_guard_refuses_every_write_before_the_inner_transport() -> None:
    inner, seen = mock(201)
    refused: list[str] = []
    guard = ReadOnlyGuard(inner, on_refused=lambda r: refused.append(r.method))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(ReadOnlyViolation) as err:
            await guard.handle_async_request(request(method, "http://x/repos/o/r",
                                                     repeatable=True))
        assert f"refused {method} /repos/o/r (github)" in str(err.value)
    assert seen == [] and refused == ["POST", "PUT", "PATCH", "DELETE"]
    for method in ("GET", "HEAD", "OPTIONS"):
        await guard.handle_async_request(request(method, "http://x/r"))
    assert [r.method for r in seen] == ["GET", "HEAD", "OPTIONS"]


async def test_guard_switched_off_sends_writes(srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on("/p", json_response({"id": 1}, 201))
    guard = ReadOnlyGuard(pool, enabled=False)
    response = await guard.handle_async_request(request("POST", f"{srv.base_url}/p",
                                                        body=b"{}"))
    assert response.status_code == 201 and len(srv.script.hits("/p")) == 1
    guard.enabled = True
    with pytest.raises(ReadOnlyViolation):
        await guard.handle_async_request(request("POST", f"{srv.base_url}/p"))
    assert len(srv.script.hits("/p")) == 1


# -- EtagCache -------------------------------------------------------------------------------


def etagged(request: Request) -> Response:
    if request.headers.get("if-none-match") == '"v1"':
        return Response(status_code=304, headers={"ETag": '"v1"'})
    return json_response({"body": "journal"}, headers={"ETag": '"v1"'})


async def test_cache_revalidates_and_a_304_gets_the_stored_answer(
        srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on("/issue", etagged)
    cache = EtagCache(pool)
    url = f"{srv.base_url}/issue"
    first = await cache.handle_async_request(req1 := request("GET", url))
    second = await cache.handle_async_request(req2 := request("GET", url))
    assert first.status_code == second.status_code == 200
    assert second.json() == {"body": "journal"}
    assert not Call.of(req1).from_cache and Call.of(req2).from_cache
    assert Call.of(req2).revalidating
    seen = srv.script.hits("/issue")
    assert "if-none-match" not in seen[0].headers and seen[1].headers["if-none-match"] == '"v1"'


async def test_cache_keeps_credentials_apart_and_skips_writes(
        srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on("/issue", etagged)
    cache = EtagCache(pool)
    url = f"{srv.base_url}/issue"
    await cache.handle_async_request(request("GET", url, credential="token A"))
    other = request("GET", url, credential="token B")
    await cache.handle_async_request(other)
    assert not Call.of(other).revalidating  # B never gets what A was shown
    uncached = request("GET", url, credential="token A")
    Call.of(uncached).etag = False
    await cache.handle_async_request(uncached)
    await cache.handle_async_request(request("POST", url))
    assert ["if-none-match" in s.headers for s in srv.script.hits("/issue")] == [False] * 4


async def test_cache_forgets_the_least_recently_used() -> None:
    inner, seen = mock(200, headers={"ETag": '"e"'}, json={})
    cache = EtagCache(inner, size=2)
    for path in ("a", "b", "a", "c", "a", "b"):
        await cache.handle_async_request(request("GET", f"http://x/{path}"))
    sent = [(r.url.path, r.headers.get("if-none-match")) for r in seen]
    # "b" was evicted when "c" came in ("a" had been used more recently): no revalidation.
    assert sent == [("/a", None), ("/b", None), ("/a", '"e"'), ("/c", None), ("/a", '"e"'),
                    ("/b", None)]



async def test_cache_on_disk_revalidates_what_another_process_fetched(
        srv: ScriptedServer, pool: SharedPool, tmp_path: Path) -> None:
    """Two caches over one store directory stand for two processes of one user: the
    second's first GET revalidates the first's answer and gets its body back on a 304."""
    srv.script.on("/issue", etagged)
    url = f"{srv.base_url}/issue"
    first_process = EtagCache(pool, store=DiskEtagStore(tmp_path))
    await first_process.handle_async_request(request("GET", url))
    second_process = EtagCache(pool, store=DiskEtagStore(tmp_path))
    answer = await second_process.handle_async_request(req := request("GET", url))
    assert answer.status_code == 200 and answer.json() == {"body": "journal"}
    assert Call.of(req).from_cache
    assert srv.script.hits("/issue")[1].headers["if-none-match"] == '"v1"'
    other = request("GET", url, credential="token B")
    await EtagCache(pool, store=DiskEtagStore(tmp_path)).handle_async_request(other)
    assert not Call.of(other).revalidating  # never another credential's answer


async def test_cache_on_disk_keeps_the_newest_answers_and_survives_a_bad_file(
        tmp_path: Path) -> None:
    inner, _ = mock(200, headers={"ETag": '"e"'}, json={})
    store = DiskEtagStore(tmp_path, max_entries=2)
    cache = EtagCache(inner, store=store)
    for path in ("a", "b", "c"):
        await cache.handle_async_request(request("GET", f"http://x/{path}"))
    assert [store.get(f"http://x/{p}", hashlib.sha256(b"").hexdigest()) is not None
            for p in "abc"] == [False, True, True]
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "etags.sqlite3").write_bytes(b"not a database")
    unusable = EtagCache(inner, store=DiskEtagStore(tmp_path / "broken"))
    answer = await unusable.handle_async_request(request("GET", "http://x/a"))
    assert answer.status_code == 200  # a broken cache costs the cache, never the request


# -- Retry -----------------------------------------------------------------------------------


async def test_retry_resends_a_read_after_5xx_timeout_and_drop(
        srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on("/x", Response("boom", 502), ("slow", 1.0, json_response({})), "drop",
                  json_response({"ok": 1}))
    w = Waits()
    retry = Retry(pool, RetryPolicy(max_attempts=4, base_delay=0.01), pause=w.pause,
                  rand=lambda: 0.0)
    response = await retry.handle_async_request(req := request("GET", f"{srv.base_url}/x"))
    assert response.json() == {"ok": 1} and Call.of(req).attempt == 4
    assert len(srv.script.hits("/x")) == 4
    assert [reason.rsplit("; ", 1)[-1] for _, reason in w.waits] == [
        "retry 2/4", "retry 3/4", "retry 4/4"]
    assert "HTTP 502" in w.waits[0][1] and "ReadTimeout" in w.waits[1][1]


async def test_retry_returns_the_last_5xx_when_attempts_run_out(
        srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on("/x", Response("boom", 500, {"Retry-After": "2"}))
    w = Waits()
    retry = Retry(pool, FAST, pause=w.pause)
    response = await retry.handle_async_request(request("GET", f"{srv.base_url}/x"))
    assert response.status_code == 500 and len(srv.script.hits("/x")) == 3
    assert [seconds for seconds, _ in w.waits] == [2.0, 2.0]  # the server's Retry-After wins


@pytest.mark.parametrize("behaviour", [("slow", 1.0, json_response({}, 201)), "drop",
                                       Response("bad gateway", 502)],
                         ids=["timeout", "drop", "5xx"])
async def test_retry_never_repeats_a_write_that_may_have_landed(
        srv: ScriptedServer, pool: SharedPool, behaviour: object) -> None:
    srv.script.on("/pulls", behaviour, json_response({"number": 2}, 201))
    w = Waits()
    retry = Retry(pool, FAST, pause=w.pause)
    with pytest.raises(AmbiguousWriteError) as err:
        await retry.handle_async_request(request("POST", f"{srv.base_url}/pulls", body=b"{}"))
    assert "re-check before retrying" in str(err.value) and w.waits == []
    await asyncio.sleep(0.6 if behaviour != "drop" else 0)  # a slow handler finishes
    assert len(srv.script.hits("/pulls")) == 1


async def test_retry_resends_a_write_declared_idempotent(srv: ScriptedServer,
                                                         pool: SharedPool) -> None:
    srv.script.on("/send/txn1", Response("oops", 500), "drop", json_response({"ok": 1}))
    retry = Retry(pool, FAST, pause=Waits().pause)
    response = await retry.handle_async_request(
        request("PUT", f"{srv.base_url}/send/txn1", repeatable=True, body=b"{}"))
    assert response.json() == {"ok": 1} and len(srv.script.hits("/send/txn1")) == 3


async def test_retry_resends_a_write_that_never_left(pool: SharedPool) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens: connection refused, so nothing was sent
    w = Waits()
    retry = Retry(pool, FAST, pause=w.pause)
    with pytest.raises(ConnectionFailedError) as err:
        await retry.handle_async_request(request("POST", f"http://127.0.0.1:{port}/p"))
    assert "failed after 3 attempts: ConnectError" in str(err.value) and len(w.waits) == 2


async def test_retry_redacts_what_it_says(srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on(f"/hooks/{SECRET}", Response(f"no such hook {SECRET}", 503))
    redact = Redactor()
    redact.add(SECRET)
    with pytest.raises(AmbiguousWriteError) as err:
        await Retry(pool, FAST).handle_async_request(
            request("POST", f"{srv.base_url}/hooks/{SECRET}", redact=redact))
    assert SECRET not in str(err.value) and "/hooks/***" in str(err.value)
    assert "no such hook ***" in str(err.value)


# -- RateLimit -------------------------------------------------------------------------------


async def test_rate_limit_waits_out_retry_after_even_for_a_write(
        srv: ScriptedServer, pool: SharedPool) -> None:
    srv.script.on("/p", json_response({"message": "You have exceeded a secondary rate limit"},
                                      403, {"Retry-After": "7"}),
                  json_response({"id": 1}, 201))
    w = Waits()
    limit = RateLimit(pool, FAST, pause=w.pause, clock=w.clock)
    response = await limit.handle_async_request(req := request("POST", f"{srv.base_url}/p"))
    assert response.status_code == 201 and len(srv.script.hits("/p")) == 2
    assert w.waits == [(7.0, "github rate limit: Retry-After 7s (secondary limit)")]
    assert Call.of(req).attempt == 2 and Call.of(req).rate_waits == 1


async def test_rate_limit_primary_waits_until_reset_and_blocks_the_next_call(
        srv: ScriptedServer, pool: SharedPool) -> None:
    w = Waits()
    srv.script.on("/x", json_response({"message": "API rate limit exceeded"}, 403,
                                      {"x-ratelimit-remaining": "0",
                                       "x-ratelimit-reset": str(int(w.now) + 50)}),
                  json_response({"ok": 1}))
    limit = RateLimit(pool, FAST, pause=w.pause, clock=w.clock)
    limit.blocked_until = w.now + 5  # another call of this client saw a limit
    assert (await limit.handle_async_request(request("GET", f"{srv.base_url}/x"))
            ).json() == {"ok": 1}
    assert w.waits[0] == (5.0, "github: waiting out a rate limit")
    assert w.waits[1][0] == 46.0 and "until reset" in w.waits[1][1]
    assert limit.blocked_until == w.now and len(srv.script.hits("/x")) == 2


async def test_rate_limit_too_long_or_too_often_raises(srv: ScriptedServer,
                                                       pool: SharedPool) -> None:
    w = Waits()
    srv.script.on("/long", Response("", 429, {"Retry-After": "3000"}))
    srv.script.on("/often", Response("slow down", 429))
    limit = RateLimit(pool, RetryPolicy(max_wait=600, max_rate_limit_waits=2), pause=w.pause,
                      clock=w.clock)
    with pytest.raises(RateLimitError) as err:
        await limit.handle_async_request(request("GET", f"{srv.base_url}/long"))
    assert err.value.wait_seconds == 3000 and w.waits == []
    with pytest.raises(RateLimitError):
        await limit.handle_async_request(request("GET", f"{srv.base_url}/often"))
    assert [seconds for seconds, _ in w.waits] == [60.0, 60.0]
    assert len(srv.script.hits("/often")) == 3


async def test_rate_limit_ignores_other_refusals() -> None:
    inner, seen = mock(403, json={"message": "Resource not accessible by integration"})
    limit = RateLimit(inner, FAST, pause=Waits().pause)
    assert (await limit.handle_async_request(request("GET", "http://x/r"))).status_code == 403
    assert len(seen) == 1


# -- Recording -------------------------------------------------------------------------------


async def test_recording_records_every_attempt_redacted(srv: ScriptedServer,
                                                        pool: SharedPool) -> None:
    srv.script.on(f"/h/{SECRET}", "drop", json_response({}, 201))
    redact = Redactor()
    redact.add(SECRET)
    records: list[RequestRecord] = []
    recording = Recording(pool, on_request=records.append)
    req = request("PUT", f"{srv.base_url}/h/{SECRET}", redact=redact)
    with pytest.raises(httpx.TransportError):
        await recording.handle_async_request(req)
    Call.of(req).attempt += 1
    await recording.handle_async_request(req)
    assert [(r.status, r.attempt, r.service) for r in records] == [
        (None, 1, "github"), (201, 2, "github")]
    assert records[0].error and "RemoteProtocolError" in records[0].error
    for record in records:
        assert SECRET not in record.url + record.manual and record.url.endswith("/h/***")
        assert record.manual == f"curl -X PUT {srv.base_url}/h/***" and record.duration >= 0


async def test_recording_marks_cache_hits_and_renders_nothing_unheard() -> None:
    inner, _ = mock(304)
    rendered: list[str] = []

    def render() -> str:
        rendered.append("curl http://x/r")
        return rendered[-1]

    req = request("GET", "http://x/r")
    Call.of(req).render_manual = render
    await Recording(inner).handle_async_request(req)
    assert rendered == []  # nobody listens: no manual equivalent is built
    records: list[RequestRecord] = []
    recording = Recording(inner, on_request=records.append)
    Call.of(req).revalidating = True
    await recording.handle_async_request(req)
    await recording.handle_async_request(req)
    recording.refused(request("POST", "http://x/p"))
    assert [(r.status, r.from_cache, r.error) for r in records] == [
        (304, True, None), (304, True, None), (None, False, "refused: read-only")]
    assert len(rendered) == 1  # built once per call, however many attempts


# -- SharedPool and the stack ----------------------------------------------------------------


async def test_pool_bounds_concurrency_and_leaves_the_client_open(srv: ScriptedServer) -> None:
    srv.script.on("/slow", ("slow", 0.2, json_response({"ok": 1})))
    async with httpx.AsyncClient() as client:
        pool = SharedPool(client, max_concurrency=2)
        await asyncio.gather(*(pool.handle_async_request(request("GET", f"{srv.base_url}/slow"))
                               for _ in range(5)))
        await pool.aclose()
        assert not client.is_closed
    assert srv.script.max_in_flight == 2


async def test_a_bare_request_gets_a_default_call() -> None:
    inner, seen = mock(200)
    records: list[RequestRecord] = []
    stack = Retry(Recording(inner, on_request=records.append), FAST)
    await stack.handle_async_request(httpx.Request("GET", "http://x/r",
                                                   headers={"Authorization": "Bearer t0k"}))
    call = Call.of(seen[0])
    assert call.repeatable and call.url == "http://x/r" and call.credential == "Bearer t0k"
    assert records[0].manual == "curl http://x/r -H 'authorization: Bearer ***'"


async def test_retries_and_rate_limit_waits_share_one_attempt_budget(
        srv: ScriptedServer, pool: SharedPool) -> None:
    """The order ``Retry → RateLimit → Recording`` with one ``Call``: a rate-limited
    attempt counts towards ``max_attempts``, and every attempt is recorded."""
    srv.script.on("/x", Response("", 429, {"Retry-After": "1"}), Response("boom", 502),
                  json_response({"ok": 1}))
    w = Waits()
    records: list[RequestRecord] = []
    policy = RetryPolicy(max_attempts=2, base_delay=0.01)
    stack = Retry(RateLimit(Recording(pool, on_request=records.append), policy,
                            pause=w.pause, clock=w.clock), policy, pause=w.pause)
    response = await stack.handle_async_request(request("GET", f"{srv.base_url}/x"))
    assert response.status_code == 502  # the 429 used one of the two attempts
    assert [(r.status, r.attempt) for r in records] == [(429, 1), (502, 2)]
