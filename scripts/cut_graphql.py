#!/usr/bin/env python3
"""Cut the part of GitHub's published GraphQL schema that the sandbox resolves.

The full schema (``@octokit/graphql-schema``: 1.2 MB of SDL, ~1,600 types) costs about
0.7 s to parse and build on this machine, in every process that serves GraphQL; and
a field the sandbox does not resolve would validate and then answer ``null``, a lie a
client cannot tell from the truth. So this script keeps, from GitHub's own SDL, the
fields listed in ``KEEP`` (per object and interface type) and every type they reach
through their arguments and results: names, types, nullability, arguments, defaults and
descriptions stay exactly GitHub's. Input objects, enums and scalars are kept whole;
a union keeps the members that are kept; a reached object or interface type that is not
in ``KEEP`` is an error (add it, with the fields the sandbox resolves).

``tests/sandbox/test_graphql.py`` fails when a kept field has no resolver.

Usage::

    scripts/cut_graphql.py                        # npm pack @octokit/graphql-schema@VERSION
    scripts/cut_graphql.py --schema path/to/schema.graphql
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/graphql-schema"
VERSION = "15.26.1"
MEMBER = "package/schema.graphql"
OUT = (Path(__file__).resolve().parent.parent / "cockpit" / "sandbox" / "github"
       / "graphql_schema.graphql")

_ACTOR = ["avatarUrl", "login", "url"]
_CONNECTION = ["nodes", "pageInfo", "totalCount"]

# What the sandbox resolves, per type: what the GitHub CLI (gh 2.23) asks for in
# `gh issue list/view/create/comment`, `gh pr list/view/create/checks/merge`,
# `gh repo view`, `gh release list`, `gh label list` (their default output and their
# common `--json` fields), and the repository reads the cockpit batches.
KEEP: dict[str, list[str]] = {
    "Query": ["id", "node", "nodes", "organization", "rateLimit", "repository", "search",
              "user", "viewer"],
    "RateLimit": ["cost", "limit", "nodeCount", "remaining", "resetAt", "used"],
    "Mutation": ["addComment", "addLabelsToLabelable", "addPullRequestReview", "closeIssue",
                 "closePullRequest", "createIssue", "createPullRequest",
                 "markPullRequestReadyForReview", "mergePullRequest",
                 "removeLabelsFromLabelable", "reopenIssue", "reopenPullRequest",
                 "requestReviews", "updateIssue", "updatePullRequest"],
    # -- interfaces -------------------------------------------------------------
    "Node": ["id"],
    "Actor": _ACTOR,
    "RepositoryOwner": ["avatarUrl", "id", "login", "url"],
    "UniformResourceLocatable": ["url"],
    "GitObject": ["abbreviatedOid", "commitUrl", "id", "oid", "repository"],
    "Closable": ["closed", "closedAt"],
    "Labelable": ["labels"],
    # -- accounts ---------------------------------------------------------------
    "User": [*_ACTOR, "databaseId", "id", "name"],
    "Bot": [*_ACTOR, "databaseId", "id"],
    "Organization": [*_ACTOR, "databaseId", "id", "name"],
    "Team": ["id", "name", "organization", "slug"],
    # -- repositories -----------------------------------------------------------
    "Repository": [
        "createdAt", "databaseId", "defaultBranchRef", "deleteBranchOnMerge", "description",
        "forkCount", "hasDiscussionsEnabled", "hasIssuesEnabled", "hasProjectsEnabled",
        "hasWikiEnabled", "homepageUrl", "id", "isArchived", "isEmpty", "isFork", "isPrivate",
        "isTemplate", "issue", "issueOrPullRequest", "issues", "label", "labels",
        "latestRelease", "mergeCommitAllowed", "milestone", "milestones", "name",
        "nameWithOwner", "object", "owner", "parent", "pullRequest", "pullRequests", "pushedAt",
        "rebaseMergeAllowed", "ref", "refs", "release", "releases", "squashMergeAllowed",
        "sshUrl", "stargazerCount", "updatedAt", "url", "viewerPermission", "visibility"],
    "Ref": ["associatedPullRequests", "id", "name", "prefix", "repository", "target"],
    "RefConnection": _CONNECTION,
    "Commit": ["abbreviatedOid", "authoredDate", "authors", "commitUrl", "committedDate",
               "id", "message", "messageBody", "messageHeadline", "oid", "repository",
               "statusCheckRollup", "url"],
    "Blob": ["abbreviatedOid", "byteSize", "commitUrl", "id", "isBinary", "oid",
             "repository", "text"],
    "Tree": ["abbreviatedOid", "commitUrl", "id", "oid", "repository"],
    "Tag": ["abbreviatedOid", "commitUrl", "id", "message", "name", "oid", "repository", "tagger",
            "target"],
    "GitActor": ["date", "email", "name", "user"],
    "GitActorConnection": _CONNECTION,
    "SearchResultItemConnection": ["issueCount", "nodes", "pageInfo"],
    "PageInfo": ["endCursor", "hasNextPage", "hasPreviousPage", "startCursor"],
    # -- issues and pull requests -----------------------------------------------
    "Issue": [
        "assignees", "author", "body", "closed", "closedAt", "comments", "createdAt",
        "databaseId", "id", "labels", "milestone", "number", "projectCards", "projectItems",
        "reactionGroups", "repository", "state", "stateReason", "title", "updatedAt", "url"],
    "IssueConnection": _CONNECTION,
    "IssueComment": [
        "author", "authorAssociation", "body", "createdAt", "databaseId", "id",
        "includesCreatedEdit", "isMinimized", "minimizedReason", "reactionGroups", "url",
        "viewerDidAuthor"],
    "IssueCommentConnection": _CONNECTION,
    "UserConnection": _CONNECTION,
    "Label": ["color", "createdAt", "description", "id", "isDefault", "name", "updatedAt",
              "url"],
    "LabelConnection": _CONNECTION,
    "Milestone": ["closed", "closedAt", "description", "dueOn", "id", "number", "state",
                  "title", "url"],
    "MilestoneConnection": _CONNECTION,
    "ReactionGroup": ["content", "users"],
    "ReactingUserConnection": ["totalCount"],
    "PullRequest": [
        "additions", "assignees", "author", "baseRefName", "baseRefOid", "body", "changedFiles",
        "closed", "closedAt", "comments", "commits", "createdAt", "databaseId", "deletions",
        "files", "headRefName", "headRefOid", "headRepository", "headRepositoryOwner", "id",
        "isCrossRepository", "isDraft", "labels", "latestReviews", "maintainerCanModify",
        "mergeCommit", "mergeStateStatus", "mergeable", "merged", "mergedAt", "mergedBy",
        "milestone", "number", "potentialMergeCommit", "projectCards", "projectItems",
        "reactionGroups", "repository", "reviewDecision", "reviewRequests", "reviews", "state",
        "title", "updatedAt", "url"],
    "PullRequestConnection": _CONNECTION,
    "PullRequestCommit": ["commit", "id", "url"],
    "PullRequestCommitConnection": _CONNECTION,
    "PullRequestChangedFile": ["additions", "changeType", "deletions", "path"],
    "PullRequestChangedFileConnection": _CONNECTION,
    "PullRequestReview": [
        "author", "authorAssociation", "body", "commit", "databaseId", "id", "reactionGroups",
        "state", "submittedAt"],
    "PullRequestReviewConnection": _CONNECTION,
    "ReviewRequest": ["id", "requestedReviewer"],
    "ReviewRequestConnection": _CONNECTION,
    # Projects (classic): the sandbox has none, so these lists are empty.
    "ProjectCard": ["column", "id", "project"],
    "ProjectCardConnection": _CONNECTION,
    "Project": ["closed", "closedAt", "id", "name"],
    "ProjectColumn": ["id", "name"],
    # Projects (the new ones): none either.
    "ProjectV2Item": ["id", "project"],
    "ProjectV2ItemConnection": _CONNECTION,
    "ProjectV2": ["closed", "closedAt", "id", "title"],
    # -- checks -----------------------------------------------------------------
    "StatusCheckRollup": ["contexts", "id", "state"],
    "StatusCheckRollupContextConnection": _CONNECTION,
    "StatusContext": ["context", "createdAt", "description", "id", "isRequired", "state",
                      "targetUrl"],
    "CheckRun": [
        "checkSuite", "completedAt", "conclusion", "databaseId", "detailsUrl", "id",
        "isRequired", "name", "startedAt", "status", "url"],
    "CheckSuite": ["id", "workflowRun"],
    "WorkflowRun": ["id", "url", "workflow"],
    "Workflow": ["id", "name", "url"],
    # -- releases ---------------------------------------------------------------
    "Release": [
        "author", "createdAt", "databaseId", "description", "id", "isDraft", "isLatest",
        "isPrerelease", "name", "publishedAt", "tag", "tagCommit", "tagName", "url"],
    "ReleaseConnection": _CONNECTION,
    # -- mutation payloads ------------------------------------------------------
    "AddCommentPayload": ["clientMutationId", "commentEdge", "subject", "timelineEdge"],
    "IssueCommentEdge": ["cursor", "node"],
    "IssueTimelineItemEdge": ["cursor", "node"],
    "CloseIssuePayload": ["clientMutationId", "issue"],
    "ReopenIssuePayload": ["clientMutationId", "issue"],
    "CreateIssuePayload": ["clientMutationId", "issue"],
    "CreatePullRequestPayload": ["clientMutationId", "pullRequest"],
    "MergePullRequestPayload": ["actor", "clientMutationId", "pullRequest"],
    "MarkPullRequestReadyForReviewPayload": ["clientMutationId", "pullRequest"],
    "UpdatePullRequestPayload": ["actor", "clientMutationId", "pullRequest"],
    "UpdateIssuePayload": ["actor", "clientMutationId", "issue"],
    "AddLabelsToLabelablePayload": ["clientMutationId", "labelable"],
    "RemoveLabelsFromLabelablePayload": ["clientMutationId", "labelable"],
    "ClosePullRequestPayload": ["clientMutationId", "pullRequest"],
    "ReopenPullRequestPayload": ["clientMutationId", "pullRequest"],
    "RequestReviewsPayload": ["actor", "clientMutationId", "pullRequest"],
    "AddPullRequestReviewPayload": ["clientMutationId", "pullRequestReview"],
}


def _fetch_schema() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            member = tar.extractfile(MEMBER)
            assert member is not None
            return member.read().decode()


def _named(type_node: Any) -> str:
    while not hasattr(type_node, "name") or type_node.kind != "named_type":
        type_node = type_node.type
    return str(type_node.name.value)


def cut(sdl: str) -> str:
    """The kept part of ``sdl``, printed as SDL."""
    from graphql import parse, print_ast
    from graphql.language import DocumentNode

    document = parse(sdl, no_location=True)
    defs: dict[str, Any] = {d.name.value: d for d in document.definitions
                            if hasattr(d, "name")}
    kept: dict[str, Any] = {}
    todo = list(KEEP)
    problems: list[str] = []
    while todo:
        name = todo.pop()
        if name in kept or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        node = defs.get(name)
        if node is None:
            problems.append(f"{name}: not in GitHub's schema")
            continue
        kind = node.kind
        if kind in ("object_type_definition", "interface_type_definition"):
            if name not in KEEP:
                problems.append(f"{name}: reached but not in KEEP")
                continue
            fields = {f.name.value: f for f in node.fields}
            missing = [f for f in KEEP[name] if f not in fields]
            problems += [f"{name}.{f}: not in GitHub's schema" for f in missing]
            chosen = tuple(_strip(f) for f in node.fields if f.name.value in KEEP[name])
            node = node.__class__(**{**_attrs(node), "fields": chosen, "directives": (),
                                     "interfaces": tuple(
                                         i for i in node.interfaces or ()
                                         if i.name.value in KEEP)})
            for f in chosen:
                todo.append(_named(f.type))
                todo += [_named(a.type) for a in f.arguments or ()]
        elif kind == "union_type_definition":
            members = tuple(t for t in node.types if t.name.value in KEEP)
            if not members:
                problems.append(f"{name}: no member in KEEP")
            node = node.__class__(**{**_attrs(node), "types": members, "directives": ()})
        elif kind == "input_object_type_definition":
            node = node.__class__(**{**_attrs(node), "directives": (),
                                     "fields": tuple(_strip(f) for f in node.fields)})
            todo += [_named(f.type) for f in node.fields]
        elif kind == "enum_type_definition":
            node = node.__class__(**{**_attrs(node), "directives": (), "values": tuple(
                _strip(v) for v in node.values)})
        kept[name] = node
    if problems:
        raise SystemExit("cut_graphql: " + "\n  ".join(["", *sorted(problems)]))
    order = {name: i for i, name in enumerate(defs)}
    body = print_ast(DocumentNode(definitions=tuple(
        kept[n] for n in sorted(kept, key=order.__getitem__))))
    header = (f"# GitHub's GraphQL schema, cut by scripts/cut_graphql.py from "
              f"{PACKAGE}@{VERSION}\n# ({len(kept)} of {len(defs)} types). Do not edit: "
              "change KEEP there and re-run it.\n\n")
    return header + body + "\n"


def _attrs(node: Any) -> dict[str, Any]:
    return {k: getattr(node, k) for k in node.keys if k != "loc"}


def _strip(node: Any) -> Any:
    """A field, argument or enum value without GitHub's own directives (``@preview``,
    ``@possibleTypes``...), keeping ``@deprecated``: clients detect features by it."""
    directives = tuple(d for d in node.directives or () if d.name.value == "deprecated")
    changes: dict[str, Any] = {"directives": directives}
    if getattr(node, "arguments", None):
        changes["arguments"] = tuple(_strip(a) for a in node.arguments)
    return node.__class__(**{**_attrs(node), **changes})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, help="a local schema.graphql")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sdl = args.schema.read_text() if args.schema else _fetch_schema()
    text = cut(sdl)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(text):,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
