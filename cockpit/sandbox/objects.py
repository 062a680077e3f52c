"""GitHub's response shapes, built from git and the world document.

GitHub objects carry dozens of URL fields that clients rarely read but that
GitHub's OpenAPI description marks as required; the contract tests hold the
sandbox to that description, so every object here is complete, with URLs that
point back at the sandbox itself (``api`` for ``url`` fields, ``html`` for
``html_url``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from cockpit.sandbox.gitstore import BareRepo, CommitInfo, Person, TagInfo
from cockpit.sandbox.world import Json, World

EPOCH = "2024-01-01T00:00:00Z"


def node_id(kind: str, ident: object) -> str:
    """Opaque but stable, like GitHub's global node ids."""
    raw = hashlib.sha1(f"{kind}:{ident}".encode()).digest()[:12]
    return f"{kind}_{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def iso(date: str) -> str:
    """Git's ``2024-05-02T10:00:00+00:00`` → GitHub's ``2024-05-02T10:00:00Z``."""
    return date.replace("+00:00", "Z")


REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
"""The reactions GitHub offers, in its roll-up's order."""

MIT: Json = {"key": "mit", "name": "MIT License", "spdx_id": "MIT",
             "node_id": "MDc6TGljZW5zZTEz"}
"""The seeded repositories' license (a created repository has none until it adds one)."""

REPO_SETTINGS: Json = {
    "has_issues": True, "has_projects": True, "has_downloads": True, "has_wiki": False,
    "is_template": False,
}
"""A repository's switches and their defaults: the seeded ones keep these, a created
one keeps what its creator asked for."""


class Shapes:
    def __init__(self, api: str, html: str, world: World) -> None:
        self.api = api.rstrip("/")
        self.html = html.rstrip("/")
        self.world = world

    # -- users ----------------------------------------------------------------

    def user(self, login: str | None) -> Json | None:
        if login is None:
            return None
        u = self.world.user(login)
        api = f"{self.api}/users/{login}"
        return {
            "login": login, "id": u["id"],
            "node_id": node_id("O" if u["type"] == "Organization" else "U", u["id"]),
            "avatar_url": f"{self.html}/avatars/{login}", "gravatar_id": "",
            "url": api, "html_url": f"{self.html}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs", "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": u["type"], "user_view_type": "public", "site_admin": False,
        }

    def simple_user(self, login: str) -> Json:
        u = self.user(login)
        assert u is not None
        return u

    def _owned(self, login: str, private: bool) -> int:
        return sum(1 for r in self.world.data["repos"].values()
                   if r["owner"] == login and bool(r.get("private")) == private)

    def public_user(self, login: str) -> Json:
        """``GET /users/{username}``: anyone's profile (an organization's too)."""
        u = self.world.user(login)
        org = u["type"] == "Organization"
        return {
            **self.simple_user(login),
            "name": u["name"], "company": None, "blog": "", "location": None,
            "email": None if org else f"{login}@example.org", "hireable": None,
            "bio": u.get("description"), "twitter_username": None,
            "public_repos": self._owned(login, private=False), "public_gists": 0,
            "followers": 10, "following": 0 if org else 1, "created_at": u["created_at"],
            "updated_at": u["created_at"],
        }

    def private_user(self, login: str) -> Json:
        """``GET /user``: the caller's own profile, with its private counts."""
        private = self._owned(login, private=True)
        return {
            **self.public_user(login),
            "private_gists": 0, "total_private_repos": private,
            "owned_private_repos": private, "disk_usage": 100, "collaborators": 0,
            "two_factor_authentication": True, "user_view_type": "private",
        }

    def organization(self, login: str, full: bool = False) -> Json:
        """An organization: ``organization-simple`` (``GET /user/orgs``), or with ``full``
        ``organization-full`` (``GET /orgs/{org}``)."""
        u = self.world.user(login)
        api = f"{self.api}/orgs/{login}"
        out: Json = {
            "login": login, "id": u["id"], "node_id": node_id("O", u["id"]), "url": api,
            "repos_url": f"{api}/repos", "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks", "issues_url": f"{api}/issues",
            "members_url": f"{api}/members{{/member}}",
            "public_members_url": f"{api}/public_members{{/member}}",
            "avatar_url": f"{self.html}/avatars/{login}", "description": u.get("description"),
        }
        if full:
            out.update({
                "name": u["name"], "blog": "", "twitter_username": None, "is_verified": True,
                "has_organization_projects": True, "has_repository_projects": True,
                "public_repos": self._owned(login, private=False), "public_gists": 0,
                "followers": 10, "following": 0, "html_url": f"{self.html}/{login}",
                "type": "Organization", "created_at": u["created_at"],
                "updated_at": u["created_at"], "archived_at": None,
            })
        return out

    # -- repositories ---------------------------------------------------------

    def repo(self, r: Json, full: bool = True, git: BareRepo | None = None) -> Json:
        name = r["full_name"]
        api = f"{self.api}/repos/{name}"
        urls = {
            "archive_url": "{archive_format}{/ref}", "assignees_url": "assignees{/user}",
            "blobs_url": "git/blobs{/sha}", "branches_url": "branches{/branch}",
            "collaborators_url": "collaborators{/collaborator}",
            "comments_url": "comments{/number}", "commits_url": "commits{/sha}",
            "compare_url": "compare/{base}...{head}", "contents_url": "contents/{+path}",
            "contributors_url": "contributors", "deployments_url": "deployments",
            "downloads_url": "downloads", "events_url": "events", "forks_url": "forks",
            "git_commits_url": "git/commits{/sha}", "git_refs_url": "git/refs{/sha}",
            "git_tags_url": "git/tags{/sha}", "hooks_url": "hooks",
            "issue_comment_url": "issues/comments{/number}",
            "issue_events_url": "issues/events{/number}", "issues_url": "issues{/number}",
            "keys_url": "keys{/key_id}", "labels_url": "labels{/name}",
            "languages_url": "languages", "merges_url": "merges",
            "milestones_url": "milestones{/number}",
            "notifications_url": "notifications{?since,all,participating}",
            "pulls_url": "pulls{/number}", "releases_url": "releases{/id}",
            "stargazers_url": "stargazers", "statuses_url": "statuses/{sha}",
            "subscribers_url": "subscribers", "subscription_url": "subscription",
            "tags_url": "tags", "teams_url": "teams", "trees_url": "git/trees{/sha}",
        }
        out: Json = {
            "id": r["id"], "node_id": node_id("R", r["id"]), "name": r["name"],
            "full_name": name, "private": bool(r.get("private")),
            "owner": self.simple_user(r["owner"]),
            "html_url": f"{self.html}/{name}", "description": r["description"],
            "fork": False, "url": api,
            **{k: f"{api}/{v}" for k, v in urls.items()},
        }
        if not full:
            return out
        issues = [i for i in r["issues"] if i["state"] == "open"]
        stars, forks = r.get("stars", 100), r.get("forks", 10)
        pushed = r["created_at"]
        empty = False
        if git is not None:
            head = git.commit(r["default_branch"])
            if head:
                pushed = iso(head.committer.date)
            empty = head is None
        out.update({
            "created_at": r["created_at"], "updated_at": pushed, "pushed_at": pushed,
            "git_url": f"git://127.0.0.1/{name}.git",
            "ssh_url": f"git@127.0.0.1:{name}.git",
            "clone_url": f"{self.html}/{name}.git", "svn_url": f"{self.html}/{name}",
            "homepage": r.get("homepage"), "size": 0 if empty else 1024,
            "stargazers_count": stars, "watchers_count": stars,
            "language": r.get("language", "Go"),
            **{k: r.get(k, v) for k, v in REPO_SETTINGS.items()},
            "has_pages": False, "has_discussions": False, "forks_count": forks,
            "mirror_url": None, "archived": False, "disabled": False,
            "open_issues_count": len(issues),
            "license": r.get("license", {**MIT, "url": f"{self.api}/licenses/mit"}),
            "allow_forking": True, "topics": list(r.get("topics", [])),
            "visibility": "private" if r.get("private") else "public", "forks": forks,
            "open_issues": len(issues), "watchers": stars,
            "default_branch": r["default_branch"],
            "network_count": forks, "subscribers_count": 20 if stars else 1,
        })
        return out

    # -- commits --------------------------------------------------------------

    @staticmethod
    def _git_user(p: Person) -> Json:
        return {"name": p.name, "email": p.email, "date": iso(p.date)}

    def _login_for(self, p: Person) -> Json | dict[str, Any]:
        """GitHub maps commit emails to accounts; we map ``x@example.org`` to ``x``."""
        if p.email.endswith("@example.org"):
            return self.simple_user(p.email.split("@")[0])
        return {}

    def commit(self, full: str, c: CommitInfo, files: list[Json] | None = None) -> Json:
        api = f"{self.api}/repos/{full}"
        out: Json = {
            "url": f"{api}/commits/{c.sha}", "sha": c.sha, "node_id": node_id("C", c.sha),
            "html_url": f"{self.html}/{full}/commit/{c.sha}",
            "comments_url": f"{api}/commits/{c.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{c.sha}",
                "author": self._git_user(c.author), "committer": self._git_user(c.committer),
                "message": c.message, "comment_count": 0,
                "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
                "verification": self.verification(),
            },
            "author": self._login_for(c.author), "committer": self._login_for(c.committer),
            "parents": [{"sha": p, "url": f"{api}/commits/{p}",
                         "html_url": f"{self.html}/{full}/commit/{p}"} for p in c.parents],
        }
        if files is not None:
            out["files"] = files
            out["stats"] = {"additions": sum(f["additions"] for f in files),
                            "deletions": sum(f["deletions"] for f in files),
                            "total": sum(f["changes"] for f in files)}
        return out

    @staticmethod
    def verification() -> Json:
        return {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                "verified_at": None}

    def git_commit(self, full: str, c: CommitInfo) -> Json:
        api = f"{self.api}/repos/{full}"
        return {
            "sha": c.sha, "node_id": node_id("C", c.sha), "url": f"{api}/git/commits/{c.sha}",
            "html_url": f"{self.html}/{full}/commit/{c.sha}",
            "author": self._git_user(c.author), "committer": self._git_user(c.committer),
            "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
            "message": c.message,
            "parents": [{"sha": p, "url": f"{api}/git/commits/{p}",
                         "html_url": f"{self.html}/{full}/commit/{p}"} for p in c.parents],
            "verification": self.verification(),
        }

    def diff_entries(self, full: str, sha: str,
                     changes: list[tuple[str, str, int, int]]) -> list[Json]:
        status = {"A": "added", "D": "removed", "M": "modified"}
        out = []
        for st, path, add, dele in changes:
            out.append({
                "sha": None, "filename": path, "status": status.get(st[0], "changed"),
                "additions": add, "deletions": dele, "changes": add + dele,
                "blob_url": f"{self.html}/{full}/blob/{sha}/{path}",
                "raw_url": f"{self.html}/{full}/raw/{sha}/{path}",
                "contents_url": f"{self.api}/repos/{full}/contents/{path}?ref={sha}",
            })
        return out

    def branch(self, full: str, name: str, c: CommitInfo, detailed: bool) -> Json:
        api = f"{self.api}/repos/{full}/branches/{name}"
        repo = self.world.repo(full) or {}
        rules: Json | None = (repo.get("protection") or {}).get(name)
        if not detailed:
            return {"name": name, "commit": {"sha": c.sha,
                                             "url": f"{self.api}/repos/{full}/commits/{c.sha}"},
                    "protected": rules is not None}
        return {
            "name": name, "commit": self.commit(full, c),
            "_links": {"html": f"{self.html}/{full}/tree/{name}", "self": api},
            "protected": rules is not None,
            "protection": self._branch_protection(rules),
            "protection_url": f"{api}/protection",
        }

    @staticmethod
    def _branch_protection(rules: Json | None) -> Json:
        """The summary a branch carries of its protection rules (``github.protection``)."""
        checks = (rules or {}).get("required_status_checks")
        contexts = list(checks["contexts"]) if checks else []
        level = "off" if not checks else "everyone" if rules and rules["enforce_admins"] \
            else "non_admins"
        return {"enabled": rules is not None, "required_status_checks": {
            "enforcement_level": level, "contexts": contexts,
            "checks": [{"context": c, "app_id": None} for c in contexts]}}

    def ref(self, full: str, ref: str, sha: str, otype: str) -> Json:
        kind = "tags" if otype == "tag" else "commits"
        return {
            "ref": ref, "node_id": node_id("REF", f"{full}:{ref}"),
            "url": f"{self.api}/repos/{full}/git/{ref}",
            "object": {"type": otype, "sha": sha,
                       "url": f"{self.api}/repos/{full}/git/{kind}/{sha}"},
        }

    def git_tag(self, full: str, t: TagInfo) -> Json:
        kind = "tags" if t.object_type == "tag" else "commits"
        return {
            "sha": t.sha, "node_id": node_id("TAG", t.sha),
            "url": f"{self.api}/repos/{full}/git/tags/{t.sha}", "tag": t.tag,
            "message": t.message,
            "tagger": {"name": t.tagger.name, "email": t.tagger.email,
                       "date": iso(t.tagger.date)},
            "object": {"sha": t.object_sha, "type": t.object_type,
                       "url": f"{self.api}/repos/{full}/git/{kind}/{t.object_sha}"},
            "verification": self.verification(),
        }

    def content_file(self, full: str, path: str, sha: str, data: bytes, ref: str) -> Json:
        api = f"{self.api}/repos/{full}/contents/{path}?ref={ref}"
        html = f"{self.html}/{full}/blob/{ref}/{path}"
        git = f"{self.api}/repos/{full}/git/blobs/{sha}"
        b64 = base64.encodebytes(data).decode()
        return {
            "type": "file", "encoding": "base64", "size": len(data),
            "name": path.rsplit("/", 1)[-1], "path": path, "content": b64, "sha": sha,
            "url": api, "git_url": git, "html_url": html,
            "download_url": f"{self.html}/{full}/raw/{ref}/{path}",
            "_links": {"self": api, "git": git, "html": html},
        }

    def content_entry(self, full: str, path: str, sha: str, otype: str, size: int,
                      ref: str) -> Json:
        api = f"{self.api}/repos/{full}/contents/{path}?ref={ref}"
        kind = "blob" if otype == "file" else "tree"
        html = f"{self.html}/{full}/{kind}/{ref}/{path}"
        git = f"{self.api}/repos/{full}/git/{kind}s/{sha}"
        return {
            "type": otype, "size": size, "name": path.rsplit("/", 1)[-1], "path": path,
            "sha": sha, "url": api, "git_url": git, "html_url": html,
            "download_url": f"{self.html}/{full}/raw/{ref}/{path}" if otype == "file"
            else None,
            "_links": {"self": api, "git": git, "html": html},
        }

    # -- issues, pulls, comments, milestones ----------------------------------

    def label(self, full: str, name: str) -> Json:
        """A repository's label (``labels`` in its world entry); a name only issues carry
        gets a stable id from the name and GitHub's grey."""
        repo = self.world.repo(full) or {}
        stored: Json = next((x for x in repo.get("labels", []) if x["name"] == name), {})
        ident = stored.get("id", int(hashlib.sha1(name.encode()).hexdigest()[:8], 16))
        return {"id": ident, "node_id": node_id("LA", f"{full}:{ident}"),
                "url": f"{self.api}/repos/{full}/labels/{quote(name, safe='')}",
                "name": name, "description": stored.get("description"),
                "color": stored.get("color", "ededed"), "default": False}

    def milestone(self, r: Json, number: int | None) -> Json | None:
        if number is None:
            return None
        m = next((m for m in r["milestones"] if m["number"] == number), None)
        if m is None:
            return None
        full = r["full_name"]
        issues = [i for i in r["issues"] if i.get("milestone") == number]
        return {
            "url": f"{self.api}/repos/{full}/milestones/{number}",
            "html_url": f"{self.html}/{full}/milestone/{number}",
            "labels_url": f"{self.api}/repos/{full}/milestones/{number}/labels",
            "id": m["id"], "node_id": node_id("MI", m["id"]), "number": number,
            "title": m["title"], "description": m["description"], "state": m["state"],
            "creator": self.user(m["creator"]),
            "open_issues": sum(1 for i in issues if i["state"] == "open"),
            "closed_issues": sum(1 for i in issues if i["state"] == "closed"),
            "created_at": m["created_at"], "updated_at": m["updated_at"],
            "closed_at": m["closed_at"], "due_on": m["due_on"],
        }

    def issue(self, r: Json, i: Json) -> Json:
        full = r["full_name"]
        api = f"{self.api}/repos/{full}/issues/{i['number']}"
        comments = sum(1 for c in r["comments"] if c["issue_number"] == i["number"])
        out: Json = {
            "id": i["id"], "node_id": node_id("I", i["id"]), "url": api,
            "repository_url": f"{self.api}/repos/{full}",
            "labels_url": f"{api}/labels{{/name}}", "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{self.html}/{full}/{'pull' if i['pull'] else 'issues'}/"
                        f"{i['number']}",
            "number": i["number"], "state": i["state"], "title": i["title"],
            "body": i["body"], "user": self.user(i["user"]),
            "labels": [self.label(full, n) for n in i["labels"]],
            "assignee": self.user(i["assignees"][0]) if i["assignees"] else None,
            "assignees": [self.user(a) for a in i["assignees"]],
            "milestone": self.milestone(r, i["milestone"]), "locked": i["locked"],
            "active_lock_reason": i.get("active_lock_reason"), "comments": comments,
            "closed_at": i["closed_at"], "created_at": i["created_at"],
            "updated_at": i["updated_at"], "closed_by": self.user(self._closer(r, i)),
            "author_association": "MEMBER",
            "reactions": self.reactions(r, "issue", i["number"], f"{api}/reactions"),
        }
        if i.get("state_reason"):
            out["state_reason"] = i["state_reason"]
        if i["pull"]:
            p = i["pull"]
            out["pull_request"] = {
                "url": f"{self.api}/repos/{full}/pulls/{i['number']}",
                "html_url": f"{self.html}/{full}/pull/{i['number']}",
                "diff_url": f"{self.html}/{full}/pull/{i['number']}.diff",
                "patch_url": f"{self.html}/{full}/pull/{i['number']}.patch",
                "merged_at": p["merged_at"],
            }
        return out

    @staticmethod
    def _closer(r: Json, i: Json) -> str | None:
        """Who closed the issue last (its ``closed`` events), None while it is open."""
        if i["state"] != "closed":
            return None
        closers = [e["actor"] for e in r.get("events", [])
                   if e["issue_number"] == i["number"] and e["event"] == "closed"]
        return closers[-1] if closers else None

    def reactions(self, r: Json, subject: str, ident: int, url: str) -> Json:
        """The reaction roll-up an issue or comment carries."""
        counts = dict.fromkeys(REACTIONS, 0)
        for x in r.get("reactions", []):
            if x["subject"] == subject and x["subject_id"] == ident:
                counts[x["content"]] += 1
        return {"url": url, "total_count": sum(counts.values()), **counts}

    def comment(self, r: Json, c: Json) -> Json:
        full = r["full_name"]
        api = f"{self.api}/repos/{full}/issues/comments/{c['id']}"
        return {
            "id": c["id"], "node_id": node_id("IC", c["id"]),
            "url": api,
            "html_url": f"{self.html}/{full}/issues/{c['issue_number']}"
                        f"#issuecomment-{c['id']}",
            "issue_url": f"{self.api}/repos/{full}/issues/{c['issue_number']}",
            "body": c["body"], "user": self.user(c["user"]),
            "created_at": c["created_at"], "updated_at": c["updated_at"],
            "author_association": "MEMBER",
            "reactions": self.reactions(r, "comment", c["id"], f"{api}/reactions"),
        }

    def pull(self, r: Json, i: Json, git: BareRepo, simple: bool = False) -> Json:
        full = r["full_name"]
        p = i["pull"]
        api = f"{self.api}/repos/{full}/pulls/{i['number']}"
        html = f"{self.html}/{full}/pull/{i['number']}"
        issue_api = f"{self.api}/repos/{full}/issues/{i['number']}"
        head_sha = p["head_sha"]
        base_sha = git.resolve(f"refs/heads/{p['base']}") or p.get("base_sha") or head_sha
        owner = r["owner"]
        repo_obj = self.repo(r, full=True)

        def side(ref: str, sha: str) -> Json:
            return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha,
                    "user": self.simple_user(owner), "repo": repo_obj}

        out: Json = {
            "url": api, "id": i["id"], "node_id": node_id("PR", i["id"]), "html_url": html,
            "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "issue_url": issue_api,
            "commits_url": f"{api}/commits", "review_comments_url": f"{api}/comments",
            "review_comment_url": f"{self.api}/repos/{full}/pulls/comments{{/number}}",
            "comments_url": f"{issue_api}/comments",
            "statuses_url": f"{self.api}/repos/{full}/statuses/{head_sha}",
            "number": i["number"], "state": i["state"], "locked": i["locked"],
            "title": i["title"], "user": self.simple_user(i["user"]), "body": i["body"],
            "labels": [self.label(full, n) for n in i["labels"]],
            "milestone": self.milestone(r, i["milestone"]),
            "active_lock_reason": i.get("active_lock_reason"), "created_at": i["created_at"],
            "updated_at": i["updated_at"], "closed_at": i["closed_at"],
            "merged_at": p["merged_at"], "merge_commit_sha": p["merge_commit_sha"],
            "assignee": self.user(i["assignees"][0]) if i["assignees"] else None,
            "assignees": [self.user(a) for a in i["assignees"]],
            "requested_reviewers": [self.user(u) for u in p["requested_reviewers"]],
            "requested_teams": [], "head": side(p["head"], head_sha),
            "base": side(p["base"], base_sha),
            "_links": {k: {"href": v} for k, v in {
                "self": api, "html": html, "issue": issue_api,
                "comments": f"{issue_api}/comments",
                "review_comments": f"{api}/comments",
                "review_comment": f"{self.api}/repos/{full}/pulls/comments{{/number}}",
                "commits": f"{api}/commits",
                "statuses": f"{self.api}/repos/{full}/statuses/{head_sha}"}.items()},
            "author_association": "MEMBER", "auto_merge": None, "draft": p["draft"],
        }
        if simple:
            return out
        merged = p["merged_at"] is not None
        commits = git.count(f"{base_sha}..{head_sha}") if not merged else p.get("commits", 0)
        out.update({
            "merged": merged, "mergeable": None if merged else True,
            "rebaseable": None if merged else True,
            "mergeable_state": "unknown" if merged else ("draft" if p["draft"] else "clean"),
            "merged_by": self.user(p.get("merged_by")),
            "comments": sum(1 for c in r["comments"] if c["issue_number"] == i["number"]),
            "review_comments": 0, "maintainer_can_modify": False,
            "commits": commits, "additions": p.get("additions", 0),
            "deletions": p.get("deletions", 0), "changed_files": p.get("changed_files", 0),
        })
        return out

    def review(self, r: Json, i: Json, review: Json) -> Json:
        full = r["full_name"]
        html = f"{self.html}/{full}/pull/{i['number']}#pullrequestreview-{review['id']}"
        pull_api = f"{self.api}/repos/{full}/pulls/{i['number']}"
        return {
            "id": review["id"], "node_id": node_id("PRR", review["id"]),
            "user": self.simple_user(review["user"]), "body": review["body"],
            "state": review["state"], "html_url": html, "pull_request_url": pull_api,
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_api}},
            "submitted_at": review["submitted_at"], "commit_id": review["commit_id"],
            "author_association": "MEMBER",
        }

    # -- releases -------------------------------------------------------------

    def asset(self, full: str, rel: Json, a: Json) -> Json:
        return {
            "url": f"{self.api}/repos/{full}/releases/assets/{a['id']}",
            "browser_download_url":
                f"{self.html}/{full}/releases/download/{rel['tag_name']}/{a['name']}",
            "id": a["id"], "node_id": node_id("RA", a["id"]), "name": a["name"],
            "label": a.get("label", ""), "state": "uploaded",
            "content_type": a.get("content_type", "application/octet-stream"),
            "size": a["size"], "digest": None, "download_count": a.get("download_count", 0),
            "created_at": a["created_at"], "updated_at": a["created_at"],
            "uploader": self.user(a.get("uploader", "github-actions[bot]")),
        }

    def release(self, r: Json, rel: Json) -> Json:
        full = r["full_name"]
        api = f"{self.api}/repos/{full}/releases/{rel['id']}"
        tag = rel["tag_name"]
        return {
            "url": api, "html_url": f"{self.html}/{full}/releases/tag/{tag}",
            "assets_url": f"{api}/assets",
            "upload_url": f"{self.html}/api/uploads/repos/{full}/releases/{rel['id']}"
                          "/assets{?name,label}",
            "tarball_url": f"{self.api}/repos/{full}/tarball/{tag}",
            "zipball_url": f"{self.api}/repos/{full}/zipball/{tag}",
            "id": rel["id"], "node_id": node_id("RE", rel["id"]), "tag_name": tag,
            "target_commitish": rel["target_commitish"], "name": rel["name"],
            "body": rel["body"], "draft": rel["draft"], "prerelease": rel["prerelease"],
            "immutable": False, "created_at": rel["created_at"],
            "published_at": None if rel["draft"] else rel["published_at"],
            "updated_at": rel.get("updated_at", rel["created_at"]),
            "author": self.simple_user(rel["author"]),
            "assets": [self.asset(full, rel, a) for a in rel["assets"]],
        }
