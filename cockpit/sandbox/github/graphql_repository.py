"""GitHub's GraphQL ``Repository``: everything the sandbox keeps per repository.

Its issues, pull requests, labels, milestones and releases come from the repository's
world entry; refs and objects from its bare repository. Who may see it is REST's rule
(``readable``). See ``graphql_objects`` for how a class serves its type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cockpit.sandbox.github.collaborators import viewer_role
from cockpit.sandbox.github.graphql_issues import Issue, PullRequest
from cockpit.sandbox.github.graphql_objects import (
    Actor,
    GitObject,
    GraphQLFault,
    Info,
    Label,
    Milestone,
    NotFound,
    Q,
    Ref,
    Release,
    actor,
    connection,
    git_object,
    ordered,
)
from cockpit.sandbox.objects import iso, node_id
from cockpit.sandbox.versions import version_key
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.gitstore import BareRepo

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
        self.isPrivate = bool(r.get("private"))  # as REST's ``private`` says
        self.visibility = "PRIVATE" if self.isPrivate else "PUBLIC"
        role = viewer_role(q.sb.world, r, q.login)  # as REST's ``permissions`` say
        self.viewerPermission = role.upper() if role is not None else None

    hasIssuesEnabled = hasProjectsEnabled = True
    hasWikiEnabled = hasDiscussionsEnabled = False
    isArchived = isFork = isTemplate = deleteBranchOnMerge = False
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
        items = ordered(items, orderBy, self._ISSUE_ORDER, ("CREATED_AT", "ASC"))
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
        items = ordered(items, orderBy, self._MILESTONE_ORDER, ("NUMBER", "ASC"))
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
        items = ordered(list(self.r["releases"]), orderBy, keys, ("CREATED_AT", "DESC"))
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
