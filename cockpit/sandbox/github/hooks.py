"""The webhook endpoints of GitHub's REST API, over ``cockpit.sandbox.webhooks``.

Repository and organization hooks (create, list, get, update, delete, config, ping),
their deliveries (cursor-paginated, newest first; one with its request and response; a
redelivery), and the same for the App's hook. Every operation is in
``scripts/cut_openapi.py``, so the contract tests hold these shapes to GitHub's.

Hooks are for admins: the sandbox's write token; a read-only token sees 404 as on
GitHub. ``/app/hook/*`` wants an App's JWT on GitHub; the sandbox has no App key and
accepts its admin token there instead (see ``cockpit.sandbox.webhooks``).
"""

from __future__ import annotations

from starlette.responses import Response

from cockpit.sandbox.github.api import ApiRoute, Ctx, identity
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.webhooks import check_url
from cockpit.sandbox.world import Json


def _admin(ctx: Ctx) -> None:
    """Hooks are for repository (or organization) admins: the sandbox's write token."""
    login, scope = identity(ctx.sb, ctx.request)
    if login is None:
        raise ApiError(401, "Requires authentication")
    if scope != "write":
        raise ApiError(404, "Not Found")


def _where(ctx: Ctx) -> tuple[str, str]:
    """(kind, target) of the hooks a path names: a repository's, an organization's."""
    if "org" in ctx.p:
        org = str(ctx.p["org"])
        if not any(r["owner"] == org for r in ctx.sb.world.data["repos"].values()):
            raise ApiError(404, "Not Found")
        return "org", org
    r, _ = ctx.repo()
    return "repo", str(r["full_name"])


def _events(body: Json) -> list[str]:
    events = body.get("events", ["push"])
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ApiError(422, "Validation Failed", [
            {"resource": "Hook", "code": "invalid", "field": "events"}])
    return list(events) or ["push"]


def _hook_response(ctx: Ctx, hook: Json, status: int = 200) -> Response:
    out = ctx.sb.webhooks.hook_json(hook)
    headers = {"location": out["url"]} if status == 201 else None
    return json_response(out, status, headers)


async def list_hooks(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    wh = ctx.sb.webhooks
    return json_response([wh.hook_json(h) for h in wh.hooks(kind, target)])


async def create_hook(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    body = await json_body(ctx.request)
    config = body.get("config")
    if not isinstance(config, dict):
        raise ApiError(422, "Validation Failed", [
            {"resource": "Hook", "field": "config", "code": "missing_field"}])
    if body.get("name", "web") != "web":
        raise ApiError(422, "Validation Failed", [
            {"resource": "Hook", "code": "custom", "field": "name",
             "message": "Name must be 'web'"}])
    hook = ctx.sb.webhooks.create_hook(kind, target, config, _events(body),
                                       bool(body.get("active", True)), ctx.login)
    return _hook_response(ctx, hook, 201)


async def get_hook(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    return _hook_response(ctx, ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"])))


async def update_hook(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    hook = ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"]))
    body = await json_body(ctx.request)
    return _hook_response(ctx, ctx.sb.webhooks.update_hook(hook, body, whole_config=True))


async def delete_hook(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    ctx.sb.webhooks.delete_hook(ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"])))
    return Response(status_code=204)


async def get_hook_config(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    hook = ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"]))
    return json_response(ctx.sb.webhooks.config_json(hook))


async def update_hook_config(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    hook = ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"]))
    body = await json_body(ctx.request)
    hook = ctx.sb.webhooks.update_hook(hook, {"config": body}, whole_config=False)
    return json_response(ctx.sb.webhooks.config_json(hook))


async def ping_hook(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    ctx.sb.webhooks.ping(ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"])), ctx.login)
    return Response(status_code=204)


def _deliveries_page(ctx: Ctx, hook_id: int) -> Response:
    """GitHub's cursor pagination: newest first, ``per_page`` (max 100), ``cursor``."""
    try:
        per_page = max(1, min(100, int(ctx.q.get("per_page", "30"))))
    except ValueError as exc:
        raise ApiError(400, "Bad Request") from exc
    items = ctx.sb.webhooks.attempts(hook_id)
    status = ctx.q.get("status")
    if status == "success":
        items = [d for d in items if 200 <= d["status_code"] < 400]
    elif status == "failure":  # GitHub: 400-599; a delivery that got no answer fails too
        items = [d for d in items if not 200 <= d["status_code"] < 400]
    elif status is not None:
        raise ApiError(422, "Validation Failed")
    cursor = ctx.q.get("cursor")
    if cursor:
        try:
            start = int(cursor.removeprefix("v1_"))
        except ValueError as exc:
            raise ApiError(400, "Bad Request") from exc
        items = [d for d in items if d["id"] <= start]
    page, rest = items[:per_page], items[per_page:]
    headers = {}
    if rest:
        url = ctx.request.url.include_query_params(per_page=per_page,
                                                   cursor=f"v1_{rest[0]['id']}")
        headers["link"] = f'<{url}>; rel="next"'
    return json_response([ctx.sb.webhooks.delivery_item(d) for d in page], headers=headers)


def _delivery(ctx: Ctx, hook_id: int) -> Json:
    wanted = int(ctx.p["delivery_id"])
    for d in ctx.sb.webhooks.attempts(hook_id):
        if d["id"] == wanted:
            return d
    raise ApiError(404, "Not Found")


async def list_deliveries(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    hook = ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"]))
    return _deliveries_page(ctx, hook["id"])


async def get_delivery(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    hook = ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"]))
    return json_response(ctx.sb.webhooks.delivery_json(_delivery(ctx, hook["id"])))


async def redeliver(ctx: Ctx) -> Response:
    _admin(ctx)
    kind, target = _where(ctx)
    hook = ctx.sb.webhooks.find(kind, target, int(ctx.p["hook_id"]))
    ctx.sb.webhooks.redeliver(hook, _delivery(ctx, hook["id"]))
    return json_response({}, 202)


# -- the App's hook (GitHub: a JWT; the sandbox: its admin token, see the docstring) -------

def _app(ctx: Ctx) -> Json:
    _admin(ctx)
    hook = ctx.sb.webhooks.app_hook()
    if hook is None:
        raise ApiError(404, "Not Found")
    return hook


async def get_app_config(ctx: Ctx) -> Response:
    return json_response(ctx.sb.webhooks.config_json(_app(ctx)))


async def update_app_config(ctx: Ctx) -> Response:
    """Configure the App hook; the sandbox creates it on first use (GitHub: at the App's
    registration)."""
    _admin(ctx)
    body = await json_body(ctx.request)
    wh = ctx.sb.webhooks
    hook = wh.app_hook()
    if hook is None:
        wh.set_app_hook(check_url(body.get("url")), str(body.get("secret") or ""))
    else:
        wh.update_hook(hook, {"config": body}, whole_config=False)
    return json_response(wh.config_json(_app(ctx)))


async def app_deliveries(ctx: Ctx) -> Response:
    return _deliveries_page(ctx, _app(ctx)["id"])


async def app_delivery(ctx: Ctx) -> Response:
    return json_response(ctx.sb.webhooks.delivery_json(_delivery(ctx, _app(ctx)["id"])))


async def app_redeliver(ctx: Ctx) -> Response:
    hook = _app(ctx)
    ctx.sb.webhooks.redeliver(hook, _delivery(ctx, hook["id"]))
    return json_response({}, 202)


REPO_HOOKS = "/repos/{owner}/{repo}/hooks"
ORG_HOOKS = "/orgs/{org}/hooks"
ROUTES: list[ApiRoute] = [
    *[(m, base + path, fn) for base in (REPO_HOOKS, ORG_HOOKS) for m, path, fn in [
        ("GET", "", list_hooks),
        ("POST", "", create_hook),
        ("GET", "/{hook_id:int}", get_hook),
        ("PATCH", "/{hook_id:int}", update_hook),
        ("DELETE", "/{hook_id:int}", delete_hook),
        ("GET", "/{hook_id:int}/config", get_hook_config),
        ("PATCH", "/{hook_id:int}/config", update_hook_config),
        ("POST", "/{hook_id:int}/pings", ping_hook),
        ("GET", "/{hook_id:int}/deliveries", list_deliveries),
        ("GET", "/{hook_id:int}/deliveries/{delivery_id:int}", get_delivery),
        ("POST", "/{hook_id:int}/deliveries/{delivery_id:int}/attempts", redeliver),
    ]],
    ("GET", "/app/hook/config", get_app_config),
    ("PATCH", "/app/hook/config", update_app_config),
    ("GET", "/app/hook/deliveries", app_deliveries),
    ("GET", "/app/hook/deliveries/{delivery_id:int}", app_delivery),
    ("POST", "/app/hook/deliveries/{delivery_id:int}/attempts", app_redeliver),
]
"""Assembled by ``cockpit.sandbox.github.routes`` (which wraps them: auth, rate limit, ETag)."""
