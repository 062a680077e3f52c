"""The HTTP layer's policies as httpx transports, each wrapping the next.

Why transports: retries, rate limits, the ETag cache, the read-only guard and the request
log are separate promises (see ``cockpit.services.http``), and httpx already has the shape
for layering them: an ``httpx.AsyncBaseTransport`` turns a request into a response, so a
policy is a transport that wraps the next one. Each class here is one promise, small
enough to read at once and tested alone (``tests/services/test_transports.py``).
``HttpClient`` stacks them, outermost first::

    ReadOnlyGuard → SnapshotReads → EtagCache → Retry → RateLimit → Recording → SharedPool → the network

The order is the semantics: the guard refuses a write before anything else happens; while
the release's state is read, one request answers every check asking the same thing; the
cache revalidates once per call, however many attempts follow; each retry attempt first
waits out a rate limit in force; every attempt, rate-limited or not, is recorded; the
pool bounds how many requests of one client are in flight.

What a layer needs to know about the call that an ``httpx.Request`` does not say (the
service, whether a write is safe to repeat, the attempt number, the redacted URL and
manual equivalent) travels with the request as a ``cockpit.services.http.Call`` in
``request.extensions``, httpx's place for per-request extras. A request without one gets
a default ``Call``, so a layer also works on its own.

Every text a layer emits (a record, a wait reason, an error message) is built from the
``Call``'s redacted views, so redaction happens in one place: ``Call.redact``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from cockpit.errors import ReadOnlyViolation
from cockpit.services.etag_store import DiskEtagStore, StoredAnswer
from cockpit.services.http import (
    SAFE_METHODS,
    AmbiguousWriteError,
    Call,
    ConnectionFailedError,
    RateLimitError,
    RequestRecord,
    RetryPolicy,
    _excerpt,
)
from cockpit.services.snapshot import READ_SNAPSHOT, once

__all__ = [
    "NEVER_SENT",
    "EtagCache",
    "Layer",
    "Pause",
    "RateLimit",
    "ReadOnlyGuard",
    "Recording",
    "Retry",
    "SharedPool",
    "SnapshotReads",
    "retry_after",
    "sleep_quietly",
]

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport errors that prove the request never left: safe to retry even for a write."""

Pause = Callable[[float, str], Awaitable[None]]
"""Wait ``seconds``, telling the user ``reason`` (``HttpClient`` reports it via ``on_wait``)."""


async def sleep_quietly(seconds: float, reason: str) -> None:
    """The default ``Pause`` of a layer used on its own: sleep, tell no one."""
    await asyncio.sleep(seconds)


class Layer(httpx.AsyncBaseTransport):
    """A policy wrapping the next transport (closing it closes the rest of the stack)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- the layers, outermost first --------------------------------------------------------------


class ReadOnlyGuard(Layer):
    """Refuses every method but GET/HEAD/OPTIONS while ``enabled``, before it is sent, but
    a call its maker declared ``reads_only`` (a GraphQL query, built as one).

    ``--shadow`` and ``--walkthrough`` rely on this: whatever the code above does, a
    write never leaves the process. ``on_refused`` hears of each refusal (the request log).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, *, enabled: bool = True,
                 on_refused: Callable[[httpx.Request], None] | None = None) -> None:
        super().__init__(inner)
        self.enabled = enabled
        self.on_refused = on_refused

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.enabled and request.method not in SAFE_METHODS \
                and not Call.of(request).reads_only:
            if self.on_refused is not None:
                self.on_refused(request)
            call = Call.of(request)
            raise ReadOnlyViolation(f"read-only session: refused {request.method} {call.path} "
                                    f"({call.service}); it was not sent")
        return await self.inner.handle_async_request(request)


@dataclass(eq=False)
class _Entry:
    etag: str
    response: httpx.Response
    """The 200 it came with, fully read; handed out again on every 304."""


class EtagCache(Layer):
    """Revalidates repeated GETs with ``If-None-Match``; a 304 gets the stored 200 back.

    An LRU of ``size`` answers keyed by URL and credential, backed by ``store`` (the
    user's on-disk cache, ``cockpit.services.etag_store``) when one is given, so the
    answers one process fetched revalidate in the next. A 304 costs no GitHub rate
    limit, which is how shadows poll and why a repeated ``cockpit status`` is cheap. The
    stored response object itself is returned (its body is already read; nothing
    mutates it).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, *, size: int = 512,
                 store: DiskEtagStore | None = None) -> None:
        super().__init__(inner)
        self.size = size
        self.store = store
        self.entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = Call.of(request)
        if request.method != "GET" or not call.etag:
            return await self.inner.handle_async_request(request)
        key = (call.url, hashlib.sha256(call.credential.encode()).hexdigest())
        hit = self.entries.get(key) or self._from_disk(key, request)
        if hit is not None:
            self.entries[key] = hit
            self.entries.move_to_end(key)
            call.revalidating = True
            if "if-none-match" not in request.headers:
                request.headers["If-None-Match"] = hit.etag
        response = await self.inner.handle_async_request(request)
        if response.status_code == 304 and hit is not None:
            call.from_cache = True
            return hit.response
        etag = response.headers.get("etag")
        if response.status_code == 200 and etag:
            self._put(key, _Entry(etag, response))
            if self.store is not None:
                await response.aread()
                self.store.put(*key, StoredAnswer(etag, list(response.headers.items()),
                                                  response.content))
        return response

    def _from_disk(self, key: tuple[str, str], request: httpx.Request) -> _Entry | None:
        stored = self.store.get(*key) if self.store is not None else None
        if stored is None:
            return None
        # The body is stored decoded: the encoding header would make httpx decode it again.
        headers = [(k, v) for k, v in stored.headers
                   if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
        return _Entry(stored.etag, httpx.Response(200, headers=headers, content=stored.body,
                                                  request=request))

    def _put(self, key: tuple[str, str], entry: _Entry) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


class SnapshotReads(Layer):
    """Inside ``reading_snapshot()``, one request per GET question (URL and credential):
    the others asking it wait for, and share, the first one's answer
    (``cockpit.services.snapshot``). A failed request is not shared: each asker meets
    its own error, as without a snapshot."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        snapshot = READ_SNAPSHOT.get()
        call = Call.of(request)
        if snapshot is None or request.method != "GET":
            return await self.inner.handle_async_request(request)
        key = (call.url, hashlib.sha256(call.credential.encode()).hexdigest())

        async def read() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

        return await once(snapshot.answers, key, read)


class Retry(Layer):
    """Retries a 5xx, a timeout or a dropped connection, but never duplicates a write.

    A repeatable call (``Call.repeatable``) is resent with jittered exponential backoff
    (a 5xx's ``Retry-After`` wins) until ``policy.max_attempts``; then a 5xx is returned
    and a transport error becomes ``ConnectionFailedError``. A write that failed
    *ambiguously* (it may have reached the server: a read timeout, a connection dropped
    mid-response, a 5xx) raises ``AmbiguousWriteError`` at once, so the caller re-checks
    the world before trying again; a write that provably never left (``NEVER_SENT``) is
    retried like a read.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy, *,
                 pause: Pause = sleep_quietly, rand: Callable[[], float] | None = None
                 ) -> None:
        super().__init__(inner)
        self.policy = policy
        self.pause = pause
        self.rand = rand or random.random

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = Call.of(request)
        while True:
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError as exc:
                await self._after_transport_error(call, request.method, exc)
            else:
                if not await self._retry_5xx(call, request.method, response):
                    return response
            call.attempt += 1

    async def _after_transport_error(self, call: Call, method: str,
                                     exc: httpx.TransportError) -> None:
        """Raise if ``exc`` must not be retried; else wait the backoff."""
        cause = call.cause(exc)
        if not call.repeatable and not isinstance(exc, NEVER_SENT):
            raise AmbiguousWriteError(call.service, method, call.safe_url, cause) from None
        if call.attempt >= self.policy.max_attempts:
            raise ConnectionFailedError(
                f"{call.service}: {method} {call.path} failed after {call.attempt} "
                f"attempts: {cause}") from None
        await self.pause(self.policy.backoff(call.attempt, self.rand()),
                         f"{call.service} {method}: {cause}; retry {call.attempt + 1}"
                         f"/{self.policy.max_attempts}")

    async def _retry_5xx(self, call: Call, method: str, response: httpx.Response) -> bool:
        """Whether to resend after ``response`` (having waited); raises for a write."""
        status = response.status_code
        if status < 500:
            return False
        if not call.repeatable:
            raise AmbiguousWriteError(call.service, method, call.safe_url,
                                      f"HTTP {status}: {call.redact(_excerpt(response))}")
        if call.attempt >= self.policy.max_attempts:
            return False
        delay = retry_after(response.headers) or self.policy.backoff(call.attempt, self.rand())
        await self.pause(min(delay, self.policy.max_wait),
                         f"{call.service} {method}: HTTP {status}; retry {call.attempt + 1}"
                         f"/{self.policy.max_attempts}")
        return True


class RateLimit(Layer):
    """Waits out rate limits, for every method (a refused request was not processed).

    GitHub's primary limit (403/429 with ``x-ratelimit-remaining: 0``: until
    ``x-ratelimit-reset``), ``Retry-After``, and GitHub's "secondary rate limit" 403 or a
    bare 429 (``policy.secondary_default_wait``). A wait longer than ``policy.max_wait``,
    or more than ``policy.max_rate_limit_waits`` of them in one call, raises
    ``RateLimitError`` instead of freezing a stage. While a limit is in force, every
    request through this layer waits it out first (concurrent calls of one client).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy, *,
                 pause: Pause = sleep_quietly, clock: Callable[[], float] = time.time
                 ) -> None:
        super().__init__(inner)
        self.policy = policy
        self.pause = pause
        self.clock = clock
        self.blocked_until = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = Call.of(request)
        remaining = self.blocked_until - self.clock()
        if remaining > 0:
            await self.pause(remaining, f"{call.service}: waiting out a rate limit")
        while True:
            response = await self.inner.handle_async_request(request)
            wait = self.wait_for(response)
            if wait is None:
                return response
            seconds, reason = wait
            call.rate_waits += 1
            if seconds > self.policy.max_wait or call.rate_waits > self.policy.max_rate_limit_waits:
                raise RateLimitError(
                    call.service, request.method, call.safe_url, response.status_code,
                    call.redact(_excerpt(response)),
                    f"rate limited for {seconds:.0f}s more ({reason}); retry later", seconds)
            self.blocked_until = max(self.blocked_until, self.clock() + seconds)
            await self.pause(seconds, f"{call.service} rate limit: {reason}")
            call.attempt += 1

    def wait_for(self, response: httpx.Response) -> tuple[float, str] | None:
        """Seconds to wait and why, if ``response`` is a rate-limit refusal; else None."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        after = retry_after(headers)
        if after is not None:
            return after, f"Retry-After {after:.0f}s (secondary limit)"
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                reset = float(headers["x-ratelimit-reset"])
            except ValueError:
                reset = self.clock() + self.policy.secondary_default_wait
            seconds = max(0.0, reset - self.clock()) + 1.0
            return seconds, f"primary limit exhausted until reset at {int(reset)}"
        if response.status_code == 429 or b"secondary rate limit" in response.content.lower():
            seconds = self.policy.secondary_default_wait
            return seconds, f"secondary limit, no Retry-After: waiting {seconds:.0f}s"
        return None


class Recording(Layer):
    """Turns every attempt into a ``RequestRecord`` for ``on_request`` (the request log).

    Including attempts that got no answer (``status`` None, ``error`` set) and 304s the
    ETag cache answered (``from_cache``). URL and manual equivalent are redacted; nothing
    is rendered while ``on_request`` is None.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, *,
                 on_request: Callable[[RequestRecord], None] | None = None) -> None:
        super().__init__(inner)
        self.on_request = on_request

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = Call.of(request)
        t0 = time.monotonic()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            self.note(call, request.method, None, time.monotonic() - t0, error=call.cause(exc))
            raise
        status = response.status_code
        self.note(call, request.method, status, time.monotonic() - t0,
                  from_cache=status == 304 and call.revalidating)
        return response

    def refused(self, request: httpx.Request) -> None:
        """Record a request the read-only guard refused (it was never sent)."""
        self.note(Call.of(request), request.method, None, 0.0, attempt=1,
                  error="refused: read-only")

    def note(self, call: Call, method: str, status: int | None, duration: float, *,
             attempt: int | None = None, from_cache: bool = False,
             error: str | None = None) -> None:
        """Hand one record to ``on_request``, if anyone listens (built only then)."""
        if self.on_request is not None:
            self.on_request(RequestRecord(call.service, method, call.safe_url, status,
                                          duration, call.manual, attempt or call.attempt,
                                          from_cache, error))


class SharedPool(httpx.AsyncBaseTransport):
    """Sends through an ``httpx.AsyncClient``'s connection pool, ``max_concurrency`` at once.

    The innermost layer. The client may be shared by a whole session's ``HttpClient``s
    (one pool), so closing this layer leaves it open: its owner closes it. Responses come
    back fully read.
    """

    def __init__(self, client: httpx.AsyncClient, *, max_concurrency: int = 8) -> None:
        self.client = client
        self.semaphore = asyncio.Semaphore(max_concurrency)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.semaphore:
            return await self.client.send(request)


def retry_after(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds (never negative); None when absent or not a number."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
