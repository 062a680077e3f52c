"""GitHub's GraphQL issues and pull requests, with their comments and reviews.

The classes (see ``graphql_objects`` for how a class serves its type) read the
repository's world entry: an issue is a dict of ``issues``, a pull request one with a
``pull`` part, as in REST; reviews are ``cockpit.sandbox.reviews``'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cockpit.sandbox import reviews
from cockpit.sandbox.github.graphql_objects import (
    Actor,
    Commit,
    Info,
    Label,
    Milestone,
    actor,
    commit,
    connection,
    protection_rules,
)
from cockpit.sandbox.objects import node_id
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.github.graphql_repository import Repository
    from cockpit.sandbox.gitstore import CommitInfo

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
        rules = protection_rules(self._repo.r, self.baseRefName)
        return "REVIEW_REQUIRED" if rules.get("required_pull_request_reviews") else None

    def reviewRequests(self, _info: Info, **page: Any) -> Json:
        q = self._repo.q
        return connection([{"id": node_id("RR", f"{self.id}:{u}"),
                            "requestedReviewer": actor(q, u)}
                           for u in self.p["requested_reviewers"]], **page)
