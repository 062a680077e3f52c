"""GraphQL ``search(type: ISSUE)``: issues and pull requests by GitHub's search syntax.

``gh issue list --label X`` and ``gh pr list --author/--label/--draft`` do not page a
repository's issues: they send a search query built from qualifiers
(``repo:ipfs/kubo is:issue state:open label:"kind/bug" author:alice``). This module
reads the qualifiers gh builds and GitHub documents for issues and pull requests
(``repo``, ``is``, ``type``, ``state``, ``label``, ``author``, ``assignee``,
``mentions``, ``milestone``, ``base``, ``head``, ``draft``, ``in:title``, ``sort``),
and treats the remaining words as text that must appear in the title or body. Other
search types (repositories, users, discussions) are refused, not answered empty.
"""

from __future__ import annotations

import shlex
from typing import Any

from cockpit.sandbox.github.graphql_issues import Issue, PullRequest
from cockpit.sandbox.github.graphql_objects import GraphQLFault, Info, Q, connection
from cockpit.sandbox.github.graphql_repository import Repository, readable
from cockpit.sandbox.world import Json

QUALIFIERS = frozenset({"repo", "is", "type", "state", "label", "author", "assignee",
                        "mentions", "milestone", "base", "head", "draft", "in", "sort"})
"""What is read as a qualifier; any other word (``gh: crash``) is text to find."""
_SORTS = {"created": "created_at", "updated": "updated_at", "comments": "number"}


def _terms(query: str) -> list[tuple[str, str]]:
    """(qualifier, value) pairs; a plain word is ("", word). ``-label:x`` negates."""
    try:
        words = shlex.split(query)
    except ValueError:
        words = query.split()
    out = []
    for word in words:
        key, sep, value = word.partition(":")
        known = key.lower().removeprefix("-") in QUALIFIERS
        out.append((key.lower(), value) if sep and value and known else ("", word))
    return out


def _matches(item: Issue, key: str, value: str) -> bool:
    i = item.i
    pull = i["pull"]
    lowered = value.lower()
    if key in ("is", "type"):
        kinds: dict[str, bool] = {"issue": not pull, "pr": bool(pull), "pull-request": bool(pull),
                                   "open": i["state"] == "open",
                                   "closed": i["state"] == "closed",
                                   "merged": bool(pull) and pull["merged_at"] is not None,
                                   "unmerged": bool(pull) and pull["merged_at"] is None,
                                   "draft": bool(pull) and bool(pull["draft"])}
        return kinds.get(lowered, False)
    if key == "state":
        return bool(i["state"] == lowered)
    if key == "label":
        return lowered in {n.lower() for n in i["labels"]}
    if key == "author":
        return bool(i["user"] == value)
    if key == "assignee":
        return value in i["assignees"]
    if key == "mentions":
        return f"@{value}" in (i["body"] or "")
    if key == "milestone":
        m = i["milestone"]
        titles = [x["title"] for x in item._repo.r["milestones"] if x["number"] == m]
        return value in titles
    if key in ("base", "head"):
        return bool(pull) and pull[key] == value
    if key == "draft":
        return bool(pull) and pull["draft"] == (lowered == "true")
    return True


def _text(item: Issue, word: str, title_only: bool) -> bool:
    text = item.i["title"] if title_only else f"{item.i['title']} {item.i['body'] or ''}"
    return word.lower() in text.lower()


def search(_root: object, info: Info, query: str, type: str, **page: Any) -> Json:
    """The ``search`` field of ``Query``: the matching issues and pull requests."""
    if type != "ISSUE":
        raise GraphQLFault("UNPROCESSABLE", f"The sandbox searches issues and pull requests "
                                            f"only, not {type}")
    q: Q = info.context["q"]
    terms = _terms(query)
    repos = [v for k, v in terms if k == "repo"]
    title_only = ("in", "title") in terms
    sort = next((v for k, v in terms if k == "sort"), "created-desc")
    field, _, direction = sort.partition("-")
    found: list[Issue] = []
    for full, r in q.sb.world.data["repos"].items():
        if (repos and full not in repos) or not readable(q, r):
            continue
        repo = Repository(q, r)
        for i in r["issues"]:
            item = PullRequest(repo, i) if i["pull"] else Issue(repo, i)
            if all(_text(item, v, title_only) if not k else
                   (not _matches(item, k[1:], v)) if k.startswith("-") else
                   _matches(item, k, v)
                   for k, v in terms if k not in ("repo", "sort", "in")):
                found.append(item)
    key = _SORTS.get(field, "created_at")
    found.sort(key=lambda x: (x.i[key], x.i["number"]), reverse=direction != "asc")
    out = connection(list(found), **page)
    return {**out, "issueCount": len(found)}
