"""The API's front matter: its root document, ``/meta``, who is calling (``/user``) and
how much of the rate limit is left (``/rate_limit``).

The root matters to clients more than its body suggests: ``gh auth status`` (and ``gh
auth login``) sends its token to ``GET /api/v3/`` and reads the granted scopes from
``X-OAuth-Scopes``; a 404 there is "the token is no longer valid", and a scope list
without ``read:org`` is "missing required scope".
"""

from __future__ import annotations

import time

from starlette.responses import Response

from cockpit.sandbox.github.api import ApiRoute, Ctx, rate_headers
from cockpit.sandbox.http import ApiError, json_response

WRITE_SCOPES = "gist, read:org, repo, workflow"
"""What a classic token made by ``gh auth login`` grants, as GitHub lists it (sorted);
the sandbox's write tokens stand for one. A read token answers without the header, as
a fine-grained token does."""


def _scopes(ctx: Ctx) -> dict[str, str]:
    scope = ctx.sb.world.data["tokens"].get(
        ctx.request.headers.get("authorization", "").partition(" ")[2].strip(), {}
    ).get("scope")
    return {"x-oauth-scopes": WRITE_SCOPES} if scope == "write" else {}


async def root(ctx: Ctx) -> Response:
    """GitHub's root endpoint: URL templates of the main resources (``meta/root``)."""
    api = ctx.sb.api_url
    html = ctx.sb.base_url
    doc = {
        "current_user_url": f"{api}/user",
        "current_user_authorizations_html_url":
            f"{html}/settings/connections/applications{{/client_id}}",
        "authorizations_url": f"{api}/authorizations",
        "code_search_url": f"{api}/search/code?q={{query}}{{&page,per_page,sort,order}}",
        "commit_search_url": f"{api}/search/commits?q={{query}}{{&page,per_page,sort,order}}",
        "emails_url": f"{api}/user/emails",
        "emojis_url": f"{api}/emojis",
        "events_url": f"{api}/events",
        "feeds_url": f"{api}/feeds",
        "followers_url": f"{api}/user/followers",
        "following_url": f"{api}/user/following{{/target}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "hub_url": f"{api}/hub",
        "issue_search_url": f"{api}/search/issues?q={{query}}{{&page,per_page,sort,order}}",
        "issues_url": f"{api}/issues",
        "keys_url": f"{api}/user/keys",
        "label_search_url": f"{api}/search/labels?q={{query}}&repository_id={{repository_id}}"
                            "{&page,per_page}",
        "notifications_url": f"{api}/notifications",
        "organization_url": f"{api}/orgs/{{org}}",
        "organization_repositories_url":
            f"{api}/orgs/{{org}}/repos{{?type,page,per_page,sort}}",
        "organization_teams_url": f"{api}/orgs/{{org}}/teams",
        "public_gists_url": f"{api}/gists/public",
        "rate_limit_url": f"{api}/rate_limit",
        "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
        "repository_search_url":
            f"{api}/search/repositories?q={{query}}{{&page,per_page,sort,order}}",
        "current_user_repositories_url": f"{api}/user/repos{{?type,page,per_page,sort}}",
        "starred_url": f"{api}/user/starred{{/owner}}{{/repo}}",
        "starred_gists_url": f"{api}/gists/starred",
        "topic_search_url": f"{api}/search/topics?q={{query}}{{&page,per_page}}",
        "user_url": f"{api}/users/{{user}}",
        "user_organizations_url": f"{api}/user/orgs",
        "user_repositories_url": f"{api}/users/{{user}}/repos{{?type,page,per_page,sort}}",
        "user_search_url": f"{api}/search/users?q={{query}}{{&page,per_page,sort,order}}",
    }
    return json_response(doc, headers=_scopes(ctx))


async def meta(ctx: Ctx) -> Response:
    """``meta/get``: GitHub's addresses. Everything of this GitHub is on 127.0.0.1."""
    here = ["127.0.0.1/32"]
    return json_response({
        "verifiable_password_authentication": False,
        "hooks": here, "web": here, "api": here, "git": here, "packages": here,
        "pages": here, "importer": here, "actions": here, "dependabot": here,
        "domains": {"website": ["127.0.0.1"]},
    })


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
    ("GET", "/", root),
    ("GET", "/meta", meta),
    ("GET", "/rate_limit", rate_limit),
    ("GET", "/user", get_user),
]
