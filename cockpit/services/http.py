"""The one HTTP layer every service client goes through.

Why one layer: the guarantees the cockpit makes about talking to the world must hold for
every service alike, and be tested once:

- **Retries that never duplicate a write.** Safe requests (GET/HEAD, or a call the
  client declares idempotent, like Matrix's ``PUT …/send/{txnId}``) are retried with
  jittered exponential backoff after a 5xx, a timeout or a dropped connection. A write
  (POST/PATCH/PUT/DELETE) that failed *ambiguously* — the request may have reached the
  server (a read timeout, a connection dropped mid-response, a 5xx) — is **not** retried:
  ``AmbiguousWriteError`` is raised so the caller re-checks the world first (a second
  POST could open a second PR). A write that provably never left (connection refused)
  is retried like a read.
- **Rate limits are waited out, visibly.** GitHub's primary limit (403/429 with
  ``x-ratelimit-remaining: 0``: wait until ``x-ratelimit-reset``) and secondary limits
  (``Retry-After``, or GitHub's "secondary rate limit" 403 without headers: wait a
  minute) are honored for every method, since a refused request was not processed.
  Each wait is reported through ``on_wait(seconds, reason)`` so the UI can count down;
  waits longer than ``max_wait`` raise ``RateLimitError`` instead of freezing a stage.
- **ETag conditional GETs.** A repeated GET sends ``If-None-Match``; a 304 reuses the
  cached body (and costs no GitHub rate limit — shadows poll this way).
- **Read-only mode** refuses any non-GET/HEAD *before it leaves the process*, raising
  ``cockpit.errors.ReadOnlyViolation``: ``--shadow`` and ``--walkthrough`` cannot
  change anything, whatever the code above does.
- **Redaction.** Every URL, log line, manual equivalent and error message passes
  through the session's ``Redactor``; the client's own token is registered with it.
- **A request log.** Each call becomes a ``RequestRecord`` whose ``manual`` field is what
  a human would type to do the same (``gh api -X POST repos/o/r/pulls -f title=…`` or a
  ``curl`` line) — the explanation pane's "manual equivalent".

Where each promise lives: every bullet above but redaction is one httpx transport in
``cockpit.services.transports`` (``Retry``, ``RateLimit``, ``EtagCache``,
``ReadOnlyGuard``, ``Recording``), and ``HttpClient`` stacks them (``_stack``). This
module keeps what callers import: the client, which turns a call into a request and the
answer into a ``Response`` or an ``HttpError``; the errors; the records; and ``Call``,
what a request carries down the stack. Redaction is not a layer but the ``Call``'s
views (``safe_url``, ``manual``, ``cause``): every text a layer emits is built from them.
"""

from __future__ import annotations

import asyncio
import functools
import json as jsonlib
import os
import random
import re
import shlex
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from cockpit.errors import CockpitError, ReadOnlyViolation
from cockpit.secrets import TOKEN_ENV, Redactor
from cockpit.services.etag_store import DiskEtagStore

__all__ = [
    "CALL",
    "SAFE_METHODS",
    "AmbiguousWriteError",
    "Call",
    "ConnectionFailedError",
    "HttpClient",
    "HttpError",
    "MalformedResponseError",
    "RateLimitError",
    "ReadOnlyViolation",
    "RequestRecord",
    "Response",
    "RetryPolicy",
    "ServiceError",
    "render_curl",
    "render_gh",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that never change anything: allowed in read-only mode, always retryable."""

SENSITIVE_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "cookie",
                               "proxy-authorization", "x-auth-token"})
"""Headers whose values are masked in manual equivalents even before redaction."""

ManualStyle = Literal["gh", "curl"]
Sleep = Callable[[float], Awaitable[None]]


# -- errors ---------------------------------------------------------------------------------


class ServiceError(CockpitError, RuntimeError):
    """Base of every failure a service client raises; the message is already redacted."""


class HttpError(ServiceError):
    """The service answered with an error status (after any retries).

    ``hint`` says what the driver can do about it (set a token, add a scope, …).
    """

    def __init__(self, service: str, method: str, url: str, status: int, excerpt: str,
                 hint: str) -> None:
        self.service = service
        self.method = method
        self.url = url
        self.path = urlsplit(url).path
        self.status = status
        self.excerpt = excerpt
        self.hint = hint
        message = f"{service}: {method} {self.path} → {status}"
        if excerpt:
            message += f": {excerpt}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class RateLimitError(HttpError):
    """Rate limited, and the wait the service asks for is longer than ``max_wait``."""

    def __init__(self, service: str, method: str, url: str, status: int, excerpt: str,
                 hint: str, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(service, method, url, status, excerpt, hint)


class AmbiguousWriteError(ServiceError):
    """A write failed in a way that leaves unknown whether the server applied it.

    Raised instead of retrying a non-idempotent request after a timeout, a dropped
    connection or a 5xx: the caller must re-check the world (``check()``) before
    trying again, or it may create a second branch, PR, release or post.
    """

    def __init__(self, service: str, method: str, url: str, cause: str) -> None:
        self.service = service
        self.method = method
        self.url = url
        self.cause = cause
        super().__init__(
            f"{service}: {method} {urlsplit(url).path} failed ambiguously ({cause}); "
            "it may or may not have been applied: re-check before retrying")


class ConnectionFailedError(ServiceError):
    """The service could not be reached (or kept failing) after every retry."""


class MalformedResponseError(ServiceError):
    """The service answered, but not as documented: not JSON, or not the expected shape.

    Never guessed around: a list endpoint whose answer is not a list must not read as
    "nothing there", or the caller would create a second copy of what exists."""

    def __init__(self, service: str, method: str, url: str, problem: str) -> None:
        self.service = service
        self.method = method
        self.url = url
        self.problem = problem
        super().__init__(f"{service}: {method} {urlsplit(url).path}: malformed response "
                         f"({_clip(problem, 200)}); nothing was changed because of it: "
                         "try again later, or report it if it persists")


# -- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One attempt of one call, as the log and the explanation pane show it (redacted)."""

    service: str
    method: str
    url: str
    status: int | None
    """None when no response arrived (refused, timed out, dropped)."""
    duration: float
    manual: str
    attempt: int = 1
    from_cache: bool = False
    """A 304 answered it; the body is the cached one."""
    error: str | None = None


@dataclass(frozen=True)
class Response:
    """A finished response (the body is fully read)."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    from_cache: bool = False
    service: str = ""
    method: str = "GET"

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON (None when empty); ``MalformedResponseError`` when it is not."""
        try:
            return jsonlib.loads(self.content) if self.content else None
        except (ValueError, RecursionError) as exc:
            raise self.malformed(f"not JSON: {type(exc).__name__}: {exc}") from None

    def malformed(self, problem: str) -> MalformedResponseError:
        """The error to raise when this answer does not have the documented shape."""
        return MalformedResponseError(self.service or "service", self.method, self.url, problem)

    @property
    def links(self) -> dict[str, str]:
        """``Link`` header relations (``next``, ``last``…) → URL, as GitHub paginates."""
        out: dict[str, str] = {}
        for part in self.headers.get("link", "").split(","):
            m = re.search(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?', part)
            if m:
                out[m.group(2)] = m.group(1)
        return out


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Delays are ``base * 2**(n-1)``, capped, with jitter."""

    max_attempts: int = 4
    """Attempts per call for 5xx / timeouts / connection errors (1 = no retry)."""
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_wait: float = 900.0
    """Longest rate-limit wait honored; longer ones raise ``RateLimitError``."""
    max_rate_limit_waits: int = 3
    secondary_default_wait: float = 60.0
    """GitHub's advice when a secondary-limit 403 carries no Retry-After."""

    def backoff(self, attempt: int, rand: float) -> float:
        """Equal jitter: half the exponential delay fixed, half random (spreads retries)."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay / 2 + rand * delay / 2


CALL = "cockpit.call"
"""The ``request.extensions`` key holding the request's ``Call``."""


@dataclass(eq=False, slots=True)
class Call:
    """One call as the layers see it, beyond what its ``httpx.Request`` says.

    One ``Call`` spans every attempt of the call (the request is resent as is), so the
    counters here are per call: ``max_attempts`` and ``max_rate_limit_waits`` hold for
    the whole call, whichever layer resent it.
    """

    service: str = "http"
    url: str = ""
    """The URL as the caller named it (the ETag cache key; redact it before showing it)."""
    redact: Redactor = field(default_factory=Redactor)
    repeatable: bool = False
    """Safe to send twice: a read, or a write the caller declared idempotent."""
    reads_only: bool = False
    """A POST that only reads (a GraphQL query): a read-only session may send it."""
    etag: bool = True
    """The ETag cache may revalidate and answer this call (GETs only)."""
    credential: str = ""
    """Whose view this is: cached answers are never shared between credentials."""
    render_manual: Callable[[], str] | None = None
    """Builds the manual equivalent (unredacted); called at most once, only if shown."""
    attempt: int = 1
    """Number of the attempt under way; a layer that resends increments it."""
    rate_waits: int = 0
    """Rate-limit waits so far in this call."""
    revalidating: bool = False
    """The ETag cache sent ``If-None-Match`` for an answer it holds: a 304 is a hit."""
    from_cache: bool = False
    """The ETag cache answered (the server said 304)."""
    _safe_url: str | None = None
    _manual: str | None = None

    @classmethod
    def of(cls, request: httpx.Request) -> Call:
        """The request's ``Call``; a default one (attached) for a bare ``httpx.Request``."""
        call = request.extensions.get(CALL)
        if isinstance(call, Call):
            return call
        url = str(request.url)
        shown = {k: v for k, v in request.headers.items() if k != "host"}
        call = cls(url=url, repeatable=request.method in SAFE_METHODS,
                   credential=request.headers.get("authorization", ""),
                   render_manual=lambda: render_curl(request.method, url, shown,
                                                     request.content))
        request.extensions[CALL] = call
        return call

    @property
    def safe_url(self) -> str:
        """The URL, redacted (computed once)."""
        if self._safe_url is None:
            self._safe_url = self.redact(self.url)
        return self._safe_url

    @property
    def path(self) -> str:
        """The redacted URL's path, as error messages show it."""
        return urlsplit(self.safe_url).path

    @property
    def manual(self) -> str:
        """The manual equivalent, redacted (computed once, on first use)."""
        if self._manual is None:
            self._manual = self.redact(self.render_manual() if self.render_manual else "")
        return self._manual

    def cause(self, exc: Exception) -> str:
        """A transport error as one redacted phrase (``ReadTimeout: timed out``)."""
        return self.redact(f"{type(exc).__name__}: {exc}".rstrip(": "))


# -- manual equivalents ---------------------------------------------------------------------


def _clip(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    return value[:limit] + f"…[+{len(value) - limit} chars]"


def _gh_fields(key: str, value: Any, limit: int) -> list[str]:
    """``gh api`` field flags: ``-f`` for strings, ``-F`` for typed values, ``k[]``/``k[s]``."""
    if isinstance(value, Mapping):
        out: list[str] = []
        for sub, item in value.items():
            out += _gh_fields(f"{key}[{sub}]", item, limit)
        return out
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            out += _gh_fields(f"{key}[]", item, limit)
        return out
    if isinstance(value, str):
        return ["-f", shlex.quote(f"{key}={_clip(value, limit)}")]
    if value is None:
        return ["-F", shlex.quote(f"{key}=null")]
    if isinstance(value, bool):
        return ["-F", f"{key}={'true' if value else 'false'}"]
    return ["-F", shlex.quote(f"{key}={value}")]


def render_gh(method: str, api_base: str, url: str, body: Any, *, limit: int = 300) -> str:
    """``gh api`` command for a GitHub REST call (``--hostname`` when not github.com)."""
    prefix, hostname = _gh_base(api_base)
    full = httpx.URL(url)
    path = full.path
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]
    endpoint = path.lstrip("/")
    if full.query:
        endpoint += "?" + full.query.decode()
    parts = ["gh", "api"]
    if method != "GET":
        parts += ["-X", method]
    if hostname is not None:
        parts += ["--hostname", hostname]
    parts.append(shlex.quote(endpoint))
    if isinstance(body, Mapping):
        for key, value in body.items():
            parts += _gh_fields(str(key), value, limit)
    elif body is not None:
        parts += ["--input", "-", "<<<", shlex.quote(_clip(jsonlib.dumps(body), limit))]
    return " ".join(parts)


@functools.lru_cache(maxsize=32)
def _gh_base(api_base: str) -> tuple[str, str | None]:
    """The API base's path prefix and ``--hostname`` (None for github.com), parsed once
    per base: parsing a URL costs a third of rendering a line, on every request."""
    base = httpx.URL(api_base)
    hostname = None
    if base.host not in ("api.github.com", "github.com", ""):
        hostname = base.host + (f":{base.port}" if base.port else "")
    return base.path.rstrip("/"), hostname


def render_curl(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                *, limit: int = 300) -> str:
    """A ``curl`` line; credentials in sensitive headers are masked as ``***``."""
    parts = ["curl"]
    if method != "GET":
        parts += ["-X", method]
    parts.append(shlex.quote(url))
    for name, value in headers.items():
        if name.lower() in SENSITIVE_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} ***" if rest else "***"
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        parts += ["-d", shlex.quote(_clip(body.decode("utf-8", errors="replace"), limit))]
    return " ".join(parts)


# -- hints ----------------------------------------------------------------------------------


def _excerpt(response: httpx.Response | Response, limit: int = 300) -> str:
    """The useful part of an error body: JSON ``message``/``error``/``errors``, else text."""
    raw = response.content
    try:
        data = jsonlib.loads(raw) if raw else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        bits = []
        for key in ("message", "error", "errcode", "errors", "error_type"):
            if data.get(key):
                value = data[key]
                bits.append(value if isinstance(value, str) else jsonlib.dumps(value))
        if bits:
            return _clip("; ".join(bits), limit)
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return _clip(text, limit)


def hint_for(service: str, status: int, headers: httpx.Headers) -> str:
    """What the driver can do about an error status (the actionable part of the message)."""
    envs = TOKEN_ENV.get(service, ())
    env = " or ".join(envs) if envs else "the service's token variable"
    if status == 401:
        return (f"the {service} token is missing, wrong or expired: set {env} "
                "(or run `cockpit login`), then `cockpit doctor`")
    if status == 403:
        scopes = headers.get("x-accepted-oauth-scopes") or headers.get(
            "x-accepted-github-permissions")
        need = f" (this call needs: {scopes})" if scopes else ""
        return (f"the {service} token lacks a permission or scope for this call{need}; "
                f"grant it or use another token in {env}")
    if status == 404:
        return (f"not found — check the name/number; a {service} token without access "
                "also gets 404 for private resources")
    if status == 409:
        return "conflict: it changed meanwhile (or the repository is empty); re-check and retry"
    if status == 422:
        return "rejected as invalid — often because it already exists; re-check first"
    if status == 429:
        return "rate limited; wait and retry"
    if status >= 500:
        return f"{service} is failing; retried where safe — try again later"
    return ""


# -- the client -----------------------------------------------------------------------------


def trusted_roots() -> ssl.SSLContext:
    """The TLS context every client of the process verifies servers with: the system's
    roots, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (the demo's ``--tls`` sandbox), as httpx
    would read them.

    Why shared: loading the roots costs ~27 ms a context on this machine, and a status
    makes a client per service (seven for Kubo's playbook), all before its first request."""
    cert_file = os.environ.get("SSL_CERT_FILE")
    changed = os.stat(cert_file).st_mtime_ns if cert_file and os.path.isfile(cert_file) else 0
    return _roots(cert_file, os.environ.get("SSL_CERT_DIR"), changed)


@functools.lru_cache(maxsize=4)
def _roots(cert_file: str | None, cert_dir: str | None, changed: int) -> ssl.SSLContext:
    """One context per (file, directory, file's modification time): the cache key."""
    return httpx.create_ssl_context()


class HttpClient:
    """One service's endpoint: base URL, credentials, and the policies above.

    The policies are transports stacked by ``_stack`` (``cockpit.services.transports``);
    this class turns a call into an ``httpx.Request`` carrying a ``Call``, sends it down
    the stack, and turns the answer into a ``Response`` or an ``HttpError``.

    Several ``HttpClient``s may share one ``httpx.AsyncClient`` (pass ``client``) so the
    whole session reuses connections; each still has its own concurrency bound.
    """

    def __init__(
        self,
        base_url: str,
        *,
        service: str = "http",
        token: str | None = None,
        auth_header: str = "Authorization",
        auth_scheme: str | None = "Bearer",
        headers: Mapping[str, str] | None = None,
        redact: Redactor | None = None,
        read_only: bool = False,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        max_concurrency: int = 8,
        manual_style: ManualStyle = "curl",
        on_request: Callable[[RequestRecord], None] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        client: httpx.AsyncClient | None = None,
        etag_cache_size: int = 512,
        etag_store: DiskEtagStore | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.redact = redact if redact is not None else Redactor()
        self.redact.add(token)
        self.timeout = timeout
        self.manual_style: ManualStyle = manual_style
        self.on_wait = on_wait
        self.clock = clock
        self.sleep = sleep
        self.rand = rand
        self.headers: dict[str, str] = dict(headers or {})
        self._auth: dict[str, str] = {}
        if token:
            self._auth[auth_header] = f"{auth_scheme} {token}" if auth_scheme else token
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout, verify=trusted_roots())
        self._stack(retry or RetryPolicy(), read_only, on_request, max_concurrency,
                    etag_cache_size, etag_store)

    @property
    def credential(self) -> str:
        """Whose view the answers are: the base URL and the credential headers. Only ever
        digested (``read_batch.credential_id``), never shown."""
        return self.base_url + "\n" + "".join(self._auth.values())

    def _stack(self, retry: RetryPolicy, read_only: bool,
               on_request: Callable[[RequestRecord], None] | None, max_concurrency: int,
               etag_cache_size: int, etag_store: DiskEtagStore | None) -> None:
        """Build the transports, innermost first (the order is the semantics; see there)."""
        from cockpit.services import transports as t  # it imports this module's errors

        pool = t.SharedPool(self._client, max_concurrency=max_concurrency)
        self._recording = t.Recording(pool, on_request=on_request)
        self._rate_limit = t.RateLimit(self._recording, retry, pause=self._pause,
                                       clock=lambda: self.clock())
        self._retry = t.Retry(self._rate_limit, retry, pause=self._pause,
                              rand=lambda: self.rand())
        cache = t.EtagCache(self._retry, size=etag_cache_size, store=etag_store)
        snapshot = t.SnapshotReads(cache)
        self._guard = t.ReadOnlyGuard(snapshot, enabled=read_only,
                                      on_refused=self._recording.refused)
        self._transport: httpx.AsyncBaseTransport = self._guard

    @property
    def read_only(self) -> bool:
        """Refuse every write before it is sent (``--shadow``, ``--walkthrough``)."""
        return self._guard.enabled

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._guard.enabled = value

    @property
    def on_request(self) -> Callable[[RequestRecord], None] | None:
        """Hears of every attempt (the request log); may be swapped at any time."""
        return self._recording.on_request

    @on_request.setter
    def on_request(self, value: Callable[[RequestRecord], None] | None) -> None:
        self._recording.on_request = value

    @property
    def retry(self) -> RetryPolicy:
        return self._retry.policy

    @retry.setter
    def retry(self, value: RetryPolicy) -> None:
        self._retry.policy = self._rate_limit.policy = value

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (absolute URLs pass through, e.g. pagination links)."""
        if path.startswith(("http://", "https://")):
            return path
        if not path:
            return self.base_url
        return f"{self.base_url}/{path.lstrip('/')}"

    # -- public verbs ---------------------------------------------------------------------

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Response:
        return await self.request("DELETE", path, **kwargs)

    async def paginate(self, path: str, *, params: Mapping[str, Any] | None = None,
                       item_key: str | None = None, max_pages: int = 100
                       ) -> AsyncIterator[Any]:
        """Yield items of every page, following ``Link: rel="next"`` (GitHub-style).

        ``item_key`` picks the list out of an object page (``workflow_runs``, ``jobs``…).
        """
        url: str | None = path
        query: Mapping[str, Any] | None = params
        for _ in range(max_pages):
            if url is None:
                return
            response = await self.get(url, params=query)
            data = response.json()
            items = data.get(item_key) if item_key and isinstance(data, dict) else data
            if not isinstance(items, list):
                # Never read a malformed page as "no items": the caller would create a copy.
                want = f"an object with a list under {item_key!r}" if item_key else "a list"
                raise response.malformed(f"expected {want}, got {type(data).__name__}")
            for item in items:
                yield item
            url = response.links.get("next")
            query = None  # the next link carries the query

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        auth: bool = True,
        ok: Sequence[int] = (),
        etag: bool = True,
        reads_only: bool = False,
    ) -> Response:
        """Send one call through the transports: guard, ETag cache, retries, rate limits.

        ``idempotent``: True for writes safe to repeat (a Matrix send with a txn id);
        default: only GET/HEAD/OPTIONS. ``auth=False`` drops credentials (a redirect to a
        pre-signed blob URL must not carry the token). Statuses ≥ 400 raise ``HttpError``
        unless listed in ``ok`` (e.g. ``ok=(404,)`` for existence checks). ``reads_only``:
        the call changes nothing although its method is not GET (a GraphQL query): a
        read-only session sends it, and it is retried like a read.
        """
        method = method.upper()
        url = self._with_params(self.url(path), params)
        body, send_headers = self._encode(json, data, content, headers, auth)
        call = Call(self.service, url, self.redact,
                    repeatable=(method in SAFE_METHODS or reads_only) if idempotent is None
                    else idempotent, reads_only=reads_only,
                    etag=etag, credential="".join(self._auth.values()) if auth else "",
                    render_manual=lambda: self._manual(method, url, send_headers, json, data,
                                                       body))
        request = self._client.build_request(method, url, content=body, headers=send_headers,
                                             timeout=self.timeout, extensions={CALL: call})
        raw = await self._transport.handle_async_request(request)
        status = raw.status_code
        if status >= 400 and status not in ok:
            raise HttpError(self.service, method, call.safe_url, status,
                            self.redact(_excerpt(raw)),
                            self.redact(hint_for(self.service, status, raw.headers)))
        return Response(status, raw.headers, raw.content, url, call.from_cache, self.service,
                        method)

    # -- internals ------------------------------------------------------------------------

    @staticmethod
    def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
        """``url`` with ``params`` as its query (None values left out, booleans as JSON)."""
        if not params:
            return url
        return str(httpx.URL(url, params={k: _param(v) for k, v in params.items()
                                          if v is not None}))

    def _encode(self, json: Any, data: Mapping[str, str] | None, content: bytes | None,
                headers: Mapping[str, str] | None, auth: bool
                ) -> tuple[bytes | None, dict[str, str]]:
        """The body and headers to send: a JSON or form body typed as such, and the
        client's credentials unless ``auth`` is False."""
        send_headers = {**self.headers, **(self._auth if auth else {}), **(headers or {})}
        if json is not None:
            send_headers.setdefault("Content-Type", "application/json")
            return jsonlib.dumps(json).encode(), send_headers
        if data is not None:
            send_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            return str(httpx.QueryParams(data)).encode(), send_headers
        return content, send_headers

    def _manual(self, method: str, url: str, headers: Mapping[str, str], json: Any,
                data: Mapping[str, str] | None, body: bytes | None) -> str:
        """What a human would type to make this call: ``gh api`` or ``curl``."""
        if self.manual_style == "gh" and url.startswith(self.base_url + "/"):
            return render_gh(method, self.base_url, url, json if json is not None else data)
        shown = {k: v for k, v in headers.items()
                 if k.lower() not in ("accept", "x-github-api-version", "user-agent")}
        return render_curl(method, url, shown, body)

    async def _pause(self, seconds: float, reason: str) -> None:
        """Every wait of the transports: reported (redacted) through ``on_wait``, then slept."""
        if self.on_wait is not None:
            self.on_wait(seconds, self.redact(reason))
        await self.sleep(seconds)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
