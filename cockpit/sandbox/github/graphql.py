"""GitHub's GraphQL endpoint, from GitHub's published schema, at ``/api/graphql``.

The GitHub CLI reads and writes issues, pull requests, releases and labels through
GraphQL (``gh issue list`` is one query, ``gh pr merge`` a mutation), and the cockpit
batches its reads across repositories into one query. The sandbox serves it where
GitHub Enterprise does, beside the REST API's ``/api/v3``.

The schema is GitHub's own, cut to the fields the sandbox resolves
(``graphql_schema.graphql``, made by ``scripts/cut_graphql.py`` from
``@octokit/graphql-schema``): its ~150 types build ~15 times faster than the whole
schema's 1,624 (about 50 ms against 0.7 s on this machine, idle), once per process.
Every request is parsed, validated and executed by graphql-core against it, so a query
GitHub would reject for its shape is rejected here too, with GitHub's answer format:
HTTP 200 with ``errors`` (each with GitHub's ``type``, e.g. ``NOT_FOUND``,
``FORBIDDEN``), HTTP 401 without a token. The objects are ``graphql_objects``, the
mutations ``graphql_mutations``; both work on the same world as REST. graphql-core is
imported on first use, so a sandbox without it still serves REST.
"""

from __future__ import annotations

import inspect
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cockpit.sandbox import reviews
from cockpit.sandbox.github import graphql_cost
from cockpit.sandbox.github.api import identity
from cockpit.sandbox.github.graphql_objects import GraphQLFault, NotFound, Q
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from cockpit.sandbox.core import Sandbox

PATH = "/api/graphql"


def is_mutation(body: bytes) -> bool:
    """Whether a request to the endpoint asks to change anything (for the request log: a
    query is a read although it is a POST). What does not parse changes nothing."""
    import json

    from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

    try:
        document = parse(json.loads(body or b"{}").get("query") or "")
    except (ValueError, AttributeError, GraphQLError):
        return False
    return any(isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION
               for d in document.definitions)
DOCS = "https://docs.github.com/graphql"
SCHEMA_FILE = Path(__file__).with_name("graphql_schema.graphql")


@cache
def schema() -> GraphQLSchema:
    """The cut schema with the sandbox's resolvers attached (built once per process)."""
    from graphql import GraphQLInterfaceType, GraphQLUnionType, build_schema

    from cockpit.sandbox.github.graphql_mutations import MUTATIONS
    from cockpit.sandbox.github.graphql_nodes import find_node
    from cockpit.sandbox.github.graphql_search import search

    # GitHub's schema breaks one of graphql-core's schema rules (deprecated ``id`` fields
    # on classic projects implement the undeprecated ``Node.id``): take it as GitHub
    # serves it (the test suite checks that this is the only rule it breaks).
    built = build_schema(SCHEMA_FILE.read_text(), assume_valid=True)
    for gql_type in built.type_map.values():
        if isinstance(gql_type, GraphQLInterfaceType | GraphQLUnionType):
            gql_type.resolve_type = _type_name
    mutation = built.mutation_type
    assert mutation is not None
    for name, resolver in MUTATIONS.items():
        mutation.fields[name].resolve = resolver
    query = built.query_type
    assert query is not None
    query.fields["viewer"].resolve = lambda _root, info: _viewer(info)
    query.fields["id"].resolve = lambda _root, _info: "MDU6UXVlcnk="  # GitHub's own
    query.fields["repository"].resolve = _repository
    query.fields["search"].resolve = search
    query.fields["rateLimit"].resolve = lambda _root, info, dryRun=False: info.context["cost"]
    query.fields["user"].resolve = lambda _root, info, login: _account(info, login, "User")
    query.fields["organization"].resolve = (
        lambda _root, info, login: _account(info, login, "Organization"))
    query.fields["node"].resolve = lambda _root, info, id: find_node(_q(info), id)
    query.fields["nodes"].resolve = lambda _root, info, ids: [
        find_node(_q(info), i) for i in ids]
    return built


@cache
def rules() -> tuple[Any, ...]:
    """graphql-core's validation rules, with field merging as lenient as GitHub's.

    graphql-ruby, which serves GitHub, lets fragments on different object types select
    a same-named field of different types (``... on Issue {state} ... on PullRequest
    {state}``: ``IssueState`` and ``PullRequestState``), and ``gh issue view`` relies
    on it; graphql-core refuses. Every other field-merging conflict is still reported."""
    from graphql import OverlappingFieldsCanBeMergedRule, specified_rules

    class GitHubFieldMerging(OverlappingFieldsCanBeMergedRule):
        def report_error(self, error: Any) -> None:
            if "because they return conflicting types" not in error.message:
                super().report_error(error)

    return tuple(GitHubFieldMerging if rule is OverlappingFieldsCanBeMergedRule else rule
                 for rule in specified_rules)


def _q(info: Any) -> Q:
    q: Q = info.context["q"]
    return q


def _type_name(value: Any, _info: Any, _abstract: Any) -> str:
    return type(value).__name__


def _viewer(info: Any) -> Any:
    from cockpit.sandbox.github.graphql_objects import actor

    q = _q(info)
    return actor(q, q.login)


def _account(info: Any, login: str, kind: str) -> Any:
    """A user (or bot) or an organization the sandbox knows, by login."""
    from cockpit.sandbox.github.graphql_objects import actor

    q = _q(info)
    users = q.sb.world.data["users"]
    known = next((u for u in users.values() if u["login"].lower() == login.lower()), None)
    if known is None or (known["type"] == "Organization") != (kind == "Organization"):
        article = "an" if kind == "Organization" else "a"
        raise NotFound(f"Could not resolve to {article} {kind} with the login of '{login}'.")
    return actor(q, known["login"])


def _repository(_root: object, info: Any, owner: str, name: str,
                followRenames: bool = True) -> Any:
    from cockpit.sandbox.github.graphql_repository import Repository, readable

    q = _q(info)
    r = q.sb.world.repo(f"{owner}/{name}")
    if r is None or not readable(q, r):
        raise NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
    return Repository(q, r)


def _errors(errors: list[Any]) -> list[Json]:
    out = []
    for error in errors:
        formatted: Json = dict(error.formatted)
        original = getattr(error, "original_error", None)
        if isinstance(original, GraphQLFault):
            formatted["type"] = original.kind
        elif isinstance(original, NotFound):
            formatted["type"] = "NOT_FOUND"
        out.append(formatted)
    return out


async def endpoint(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    try:
        login, scope = identity(sb, request)
        if login is None:
            raise ApiError(401, "This endpoint requires you to be authenticated.")
        body = await json_body(request)
    except ApiError as err:
        return err.response()
    try:
        from graphql import GraphQLError, OperationType, execute, get_operation_ast, parse, validate
    except ImportError:
        return ApiError(501, "the sandbox's GraphQL endpoint needs graphql-core "
                             "(pip install graphql-core)").response()
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return json_response({"errors": [{"message": "A query attribute must be specified "
                                                     "and must be a string."}]})
    try:
        document = parse(query)
    except GraphQLError as err:
        return json_response({"errors": _errors([err])})
    problems = validate(schema(), document, rules())
    if problems:
        return json_response({"errors": _errors(list(problems))})
    operation = get_operation_ast(document, body.get("operationName"))
    if operation is not None and operation.operation is OperationType.MUTATION \
            and scope != "write":
        return json_response({"data": None, "errors": [{
            "type": "FORBIDDEN", "message": "Resource not accessible by personal access token",
            "path": [], "locations": []}]})
    given = body.get("variables")
    variables: Json = given if isinstance(given, dict) else {}
    points, nodes = graphql_cost.cost(document, operation, variables) if operation else (1, 0)
    if nodes > graphql_cost.MAX_NODES:
        return json_response({"errors": [{
            "type": "MAX_NODE_LIMIT_EXCEEDED", "message": f"This query requests up to "
            f"{nodes:,} possible nodes which exceeds the maximum of "
            f"{graphql_cost.MAX_NODES:,}."}]})
    spent = graphql_cost.charge(sb, login, points)
    if spent["used"] > graphql_cost.LIMIT:
        return json_response({"errors": [{"type": "RATE_LIMITED", "message":
                                          "API rate limit exceeded for user "
                                          f"{login}."}]}, headers=graphql_cost.headers(spent))
    sb.sim.tick()
    reviews.tick(sb)
    result = execute(schema(), document, variable_values=variables,
                     operation_name=body.get("operationName"),
                     context_value={"q": Q(sb, login), "app": request.app,
                                    "authorization": request.headers.get("authorization", ""),
                                    "cost": {**spent, "cost": points, "nodeCount": nodes}})
    if inspect.isawaitable(result):
        result = await result
    out: Json = {"data": result.data}
    if result.errors:
        out["errors"] = _errors(list(result.errors))
    return json_response(out, headers=graphql_cost.headers(spent))


def routes() -> list[BaseRoute]:
    return [Route(PATH, endpoint, methods=["POST"])]
