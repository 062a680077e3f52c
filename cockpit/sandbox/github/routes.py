"""The GitHub REST API's route table: every resource module's ``ROUTES``, each handler
wrapped by ``api.as_endpoint`` (auth, rate limit, ETag, error body).

Every operation here is listed in ``scripts/cut_openapi.py`` and validated by the tests
against GitHub's own description (``tests/sandbox/test_contract.py`` fails on a route
that is not in the cut, or the reverse). To add a resource: a module beside this one with
handlers ``async def f(ctx: Ctx) -> Response`` and a ``ROUTES`` list, spliced in below.
Starlette takes the first match, so order matters: within a module, and for the
modules that serve ``/commits/{ref:path}/…`` (``statuses``, ``check_suites``), which
come before ``repos`` and its catch-all ``/commits/{ref:path}`` (a ref may hold
slashes, so that route would read ``feat/x/status`` as a ref). Other modules own
disjoint paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Route

from cockpit.sandbox.github import (
    actions,
    check_suites,
    collaborators,
    events,
    gpg_keys,
    hooks,
    issues,
    labels,
    locks,
    meta,
    notes,
    owners,
    pull_files,
    pulls,
    reactions,
    refs,
    releases,
    repo_comments,
    repo_creation,
    repos,
    statuses,
    topics,
)
from cockpit.sandbox.github.api import ApiRoute, as_endpoint

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox


ROUTES: list[ApiRoute] = [
    *meta.ROUTES,
    *gpg_keys.ROUTES,
    *statuses.ROUTES,
    *check_suites.ROUTES,
    *repos.ROUTES,
    *refs.ROUTES,
    *issues.ROUTES,
    *labels.ROUTES,
    *pulls.ROUTES,
    *releases.ROUTES,
    *actions.ROUTES,
    *hooks.ROUTES,
    *owners.ROUTES,
    *repo_creation.ROUTES,
    *events.ROUTES,
    *reactions.ROUTES,
    *locks.ROUTES,
    *repo_comments.ROUTES,
    *collaborators.ROUTES,
    *topics.ROUTES,
    *notes.ROUTES,
    *pull_files.ROUTES,
]


def api_routes(sb: Sandbox) -> list[BaseRoute]:
    """The routes Starlette serves under ``/api/v3``."""
    return [Route(path, as_endpoint(sb, fn, write=method != "GET"), methods=[method])
            for method, path, fn in ROUTES]
