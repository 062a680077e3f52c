"""A tiny scripted HTTP server on 127.0.0.1 for testing the HTTP layer for real.

Each path gets a list of behaviours, consumed one per request (the last one repeats):
a Starlette ``Response``, ``"drop"`` (headers, part of the body, then the connection is
closed), ``("slow", seconds, response)``, or a callable ``(request) -> Response``.
Every request that reaches the server is recorded, so a test can prove what was (not)
sent. No transport is mocked: the client talks TCP to uvicorn.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Behaviour = Any


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    routes: dict[str, list[Behaviour]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def on(self, path: str, *behaviours: Behaviour) -> None:
        self.routes[path] = list(behaviours)

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def next(self, path: str) -> Behaviour:
        queue = self.routes.get(path)
        if not queue:
            return Response("no script", status_code=404)
        return queue.pop(0) if len(queue) > 1 else queue[0]


class ScriptedApp:
    def __init__(self, script: Script) -> None:
        self.script = script

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        s = self.script
        s.seen.append(Seen(request.method, request.url.path, request.url.query,
                           {k.lower(): v for k, v in request.headers.items()}, body))
        s.in_flight += 1
        s.max_in_flight = max(s.max_in_flight, s.in_flight)
        try:
            behaviour = s.next(request.url.path)
            if isinstance(behaviour, tuple) and behaviour[0] == "slow":
                await asyncio.sleep(behaviour[1])
                behaviour = behaviour[2]
            if behaviour == "drop":
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-length", b"1000")]})
                await send({"type": "http.response.body", "body": b"partial",
                            "more_body": True})
                raise ConnectionAbortedError("scripted drop")
            if callable(behaviour) and not isinstance(behaviour, Response):
                behaviour = behaviour(request)
            await behaviour(scope, receive, send)
        finally:
            s.in_flight -= 1


class ScriptedServer:
    """uvicorn on a thread, bound to 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        self.script = Script()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(ScriptedApp(self.script), log_level="critical",
                                lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("scripted server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    import json

    return Response(json.dumps(data), status_code=status, headers=headers,
                    media_type="application/json")


Handler = Callable[[Request], Response]
