"""Working clones of the release's repositories, through GitPython.

Each repository gets one clone under the workspace directory, refreshed with a
fetch before every check so that checks see the remote, not a stale copy. The
token (for HTTP remotes) reaches git through ``GIT_CONFIG_*`` environment
variables: never in argv, never in ``.git/config``, never in a log line.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import IO

import git

from cockpit.errors import CockpitError, ReadOnlyViolation
from cockpit.secrets import Redactor
from cockpit.services.snapshot import READ_SNAPSHOT, once

ManualLog = Callable[[str], None]


class GitError(CockpitError, RuntimeError):
    """A git command failed; the message is already redacted."""


class GitRepo:
    """One working clone, with the operations the release needs (all async)."""

    def __init__(self, repo: git.Repo, name: str, env: dict[str, str], log: ManualLog,
                 redact: Redactor, *, read_only: bool = False) -> None:
        self.repo = repo
        self.read_only = read_only
        """Refuse ``git push``: the one git command that changes the world. Like the HTTP
        layer's guard, this holds below the engine, whatever an action's ``apply`` does."""
        self.name = name
        self.env = env
        self.log = log
        self.redact = redact
        self._lock = asyncio.Lock()
        self._fetch_lock = asyncio.Lock()
        self._fetches_started = 0
        self._fetches_finished = 0

    async def refresh(self) -> None:
        """Fetch, unless a fetch that started after this call began has just finished.

        Concurrent checks on one repository (``cockpit status``) then share one fetch,
        while a check that runs after an apply still sees the remote as it is now.
        """
        snapshot = READ_SNAPSHOT.get()
        if snapshot is not None:  # reading the release's state: one fetch for every check
            await once(snapshot.fetches, str(self.workdir), self.fetch)
            return
        fresh_enough = self._fetches_started + 1  # any fetch numbered so started after us
        async with self._fetch_lock:
            if self._fetches_finished >= fresh_enough:
                return
            self._fetches_started += 1
            number = self._fetches_started
            await self.fetch()
            self._fetches_finished = number

    async def run(self, *args: str, manual: bool = True) -> str:
        """Run ``git ARGS`` in the clone; log it as its manual equivalent."""
        if self.read_only and args[:1] == ("push",):
            raise ReadOnlyViolation(f"read-only session: refused to push from {self.name} "
                                    f"(git {shlex.join(args)})")
        if manual:
            self.log(f"git -C {shlex.quote(self.name)} " + shlex.join(args))
        async with self._lock:
            return await asyncio.to_thread(self._run_blocking, args)

    def _run_blocking(self, args: tuple[str, ...]) -> str:
        try:
            with self.repo.git.custom_environment(**self.env):
                out: str = self.repo.git.execute(["git", *args])
                return out
        except git.GitCommandError as exc:
            stderr = self.redact(str(exc.stderr or "").strip())
            raise GitError(f"git {' '.join(args[:2])} failed in {self.name}: {stderr}") from None

    async def commit_and_push(self, branch: str, message: str, *paths: str,
                              new: bool = False) -> None:
        """Commit exactly ``paths`` (``new``: they are not tracked yet, add them first) and
        push the result to ``branch``: the last step of every kind that edits files."""
        if new:
            await self.run("add", "--", *paths)
        await self.run("commit", "-m", message, "--", *paths)
        await self.run("push", "origin", f"HEAD:refs/heads/{branch}")

    async def fetch(self) -> None:
        await self.run("fetch", "--prune", "--prune-tags", "--force", "--tags", "origin",
                       manual=False)

    async def remote_branch_sha(self, branch: str) -> str | None:
        """The remote branch's commit as of the last fetch (every ``open`` fetches)."""
        out = await self._quiet("rev-parse", "--verify", "-q", f"refs/remotes/origin/{branch}")
        return out or None

    async def remote_tag(self, tag: str) -> tuple[str, str] | None:
        """(tag object sha, peeled commit sha) of a remote tag, or None if absent.

        Local tags mirror the remote's: the fetch uses ``--prune-tags --force``.
        """
        obj = await self._quiet("rev-parse", "--verify", "-q", f"refs/tags/{tag}")
        if not obj:
            return None
        return obj, await self._quiet("rev-parse", "--verify", "-q", f"refs/tags/{tag}^{{commit}}")

    async def _quiet(self, *args: str) -> str:
        try:
            return (await self.run(*args, manual=False)).strip()
        except GitError:
            return ""

    async def rev(self, ref: str) -> str:
        return (await self.run("rev-parse", "--verify", f"{ref}^{{commit}}", manual=False)).strip()

    async def show_file(self, ref: str, path: str) -> str | None:
        try:
            return await self.run("show", f"{ref}:{path}", manual=False)
        except GitError:
            return None

    @property
    def workdir(self) -> Path:
        return Path(self.repo.working_tree_dir or ".")


class GitWorkspace:
    """Creates and reuses clones; one per repository name (``owner/name``)."""

    def __init__(self, root: Path, clone_url: Callable[[str], str], token: str | None,
                 log: ManualLog, redact: Redactor, *, read_only: bool = False) -> None:
        self.root = root
        self.read_only = read_only
        self.clone_url = clone_url
        self.log = log
        self.redact = redact
        self.env: dict[str, str] = {"GIT_TERMINAL_PROMPT": "0"}
        if token:
            redact.add(token)
            self.env.update({
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Bearer {token}",
            })
        self._repos: dict[str, GitRepo] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        """One lock per repository: its first use clones it once, while other
        repositories clone at the same time (a status of ten repositories cloned them
        one after another)."""
        self._held: list[IO[str]] = []
        """Open lock files of the clones this process uses (released when it exits)."""

    def close(self) -> None:
        """Let go of this session's clones: another session (the next ``cockpit status``
        in the same process, a TUI's second session) reuses them instead of cloning anew
        beside them."""
        for handle in self._held:
            handle.close()
        self._held.clear()
        self._repos.clear()

    async def open(self, name: str) -> GitRepo:
        """The clone of ``name``, cloned on first use and fetched every time."""
        async with self._opening.setdefault(name, asyncio.Lock()):  # clones side by side
            if name not in self._repos:
                self._repos[name] = await asyncio.to_thread(self._open_blocking, name)
        found = self._repos[name]
        await found.refresh()
        return found

    def _claim_clone_dir(self, name: str) -> Path:
        """A clone directory of ``name`` that no other cockpit process is using.

        Two processes on one machine (``cockpit run`` in one terminal, ``cockpit status``
        in another) must not check out branches in the same working tree. Each takes an
        exclusive lock on its clone for as long as it lives; a busy clone makes the
        process use (or make) the next one, ``NAME.2``, ``NAME.3``...
        """
        for number in itertools.count(1):
            path = self.root / (name if number == 1 else f"{name}.{number}")
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.with_name(path.name + ".lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self._held.append(handle)
            return path
        raise AssertionError("unreachable")

    def _open_blocking(self, name: str) -> GitRepo:
        path = self._claim_clone_dir(name)
        url = self.clone_url(name)
        try:
            if (path / ".git").is_dir():
                repo = git.Repo(path)
                repo.remote("origin").set_url(url)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.log(f"git clone {url} {path}")
                repo = git.Repo.clone_from(url, path, env=self.env)
        except git.GitCommandError as exc:
            stderr = self.redact(str(exc.stderr or "").strip())
            raise GitError(f"cannot clone {name} from {url}: {stderr}") from None
        return GitRepo(repo, name, self.env, self.log, self.redact, read_only=self.read_only)
