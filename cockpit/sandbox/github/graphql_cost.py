"""What a GraphQL query costs, as GitHub counts it, and the points left this hour.

GitHub's GraphQL budget is 5,000 points an hour per user, separate from REST's. A query
costs the number of requests its connections could need (every ``first``/``last``
taken at its word, a nested connection once per node of its parent), divided by 100 and
rounded, at least 1; the node count is those connections' possible nodes, and a query
over 500,000 is refused before it runs. The cockpit batches its reads into one query
(#18) and reports the points spent: ``rateLimit { cost used remaining }`` and the
``x-ratelimit-*`` headers (``resource: graphql``) say it, as on GitHub.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

LIMIT = 5000
MAX_NODES = 500_000


def _count(value: Any, variables: Json) -> int | None:
    from graphql import IntValueNode, VariableNode

    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, VariableNode):
        found = variables.get(value.name.value)
        return int(found) if isinstance(found, int) else None
    return None


def _walk(selections: Any, fragments: dict[str, Any], variables: Json, parent: int,
          seen: frozenset[str]) -> tuple[int, int]:
    """(requests, nodes) of a selection set reached ``parent`` times."""
    from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

    requests = nodes = 0
    for node in selections:
        inner, times = None, parent
        if isinstance(node, FieldNode):
            args = {a.name.value: _count(a.value, variables) for a in node.arguments or ()}
            page = args.get("first") or args.get("last")
            if page is not None:
                requests += parent
                nodes += parent * page
                times = parent * page
            inner = node.selection_set
        elif isinstance(node, InlineFragmentNode):
            inner = node.selection_set
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            inner = fragments[node.name.value].selection_set
            seen = seen | {node.name.value}
        if inner is not None:
            more_requests, more_nodes = _walk(inner.selections, fragments, variables, times,
                                              seen)
            requests += more_requests
            nodes += more_nodes
    return requests, nodes


def cost(document: Any, operation: Any, variables: Json) -> tuple[int, int]:
    """(points, node count) of running ``operation`` of ``document``."""
    from graphql import FragmentDefinitionNode

    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    requests, nodes = _walk(operation.selection_set.selections, fragments, variables, 1,
                            frozenset())
    return max(1, round(requests / 100)), nodes


def charge(sb: Sandbox, login: str, points: int) -> Json:
    """Spend ``points`` of ``login``'s hour; what ``rateLimit`` and the headers say."""
    now = int(time.time())
    if now >= sb.rate_reset:
        sb.rate_used.clear()
        sb.rate_reset = now + 3600
    key = f"graphql:{login}"
    sb.rate_used[key] = sb.rate_used.get(key, 0) + points
    used = sb.rate_used[key]
    return {"limit": LIMIT, "used": used, "remaining": max(0, LIMIT - used),
            "resetAt": datetime.fromtimestamp(sb.rate_reset, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), "reset": sb.rate_reset}


def headers(state: Json) -> dict[str, str]:
    return {"x-ratelimit-limit": str(state["limit"]), "x-ratelimit-used": str(state["used"]),
            "x-ratelimit-remaining": str(state["remaining"]),
            "x-ratelimit-reset": str(state["reset"]), "x-ratelimit-resource": "graphql"}
