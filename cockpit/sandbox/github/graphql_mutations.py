"""GitHub's GraphQL mutations, each carried out by the REST handler that does the same.

``createIssue`` is ``POST /issues``, ``mergePullRequest`` is ``PUT /pulls/{n}/merge``
and so on: the mutation turns its input's node ids into the REST path and body and
calls the handler through ``api.as_endpoint``, with the caller's own token. So one rule
(validation, protection, the simulator's reaction to a new pull request, a real merge
in git) holds for both APIs, and a REST refusal becomes a GraphQL error with GitHub's
``type``. ``markPullRequestReadyForReview`` is the one mutation REST cannot do.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request

from cockpit.sandbox.github import issues, labels, pulls
from cockpit.sandbox.github.api import Handler, as_endpoint
from cockpit.sandbox.github.graphql_issues import Issue, IssueComment, PullRequest
from cockpit.sandbox.github.graphql_nodes import find_node, node_or_fail
from cockpit.sandbox.github.graphql_objects import Actor, GraphQLFault, Info, Label, Milestone, Q
from cockpit.sandbox.github.graphql_repository import Repository
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

_TYPES = {401: "FORBIDDEN", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "UNPROCESSABLE",
          405: "UNPROCESSABLE", 422: "UNPROCESSABLE"}


async def _rest(info: Info, handler: Handler, method: str, path: str, params: Json,
                body: Json) -> Json:
    """Call one REST handler as the GraphQL caller; its JSON, or a GraphQLFault."""
    q: Q = info.context["q"]
    raw = json.dumps(body).encode()
    scope = {"type": "http", "method": method, "path": "/api/v3" + path, "raw_path":
             ("/api/v3" + path).encode(), "root_path": "", "path_params": params,
             "query_string": b"", "headers": [
                 (b"authorization", info.context["authorization"].encode()),
                 (b"content-type", b"application/json"),
                 (b"content-length", str(len(raw)).encode())],
             "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0), "scheme": "http",
             "app": info.context["app"]}
    sent = False

    async def receive() -> Json:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    response = await as_endpoint(q.sb, handler, write=True)(Request(scope, receive))
    data: Json = json.loads(bytes(response.body)) if response.body else {}
    if response.status_code >= 400:
        details = [e.get("message") if isinstance(e, dict) else str(e)
                   for e in data.get("errors") or []]
        message = "; ".join(m for m in details if m) or str(data.get("message"))
        raise GraphQLFault(_TYPES.get(response.status_code, "UNPROCESSABLE"), message)
    return data


def _repo_of(q: Q, ident: str) -> Repository:
    return node_or_fail(q, ident, Repository)


def _issue_path(target: Issue) -> tuple[str, Json]:
    owner, name = target._repo.full.split("/")
    return f"/repos/{owner}/{name}/issues/{target.number}", {
        "owner": owner, "repo": name, "issue_number": target.number}


def _reload(repo: Repository, number: int) -> Issue:
    i = repo._issue(number, None)
    assert i is not None
    return PullRequest(repo, i) if i["pull"] else Issue(repo, i)


async def create_issue(_root: object, info: Info, input: Json) -> Json:
    q: Q = info.context["q"]
    repo = _repo_of(q, str(input["repositoryId"]))
    owner, name = repo.full.split("/")
    given: Json = {"title": input["title"], "body": input.get("body"),
                   **_issue_fields(q, input)}
    body = {k: v for k, v in given.items() if v is not None}  # what was given, no nulls
    made = await _rest(info, issues.create_issue, "POST", f"/repos/{owner}/{name}/issues",
                       {"owner": owner, "repo": name}, body)
    return {"clientMutationId": input.get("clientMutationId"),
            "issue": _reload(repo, int(made["number"]))}


async def add_comment(_root: object, info: Info, input: Json) -> Json:
    q: Q = info.context["q"]
    subject = node_or_fail(q, str(input["subjectId"]), Issue)
    path, params = _issue_path(subject)
    made = await _rest(info, issues.create_comment, "POST", path + "/comments", params,
                       {"body": input["body"]})
    stored = next(c for c in subject._repo.r["comments"] if c["id"] == made["id"])
    comment = IssueComment(subject._repo, stored)
    edge = {"cursor": comment.id, "node": comment}
    return {"clientMutationId": input.get("clientMutationId"), "commentEdge": edge,
            "timelineEdge": edge, "subject": _reload(subject._repo, subject.number)}


async def _set_state(info: Info, input: Json, key: str, state: str) -> Json:
    q: Q = info.context["q"]
    target = node_or_fail(q, str(input[key]), Issue)
    path, params = _issue_path(target)
    body: Json = {"state": state}
    if input.get("stateReason"):
        body["state_reason"] = str(input["stateReason"]).lower()
    await _rest(info, issues.update_issue, "PATCH", path, params, body)
    return {"clientMutationId": input.get("clientMutationId"),
            "issue": _reload(target._repo, target.number)}


async def update_issue(_root: object, info: Info, input: Json) -> Json:
    """``PATCH /issues/{n}`` (``gh issue edit``)."""
    q: Q = info.context["q"]
    target = node_or_fail(q, str(input["id"]), Issue)
    body: Json = {k: input[k] for k in ("title", "body") if k in input}
    if "state" in input:
        body["state"] = str(input["state"]).lower()
    body.update(_issue_fields(q, input))
    path, params = _issue_path(target)
    await _rest(info, issues.update_issue, "PATCH", path, params, body)
    return {"clientMutationId": input.get("clientMutationId"), "actor": None,
            "issue": _reload(target._repo, target.number)}


def _issue_fields(q: Q, input: Json) -> Json:
    """Labels, assignees and milestone of an issue or pull request, from node ids to the
    names and numbers REST takes."""
    out: Json = {}
    if "labelIds" in input:
        out["labels"] = [node_or_fail(q, x, Label).name for x in input["labelIds"] or []]
    if "assigneeIds" in input:
        out["assignees"] = [node_or_fail(q, x, Actor).login
                            for x in input["assigneeIds"] or []]
    if "milestoneId" in input:
        milestone = input["milestoneId"]
        out["milestone"] = milestone and node_or_fail(q, milestone, Milestone).number
    return out


async def add_labels(_root: object, info: Info, input: Json) -> Json:
    """``POST /issues/{n}/labels``."""
    q: Q = info.context["q"]
    target = node_or_fail(q, str(input["labelableId"]), Issue)
    names = [node_or_fail(q, x, Label).name for x in input["labelIds"]]
    path, params = _issue_path(target)
    await _rest(info, labels.add_issue_labels, "POST", path + "/labels", params,
                {"labels": names})
    return {"clientMutationId": input.get("clientMutationId"),
            "labelable": _reload(target._repo, target.number)}


async def remove_labels(_root: object, info: Info, input: Json) -> Json:
    """``DELETE /issues/{n}/labels/{name}`` for each label the issue has."""
    q: Q = info.context["q"]
    target = node_or_fail(q, str(input["labelableId"]), Issue)
    path, params = _issue_path(target)
    for x in input["labelIds"]:
        name = node_or_fail(q, x, Label).name
        if name in target.i["labels"]:
            await _rest(info, labels.remove_issue_label, "DELETE",
                        f"{path}/labels/{quote(name, safe='')}", {**params, "name": name}, {})
    return {"clientMutationId": input.get("clientMutationId"),
            "labelable": _reload(target._repo, target.number)}


async def close_issue(_root: object, info: Info, input: Json) -> Json:
    return await _set_state(info, input, "issueId", "closed")


async def reopen_issue(_root: object, info: Info, input: Json) -> Json:
    return await _set_state(info, input, "issueId", "open")


async def create_pull_request(_root: object, info: Info, input: Json) -> Json:
    q: Q = info.context["q"]
    repo = _repo_of(q, str(input["repositoryId"]))
    owner, name = repo.full.split("/")
    body = {"title": input["title"], "head": input["headRefName"],
            "base": input["baseRefName"], "draft": bool(input.get("draft"))}
    if input.get("body") is not None:
        body["body"] = input["body"]
    made = await _rest(info, pulls.create_pull, "POST", f"/repos/{owner}/{name}/pulls",
                       {"owner": owner, "repo": name}, body)
    return {"clientMutationId": input.get("clientMutationId"),
            "pullRequest": _reload(repo, int(made["number"]))}


async def merge_pull_request(_root: object, info: Info, input: Json) -> Json:
    q: Q = info.context["q"]
    pr = node_or_fail(q, str(input["pullRequestId"]), PullRequest)
    owner, name = pr._repo.full.split("/")
    body: Json = {"merge_method": str(input.get("mergeMethod") or "MERGE").lower()}
    if input.get("commitHeadline") is not None:
        body["commit_title"] = input["commitHeadline"]
    if input.get("commitBody") is not None:
        body["commit_message"] = input["commitBody"]
    if input.get("expectedHeadOid"):
        body["sha"] = input["expectedHeadOid"]
    await _rest(info, pulls.merge_pull, "PUT", f"/repos/{owner}/{name}/pulls/{pr.number}/merge",
                {"owner": owner, "repo": name, "pull_number": pr.number}, body)
    return {"clientMutationId": input.get("clientMutationId"), "actor": None,
            "pullRequest": _reload(pr._repo, pr.number)}


def _pull_path(pr: PullRequest, tail: str = "") -> tuple[str, Json]:
    owner, name = pr._repo.full.split("/")
    return f"/repos/{owner}/{name}/pulls/{pr.number}{tail}", {
        "owner": owner, "repo": name, "pull_number": pr.number}


async def update_pull_request(_root: object, info: Info, input: Json) -> Json:
    """``PATCH /pulls/{n}`` for what a pull request holds, ``PATCH /issues/{n}`` for what
    it holds as an issue (labels, assignees, milestone)."""
    q: Q = info.context["q"]
    pr = node_or_fail(q, str(input["pullRequestId"]), PullRequest)
    pull: Json = {k: input[k] for k in ("title", "body") if k in input}
    if "baseRefName" in input:
        pull["base"] = input["baseRefName"]
    if "state" in input:
        pull["state"] = str(input["state"]).lower()
    if pull:
        path, params = _pull_path(pr)
        await _rest(info, pulls.update_pull, "PATCH", path, params, pull)
    issue = _issue_fields(q, input)
    if issue:
        path, params = _issue_path(pr)
        await _rest(info, issues.update_issue, "PATCH", path, params, issue)
    return {"clientMutationId": input.get("clientMutationId"), "actor": None,
            "pullRequest": _reload(pr._repo, pr.number)}


async def _set_pull_state(info: Info, input: Json, state: str) -> Json:
    q: Q = info.context["q"]
    pr = node_or_fail(q, str(input["pullRequestId"]), PullRequest)
    path, params = _pull_path(pr)
    await _rest(info, pulls.update_pull, "PATCH", path, params, {"state": state})
    return {"clientMutationId": input.get("clientMutationId"),
            "pullRequest": _reload(pr._repo, pr.number)}


async def close_pull_request(_root: object, info: Info, input: Json) -> Json:
    return await _set_pull_state(info, input, "closed")


async def reopen_pull_request(_root: object, info: Info, input: Json) -> Json:
    return await _set_pull_state(info, input, "open")


async def request_reviews(_root: object, info: Info, input: Json) -> Json:
    """``POST /pulls/{n}/requested_reviewers``. The sandbox has no teams, and REST here
    only adds reviewers: a request that would drop some (``union: false``) is refused."""
    q: Q = info.context["q"]
    pr = node_or_fail(q, str(input["pullRequestId"]), PullRequest)
    if input.get("teamIds"):
        raise GraphQLFault("NOT_FOUND", "Could not resolve to a node with the global id of "
                                        f"'{input['teamIds'][0]}'")
    logins = [node_or_fail(q, x, Actor).login for x in input.get("userIds") or []]
    dropped = set(pr.p["requested_reviewers"]) - set(logins)
    if not input.get("union") and dropped:
        raise GraphQLFault("UNPROCESSABLE", "The sandbox cannot remove requested reviewers "
                                            f"({', '.join(sorted(dropped))})")
    path, params = _pull_path(pr, "/requested_reviewers")
    await _rest(info, pulls.request_reviewers, "POST", path, params, {"reviewers": logins})
    return {"clientMutationId": input.get("clientMutationId"), "actor": None,
            "pullRequest": _reload(pr._repo, pr.number)}


async def add_pull_request_review(_root: object, info: Info, input: Json) -> Json:
    """``POST /pulls/{n}/reviews`` (``gh pr review --approve``)."""
    q: Q = info.context["q"]
    pr = node_or_fail(q, str(input["pullRequestId"]), PullRequest)
    body: Json = {"body": input.get("body") or ""}
    if input.get("event"):
        body["event"] = input["event"]
    if input.get("commitOID"):
        body["commit_id"] = input["commitOID"]
    path, params = _pull_path(pr, "/reviews")
    made = await _rest(info, pulls.create_review, "POST", path, params, body)
    again = _reload(pr._repo, pr.number)
    assert isinstance(again, PullRequest)
    review = next(x for x in again._reviews() if x.review["id"] == made["id"])
    return {"clientMutationId": input.get("clientMutationId"), "pullRequestReview": review}


def mark_ready(_root: object, info: Info, input: Json) -> Json:
    q: Q = info.context["q"]
    sb: Sandbox = q.sb
    pr = find_node(q, str(input["pullRequestId"]))
    if not isinstance(pr, PullRequest):
        raise GraphQLFault("NOT_FOUND", "Could not resolve to a node with the global id of "
                                        f"'{input['pullRequestId']}'")
    with sb.world.lock:
        if pr.i["state"] != "open":
            raise GraphQLFault("UNPROCESSABLE", "Pull request is closed")
        if pr.p["draft"]:
            pr.p.update(draft=False, ready_since=time.time())
            pr.i["updated_at"] = now_iso()
    sb.world.save()
    return {"clientMutationId": input.get("clientMutationId"),
            "pullRequest": _reload(pr._repo, pr.number)}


MUTATIONS: dict[str, Any] = {
    "addComment": add_comment,
    "addLabelsToLabelable": add_labels,
    "addPullRequestReview": add_pull_request_review,
    "closeIssue": close_issue,
    "closePullRequest": close_pull_request,
    "createIssue": create_issue,
    "createPullRequest": create_pull_request,
    "markPullRequestReadyForReview": mark_ready,
    "mergePullRequest": merge_pull_request,
    "removeLabelsFromLabelable": remove_labels,
    "reopenIssue": reopen_issue,
    "reopenPullRequest": reopen_pull_request,
    "requestReviews": request_reviews,
    "updateIssue": update_issue,
    "updatePullRequest": update_pull_request,
}
"""Mutation field → resolver; ``graphql.schema()`` attaches them."""
