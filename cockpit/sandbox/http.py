"""Small HTTP helpers shared by the GitHub API and the announcement services."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """Raised by a handler; becomes GitHub's error body ``{message, documentation_url}``."""

    def __init__(self, status: int, message: str, errors: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = DOCS

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message,
                                "documentation_url": self.documentation_url,
                                "status": str(self.status)}
        if self.errors is not None:
            body["errors"] = self.errors
        return json_response(body, self.status, self.headers)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(json.dumps(data, separators=(",", ":")).encode(), status,
                    headers=headers, media_type="application/json; charset=utf-8")


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; GitHub answers 400 "Problems parsing JSON" otherwise."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "Problems parsing JSON")
    return data


def need(body: dict[str, Any], *fields: str) -> None:
    missing = [f for f in fields if not body.get(f)]
    if missing:
        raise ApiError(422, "Invalid request.", [
            {"resource": "Request", "field": f, "code": "missing_field"} for f in missing])


Handler = Callable[[Request], Awaitable[Response]]


def guarded(auth: Callable[[Request], Response | None]) -> Callable[[Handler], Handler]:
    """The handler, answered by ``auth``'s refusal instead when the credentials are wrong."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            if (denied := auth(request)) is not None:
                return denied
            return await handler(request)
        return guarded
    return wrap
