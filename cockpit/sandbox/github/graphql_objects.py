"""GitHub's GraphQL object types over the sandbox's world: one class per type, same name.

graphql-core's default resolver reads a field from an object by name: an attribute or
property is the value, a method is called with the field's arguments (GitHub's own
camelCase names). So each class *is* its GraphQL type's field list, over the same world
dicts and bare repositories that REST serves (``cockpit.sandbox.objects``), with the
same node ids as REST's ``node_id``. ``tests/sandbox/test_graphql.py`` fails when a
field of the cut schema (``graphql_schema.graphql``) has no attribute in its class.

This module holds what the others build on (the request ``Q``, paging, errors) and the
types around a repository: accounts, git objects, checks, labels, milestones, releases;
``graphql_issues`` has issues and pull requests, ``graphql_repository`` the repository.
Connections (``first``/``after``/``last``/``before``) page with opaque cursors, as
GitHub's do; ordering and filtering follow the arguments GitHub documents.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from cockpit.sandbox.objects import iso, node_id
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox
    from cockpit.sandbox.github.graphql_repository import Repository
    from cockpit.sandbox.gitstore import CommitInfo

Info = Any
"""graphql-core's ``GraphQLResolveInfo`` (imported lazily with graphql-core)."""


class Q:
    """One GraphQL request: the sandbox and who asks."""

    def __init__(self, sb: Sandbox, login: str) -> None:
        self.sb = sb
        self.login = login

    def html(self, path: str) -> str:
        return f"{self.sb.base_url}/{path}"


# -- paging ------------------------------------------------------------------------------

def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _index(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return int(base64.b64decode(cursor).decode().rpartition(":")[2])
    except ValueError:
        return None


def connection(items: list[Any], first: int | None = None, after: str | None = None,
               last: int | None = None, before: str | None = None, **_: Any) -> Json:
    """GitHub's cursor connection over ``items`` (``nodes``, ``pageInfo``, ``totalCount``)."""
    start = 0 if (a := _index(after)) is None else a + 1
    end = len(items) if (b := _index(before)) is None else b
    window = list(range(start, max(start, min(end, len(items)))))
    if first is not None:
        window = window[:max(0, first)]
    if last is not None:
        window = window[max(0, len(window) - last):]
    return {
        "nodes": [items[i] for i in window], "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": bool(window) and window[-1] < min(end, len(items)) - 1,
            "hasPreviousPage": bool(window) and window[0] > start,
            "startCursor": _cursor(window[0]) if window else None,
            "endCursor": _cursor(window[-1]) if window else None}}


def ordered(items: list[Json], order: Json | None, keys: dict[str, str],
             default: tuple[str, str]) -> list[Json]:
    field, direction = (order["field"], order["direction"]) if order else default
    key = keys[field]
    return sorted(items, key=lambda x: (x.get(key) is None, x.get(key) or 0),
                  reverse=direction == "DESC")


# -- accounts ----------------------------------------------------------------------------

class Actor:
    """A user, bot or organization, as REST's ``simple_user`` describes the login."""

    def __init__(self, q: Q, login: str) -> None:
        self.q = q
        self.login = login
        self._rest = q.sb.shapes.simple_user(login)
        self.id = self._rest["node_id"]
        self.databaseId = self._rest["id"]
        self.avatarUrl = self._rest["avatar_url"]
        self.url = self._rest["html_url"]
        self.name = q.sb.world.user(login)["name"]


class User(Actor):
    pass


class Bot(Actor):
    pass


class Organization(Actor):
    pass


def actor(q: Q, login: str | None) -> Actor | None:
    if login is None:
        return None
    kind = q.sb.world.user(login)["type"]
    return {"Bot": Bot, "Organization": Organization}.get(kind, User)(q, login)


UNINHABITED = frozenset({"Team", "Project", "ProjectCard", "ProjectColumn", "ProjectV2",
                         "ProjectV2Item"})
"""Types of GitHub's schema the sandbox has no instances of (no teams, no projects):
kept so that clients' queries that mention them validate, never resolved."""


class NotFound(Exception):
    """A lookup GitHub answers with ``type: NOT_FOUND`` (and ``null`` data)."""


class GraphQLFault(Exception):
    """A refusal with GitHub's error ``type`` (``UNPROCESSABLE``, ``FORBIDDEN``...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- git objects -------------------------------------------------------------------------

class Ref:
    def __init__(self, repo: Repository, qualified: str, sha: str) -> None:
        self._repo = repo
        self.qualified = qualified
        self.sha = sha
        self.id = node_id("REF", f"{repo.full}:{qualified}")
        parts = qualified.split("/")
        self.prefix = "/".join(parts[:2]) + "/"
        self.name = "/".join(parts[2:])

    def repository(self, _info: Info) -> Repository:
        return self._repo

    def target(self, _info: Info) -> GitObject | None:
        return git_object(self._repo, self.sha)

    def commit_date(self) -> str:
        c = self._repo.git.commit(self.sha)
        return c.committer.date if c else ""

    def associatedPullRequests(self, info: Info, states: list[str] | None = None,
                               **args: Any) -> Json:
        if self.prefix != "refs/heads/":
            return connection([])
        return self._repo.pullRequests(info, states=states, headRefName=self.name, **args)


class GitObject:
    def __init__(self, repo: Repository, sha: str) -> None:
        self._repo = repo
        self.oid = sha
        self.abbreviatedOid = sha[:7]
        self.commitUrl = repo.q.html(f"{repo.full}/commit/{sha}")

    def repository(self, _info: Info) -> Repository:
        return self._repo


class Commit(GitObject):
    def __init__(self, repo: Repository, c: CommitInfo) -> None:
        super().__init__(repo, c.sha)
        self.c = c
        self.id = node_id("C", c.sha)
        self.url = self.commitUrl
        self.message = c.message
        headline, _, body = c.message.partition("\n")
        self.messageHeadline = headline
        self.messageBody = body.strip("\n")
        self.authoredDate = iso(c.author.date)
        self.committedDate = iso(c.committer.date)

    def authors(self, _info: Info, **page: Any) -> Json:
        a = self.c.author
        login = a.email.split("@")[0] if a.email.endswith("@example.org") else None
        return connection([{"name": a.name, "email": a.email, "date": iso(a.date),
                            "user": actor(self._repo.q, login)}], **page)

    def statusCheckRollup(self, _info: Info) -> StatusCheckRollup | None:
        """The commit's check runs and the latest status of each context (``statuses``
        in the repository's world entry, as ``POST /statuses/{sha}`` keeps them); null
        when there is neither, as on GitHub."""
        r = self._repo.r
        runs = [CheckRun(self._repo, run) for run in r["runs"] if run["head_sha"] == self.oid]
        latest: dict[str, Json] = {}
        for status in sorted((x for x in r.get("statuses", []) if x["sha"] == self.oid),
                             key=lambda x: x["id"]):
            latest[status["context"]] = status
        contexts: list[CheckRun | StatusContext] = [
            *runs, *(StatusContext(self._repo, x) for x in latest.values())]
        return StatusCheckRollup(self, contexts) if contexts else None


class Blob(GitObject):
    def __init__(self, repo: Repository, sha: str) -> None:
        super().__init__(repo, sha)
        self.id = node_id("B", sha)
        self._data = repo.git.git_bytes("cat-file", "blob", sha)
        self.byteSize = len(self._data)
        self.isBinary = b"\0" in self._data[:8000]

    @property
    def text(self) -> str | None:
        return None if self.isBinary else self._data.decode("utf-8", "replace")


class Tree(GitObject):
    def __init__(self, repo: Repository, sha: str) -> None:
        super().__init__(repo, sha)
        self.id = node_id("T", sha)


class Tag(GitObject):
    def __init__(self, repo: Repository, sha: str) -> None:
        super().__init__(repo, sha)
        info = repo.git.tag(sha)
        assert info is not None
        self.id = node_id("TAG", sha)
        self.name = info.tag
        self.message = info.message
        self._target = info.object_sha
        self._tagger = info.tagger

    def tagger(self, _info: Info) -> Json:
        t = self._tagger
        login = t.email.split("@")[0] if t.email.endswith("@example.org") else None
        return {"name": t.name, "email": t.email, "date": iso(t.date),
                "user": actor(self._repo.q, login)}

    def target(self, _info: Info) -> GitObject | None:
        return git_object(self._repo, self._target)


def git_object(repo: Repository, sha: str) -> GitObject | None:
    kind = repo.git.object_type(sha)
    if kind == "commit":
        c = repo.git.commit(sha)
        return Commit(repo, c) if c else None
    return {"blob": Blob, "tree": Tree, "tag": Tag}[kind](repo, sha) if kind else None


def commit(repo: Repository, sha: str | None) -> Commit | None:
    c = repo.git.commit(sha) if sha else None
    return Commit(repo, c) if c else None


# -- checks ------------------------------------------------------------------------------

class CheckRun:
    """A workflow run's job as a check run, from the simulator's REST shape."""

    def __init__(self, repo: Repository, run: Json) -> None:
        self._repo = repo
        rest = repo.q.sb.sim.check_run(repo.r, run)
        self.id = rest["node_id"]
        self.databaseId = rest["id"]
        self.name = rest["name"]
        self.status = str(rest["status"]).upper()
        self.conclusion = str(rest["conclusion"]).upper() if rest["conclusion"] else None
        self.startedAt = rest["started_at"]
        self.completedAt = rest["completed_at"]
        self.detailsUrl = rest["details_url"]
        self.url = rest["html_url"]
        self.checkSuite = {"id": node_id("CS", rest["check_suite"]["id"]), "workflowRun": {
            "id": node_id("WFR", run["id"]), "url": repo.q.html(
                f"{repo.full}/actions/runs/{run['id']}"),
            "workflow": {"id": node_id("W", run.get("workflow_id", run["id"])),
                         "name": run["workflow_name"],
                         "url": repo.q.html(f"{repo.full}/actions/workflows/"
                                            f"{run.get('path', '').rpartition('/')[2]}")}}}

    def isRequired(self, _info: Info, pullRequestId: str | None = None,
                   pullRequestNumber: int | None = None) -> bool:
        return self.name in required_checks(self._repo, pullRequestId, pullRequestNumber)

    def rollup_state(self) -> str:
        if self.status != "COMPLETED":
            return "PENDING"
        return "SUCCESS" if self.conclusion in ("SUCCESS", "NEUTRAL", "SKIPPED") else "FAILURE"


class StatusContext:
    """A commit status, as ``POST /statuses/{sha}`` stores it in the repository's world
    entry (``{id, sha, state, description, target_url, context, creator, created_at}``)."""

    def __init__(self, repo: Repository, status: Json) -> None:
        self._repo = repo
        self.id = node_id("SC", status["id"])
        self.context = status["context"]
        self.state = str(status["state"]).upper()
        self.description = status["description"]
        self.targetUrl = status["target_url"]
        self.createdAt = status["created_at"]

    def rollup_state(self) -> str:
        return {"ERROR": "FAILURE", "EXPECTED": "PENDING"}.get(self.state, self.state)

    def isRequired(self, _info: Info, pullRequestId: str | None = None,
                   pullRequestNumber: int | None = None) -> bool:
        return self.context in required_checks(self._repo, pullRequestId, pullRequestNumber)


def protection_rules(r: Json, branch: str) -> Json:
    """The branch's protection rules as the sandbox stores them (``protection`` in the
    repository's world entry, the REST resource's normalised body), or {}."""
    rules: Json = (r.get("protection") or {}).get(branch) or {}
    return rules


def required_checks(repo: Repository, pull_id: str | None, number: int | None) -> list[str]:
    """The check names the pull request's base branch requires before a merge."""
    i = next((i for i in repo.r["issues"] if i["pull"] and (
        i["number"] == number or node_id("PR", i["id"]) == pull_id)), None)
    if i is None:
        return []
    checks = protection_rules(repo.r, i["pull"]["base"]).get("required_status_checks") or {}
    return list(checks.get("contexts") or [])


class StatusCheckRollup:
    def __init__(self, commit: Commit, checks: list[CheckRun | StatusContext]) -> None:
        self.id = node_id("SCR", commit.oid)
        self._checks = checks
        states = {c.rollup_state() for c in checks}
        self.state = ("FAILURE" if "FAILURE" in states else
                      "PENDING" if "PENDING" in states else "SUCCESS")

    def contexts(self, _info: Info, **page: Any) -> Json:
        return connection(list(self._checks), **page)


# -- labels, milestones, releases --------------------------------------------------------

class Label:
    def __init__(self, repo: Repository, name: str) -> None:
        rest = repo.q.sb.shapes.label(repo.full, name)
        stored: Json = next((x for x in repo.r.get("labels", []) if x["name"] == name), {})
        self.id = rest["node_id"]
        self.name = name
        self.color = rest["color"]
        self.description = rest["description"]
        self.isDefault = rest["default"]
        self.createdAt = str(stored.get("created_at", repo.r["created_at"]))
        self.updatedAt = stored.get("updated_at", self.createdAt)
        self.url = repo.q.html(f"{repo.full}/labels/{name}")


class Milestone:
    def __init__(self, repo: Repository, m: Json) -> None:
        self.id = node_id("MI", m["id"])
        self.number = m["number"]
        self.title = m["title"]
        self.description = m["description"]
        self.dueOn = m["due_on"]
        self.state = str(m["state"]).upper()
        self.closed = m["state"] == "closed"
        self.closedAt = m["closed_at"]
        self.url = repo.q.html(f"{repo.full}/milestone/{m['number']}")


class Release:
    def __init__(self, repo: Repository, rel: Json) -> None:
        self._repo = repo
        self.rel = rel
        self.id = node_id("RE", rel["id"])
        self.databaseId = rel["id"]
        self.name = rel["name"]
        self.tagName = rel["tag_name"]
        self.description = rel["body"]
        self.isDraft = rel["draft"]
        self.isPrerelease = rel["prerelease"]
        self.createdAt = rel["created_at"]
        self.publishedAt = None if rel["draft"] else rel["published_at"]
        self.url = repo.q.html(f"{repo.full}/releases/tag/{rel['tag_name']}")

    def author(self, _info: Info) -> Actor | None:
        return actor(self._repo.q, self.rel["author"])

    def isLatest(self, info: Info) -> bool:
        latest = self._repo.latestRelease(info)
        return latest is not None and latest.rel is self.rel

    def tag(self, _info: Info) -> Ref | None:
        return self._repo._ref(f"refs/tags/{self.tagName}")

    def tagCommit(self, _info: Info) -> Commit | None:
        return commit(self._repo, self._repo.git.resolve(f"refs/tags/{self.tagName}"))
