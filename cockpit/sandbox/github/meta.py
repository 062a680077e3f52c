"""Who is calling and how much of the rate limit is left: ``/user``, ``/rate_limit``."""

from __future__ import annotations

import time

from starlette.responses import Response

from cockpit.sandbox.github.api import ApiRoute, Ctx, rate_headers
from cockpit.sandbox.http import ApiError, json_response


async def get_user(ctx: Ctx) -> Response:
    if ctx.login is None:
        raise ApiError(401, "Requires authentication")
    return json_response(ctx.shapes.private_user(ctx.login))


async def rate_limit(ctx: Ctx) -> Response:
    who = ctx.login or "anon:" + (ctx.request.client.host if ctx.request.client else "")
    h = rate_headers(ctx.sb, who, count=False)
    core = {"limit": int(h["x-ratelimit-limit"]), "remaining": int(h["x-ratelimit-remaining"]),
            "reset": int(h["x-ratelimit-reset"]), "used": int(h["x-ratelimit-used"])}
    search = {"limit": 30, "remaining": 30, "reset": int(time.time()) + 60, "used": 0}
    return json_response({"resources": {"core": core, "search": search, "graphql": core},
                          "rate": core})


ROUTES: list[ApiRoute] = [
    ("GET", "/rate_limit", rate_limit),
    ("GET", "/user", get_user),
]
