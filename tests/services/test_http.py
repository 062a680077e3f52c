"""The shared HTTP layer against a real HTTP server on 127.0.0.1 (no mocked transport)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from cockpit.context import ReadOnlyViolation
from cockpit.secrets import Redactor
from cockpit.services.http import (
    AmbiguousWriteError,
    ConnectionFailedError,
    HttpClient,
    HttpError,
    RateLimitError,
    RequestRecord,
    RetryPolicy,
    render_gh,
)
from tests.services.scripted import ScriptedServer, json_response

TOKEN = "ghp_SeCrEtT0kenValue1234567890"


class FakeTime:
    """An injectable clock whose sleep advances it instantly (and records the waits)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Harness:
    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.waits: list[tuple[float, str]] = []
        self.time = FakeTime()


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.fixture
async def client(srv: ScriptedServer, h: Harness) -> AsyncIterator[HttpClient]:
    async with make_client(srv, h) as c:
        yield c


def make_client(srv: ScriptedServer, h: Harness, **kwargs: Any) -> HttpClient:
    options: dict[str, Any] = dict(
        service="github", token=TOKEN, manual_style="gh", timeout=0.5,
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        on_request=h.records.append, on_wait=lambda s, r: h.waits.append((s, r)),
        clock=h.time.clock, sleep=h.time.sleep)
    options.update(kwargs)
    return HttpClient(srv.base_url, **options)


# -- retries --------------------------------------------------------------------------------


async def test_get_is_retried_after_5xx(srv: ScriptedServer, client: HttpClient,
                                        h: Harness) -> None:
    srv.script.on("/x", Response("boom", 502), Response("busy", 503), json_response({"ok": 1}))
    response = await client.get("x")
    assert response.json() == {"ok": 1}
    assert len(srv.script.hits("/x")) == 3
    assert [r.status for r in h.records] == [502, 503, 200]
    assert [r.attempt for r in h.records] == [1, 2, 3]
    assert len(h.waits) == 2 and all("retry" in reason for _, reason in h.waits)


async def test_get_gives_up_after_max_attempts(srv: ScriptedServer, client: HttpClient) -> None:
    srv.script.on("/x", Response("boom", 500))
    with pytest.raises(HttpError) as err:
        await client.get("x")
    assert err.value.status == 500
    assert len(srv.script.hits("/x")) == 3


async def test_get_is_retried_after_timeout(srv: ScriptedServer, client: HttpClient,
                                            h: Harness) -> None:
    srv.script.on("/x", ("slow", 1.5, json_response({"late": 1})), json_response({"ok": 1}))
    response = await client.get("x")
    assert response.json() == {"ok": 1}
    assert h.records[0].status is None and "Timeout" in (h.records[0].error or "")


async def test_get_is_retried_after_dropped_connection(srv: ScriptedServer, client: HttpClient,
                                                       h: Harness) -> None:
    srv.script.on("/x", "drop", json_response({"ok": 1}))
    response = await client.get("x")
    assert response.json() == {"ok": 1}
    assert len(srv.script.hits("/x")) == 2
    assert h.records[0].status is None


async def test_post_is_not_retried_after_timeout(srv: ScriptedServer,
                                                 client: HttpClient) -> None:
    srv.script.on("/repos/o/r/pulls", ("slow", 1.5, json_response({"number": 1}, 201)),
                  json_response({"number": 2}, 201))
    with pytest.raises(AmbiguousWriteError) as err:
        await client.post("repos/o/r/pulls", json={"title": "t"})
    assert "re-check" in str(err.value)
    await asyncio.sleep(1.2)  # let the slow handler finish: still only one request arrived
    assert len(srv.script.hits("/repos/o/r/pulls")) == 1


async def test_post_is_not_retried_after_dropped_connection(srv: ScriptedServer,
                                                            client: HttpClient) -> None:
    srv.script.on("/p", "drop", json_response({}, 201))
    with pytest.raises(AmbiguousWriteError):
        await client.post("p", json={"a": 1})
    assert len(srv.script.hits("/p")) == 1


async def test_post_is_not_retried_after_5xx(srv: ScriptedServer, client: HttpClient) -> None:
    srv.script.on("/p", Response("bad gateway", 502), json_response({}, 201))
    with pytest.raises(AmbiguousWriteError) as err:
        await client.post("p", json={"a": 1})
    assert "502" in str(err.value)
    assert len(srv.script.hits("/p")) == 1


async def test_declared_idempotent_write_is_retried(srv: ScriptedServer,
                                                    client: HttpClient) -> None:
    srv.script.on("/send/txn1", Response("oops", 500), "drop", json_response({"event_id": "$e"}))
    response = await client.put("send/txn1", json={"body": "hi"}, idempotent=True)
    assert response.json() == {"event_id": "$e"}
    assert len(srv.script.hits("/send/txn1")) == 3


async def test_write_that_never_left_is_retried_then_fails(h: Harness) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: connection refused, nothing was sent
    async with HttpClient(f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=3,
                          base_delay=0.01), on_request=h.records.append,
                          sleep=h.time.sleep) as c:
        with pytest.raises(ConnectionFailedError) as err:
            await c.post("p", json={})
    assert "3 attempts" in str(err.value)
    assert len(h.records) == 3 and len(h.time.slept) == 2


async def test_backoff_is_exponential_with_jitter() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=8)
    assert [policy.backoff(n, 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 4, 4]
    assert [policy.backoff(n, 1.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 8]


# -- rate limits ----------------------------------------------------------------------------


async def test_secondary_limit_retry_after_is_reported_and_honored(
        srv: ScriptedServer, client: HttpClient, h: Harness) -> None:
    srv.script.on("/p", json_response({"message": "You have exceeded a secondary rate limit"},
                                      403, {"Retry-After": "7"}),
                  json_response({"id": 1}, 201))
    response = await client.post("p", json={"a": 1})  # refused, not processed: retry is safe
    assert response.status == 201
    assert h.time.slept == [7.0]
    assert h.waits[0][0] == 7.0 and "Retry-After" in h.waits[0][1]


async def test_primary_limit_waits_until_reset(srv: ScriptedServer, client: HttpClient,
                                               h: Harness) -> None:
    reset = int(h.time.now) + 50
    srv.script.on("/x", json_response({"message": "API rate limit exceeded"}, 403,
                                      {"x-ratelimit-remaining": "0",
                                       "x-ratelimit-reset": str(reset)}),
                  json_response({"ok": 1}))
    assert (await client.get("x")).json() == {"ok": 1}
    assert h.time.slept == [51.0]
    assert "until reset" in h.waits[0][1]


async def test_429_without_headers_waits_default(srv: ScriptedServer, client: HttpClient,
                                                 h: Harness) -> None:
    srv.script.on("/x", Response("slow down", 429), json_response({"ok": 1}))
    assert (await client.get("x")).json() == {"ok": 1}
    assert h.time.slept == [60.0]


async def test_too_long_rate_limit_raises_instead_of_freezing(
        srv: ScriptedServer, h: Harness) -> None:
    srv.script.on("/x", json_response({"message": "API rate limit exceeded"}, 403,
                                      {"x-ratelimit-remaining": "0",
                                       "x-ratelimit-reset": str(int(h.time.now) + 3000)}))
    async with make_client(srv, h, retry=RetryPolicy(max_wait=600)) as c:
        with pytest.raises(RateLimitError) as err:
            await c.get("x")
    assert err.value.wait_seconds > 600 and h.time.slept == []


async def test_rate_limit_wait_is_honored_with_the_real_clock(srv: ScriptedServer,
                                                              h: Harness) -> None:
    srv.script.on("/x", Response("", 429, {"Retry-After": "1"}), json_response({"ok": 1}))
    async with make_client(srv, h, clock=time.time, sleep=asyncio.sleep) as c:
        t0 = time.monotonic()
        assert (await c.get("x")).json() == {"ok": 1}
        assert time.monotonic() - t0 >= 1.0
    assert h.waits[0][0] == 1.0


async def test_concurrent_calls_wait_out_a_rate_limit_together(srv: ScriptedServer,
                                                               h: Harness) -> None:
    hits = {"n": 0}

    def limited(request: Request) -> Response:
        hits["n"] += 1
        if hits["n"] == 1:
            return Response("", 429, {"Retry-After": "1"})
        return json_response({"ok": 1})

    srv.script.on("/a", ("slow", 0.0, limited))
    srv.script.on("/b", ("slow", 0.3, json_response({"ok": 2})), json_response({"ok": 2}))
    async with make_client(srv, h, clock=time.time, sleep=asyncio.sleep) as c:
        first = asyncio.create_task(c.get("a"))
        await asyncio.sleep(0.1)
        await c.get("b")  # sent after the limit was seen: must wait it out first
        await first
    assert any("waiting out a rate limit" in reason for _, reason in h.waits)


# -- ETags, read-only, concurrency, pagination ---------------------------------------------


async def test_etag_304_reuses_the_cached_body(srv: ScriptedServer, client: HttpClient,
                                               h: Harness) -> None:
    def etagged(request: Request) -> Response:
        if request.headers.get("if-none-match") == '"v1"':
            return Response(status_code=304, headers={"ETag": '"v1"'})
        return json_response({"body": "journal"}, headers={"ETag": '"v1"'})

    srv.script.on("/issue", etagged)
    first = await client.get("issue")
    second = await client.get("issue")
    assert first.json() == second.json() == {"body": "journal"}
    assert not first.from_cache and second.from_cache and second.status == 200
    seen = srv.script.hits("/issue")
    assert "if-none-match" not in seen[0].headers
    assert seen[1].headers["if-none-match"] == '"v1"'
    assert [r.status for r in h.records] == [200, 304] and h.records[1].from_cache


async def test_read_only_refuses_writes_before_sending(srv: ScriptedServer,
                                                       h: Harness) -> None:
    srv.script.on("/p", json_response({}, 201))
    srv.script.on("/g", json_response({"ok": 1}))
    async with make_client(srv, h, read_only=True) as c:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with pytest.raises(ReadOnlyViolation):
                await c.request(method, "p", json={"a": 1}, idempotent=True)
        assert (await c.get("g")).json() == {"ok": 1}
    assert srv.script.hits("/p") == []
    assert [r.error for r in h.records[:4]] == ["refused: read-only"] * 4


async def test_concurrency_is_bounded(srv: ScriptedServer, h: Harness) -> None:
    srv.script.on("/slow", ("slow", 0.2, json_response({"ok": 1})))
    async with make_client(srv, h, max_concurrency=2) as c:
        await asyncio.gather(*(c.get("slow", etag=False) for _ in range(6)))
    assert srv.script.max_in_flight == 2


async def test_pagination_follows_link_headers(srv: ScriptedServer, client: HttpClient) -> None:
    base = srv.base_url

    def page(request: Request) -> Response:
        n = int(request.query_params.get("page", "1"))
        headers = {"Link": f'<{base}/items?per_page=2&page={n + 1}>; rel="next", '
                           f'<{base}/items?per_page=2&page=3>; rel="last"'} if n < 3 else {}
        return json_response([n * 10, n * 10 + 1], headers=headers)

    srv.script.on("/items", page)
    items = [i async for i in client.paginate("items", params={"per_page": 2})]
    assert items == [10, 11, 20, 21, 30, 31]


# -- errors, redaction, manual equivalents ---------------------------------------------------


async def test_errors_carry_status_excerpt_and_hint(srv: ScriptedServer,
                                                    client: HttpClient) -> None:
    srv.script.on("/a", json_response({"message": "Bad credentials"}, 401))
    srv.script.on("/b", json_response({"message": "Not Found"}, 404))
    srv.script.on("/c", json_response({"message": "Resource not accessible by integration"},
                                      403, {"x-accepted-oauth-scopes": "repo, workflow"}))
    with pytest.raises(HttpError) as e401:
        await client.get("a")
    assert e401.value.status == 401 and "COCKPIT_GITHUB_TOKEN" in e401.value.hint
    assert "Bad credentials" in str(e401.value)
    with pytest.raises(HttpError) as e404:
        await client.get("b")
    assert e404.value.path == "/b" and "not found" in e404.value.hint
    with pytest.raises(HttpError) as e403:
        await client.get("c")
    assert "repo, workflow" in e403.value.hint
    assert (await client.get("b", ok=(404,))).status == 404


async def test_a_known_token_never_leaks(srv: ScriptedServer, h: Harness) -> None:
    other = "discord-webhook-secret-part"
    redact = Redactor()
    redact.add(other)

    def echo(request: Request) -> Response:  # a server that echoes secrets back
        return json_response({"message": f"bad token {request.headers['authorization']} "
                                         f"for {request.url}"}, 401)

    srv.script.on(f"/hooks/{other}", echo)
    srv.script.on("/p", ("slow", 1.5, json_response({})))
    async with make_client(srv, h, redact=redact, manual_style="curl") as c:
        with pytest.raises(HttpError) as e1:
            await c.post(f"hooks/{other}", json={"content": f"{TOKEN} in body"},
                         params={"token": TOKEN})
        with pytest.raises(AmbiguousWriteError) as e2:
            await c.post("p", json={"t": TOKEN})
    texts = [str(e1.value), e1.value.excerpt, e1.value.url, str(e2.value)]
    texts += [f"{r.url} {r.manual} {r.error}" for r in h.records]
    texts += [reason for _, reason in h.waits]
    assert texts and "***" in h.records[0].manual
    for text in texts:
        assert TOKEN not in text and other not in text, text
    assert "Authorization: Bearer ***" in h.records[0].manual
    assert h.records[0].manual.startswith("curl -X POST")


def test_manual_equivalent_is_a_gh_api_command() -> None:
    line = render_gh("POST", "https://api.github.com", "https://api.github.com/repos/o/r/pulls",
                     {"title": "Release v0.30.0", "head": "release-v0.30.0", "draft": True,
                      "reviewers": ["a", "b"], "inputs": {"version": "v1"}, "n": 3})
    assert line == ("gh api -X POST repos/o/r/pulls -f 'title=Release v0.30.0' "
                    "-f head=release-v0.30.0 -F draft=true -f 'reviewers[]=a' "
                    "-f 'reviewers[]=b' -f 'inputs[version]=v1' -F n=3")
    get = render_gh("GET", "http://127.0.0.1:8080/api/v3",
                    "http://127.0.0.1:8080/api/v3/repos/o/r/pulls?head=o:b&state=all", None)
    assert get == "gh api --hostname 127.0.0.1:8080 'repos/o/r/pulls?head=o:b&state=all'"


async def test_records_render_manual_lines(srv: ScriptedServer, client: HttpClient,
                                           h: Harness) -> None:
    srv.script.on("/repos/o/r/pulls", json_response({"number": 1}, 201))
    await client.post("repos/o/r/pulls", json={"title": "x", "draft": False})
    record = h.records[-1]
    assert record.method == "POST" and record.status == 201 and record.duration >= 0
    assert record.manual.endswith("repos/o/r/pulls -f title=x -F draft=false")
