"""GitHub's GraphQL object types over the sandbox's world: one class per type, same name.

graphql-core's default resolver reads a field from an object by name: an attribute or
property is the value, a method is called with the field's arguments (GitHub's own
camelCase names). So each class here *is* its GraphQL type's field list, over the same
world dicts and bare repositories that REST serves (``cockpit.sandbox.objects``), with
the same node ids as REST's ``node_id``. ``tests/sandbox/test_graphql.py`` fails when a
field of the cut schema (``graphql_schema.graphql``) has no attribute here.

Connections (``first``/``after``/``last``/``before``) page with opaque cursors, as
GitHub's do; ordering and filtering follow the arguments GitHub documents.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from cockpit.sandbox import reviews
from cockpit.sandbox.github.repos import version_key
from cockpit.sandbox.objects import iso, node_id
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox
    from cockpit.sandbox.gitstore import BareRepo, CommitInfo

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


def _ordered(items: list[Json], order: Json | None, keys: dict[str, str],
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


# -- repositories ------------------------------------------------------------------------

def readable(q: Q, r: Json) -> bool:
    """Whether the caller may see the repository: a public one, anyone; a private one
    (``private`` in its world entry) its owner, the owner organization's members and its
    collaborators, the rule REST applies."""
    if not r.get("private"):
        return True
    owner = q.sb.world.data["users"].get(r["owner"], {})
    return q.login == r["owner"] or q.login in owner.get("members", []) or \
        q.login in r.get("collaborators", {})


class Repository:
    def __init__(self, q: Q, r: Json) -> None:
        self.q = q
        self.r = r
        self.full = str(r["full_name"])
        self.git: BareRepo = q.sb.repos[self.full]
        self.id = node_id("R", r["id"])
        self.databaseId = r["id"]
        self.name = r["name"]
        self.nameWithOwner = self.full
        self.description = r["description"]
        self.url = q.html(self.full)
        self.sshUrl = f"git@127.0.0.1:{self.full}.git"
        self.homepageUrl = None
        self.createdAt = r["created_at"]
        self.visibility = "PUBLIC"
        self.viewerPermission = "ADMIN"

    hasIssuesEnabled = hasProjectsEnabled = True
    hasWikiEnabled = hasDiscussionsEnabled = False
    isArchived = isFork = isPrivate = isTemplate = deleteBranchOnMerge = False
    mergeCommitAllowed = squashMergeAllowed = rebaseMergeAllowed = True
    forkCount = 10
    stargazerCount = 100
    parent = None
    """Counts and settings are REST's (``Shapes.repo``)."""

    def owner(self, _info: Info) -> Actor | None:
        return actor(self.q, self.r["owner"])

    def _pushed(self) -> str:
        head = self.git.commit(self.r["default_branch"])
        return iso(head.committer.date) if head else str(self.r["created_at"])

    def pushedAt(self, _info: Info) -> str:
        return self._pushed()

    def updatedAt(self, _info: Info) -> str:
        return self._pushed()

    def isEmpty(self, _info: Info) -> bool:
        return not self.git.branches()

    def defaultBranchRef(self, _info: Info) -> Ref | None:
        return self._ref(f"refs/heads/{self.r['default_branch']}")

    # issues and pull requests
    def _issue(self, number: int, pull: bool | None) -> Json | None:
        for i in self.r["issues"]:
            if i["number"] == number and (pull is None or bool(i["pull"]) == pull):
                return i  # type: ignore[no-any-return]
        return None

    def issue(self, _info: Info, number: int) -> Issue | None:
        i = self._issue(number, False)
        if i is None:
            raise NotFound(f"Could not resolve to an Issue with the number of {number}.")
        return Issue(self, i)

    def pullRequest(self, _info: Info, number: int) -> PullRequest | None:
        i = self._issue(number, True)
        if i is None:
            raise NotFound(f"Could not resolve to a PullRequest with the number of {number}.")
        return PullRequest(self, i)

    def issueOrPullRequest(self, _info: Info, number: int) -> Issue | None:
        i = self._issue(number, None)
        if i is None:
            raise NotFound(f"Could not resolve to an issue or pull request with the number "
                           f"of {number}.")
        return PullRequest(self, i) if i["pull"] else Issue(self, i)

    _ISSUE_ORDER = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at",
                    "COMMENTS": "number"}

    def issues(self, _info: Info, states: list[str] | None = None,
               labels: list[str] | None = None, orderBy: Json | None = None,
               filterBy: Json | None = None, **page: Any) -> Json:
        f = filterBy or {}
        states = states or f.get("states")
        items = [i for i in self.r["issues"] if not i["pull"]]
        if states:
            items = [i for i in items if i["state"].upper() in states]
        wanted = labels or f.get("labels")
        if wanted:  # GitHub: any of the labels
            items = [i for i in items if set(wanted) & set(i["labels"])]
        if f.get("assignee"):
            items = [i for i in items if f["assignee"] in i["assignees"]]
        if f.get("createdBy"):
            items = [i for i in items if i["user"] == f["createdBy"]]
        if f.get("mentioned"):
            items = [i for i in items if f"@{f['mentioned']}" in (i["body"] or "")]
        if f.get("milestoneNumber"):
            items = [i for i in items if str(i["milestone"]) == f["milestoneNumber"]]
        if f.get("since"):
            items = [i for i in items if i["updated_at"] >= f["since"]]
        items = _ordered(items, orderBy, self._ISSUE_ORDER, ("CREATED_AT", "ASC"))
        return connection([Issue(self, i) for i in items], **page)

    def pullRequests(self, _info: Info, states: list[str] | None = None,
                     labels: list[str] | None = None, headRefName: str | None = None,
                     baseRefName: str | None = None, orderBy: Json | None = None,
                     **page: Any) -> Json:
        items = [PullRequest(self, i) for i in self.r["issues"] if i["pull"]]
        if states:
            items = [p for p in items if p.state in states]
        if labels:
            items = [p for p in items if set(labels) & set(p.i["labels"])]
        if headRefName is not None:
            items = [p for p in items if p.headRefName == headRefName]
        if baseRefName is not None:
            items = [p for p in items if p.baseRefName == baseRefName]
        key = self._ISSUE_ORDER[orderBy["field"]] if orderBy else "created_at"
        descending = orderBy is not None and orderBy["direction"] == "DESC"
        items.sort(key=lambda p: (p.i[key], p.i["number"]), reverse=descending)
        return connection(items, **page)

    # labels, milestones, releases
    def _labels(self) -> list[Label]:
        names = list(dict.fromkeys(
            [x["name"] for x in self.r.get("labels", [])] +
            [n for i in self.r["issues"] for n in i["labels"]]))
        return [Label(self, n) for n in names]

    def label(self, _info: Info, name: str) -> Label | None:
        return next((x for x in self._labels() if x.name.lower() == name.lower()), None)

    def labels(self, _info: Info, orderBy: Json | None = None, query: str | None = None,
               **page: Any) -> Json:
        items = self._labels()
        if query:
            items = [x for x in items if query.lower() in
                     f"{x.name} {x.description or ''}".lower()]
        elif orderBy:
            field = orderBy["field"]
            items.sort(key=lambda x: x.name.lower() if field == "NAME" else x.createdAt,
                       reverse=orderBy["direction"] == "DESC")
        return connection(items, **page)

    def milestone(self, _info: Info, number: int) -> Milestone | None:
        m = next((m for m in self.r["milestones"] if m["number"] == number), None)
        return Milestone(self, m) if m else None

    _MILESTONE_ORDER = {"NUMBER": "number", "DUE_DATE": "due_on", "CREATED_AT": "created_at",
                        "UPDATED_AT": "updated_at"}

    def milestones(self, _info: Info, states: list[str] | None = None,
                   orderBy: Json | None = None, query: str | None = None,
                   **page: Any) -> Json:
        items = list(self.r["milestones"])
        if states:
            items = [m for m in items if m["state"].upper() in states]
        if query:
            items = [m for m in items if query.lower() in m["title"].lower()]
        items = _ordered(items, orderBy, self._MILESTONE_ORDER, ("NUMBER", "ASC"))
        return connection([Milestone(self, m) for m in items], **page)

    def release(self, _info: Info, tagName: str) -> Release | None:
        rel = next((x for x in self.r["releases"] if x["tag_name"] == tagName), None)
        return Release(self, rel) if rel else None

    def latestRelease(self, _info: Info) -> Release | None:
        rels = [x for x in self.r["releases"] if not x["draft"] and not x["prerelease"]]
        if not rels:
            return None
        return Release(self, max(rels, key=lambda x: version_key(x["tag_name"])))

    def releases(self, _info: Info, orderBy: Json | None = None, **page: Any) -> Json:
        keys = {"CREATED_AT": "created_at", "NAME": "name"}
        items = _ordered(list(self.r["releases"]), orderBy, keys, ("CREATED_AT", "DESC"))
        return connection([Release(self, x) for x in items], **page)

    # git
    def _ref(self, name: str) -> Ref | None:
        sha = self.git.refs(name).get(name)
        return Ref(self, name, sha) if sha else None

    def ref(self, _info: Info, qualifiedName: str) -> Ref | None:
        if qualifiedName.startswith("refs/"):
            return self._ref(qualifiedName)
        return (self._ref(f"refs/heads/{qualifiedName}") or
                self._ref(f"refs/tags/{qualifiedName}"))

    def refs(self, _info: Info, refPrefix: str, query: str | None = None,
             orderBy: Json | None = None, direction: str | None = None,
             **page: Any) -> Json:
        if not refPrefix.endswith("/"):
            raise GraphQLFault("UNPROCESSABLE", "refPrefix must end with a slash")
        found = [Ref(self, n, s) for n, s in sorted(self.git.refs(refPrefix).items())
                 if n.startswith(refPrefix)]
        if query:
            found = [x for x in found if query in x.name]
        if orderBy and orderBy["field"] == "TAG_COMMIT_DATE":
            found.sort(key=lambda x: x.commit_date())
        if (orderBy and orderBy["direction"] == "DESC") or direction == "DESC":
            found.reverse()
        return connection(found, **page)

    def object(self, _info: Info, expression: str | None = None,
               oid: str | None = None) -> GitObject | None:
        spec = oid or expression
        if not spec or spec.startswith("-"):
            return None
        sha = self.git.git("rev-parse", "--verify", "-q", spec, check=False).strip()
        return git_object(self, sha) if sha else None


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


def _protection(r: Json, branch: str) -> Json:
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
    checks = _protection(repo.r, i["pull"]["base"]).get("required_status_checks") or {}
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


# -- issues, pull requests, comments, reviews --------------------------------------------

REACTIONS = ("THUMBS_UP", "THUMBS_DOWN", "LAUGH", "HOORAY", "CONFUSED", "HEART", "ROCKET",
             "EYES")
_REST_REACTIONS = {"THUMBS_UP": "+1", "THUMBS_DOWN": "-1", "LAUGH": "laugh",
                   "HOORAY": "hooray", "CONFUSED": "confused", "HEART": "heart",
                   "ROCKET": "rocket", "EYES": "eyes"}


def reaction_groups(r: Json, subject: str, ident: int) -> list[Json]:
    """Every reaction content with its count, from the repository's ``reactions`` (REST's
    ``{subject: "issue"|"comment", subject_id, user, content}``, where it keeps them)."""
    stored = [x for x in r.get("reactions", [])
              if x["subject"] == subject and x["subject_id"] == ident]
    return [{"content": c, "users": {"totalCount": sum(
        1 for x in stored if x["content"] == _REST_REACTIONS[c])}} for c in REACTIONS]


class IssueComment:
    def __init__(self, repo: Repository, c: Json) -> None:
        self._repo = repo
        self.c = c
        self.id = node_id("IC", c["id"])
        self.databaseId = c["id"]
        self.body = c["body"]
        self.createdAt = c["created_at"]
        self.includesCreatedEdit = c["updated_at"] != c["created_at"]
        self.isMinimized = False
        self.minimizedReason = None
        self.authorAssociation = "MEMBER"
        self.url = repo.q.html(f"{repo.full}/issues/{c['issue_number']}"
                               f"#issuecomment-{c['id']}")
        self.viewerDidAuthor = c["user"] == repo.q.login

    def author(self, _info: Info) -> Actor | None:
        return actor(self._repo.q, self.c["user"])

    def reactionGroups(self, _info: Info) -> list[Json]:
        return reaction_groups(self._repo.r, "comment", self.c["id"])


class Issue:
    """An issue (and, through ``PullRequest``, what pull requests share with it)."""

    def __init__(self, repo: Repository, i: Json) -> None:
        self._repo = repo
        self.i = i
        self.id = node_id("PR" if i["pull"] else "I", i["id"])
        self.databaseId = i["id"]
        self.number = i["number"]
        self.title = i["title"]
        self.body = i["body"] or ""
        self.createdAt = i["created_at"]
        self.updatedAt = i["updated_at"]
        self.closedAt = i["closed_at"]
        self.closed = i["state"] == "closed"
        kind = "pull" if i["pull"] else "issues"
        self.url = repo.q.html(f"{repo.full}/{kind}/{i['number']}")
        self.state = str(i["state"]).upper()
        reason = i.get("state_reason")
        self.stateReason = str(reason).upper() if reason else None

    def repository(self, _info: Info) -> Repository:
        return self._repo

    def author(self, _info: Info) -> Actor | None:
        return actor(self._repo.q, self.i["user"])

    def assignees(self, _info: Info, **page: Any) -> Json:
        return connection([actor(self._repo.q, a) for a in self.i["assignees"]], **page)

    def labels(self, _info: Info, orderBy: Json | None = None, **page: Any) -> Json:
        items = [Label(self._repo, n) for n in self.i["labels"]]
        if orderBy and orderBy["field"] == "NAME":
            items.sort(key=lambda x: x.name.lower(), reverse=orderBy["direction"] == "DESC")
        return connection(items, **page)

    def milestone(self, info: Info) -> Milestone | None:
        number = self.i["milestone"]
        return None if number is None else self._repo.milestone(info, number)

    def comments(self, _info: Info, orderBy: Json | None = None, **page: Any) -> Json:
        items = [IssueComment(self._repo, c) for c in self._repo.r["comments"]
                 if c["issue_number"] == self.number]
        if orderBy and orderBy.get("direction") == "DESC":
            items.reverse()
        return connection(items, **page)

    def reactionGroups(self, _info: Info) -> list[Json]:
        return reaction_groups(self._repo.r, "issue", self.number)

    def projectCards(self, _info: Info, **page: Any) -> Json:
        return connection([], **page)

    def projectItems(self, _info: Info, includeArchived: bool = True, **page: Any) -> Json:
        return connection([], **page)


class PullRequestReview:
    def __init__(self, pr: PullRequest, review: Json) -> None:
        self._pr = pr
        self.review = review
        self.id = node_id("PRR", review["id"])
        self.databaseId = review["id"]
        self.body = review["body"]
        self.state = review["state"]
        self.submittedAt = review["submitted_at"]
        self.authorAssociation = "MEMBER"

    def author(self, _info: Info) -> Actor | None:
        return actor(self._pr._repo.q, self.review["user"])

    def commit(self, _info: Info) -> Commit | None:
        return commit(self._pr._repo, self.review.get("commit_id"))

    def reactionGroups(self, _info: Info) -> list[Json]:
        return reaction_groups(self._pr._repo.r, "review", self.review["id"])


class PullRequest(Issue):
    def __init__(self, repo: Repository, i: Json) -> None:
        super().__init__(repo, i)
        p = self.p = i["pull"]
        self.merged = p["merged_at"] is not None
        if self.merged:
            self.state = "MERGED"
        self.mergedAt = p["merged_at"]
        self.isDraft = p["draft"]
        self.headRefName = p["head"]
        self.baseRefName = p["base"]
        self.additions = p.get("additions", 0)
        self.deletions = p.get("deletions", 0)
        self.changedFiles = p.get("changed_files", 0)
        self.isCrossRepository = False
        self.maintainerCanModify = False
        self.potentialMergeCommit = None
        self.mergeable = "UNKNOWN" if self.merged or self.closed else "MERGEABLE"
        self.mergeStateStatus = ("UNKNOWN" if self.merged or self.closed else
                                 "DRAFT" if self.isDraft else "CLEAN")

    @property
    def headRefOid(self) -> str:
        live = None if self.merged else self._repo.git.resolve(f"refs/heads/{self.p['head']}")
        return str(live or self.p["head_sha"])

    @property
    def baseRefOid(self) -> str:
        live = self._repo.git.resolve(f"refs/heads/{self.p['base']}")
        return str(self.p["base_sha"] if self.merged or not live else live)

    def headRepository(self, _info: Info) -> Repository:
        return self._repo

    def headRepositoryOwner(self, _info: Info) -> Actor | None:
        return actor(self._repo.q, self._repo.r["owner"])

    def mergedBy(self, _info: Info) -> Actor | None:
        return actor(self._repo.q, self.p.get("merged_by"))

    def mergeCommit(self, _info: Info) -> Commit | None:
        return commit(self._repo, self.p["merge_commit_sha"])

    def _commits(self) -> list[CommitInfo]:
        git = self._repo.git
        return git.log(f"{self.baseRefOid}..{self.headRefOid}", reverse=True)

    def commits(self, _info: Info, **page: Any) -> Json:
        items = [{"id": node_id("PURC", f"{self.number}:{c.sha}"),
                  "url": f"{self.url}/commits/{c.sha}", "commit": Commit(self._repo, c)}
                 for c in self._commits()]
        return connection(items, **page)

    def files(self, _info: Info, **page: Any) -> Json:
        git = self._repo.git
        base = git.merge_base(self.baseRefOid, self.headRefOid) or self.baseRefOid
        kinds = {"A": "ADDED", "D": "DELETED", "M": "MODIFIED", "R": "RENAMED"}
        return connection([{"path": path, "additions": add, "deletions": dele,
                            "changeType": kinds.get(st[0], "CHANGED")}
                           for st, path, add, dele in git.changed_files(base, self.headRefOid)],
                          **page)

    def _reviews(self) -> list[PullRequestReview]:
        login = self._repo.q.login
        return [PullRequestReview(self, x) for x in reviews.reviews(self.p)
                if x["state"] != "PENDING" or x["user"] == login]

    def reviews(self, _info: Info, states: list[str] | None = None, **page: Any) -> Json:
        items = [x for x in self._reviews() if not states or x.state in states]
        return connection(items, **page)

    def _latest(self) -> list[PullRequestReview]:
        latest: dict[str, PullRequestReview] = {}
        for x in self._reviews():
            if x.state != "PENDING" and (x.state != "COMMENTED" or
                                         x.review["user"] not in latest):
                latest[x.review["user"]] = x
        return list(latest.values())

    def latestReviews(self, _info: Info, **page: Any) -> Json:
        return connection(self._latest(), **page)

    def reviewDecision(self, _info: Info) -> str | None:
        states = {x.state for x in self._latest()}
        if "CHANGES_REQUESTED" in states:
            return "CHANGES_REQUESTED"
        if "APPROVED" in states:
            return "APPROVED"
        rules = _protection(self._repo.r, self.baseRefName)
        return "REVIEW_REQUIRED" if rules.get("required_pull_request_reviews") else None

    def reviewRequests(self, _info: Info, **page: Any) -> Json:
        q = self._repo.q
        return connection([{"id": node_id("RR", f"{self.id}:{u}"),
                            "requestedReviewer": actor(q, u)}
                           for u in self.p["requested_reviewers"]], **page)
