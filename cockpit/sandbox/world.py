"""The sandbox's non-git state: issues, PRs, releases, runs, posts — one JSON document.

Everything that GitHub (or Discourse, Discord, ...) keeps outside git lives in
one plain, JSON-serialisable dict. Plain data keeps inspection trivial (the
``/_sandbox/state`` endpoint is a copy of it) and persistence trivial: it is
written to ``DATA/world.json`` after every change, so a sandbox restarted on the
same data directory carries on where it stopped.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Json = dict[str, Any]

WORLD_FILE = "world.json"
REPOS_DIR = "repos"


def now_iso() -> str:
    """GitHub's timestamp format: UTC, seconds, ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def may_write(token: Json, repo: str | None) -> bool:
    """A write token may write; one limited to ``repos`` (the second maintainer's, like a
    fine-grained token with push and triage on the release repositories) only there."""
    if token.get("scope") != "write":
        return False
    limited = token.get("repos")
    return limited is None or repo is None or repo in limited


def empty_world() -> Json:
    return {
        "version": 1,
        "next_id": 1000,
        "tokens": {},
        "users": {},
        "repos": {},
        "workflow_outcomes": {},
        "docker": {},
        "npm": {},
        "dist": {},
        "discourse": {"topics": [], "posts": [], "next_id": 100},
        "discord": {"messages": []},
        "reddit": {"posts": []},
        "matrix": {"rooms": {}},
    }


class World:
    """The document plus a lock; callers mutate ``data`` under ``lock`` then ``save()``."""

    def __init__(self, data_dir: Path, data: Json) -> None:
        self.data_dir = data_dir
        self.data = data
        self.lock = threading.RLock()

    @classmethod
    def load(cls, data_dir: Path) -> World:
        path = data_dir / WORLD_FILE
        data = json.loads(path.read_text()) if path.exists() else empty_world()
        return cls(data_dir, data)

    def save(self) -> None:
        """Atomic write: a crash mid-save never leaves a torn world.json."""
        with self.lock:
            text = json.dumps(self.data, indent=1, sort_keys=True)
        tmp = self.data_dir / f".{WORLD_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(text)
        tmp.replace(self.data_dir / WORLD_FILE)

    def snapshot(self) -> Json:
        with self.lock:
            return copy.deepcopy(self.data)

    def new_id(self) -> int:
        with self.lock:
            self.data["next_id"] += 1
            return int(self.data["next_id"])

    def repo(self, full_name: str) -> Json | None:
        repo: Json | None = self.data["repos"].get(full_name)
        return repo

    def next_number(self, repo: Json) -> int:
        """Issues and pull requests share one number sequence per repository."""
        with self.lock:
            repo["next_number"] += 1
            return int(repo["next_number"]) - 1

    def user(self, login: str) -> Json:
        """The account ``login``, created as a User (or Bot) the first time it is named:
        commit authors and assignees need no sign-up in the sandbox."""
        users: dict[str, Json] = self.data["users"]
        if login not in users:
            users[login] = {"login": login, "id": self.new_id(),
                            "name": login.replace("-", " ").title(),
                            "type": "Bot" if login.endswith("[bot]") else "User",
                            "created_at": "2015-01-01T00:00:00Z"}
        return users[login]

    def account(self, login: str) -> Json | None:
        """The account ``login`` (User, Bot or Organization) if it exists; GitHub's logins
        are case-insensitive, so ``IPFS`` finds ``ipfs``."""
        users: dict[str, Json] = self.data["users"]
        found = users.get(login)
        if found is None:
            found = next((u for name, u in users.items() if name.lower() == login.lower()), None)
        return found

    def organization(self, login: str, description: str, members: list[str]) -> Json:
        """An Organization account (``ipfs``): owns repositories, has members, never logs in."""
        org = self.user(login)
        org.update(type="Organization", description=description, members=sorted(members))
        return org

    def may_read(self, login: str | None, full_name: str) -> bool:
        """Whether ``login`` (None: anonymous) may see the repository: anyone a public
        one; a private one its owner, the owner organization's members, its
        collaborators."""
        r = self.repo(full_name)
        if r is None:
            return False
        if not r.get("private"):
            return True
        owner = self.data["users"].get(r["owner"], {})
        return login is not None and (login == r["owner"] or login in owner.get("members", [])
                                      or login in r.get("collaborators", {}))

    def orgs_of(self, login: str) -> list[str]:
        """The organizations ``login`` is a member of, by login."""
        users: dict[str, Json] = self.data["users"]
        return sorted(name for name, u in users.items()
                      if u["type"] == "Organization" and login in u.get("members", []))


def repo_record(ident: int, full_name: str, description: str | None, default_branch: str,
                created_at: str) -> Json:
    """A repository's entry in the world document (its git lives in ``repos/<full>.git``)."""
    owner, name = full_name.split("/")
    return {
        "id": ident, "owner": owner, "name": name, "full_name": full_name,
        "description": description, "default_branch": default_branch,
        "created_at": created_at, "next_number": 1,
        "issues": [], "comments": [], "releases": [], "milestones": [],
        "workflows": {}, "runs": [],
    }
