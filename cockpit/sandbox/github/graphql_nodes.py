"""Global node ids back to objects: ``node(id:)``, ``nodes(ids:)`` and mutation inputs.

The sandbox's node ids are REST's ``node_id`` (``cockpit.sandbox.objects.node_id``: a
kind prefix and a hash), so a client may take an id from either API to the other.
A hash cannot be reversed: an id is found by its prefix, then by hashing the
candidates of that kind.
"""

from __future__ import annotations

from typing import Any, TypeVar

from cockpit.sandbox.github.graphql_issues import Issue, IssueComment, PullRequest
from cockpit.sandbox.github.graphql_objects import GraphQLFault, Label, Milestone, Q, Release, actor
from cockpit.sandbox.github.graphql_repository import Repository, readable
from cockpit.sandbox.objects import node_id

T = TypeVar("T")


def _in_repos(q: Q, kind: str, ident: str) -> Any:
    for r in q.sb.world.data["repos"].values():
        if not readable(q, r):
            continue
        if kind == "R" and node_id("R", r["id"]) == ident:
            return Repository(q, r)
        found = _in_repo(Repository(q, r), kind, ident)
        if found is not None:
            return found
    return None


def _in_repo(repo: Repository, kind: str, ident: str) -> Any:
    r = repo.r
    if kind in ("I", "PR"):
        for i in r["issues"]:
            if node_id(kind, i["id"]) == ident and bool(i["pull"]) == (kind == "PR"):
                return (PullRequest if i["pull"] else Issue)(repo, i)
    tables = {"IC": ("comments", IssueComment), "MI": ("milestones", Milestone),
              "RE": ("releases", Release)}
    if kind in tables:
        key, cls = tables[kind]
        for item in r[key]:
            if node_id(kind, item["id"]) == ident:
                return cls(repo, item)
    if kind == "LA":
        return next((x for x in repo._labels() if x.id == ident), None)
    return None


def find_node(q: Q, ident: str) -> Any:
    """The object whose node id is ``ident``, or None."""
    kind = ident.partition("_")[0]
    if kind in ("R", "I", "PR", "IC", "MI", "RE", "LA"):
        return _in_repos(q, kind, ident)
    for login in list(q.sb.world.data["users"]):  # users, bots and organizations
        if q.sb.shapes.simple_user(login)["node_id"] == ident:
            return actor(q, login)
    return None


def node_or_fail(q: Q, ident: str, kind: type[T]) -> T:
    """The node of that class, or GitHub's NOT_FOUND error."""
    found = find_node(q, ident)
    if not isinstance(found, kind):
        raise GraphQLFault("NOT_FOUND",
                           f"Could not resolve to a node with the global id of '{ident}'")
    return found


__all__ = ["Label", "find_node", "node_or_fail"]
