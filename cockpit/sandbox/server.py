"""The ASGI front door and the uvicorn runners (in-process thread, or foreground CLI).
With ``SandboxOptions.tls`` the same app is served over HTTPS (``cockpit.sandbox.tls``).

One app serves everything on one port: the GitHub API under ``/api/v3``, git
smart HTTP at ``/{owner}/{name}.git``, the announcement services under their
prefixes, and the inspection endpoints under ``/_sandbox``. The front door logs
every request (except inspection) and injects faults (except into git and
inspection, so a test can always clone and always look).

While the server runs, a ticker on its event loop advances the workflow simulator
every ``tick_seconds`` (0.25 s) and hands due transitions to the webhook sender, so
a run completes, and is delivered, even when nobody polls. It runs on the loop, like
the requests that also tick, so the simulator never races a request handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Message, Receive, Scope, Send

from cockpit.sandbox import githttp, services, web
from cockpit.sandbox.core import API_PREFIX, SERVICE_PREFIXES, Sandbox
from cockpit.sandbox.faults import FaultSpec, FaultSpecError
from cockpit.sandbox.github import actions, graphql, releases
from cockpit.sandbox.github.api import as_endpoint, rate_headers
from cockpit.sandbox.github.routes import api_routes
from cockpit.sandbox.http import ApiError, json_response

MAX_LOGGED_BODY = 256 * 1024
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class DroppedConnection(Exception):
    """Raised after a partial response so uvicorn closes the socket (the "drop" fault)."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


# -- inspection ------------------------------------------------------------------------

def _sb(request: Request) -> Sandbox:
    sb: Sandbox = request.app.state.sandbox
    return sb


async def _info(request: Request) -> Response:
    sb = _sb(request)
    return json_response({**sb.describe(), "env": sb.env(),
                          "admin_token": sb.admin_token, "readonly_token": sb.readonly_token})


async def _requests(request: Request) -> Response:
    sb = _sb(request)
    if request.method == "DELETE":
        sb.clear_requests()
        return Response(status_code=204)
    since = int(request.query_params.get("since", "0"))
    return json_response([r for r in sb.requests() if r["seq"] > since])


async def _state(request: Request) -> Response:
    return json_response(_sb(request).state())


async def _faults(request: Request) -> Response:
    sb = _sb(request)
    if request.method in ("PUT", "POST"):
        body = json.loads(await request.body() or b"{}")
        try:
            sb.faults.set(FaultSpec.parse(str(body.get("spec", ""))))
        except FaultSpecError as err:
            return json_response({"error": str(err)}, 400)
    return json_response({"spec": str(sb.faults.spec), "count": sb.faults.count})


async def _workflows(request: Request) -> Response:
    sb = _sb(request)
    body = json.loads(await request.body() or b"{}")
    try:
        sb.sim.set_outcome(str(body["repo"]), str(body["workflow"]),
                           str(body.get("conclusion", "failure")), body.get("times"))
    except KeyError as err:
        return json_response({"error": f"missing {err}"}, 400)
    return json_response(sb.world.data["workflow_outcomes"])


async def _webhooks(request: Request) -> Response:
    """Webhook knobs and what was delivered. POST any of: ``{"drop": N, "visible": bool}``
    (drop the next N deliveries), ``{"drop_fraction": F, "seed": S}``, ``{"queue_spike":
    {"owner/repo": factor|null}}``, ``{"creep": {"owner/repo:wf.yml[:job]":
    fraction|null}}``, ``{"app_hook": {"url": U, "secret": S}}``."""
    sb = _sb(request)
    wh = sb.webhooks
    if request.method == "POST":
        body = json.loads(await request.body() or b"{}")
        try:
            if "drop" in body:
                wh.drop_next(int(body["drop"]), bool(body.get("visible", True)))
            if "drop_fraction" in body:
                seed = body.get("seed")
                wh.set_drop_fraction(float(body["drop_fraction"]),
                                     int(seed) if seed is not None else None)
            for repo, factor in (body.get("queue_spike") or {}).items():
                sb.sim.set_queue_spike(str(repo), None if factor is None else float(factor))
            for target, fraction in (body.get("creep") or {}).items():
                sb.sim.set_creep(str(target), None if fraction is None else float(fraction))
            if body.get("app_hook"):
                hook = body["app_hook"]
                wh.set_app_hook(str(hook["url"]), str(hook.get("secret") or ""),
                                bool(hook.get("active", True)))
        except (KeyError, TypeError, ValueError, ApiError) as err:
            return json_response({"error": str(err)}, 400)
    with sb.world.lock:
        state = wh._state()
        summary = {"drop_next": state["drop_next"], "drop_visible": state["drop_visible"],
                   "drop_fraction": state["drop_fraction"],
                   "knobs": sb.sim._knobs(),
                   "hooks": [{**wh.hook_json(h), "kind": h["kind"], "target": h["target"]}
                             for h in state["hooks"]]}
    keep = ("id", "guid", "hook_id", "event", "action", "key", "state", "drop",
            "redelivery", "status_code", "status", "delivered_at", "repository_id")
    summary["deliveries"] = [{k: d.get(k) for k in keep} for d in wh.all_deliveries()]
    return json_response(summary)


async def _tokens(request: Request) -> Response:
    sb = _sb(request)
    body = json.loads(await request.body() or b"{}")
    scope = str(body.get("scope", "write"))
    if scope not in ("read", "write"):
        return json_response({"error": "scope is read or write"}, 400)
    return json_response({"token": sb.issue_token(scope, str(body.get("login",
                                                                      "release-driver")))}, 201)


INSPECTION = [
    Route("/info", _info, methods=["GET"]),
    Route("/requests", _requests, methods=["GET", "DELETE"]),
    Route("/state", _state, methods=["GET"]),
    Route("/faults", _faults, methods=["GET", "PUT", "POST"]),
    Route("/workflows", _workflows, methods=["POST"]),
    Route("/webhooks", _webhooks, methods=["GET", "POST"]),
    Route("/tokens", _tokens, methods=["POST"]),
]


# -- the front door -------------------------------------------------------------------------

def _service(path: str) -> str:
    if path.startswith((API_PREFIX + "/", releases.UPLOADS_PREFIX + "/")) or \
            path == API_PREFIX:
        return "github"
    for name, prefix in SERVICE_PREFIXES.items():
        if path.startswith(prefix + "/"):
            return name
    if path.startswith("/_blobs/"):
        return "blobs"
    return "other"


_SECRET = re.compile(r'("secret"\s*:\s*)"(?:[^"\\]|\\.)*"')


def _redacted(path: str, body: str) -> str:
    """A hook's secret never reaches the request log."""
    if "/hooks" in path or path.endswith("/app/hook/config"):
        return _SECRET.sub(r'\1"********"', body)
    return body


log = logging.getLogger(__name__)


async def _tick_forever(sb: Sandbox) -> None:
    while True:
        await asyncio.sleep(sb.options.tick_seconds)
        try:
            sb.sim.tick()
            sb.webhooks.scan()
        except Exception:  # the ticker must outlive one bad tick
            log.exception("sandbox tick failed")


class SandboxApp:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            sb.webhooks.start()
            ticker = asyncio.create_task(_tick_forever(sb)) if sb.options.tick_seconds > 0 \
                else None
            try:
                yield
            finally:
                if ticker is not None:
                    ticker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await ticker
                sb.webhooks.stop()

        async def api_not_found(request: Request, exc: Exception) -> Response:
            return ApiError(404, "Not Found").response()

        api = Starlette(routes=api_routes(sb),
                        exception_handlers={404: api_not_found, 405: api_not_found})
        uploads = Starlette(routes=[
            Route(path, as_endpoint(sb, fn, write=True), methods=[method])
            for method, path, fn in releases.UPLOAD_ROUTES],
            exception_handlers={404: api_not_found, 405: api_not_found})
        self.app = Starlette(routes=[
            Mount(API_PREFIX, app=api),
            Mount(releases.UPLOADS_PREFIX, app=uploads),
            Mount("/_sandbox", routes=INSPECTION),
            *releases.download_routes(),
            *actions.blob_routes(),
            *services.routes(),
        ], exception_handlers={404: web.not_found}, lifespan=lifespan)
        for app in (self.app, api, uploads):
            app.state.sandbox = sb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        entry: dict[str, Any] = {
            "time": time.time(), "method": method, "path": path,
            "query": scope.get("query_string", b"").decode(), "status": None,
            "service": _service(path), "mutating": method not in READ_METHODS,
            "body": "", "fault": None, "auth": _auth_kind(self.sb, scope),
        }
        logged = False

        def log_once() -> None:
            nonlocal logged
            if not logged:
                logged = True
                self.sb.log_request(entry)

        async def capture(message: Message) -> None:
            """Log the request as its answer starts, before the client can read it: a
            test that counts requests right after a call must see that call."""
            if message["type"] == "http.response.start":
                entry["status"] = int(message["status"])
                log_once()
            await send(message)

        if githttp.match(path):
            entry["service"] = "git"
            entry["mutating"] = path.endswith("/git-receive-pack")
            entry["body"] = "<git pack data>" if method == "POST" else ""
            latency = self.sb.faults.spec.latency_ms
            if latency:  # a fetch over HTTPS pays each of its round trips too
                await asyncio.sleep(latency / 1000)
            try:
                await self._maybe_held(
                    entry, capture, lambda out: githttp.serve(self.sb, scope, receive, out))
            finally:
                log_once()
            return

        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        entry["body"] = _redacted(path, body[:MAX_LOGGED_BODY].decode("utf-8", "replace"))
        if path == graphql.PATH:  # a POST, but only a mutation changes anything
            entry["mutating"] = graphql.is_mutation(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            self.sb.sim.tick()
            _, fault = self.sb.faults.next()
            spec = self.sb.faults.spec
            if spec.latency_ms:
                await asyncio.sleep(spec.latency_ms / 1000)
            if fault is not None:
                entry["fault"] = fault
                await self._fault(fault, entry, capture)
            else:
                await self._maybe_held(entry, capture, lambda out: self.app(scope, replay, out))
        finally:
            log_once()

    async def _maybe_held(self, entry: dict[str, Any], send: Send,
                          handle: Callable[[Send], Awaitable[Any]]) -> Any:
        """Serve a request, unless the crash-test hold picked it (see ``holds``)."""
        phase = self.sb.hold.claim(entry)
        if phase is None:
            return await handle(send)
        entry["held"] = phase
        if phase == "before":
            await self.sb.hold.wait()
            with contextlib.suppress(Exception):  # the client is gone: nobody reads this
                await _send_json(send, 503, {"message": "sandbox: request dropped unprocessed"},
                                 {"x-sandbox-held": "before"})
            return None
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)

        result = await handle(keep)
        await self.sb.hold.wait()
        with contextlib.suppress(Exception):
            for message in answer:
                await send(message)
        return result

    async def _fault(self, fault: str, entry: dict[str, Any], send: Send) -> None:
        github_like = entry["service"] == "github"
        headers: dict[str, str] = {"x-sandbox-fault": fault}
        if fault in ("5xx", "500", "502", "503", "504"):
            status = 500 if fault == "5xx" else int(fault)
            text = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                    504: "Gateway Timeout"}[status]
            await _send_json(send, status, {"message": text}, headers)
        elif fault == "timeout":
            await asyncio.sleep(self.sb.faults.spec.hang_seconds)
            await _send_json(send, 504, {"message": "We couldn't respond to your request in "
                                                    "time. Sorry about that."}, headers)
        elif fault == "drop":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"4096"),
                                    (b"x-sandbox-fault", b"drop")]})
            await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
            raise DroppedConnection("fault: drop")
        elif fault == "ratelimit" and github_like:
            reset = int(time.time()) + 2
            headers.update({"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                            "x-ratelimit-reset": str(reset), "x-ratelimit-used": "5000",
                            "x-ratelimit-resource": "core"})
            await _send_json(send, 403, {
                "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub "
                           "Support for help, please include the request ID.",
                "documentation_url": "https://docs.github.com/rest/overview/"
                                     "rate-limits-for-the-rest-api", "status": "403"}, headers)
        else:  # secondary (and primary for non-GitHub services): 429 + Retry-After
            headers["retry-after"] = "1"
            if github_like:
                headers.update(rate_headers(self.sb, "anon:fault", count=False))
            await _send_json(send, 429, {
                "message": "You have exceeded a secondary rate limit. Please wait a few "
                           "minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/"
                                     "rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "429"}, headers)


def _auth_kind(sb: Sandbox, scope: Scope) -> str:
    """Which kind of credential a request carried (never the credential itself)."""
    for k, v in scope["headers"]:
        if k.lower() == b"authorization":
            token = githttp._token({"authorization": v.decode(errors="replace")})
            info = sb.world.data["tokens"].get(token or "")
            return str(info["scope"]) if info else "other"
    return "anonymous"


async def _send_json(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(raw)).encode()),
                            *((k.encode(), v.encode()) for k, v in headers.items())]})
    await send({"type": "http.response.body", "body": raw})


# -- runners ----------------------------------------------------------------------------------

def bind_socket(host: str, port: int) -> socket.socket:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the sandbox only listens on loopback")
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose ``proto`` says TCP;
    # without it every keep-alive request waited out a ~40 ms delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising SIGINT/SIGTERM after its graceful shutdown.

    uvicorn re-raises the captured signal so the process dies by it; the CLI
    instead wants to return, remove its temporary data and exit 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT,
                                                                    signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def make_server(sb: Sandbox, sock: socket.socket) -> uvicorn.Server:
    host, port = sock.getsockname()[:2]
    sb.bind(host, port)
    tls: dict[str, Any] = {}
    if sb.tls is not None:
        tls = {"ssl_certfile": str(sb.tls.cert), "ssl_keyfile": str(sb.tls.key)}
    config = uvicorn.Config(SandboxApp(sb), log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=1, access_log=False, **tls)
    return _Server(config)


class ThreadedServer:
    """uvicorn on a background thread: for tests and ``cockpit demo``."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.sock = bind_socket(sb.options.host, sb.options.port)
        self.server = make_server(sb, self.sock)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]},
                                       name="cockpit-sandbox", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
