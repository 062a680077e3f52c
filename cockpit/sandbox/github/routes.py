"""The GitHub REST API's route table: every resource module's ``ROUTES``, each handler
wrapped by ``api.as_endpoint`` (auth, rate limit, ETag, error body).

Every operation here is listed in ``scripts/cut_openapi.py`` and validated by the tests
against GitHub's own description (``tests/sandbox/test_contract.py`` fails on a route
that is not in the cut, or the reverse). To add a resource: a module beside this one with
handlers ``async def f(ctx: Ctx) -> Response`` and a ``ROUTES`` list, spliced in below.
Starlette takes the first match, so order matters within a module
(``/commits/{ref:path}/status`` before ``/commits/{ref:path}``); modules own disjoint
paths, so their order here does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Route

from cockpit.sandbox.github import (
    actions,
    gpg_keys,
    hooks,
    issues,
    meta,
    protection,
    pulls,
    refs,
    releases,
    repos,
)
from cockpit.sandbox.github.api import ApiRoute, as_endpoint

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox


ROUTES: list[ApiRoute] = [
    *meta.ROUTES,
    *gpg_keys.ROUTES,
    *protection.ROUTES,  # before repos': /branches/{branch:path} would swallow /protection
    *repos.ROUTES,
    *refs.ROUTES,
    *issues.ROUTES,
    *pulls.ROUTES,
    *releases.ROUTES,
    *actions.ROUTES,
    *hooks.ROUTES,
]


def api_routes(sb: Sandbox) -> list[BaseRoute]:
    """The routes Starlette serves under ``/api/v3``."""
    return [Route(path, as_endpoint(sb, fn, write=method != "GET", route=(method, path)),
                  methods=[method])
            for method, path, fn in ROUTES]
