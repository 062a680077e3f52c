"""The read-ahead batch: every GitHub read the checks declared, in one GraphQL query.

Why: ``cockpit status`` reads the release's world from GitHub in ~70 REST requests, and
many are chained (the repository, then its branch; the release, then its assets), so at
100-300 ms a round trip the status took as many round trips as its longest chain. The
checks say what they will read (``cockpit.services.reads``); this module asks GitHub's
GraphQL API for all of it at once, across every repository (one aliased ``repository``
block each), and turns each answer into the model the client's REST method returns. A
check then asking the same question is answered from the batch (``answer``) without a
request; what the batch cannot answer exactly (a list longer than one page, a binary
file, a directory) stays unanswered and the method sends its REST request as before.

The batch lives in the read snapshot (``cockpit.services.snapshot``), keyed by the
credential: a check never gets an answer fetched with another token, and outside a
snapshot nothing is answered from it. A failed batch answers nothing: every check then
asks for itself, as it did before.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from cockpit.services.reads import (
    FileAt,
    IssuesOf,
    PullsFrom,
    Read,
    RefAt,
    ReleaseOf,
    ReleasesOf,
    RepoInfo,
    TagMade,
)
from cockpit.services.snapshot import READ_SNAPSHOT

if TYPE_CHECKING:
    from cockpit.services.github import GitHubClient

NOT_KNOWN: Final = object()
"""The batch has no answer for this read: ask with REST."""

PULLS_PAGE = 30
"""Pull requests read per head→base pair; more (a branch reused 30 times) is REST's job."""

_RELEASE_FIELDS = "databaseId tagName name description isDraft isPrerelease url"
_PULL_FIELDS = ("id number title state isDraft url body mergedAt createdAt headRefName "
                "headRefOid baseRefName baseRefOid mergeCommit { oid } "
                "headRepositoryOwner { login } author { login }")
_VIEWER_RANK = {"READ": 0, "TRIAGE": 1, "WRITE": 2, "MAINTAIN": 3, "ADMIN": 4}


@dataclass
class Batch:
    """One read-ahead: the reads it covers and, once GitHub answered, each read's value."""

    reads: frozenset[Read]
    done: asyncio.Future[dict[Read, Any]]
    cost: int | None = None
    """GraphQL rate-limit points the query used (``rateLimit { cost }``), once answered."""


def credential_id(gh: GitHubClient) -> str:
    """Whose answers these are: a digest of the API and the token (never the token)."""
    return hashlib.sha256(gh.http.credential.encode()).hexdigest()


def start(gh: GitHubClient, reads: Iterable[Read]) -> Batch | None:
    """Start reading ``reads`` ahead in the current snapshot; None outside one (nothing
    would share the answers) or when there is nothing to read."""
    snapshot = READ_SNAPSHOT.get()
    wanted = frozenset(reads)
    if snapshot is None or not wanted:
        return None
    batch = Batch(wanted, asyncio.get_running_loop().create_future())
    snapshot.batches.setdefault(credential_id(gh), []).append(batch)

    async def run() -> None:
        try:
            values, batch.cost = await read_all(gh, wanted)
        except Exception as error:  # every check then asks for itself
            batch.done.set_exception(error)
            batch.done.exception()  # retrieved: nobody may be waiting
            return
        batch.done.set_result(values)

    task = asyncio.get_running_loop().create_task(run(), name="cockpit-read-ahead")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return batch


_RUNNING: set[asyncio.Task[None]] = set()
"""The batches' tasks, held so the loop does not drop them half-way."""


async def answer(gh: GitHubClient, read: Read) -> Any:
    """The batch's answer to ``read`` for this client's credential (waiting for the batch
    if it is still on its way), or ``NOT_KNOWN``."""
    snapshot = READ_SNAPSHOT.get()
    if snapshot is None:
        return NOT_KNOWN
    for batch in snapshot.batches.get(credential_id(gh), ()):
        if read in batch.reads:
            try:
                values = await asyncio.shield(batch.done)
            except Exception:  # the batch failed: ask with REST
                return NOT_KNOWN
            return values.get(read, NOT_KNOWN)
    return NOT_KNOWN


async def read_all(gh: GitHubClient, reads: frozenset[Read]) -> tuple[dict[Read, Any], int]:
    """One GraphQL query for ``reads``: (read → its answer, the query's cost in points).

    GitHub answers what it can and lists the rest in ``errors`` (a repository that does
    not exist or the token cannot see: ``NOT_FOUND`` on its block). Such a read gets
    REST's "not found" (None) where the REST method has one, and no answer otherwise;
    any other error leaves the reads under it unanswered, for REST to meet it."""
    query = build_query(reads)
    data, errors = await gh.graphql_partial(query.text, query.variables)
    failed = {tuple(e.get("path") or ())[:2]: str(e.get("type") or "") for e in errors}
    values: dict[Read, Any] = {}
    for read, (alias, sub) in query.where.items():
        block = data.get(alias)
        if block is None:
            missing = failed.get((alias,)) == "NOT_FOUND"
            values[read] = None if missing and isinstance(read, MAYBE) else NOT_KNOWN
        elif sub is not None and (alias, sub) in failed:
            values[read] = NOT_KNOWN
        else:
            values[read] = convert(read, block if sub is None else block.get(sub))
    for read, value in values.items():
        if value is _DRAFT and isinstance(read, ReleaseOf):  # REST's by-tag lookup hides
            # drafts: the published release of the tag, if the listing has one
            listed = values.get(ReleasesOf(read.repo), NOT_KNOWN)
            values[read] = NOT_KNOWN if listed is NOT_KNOWN else next(
                (r for r in listed if r.tag_name == read.tag and not r.draft), None)
    cost = int((data.get("rateLimit") or {}).get("cost") or 0)
    return {read: value for read, value in values.items() if value is not NOT_KNOWN}, cost


_DRAFT: Final = object()
"""GraphQL's release of a tag is a draft: REST's by-tag lookup would not show it."""


MAYBE = (RepoInfo, RefAt, FileAt, ReleaseOf, TagMade)
"""The reads whose REST method answers None for a 404 (the others raise)."""


@dataclass
class Query:
    """A GraphQL document: aliased fields, a variable for every string (never spliced)."""

    text: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    where: dict[Read, tuple[str, str | None]] = field(default_factory=dict)
    """Per read: its repository block's alias and its field's alias (None: the block)."""

    def var(self, value: str) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = value
        return f"${name}"


def build_query(reads: Iterable[Read]) -> Query:
    """The one query answering ``reads``: a ``repository`` block per repository."""
    query = Query()
    by_repo: dict[str, list[Read]] = {}
    for read in sorted(set(reads), key=repr):
        by_repo.setdefault(read.repo, []).append(read)
    blocks: list[str] = []
    for number, (repo, wanted) in enumerate(sorted(by_repo.items())):
        owner, name = repo.split("/", 1)
        alias = f"r{number}"
        selections: list[str] = []
        for index, read in enumerate(wanted):
            if isinstance(read, RepoInfo):
                selections.append(_REPO_FIELDS)
                query.where[read] = (alias, None)
            else:
                sub = f"f{index}"
                selections.append(f"{sub}: {_selection(read, query)}")
                query.where[read] = (alias, sub)
        blocks.append(f"{alias}: repository(owner: {query.var(owner)}, "
                      f"name: {query.var(name)}) {{ {' '.join(selections)} }}")
    declared = ", ".join(f"${name}: String!" for name in query.variables)
    query.text = f"query({declared}) {{ {' '.join(blocks)} rateLimit {{ cost }} }}"
    return query


_REPO_FIELDS = "nameWithOwner url isPrivate viewerPermission defaultBranchRef { name }"


def _selection(read: Read, query: Query) -> str:
    """The GraphQL field (arguments and sub-selection) answering ``read``."""
    if isinstance(read, RefAt):
        return (f"ref(qualifiedName: {query.var('refs/' + read.ref)}) "
                "{ name target { __typename oid } }")
    if isinstance(read, FileAt):
        expression = f"{read.ref or 'HEAD'}:{read.path}"
        return (f"object(expression: {query.var(expression)}) "
                "{ __typename oid ... on Blob { text isBinary } }")
    if isinstance(read, PullsFrom):
        return (f"pullRequests(headRefName: {query.var(read.head)}, "
                f"baseRefName: {query.var(read.base)}, states: [OPEN, CLOSED, MERGED], "
                f"first: {PULLS_PAGE}, orderBy: {{field: CREATED_AT, direction: DESC}}) "
                f"{{ pageInfo {{ hasNextPage }} nodes {{ {_PULL_FIELDS} }} }}")
    if isinstance(read, IssuesOf):
        return ("issues(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) "
                "{ pageInfo { hasNextPage } nodes { number title state url body "
                "author { login } labels(first: 50) { nodes { name } } "
                "milestone { number title state url } } }")
    if isinstance(read, ReleaseOf):
        return f"release(tagName: {query.var(read.tag)}) {{ {_RELEASE_FIELDS} }}"
    if isinstance(read, TagMade):
        return (f"ref(qualifiedName: {query.var('refs/tags/' + read.tag)}) {{ target {{ "
                "__typename ... on Tag { tagger { date } } ... on Commit { committedDate } } }")
    return ("releases(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) "
            f"{{ pageInfo {{ hasNextPage }} nodes {{ {_RELEASE_FIELDS} }} }}")


def convert(read: Read, node: Any) -> Any:
    """GraphQL's answer to ``read`` as the REST method's model (None: REST's 404), or
    ``NOT_KNOWN`` where GraphQL's answer is not exactly REST's."""
    from cockpit.services import github as m

    if isinstance(read, RepoInfo):
        return _repo(node, m)
    if node is None:
        return None if isinstance(read, MAYBE) else NOT_KNOWN
    if isinstance(read, TagMade):
        target = node.get("target") or {}
        stamp = ((target.get("tagger") or {}).get("date") if target.get("__typename") == "Tag"
                 else target.get("committedDate"))
        return NOT_KNOWN if not stamp else m.GitActor(date=stamp).when
    if isinstance(read, RefAt):
        target = node.get("target") or {}
        return m.Ref(ref=f"refs/{read.ref}",
                     object=m.GitObject(sha=target["oid"],
                                        type=str(target["__typename"]).lower()))
    if isinstance(read, FileAt):
        if node.get("__typename") != "Blob" or node.get("isBinary") or node.get("text") is None:
            return NOT_KNOWN  # a directory or a binary file: REST answers those its own way
        return m.Content(path=read.path, sha=node["oid"], type="file", content=node["text"])
    if node.get("pageInfo", {}).get("hasNextPage"):
        return NOT_KNOWN  # more than one page: REST pages through it
    if isinstance(read, PullsFrom):
        owner = read.repo.split("/", 1)[0].lower()
        return [_pull(p, read, m) for p in node["nodes"]
                if ((p.get("headRepositoryOwner") or {}).get("login") or "").lower() == owner]
    if isinstance(read, IssuesOf):
        return [_issue(i, m) for i in node["nodes"]]
    if isinstance(read, ReleaseOf):
        return _DRAFT if node["isDraft"] else _release(node, m)
    return [_release(r, m) for r in node["nodes"]]


def _repo(node: Any, m: Any) -> Any:
    if node is None:
        return None
    default = node.get("defaultBranchRef")
    if default is None:
        return NOT_KNOWN  # an empty repository: REST still names its default branch
    rank = _VIEWER_RANK.get(str(node.get("viewerPermission") or ""))
    permissions = (None if rank is None else
                   {flag: rank >= level for level, flag in enumerate(m.PERMISSIONS)})
    return m.Repo(full_name=node["nameWithOwner"], default_branch=default["name"],
                  html_url=node["url"], private=node["isPrivate"], permissions=permissions)


def _pull(node: Any, read: PullsFrom, m: Any) -> Any:
    owner = read.repo.split("/", 1)[0]
    author = node.get("author")
    merge = node.get("mergeCommit")
    return m.Pull(
        number=node["number"], title=node["title"],
        state="open" if node["state"] == "OPEN" else "closed", node_id=node["id"],
        html_url=node["url"], body=node.get("body"), draft=node["isDraft"],
        merged_at=node.get("mergedAt"), created_at=node.get("createdAt"),
        merge_commit_sha=merge["oid"] if merge else None,
        head=m.PullEnd(ref=node["headRefName"], sha=node["headRefOid"],
                       label=f"{owner}:{node['headRefName']}"),
        base=m.PullEnd(ref=node["baseRefName"], sha=node["baseRefOid"],
                       label=f"{owner}:{node['baseRefName']}"),
        user=m.Account(login=author["login"]) if author else None)


def _issue(node: Any, m: Any) -> Any:
    author = node.get("author")
    milestone = node.get("milestone")
    return m.Issue(
        number=node["number"], title=node["title"], state=str(node["state"]).lower(),
        html_url=node["url"], body=node.get("body"),
        labels=[m.Label(name=label["name"]) for label in node["labels"]["nodes"]],
        milestone=None if milestone is None else m.Milestone(
            number=milestone["number"], title=milestone["title"],
            state=str(milestone["state"]).lower(), html_url=milestone["url"]),
        user=m.Account(login=author["login"]) if author else None)


def _release(node: Any, m: Any) -> Any:
    return m.Release(id=node["databaseId"], tag_name=node["tagName"], name=node.get("name"),
                     body=node.get("description"), draft=node["isDraft"],
                     prerelease=node["isPrerelease"], html_url=node["url"])
