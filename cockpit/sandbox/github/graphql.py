"""GitHub's GraphQL endpoint, for the one mutation REST cannot do: "ready for review".

GitHub has no REST call that turns a draft pull request into one ready for review
(``PATCH /pulls/{n}`` ignores ``draft``); ``gh pr ready`` and the web button use the
GraphQL mutation ``markPullRequestReadyForReview``. The sandbox serves it where GitHub
Enterprise does, ``/api/graphql`` beside the REST API's ``/api/v3``.

Only a small excerpt of GitHub's schema is served (``SCHEMA`` below: the names, types
and nullability are GitHub's own), but every request is parsed, validated and executed
by graphql-core against it, so a query GitHub would reject for its shape is rejected
here too, with GitHub's answer format: HTTP 200 with ``errors`` (each with GitHub's
``type``, e.g. ``NOT_FOUND``, ``FORBIDDEN``), HTTP 401 without a token.
graphql-core is imported on first use, so a sandbox without it still serves REST.
"""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cockpit.sandbox import reviews
from cockpit.sandbox.github.api import identity
from cockpit.sandbox.http import ApiError, json_body, json_response
from cockpit.sandbox.objects import node_id
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from cockpit.sandbox.core import Sandbox

PATH = "/api/graphql"
DOCS = "https://docs.github.com/graphql"

SCHEMA = '''
"""The excerpt of GitHub's public schema that the sandbox serves."""
type Query {
  "The currently authenticated user."
  viewer: User!
}

type User {
  "The username used to login."
  login: String!
}

type Mutation {
  "Marks a pull request ready for review."
  markPullRequestReadyForReview(
    input: MarkPullRequestReadyForReviewInput!
  ): MarkPullRequestReadyForReviewPayload
}

input MarkPullRequestReadyForReviewInput {
  "A unique identifier for the client performing the mutation."
  clientMutationId: String
  "ID of the pull request to be marked as ready for review."
  pullRequestId: ID!
}

type MarkPullRequestReadyForReviewPayload {
  clientMutationId: String
  "The pull request that is ready for review."
  pullRequest: PullRequest
}

type PullRequest {
  id: ID!
  number: Int!
  isDraft: Boolean!
  state: PullRequestState!
  url: URI!
}

enum PullRequestState {
  CLOSED
  MERGED
  OPEN
}

scalar URI
'''


class GitHubGraphQLError(Exception):
    """A resolver's refusal, with GitHub's error ``type`` (``NOT_FOUND``, ``UNPROCESSABLE``)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@cache
def schema() -> GraphQLSchema:
    from graphql import build_schema

    built = build_schema(SCHEMA)
    mutation = built.mutation_type
    assert mutation is not None
    mutation.fields["markPullRequestReadyForReview"].resolve = _mark_ready
    built.query_type.fields["viewer"].resolve = (  # type: ignore[union-attr]
        lambda _root, info: {"login": info.context["login"]})
    return built


def _find_pull(sb: Sandbox, ident: str) -> tuple[Json, Json] | None:
    for repo in sb.world.data["repos"].values():
        for issue in repo["issues"]:
            if issue["pull"] and node_id("PR", issue["id"]) == ident:
                return repo, issue
    return None


def _pull_node(sb: Sandbox, repo: Json, issue: Json) -> Json:
    state = ("MERGED" if issue["pull"]["merged_at"] else
             "OPEN" if issue["state"] == "open" else "CLOSED")
    return {"id": node_id("PR", issue["id"]), "number": issue["number"],
            "isDraft": issue["pull"]["draft"], "state": state,
            "url": f"{sb.base_url}/{repo['full_name']}/pull/{issue['number']}"}


def _mark_ready(_root: object, info: Any, input: Json) -> Json:
    sb: Sandbox = info.context["sandbox"]
    ident = str(input["pullRequestId"])
    with sb.world.lock:
        found = _find_pull(sb, ident)
        if found is None:
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{ident}'")
        repo, issue = found
        if issue["state"] != "open":
            raise GitHubGraphQLError("UNPROCESSABLE", "Pull request is closed")
        if issue["pull"]["draft"]:
            now = now_iso()
            issue["pull"].update(draft=False, ready_since=time.time())
            issue["updated_at"] = now
        node = _pull_node(sb, repo, issue)
    sb.world.save()
    return {"clientMutationId": input.get("clientMutationId"), "pullRequest": node}


def _errors(errors: list[Any]) -> list[Json]:
    out = []
    for error in errors:
        formatted: Json = dict(error.formatted)
        original = getattr(error, "original_error", None)
        if isinstance(original, GitHubGraphQLError):
            formatted["type"] = original.kind
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
        from graphql import GraphQLError, OperationType, execute_sync, get_operation_ast, parse, validate
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
    problems = validate(schema(), document)
    if problems:
        return json_response({"errors": _errors(list(problems))})
    operation = get_operation_ast(document, body.get("operationName"))
    if operation is not None and operation.operation is OperationType.MUTATION \
            and scope != "write":
        return json_response({"data": None, "errors": [{
            "type": "FORBIDDEN", "message": "Resource not accessible by personal access token",
            "path": [], "locations": []}]})
    reviews.tick(sb)
    variables = body.get("variables")
    result = execute_sync(schema(), document, variable_values=variables if isinstance(
        variables, dict) else None, operation_name=body.get("operationName"),
        context_value={"sandbox": sb, "login": login})
    out: Json = {"data": result.data}
    if result.errors:
        out["errors"] = _errors(list(result.errors))
    return json_response(out)


def routes() -> list[BaseRoute]:
    return [Route(PATH, endpoint, methods=["POST"])]
