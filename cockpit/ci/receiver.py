"""The webhook receiver: ``POST /webhook`` stores each signed delivery raw, then answers.

GitHub waits 10 s for an answer and never retries a failed delivery by itself, so the
receiver does the least that makes a delivery safe and nothing else: read the body (at most
25 MB, GitHub's own cap), check the signature before looking at anything the sender wrote,
check the two headers that identify the delivery, parse the JSON, and commit it to the store
in one transaction. Only then does it answer 200; there is no work after the answer, so a
receiver killed at any moment has acknowledged only what the store holds. A store that cannot
take the delivery is a 503: GitHub records the failure, and ``cockpit ci sync`` (or a
redelivery) fills the gap. A redelivery of a stored id is a 200 with ``"stored": false``.

What the log says per delivery: event, action, repository, delivery id, stored or duplicate,
milliseconds. Never the secret, the signature header, or the payload.

``serve_command`` is ``cockpit ci serve``; ``running_receiver`` runs the same app on a
thread for ``cockpit demo`` and the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cockpit.ci.signature import HEADER as SIGNATURE_HEADER
from cockpit.ci.signature import verify
from cockpit.ci.store import Delivery, Store, StoreError

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

log = logging.getLogger("cockpit.ci.receiver")

MAX_BODY = 25 * 1024 * 1024
"""GitHub caps payloads at 25 MB (it does not send larger ones): anything bigger is not GitHub."""

PARSE_IN_THREAD = 1024 * 1024
"""Bodies larger than this are verified and parsed off the event loop (a 25 MB parse takes
long enough to delay every other request's answer)."""

SECRET_SERVICE = "ci-webhook"
SECRET_ENV = "COCKPIT_CI_WEBHOOK_SECRET"
DATABASE_ENV = "COCKPIT_CI_DATABASE"

EVENT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A ``\\uD8xx``-``\\uDFxx`` escape: valid JSON syntax, but alone it is no character, and no
store can encode it. Rare (GitHub sends UTF-8), so the full check runs only when one appears."""

StoreFactory = Callable[[], Store]


class Rejected(Exception):
    """A delivery refused before the store saw it: the status and a short reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# -- the store, opened on first use ------------------------------------------------------------


REOPEN_AFTER_S = 2.0
"""After a failed open, deliveries are answered 503 at once for this long: an unreachable
server can take seconds to fail, and requests queued behind one attempt must not each wait."""


class StoreHolder:
    """The store, opened by ``factory`` on first use and again after a failed open.

    A PostgreSQL server that is down when the receiver starts (or restarts under it) costs
    503s until it is back, not a receiver that has to be restarted."""

    def __init__(self, factory: StoreFactory) -> None:
        self._factory = factory
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._failed: tuple[float, StoreError] | None = None

    def get(self) -> Store:
        with self._lock:
            if self._store is not None:
                return self._store
            if self._failed and time.monotonic() - self._failed[0] < REOPEN_AFTER_S:
                raise self._failed[1]
            try:
                self._store = self._factory()
            except StoreError as exc:
                self._failed = (time.monotonic(), exc)
                raise
            self._failed = None
            return self._store

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()


# -- reading and checking one delivery ----------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, or ``Rejected(413)`` as soon as it is known to exceed ``limit``: from
    Content-Length before reading anything, else while counting the streamed chunks."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Rejected(413, f"body of {int(declared)} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def delivery_of(secret: str, body: bytes, headers: Mapping[str, str],
                received_at: datetime) -> Delivery:
    """The checks in the order that tells an unsigned sender nothing: the signature first
    (401), then the delivery's identity and its JSON (400)."""
    signature = headers.get(SIGNATURE_HEADER.lower())
    if not signature:
        raise Rejected(401, f"no {SIGNATURE_HEADER} header: set the webhook's secret")
    if not verify(secret, body, signature):
        raise Rejected(401, f"{SIGNATURE_HEADER} does not match the body under the "
                            "receiver's secret")
    raw_id = headers.get("x-github-delivery", "").strip()
    try:
        delivery_id = uuid.UUID(raw_id)
    except ValueError:
        raise Rejected(400, "X-GitHub-Delivery is missing or not a UUID") from None
    event = headers.get("x-github-event", "").strip()
    if not EVENT_NAME.fullmatch(event):
        raise Rejected(400, "X-GitHub-Event is missing or not an event name")
    payload = parse_payload(body, headers.get("content-type", ""))
    return Delivery(delivery_id=delivery_id, event=event, payload=payload,
                    received_at=received_at, source="webhook")


def parse_payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON object GitHub sent: as the body (``application/json``), or in the ``payload``
    form field when the webhook is set to ``application/x-www-form-urlencoded``."""
    text: str | bytes = body
    if content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise Rejected(400, "form body is not url-encoded") from None
        if len(fields.get("payload", [])) != 1:
            raise Rejected(400, "form body has no payload field")
        text = fields["payload"][0]
    try:
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Rejected(400, f"body is not JSON ({type(exc).__name__})") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "body is JSON but not an object")
    probe = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if SURROGATE_ESCAPE.search(probe):
        try:
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Rejected(400, "body escapes a lone UTF-16 surrogate: not Unicode") from None
    return payload


def loggable(exc: BaseException, limit: int = 1000) -> str:
    """A store error for the log, on one line, without PostgreSQL's ``DETAIL:`` lines: those
    can quote a failing row (``Failing row contains (…)``), which may hold the payload."""
    lines = [line.strip() for line in str(exc).splitlines()
             if line.strip() and not line.lstrip().startswith("DETAIL:")]
    text = " ".join(lines)
    return text if len(text) <= limit else text[:limit] + "…"


# -- the app ------------------------------------------------------------------------------------


def _answer(status: int, body: Mapping[str, Any]) -> Response:
    """A JSON answer; a 413 also closes the connection, so the rest of an oversize body is
    not read (uvicorn would otherwise drain it to keep the connection alive)."""
    from starlette.responses import JSONResponse

    headers = {"connection": "close"} if status == 413 else None
    return JSONResponse(dict(body), status_code=status, headers=headers)


def receiver_app(store_factory: StoreFactory, secret: str, *, max_body: int = MAX_BODY,
                 on_stored: Callable[[Delivery], None] | None = None) -> Starlette:
    """``POST /webhook`` and ``GET /healthz`` over the store ``store_factory`` opens.

    The store is opened on first use (in a worker thread) and closed when the app shuts down.
    ``secret`` must not be empty: an empty secret would accept anyone's signature.
    ``on_stored`` is called with each newly stored delivery, after the commit and before the
    answer, on the event loop: it must not block (``AlertLoop.poke`` only sets an event)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect
    from starlette.routing import Route

    if not secret:
        raise ValueError("the webhook secret is empty: every sender could sign with it")
    stores = StoreHolder(store_factory)

    def ingest(delivery: Delivery) -> bool:
        return stores.get().ingest(delivery)

    async def webhook(request: Request) -> Response:
        started = time.perf_counter()
        received_at = datetime.now(UTC)
        client = request.client.host if request.client else "?"
        try:
            body = await read_body(request, max_body)
            headers = {k.lower(): v for k, v in request.headers.items()}
            if len(body) > PARSE_IN_THREAD:
                delivery = await run_in_threadpool(delivery_of, secret, body, headers,
                                                   received_at)
            else:
                delivery = delivery_of(secret, body, headers, received_at)
        except Rejected as exc:
            log.warning("rejected %d from %s: %s", exc.status, client, exc.reason)
            return _answer(exc.status, {"error": exc.reason})
        except ClientDisconnect:
            log.warning("sender %s went away before the body was read: nothing stored", client)
            return _answer(400, {"error": "incomplete body"})
        try:
            stored = await run_in_threadpool(ingest, delivery)
        except StoreError as exc:
            log.error("store failed, answered 503 (GitHub records a failed delivery; redeliver "
                      "it or run `cockpit ci sync`): %s %s %s: %s", delivery.event,
                      delivery.delivery_id, delivery.repository or "-", loggable(exc))
            return _answer(503, {"error": "the store cannot take deliveries now; nothing was "
                                          "stored"})
        if stored and on_stored is not None:
            on_stored(delivery)
        ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %s %s %s %.1f ms", delivery.event, delivery.action or "-",
                 delivery.repository or "-", delivery.delivery_id,
                 "stored" if stored else "duplicate", ms)
        return _answer(200, {"stored": stored})

    async def healthz(request: Request) -> Response:
        def probe() -> str:
            store = stores.get()
            store.query("SELECT 1 AS ok")
            return store.dialect

        try:
            dialect = await run_in_threadpool(probe)
        except Exception as exc:  # any failure to answer a trivial query is "not healthy"
            log.error("healthz: the store cannot answer: %s: %s", type(exc).__name__, exc)
            return _answer(503, {"ok": False, "error": "the store cannot answer"})
        return _answer(200, {"ok": True, "store": dialect})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await run_in_threadpool(stores.close)

    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])],
                     lifespan=lifespan)


# -- running it ----------------------------------------------------------------------------------


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (IPv4 or IPv6; port 0 picks a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str | None = None) -> str:
    """``http://HOST:PORT`` for a bound socket (the port it really got)."""
    bound_host, port = sock.getsockname()[:2]
    name = host or bound_host
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


def make_server(app: Starlette) -> uvicorn.Server:
    """uvicorn without its access log (the receiver logs one line per delivery itself) and
    without re-raising SIGINT/SIGTERM after a graceful shutdown (``cockpit ci serve`` returns
    0 instead of dying by the signal)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {s: signal.signal(s, self.handle_exit)
                        for s in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for s, handler in previous.items():
                    signal.signal(s, handler)

    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False,
                            timeout_graceful_shutdown=5, log_config=None)
    return Server(config)


class ReceiverHandle:
    """The receiver on a background thread (tests, ``cockpit demo``): ``url`` is what a
    sender posts to, ``base_url`` + ``/healthz`` the health check."""

    def __init__(self, app: Starlette, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.sock = bind(host, port)
        self.base_url = url_of(self.sock)
        self.url = f"{self.base_url}/webhook"
        self.server = make_server(app)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="cockpit-ci-receiver", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the CI webhook receiver did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@contextlib.contextmanager
def running_receiver(store_url: str | None, secret: str, port: int = 0,
                     host: str = "127.0.0.1") -> Iterator[ReceiverHandle]:
    """``with running_receiver("sqlite:///…", secret) as rx: post to rx.url``."""
    from cockpit.ci.store import open_store

    handle = ReceiverHandle(receiver_app(lambda: open_store(store_url), secret),
                            host=host, port=port)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


# -- cockpit ci serve -----------------------------------------------------------------------------


def webhook_secret() -> str | None:
    """The secret from the keyring (``cockpit login ci-webhook``), else the environment."""
    from cockpit.secrets import find_token

    return find_token(SECRET_SERVICE)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def serve_command(args: argparse.Namespace) -> int:
    """``cockpit ci serve``: 0 after ^C/SIGTERM, 1 when it cannot listen, 2 without a secret.

    A database URL the cockpit cannot read (exit 2) or a store it cannot open (exit 1) is
    reported by ``cockpit.ci.cli.run_ci``: the store is opened before listening, so a typo
    fails now rather than as a 503 on GitHub's first delivery."""
    from cockpit.ci.store import open_store

    secret = webhook_secret()
    if not secret:
        print("cockpit ci serve: no webhook secret: run `cockpit login ci-webhook` (keeps it in "
              f"the system keyring) or set {SECRET_ENV}, to the secret set in the GitHub App's "
              "(or webhook's) settings", file=sys.stderr)
        return 2
    from cockpit.ci.alerts import AlertLoop, RulesError, load_rules

    try:
        rules = load_rules(args.rules)
    except RulesError as exc:
        print(f"cockpit ci serve: --rules: {exc}", file=sys.stderr)
        return 2
    url = args.database or os.environ.get(DATABASE_ENV) or None
    store = open_store(url)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        store.close()
        where = f"{args.host}:{args.port}"
        print(f"cockpit ci serve: cannot listen on {where}: {exc}", file=sys.stderr)
        return 1
    _configure_logging()
    alerts = AlertLoop(lambda: open_store(url), rules).start()

    def poke(delivery: Delivery) -> None:
        if delivery.event in ("workflow_run", "workflow_job"):
            alerts.poke()

    server = make_server(receiver_app(lambda: store, secret, on_stored=poke))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    base = url_of(sock, args.host)
    print(f"cockpit ci serve: receiving GitHub webhooks at {base}/webhook (the URL to give "
          f"GitHub, through your HTTPS proxy; health: {base}/healthz); "
          f"store: {store.display_url}", flush=True)
    try:
        server.run(sockets=[sock])  # its shutdown closes the store
    finally:
        sock.close()
        alerts.stop()
    print("cockpit ci serve: stopped", file=sys.stderr)
    return 0
