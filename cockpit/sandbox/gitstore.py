"""Git plumbing over the sandbox's bare repositories.

The API reads everything (branches, commits, contents, tags) straight from git
on every request rather than caching it, so a ``git push`` over smart HTTP is
visible to the API at once and an API write (a ref, a file, a merge) is visible
to the next ``git fetch``. Plain ``git`` subprocesses keep this typed and fast.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
WEB_FLOW = ("GitHub", "noreply@github.com")
"""Who commits merges and API edits, as on github.com."""


class GitError(RuntimeError):
    """A git command failed (conflict, missing object, rejected ref update)."""


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: str
    """ISO 8601 with offset, as ``%aI`` prints it."""


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class TagInfo:
    sha: str
    tag: str
    object_sha: str
    object_type: str
    tagger: Person
    message: str


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    type: str
    sha: str
    size: int
    path: str


_BY_SHA = re.compile(r"[0-9a-f]{40}(?::[^\n]*|\^\{(?:tree|commit)\})?")
"""An object named by its sha (``sha``, ``sha:path``, ``sha^{tree}``): never a ref."""
_READS = {"cat-file": {"-t", "blob", "tag", "commit", "tree"}, "ls-tree": {"-l"},
          "show": {"-s"}, "rev-parse": {"--verify", "-q"}}
"""The read commands, with the options they are asked with here, whose answer about an
object named by sha is the same forever (until the sandbox is gone)."""
_CONTENT_CACHE_ENTRIES = 20_000


def _content_addressed(args: tuple[str, ...]) -> bool:
    """Whether ``git *args`` reads only an object named by its sha (cacheable)."""
    if len(args) < 2 or args[0] not in _READS or not _BY_SHA.fullmatch(args[-1]):
        return False
    return all(arg in _READS[args[0]] or arg.startswith("--format=") for arg in args[1:-1])


def _env(author: tuple[str, str] | None, committer: tuple[str, str] | None,
         date: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["HOME"] = env.get("HOME", "/tmp")
    if author:
        env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"] = author
    if committer:
        env["GIT_COMMITTER_NAME"], env["GIT_COMMITTER_EMAIL"] = committer
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return env


class BareRepo:
    """One bare repository; every method is a few git plumbing commands."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        """Serialises API writes to this repository (pushes are serialised by git)."""
        self._by_content: dict[tuple[str, ...], bytes] = {}
        """Answers about objects named by their sha (``_content_addressed``): an object
        never changes, so neither do they. Refs are always read from git."""

    def git(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> str:
        return self.git_bytes(*args, input=input, env=env, check=check).decode(
            "utf-8", "replace")

    def git_bytes(self, *args: str, input: bytes | None = None,
                  env: dict[str, str] | None = None, check: bool = True) -> bytes:
        cacheable = input is None and env is None and _content_addressed(args)
        if cacheable and args in self._by_content:
            return self._by_content[args]
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=input, capture_output=True, env=env or _env(None, None),
        )
        if check and proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        if cacheable and proc.returncode == 0:  # an object missing now may be pushed later
            if len(self._by_content) >= _CONTENT_CACHE_ENTRIES:
                self._by_content.clear()
            self._by_content[args] = proc.stdout
        return proc.stdout

    # -- refs ---------------------------------------------------------------

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """Ref name → the object it points at (a tag object for annotated tags)."""
        out = self.git("for-each-ref", "--format=%(objectname) %(refname)", prefix)
        result: dict[str, str] = {}
        for line in out.splitlines():
            sha, name = line.split(" ", 1)
            result[name] = sha
        return result

    def branches(self) -> dict[str, str]:
        return {k.removeprefix("refs/heads/"): v for k, v in self.refs("refs/heads/").items()}

    def tags(self) -> dict[str, str]:
        return {k.removeprefix("refs/tags/"): v for k, v in self.refs("refs/tags/").items()}

    def resolve(self, rev: str) -> str | None:
        """A commit sha for a branch, tag, sha or ``refs/...`` name; None if unknown."""
        if rev.startswith("-"):
            return None
        out = self.git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False).strip()
        return out or None

    def object_type(self, sha: str) -> str | None:
        out = self.git("cat-file", "-t", sha, check=False).strip()
        return out or None

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        args = ["update-ref", ref, new]
        if old is not None:
            args.append(old)
        self.git(*args)

    def delete_ref(self, ref: str) -> None:
        self.git("update-ref", "-d", ref)

    # -- objects ------------------------------------------------------------

    _FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e"

    def _parse_commits(self, out: str) -> list[CommitInfo]:
        commits = []
        for record in out.split("\x1e"):
            record = record.lstrip("\n")
            if not record:
                continue
            f = record.split("\x00")
            commits.append(CommitInfo(
                sha=f[0], tree=f[1], parents=tuple(f[2].split()),
                author=Person(f[3], f[4], f[5]), committer=Person(f[6], f[7], f[8]),
                message=f[9].rstrip("\n"),
            ))
        return commits

    def commit(self, rev: str) -> CommitInfo | None:
        sha = self.resolve(rev)
        if sha is None:
            return None
        return self._parse_commits(self.git("show", "-s", f"--format={self._FORMAT}", sha))[0]

    def log(self, *revs: str, max_count: int = 0, path: str | None = None,
            reverse: bool = False) -> list[CommitInfo]:
        args = ["log", f"--format={self._FORMAT}"]
        if max_count:
            args.append(f"--max-count={max_count}")
        if reverse:
            args.append("--reverse")
        args.extend(revs)
        if path:
            args.extend(["--", path])
        return self._parse_commits(self.git(*args))

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.git("merge-base", a, b, check=False).strip()
        return out or None

    def is_ancestor(self, a: str, b: str) -> bool:
        proc = subprocess.run(["git", "--git-dir", str(self.path), "merge-base",
                               "--is-ancestor", a, b], capture_output=True, env=_env(None, None))
        return proc.returncode == 0

    def count(self, rng: str) -> int:
        return int(self.git("rev-list", "--count", rng).strip() or 0)

    def tag(self, sha: str) -> TagInfo | None:
        if self.object_type(sha) != "tag":
            return None
        raw = self.git("cat-file", "tag", sha)
        head, _, message = raw.partition("\n\n")
        fields: dict[str, str] = {}
        for line in head.splitlines():
            key, _, value = line.partition(" ")
            fields[key] = value
        name, email, date = _parse_ident(fields.get("tagger", "unknown <> 0 +0000"))
        return TagInfo(sha=sha, tag=fields["tag"], object_sha=fields["object"],
                       object_type=fields["type"], tagger=Person(name, email, date),
                       message=message)

    def make_tag(self, tag: str, object_sha: str, message: str, tagger: tuple[str, str],
                 date: str | None = None) -> str:
        """Write an annotated tag object (no ref), as ``POST /git/tags`` does."""
        otype = self.object_type(object_sha) or "commit"
        env = _env(None, tagger, date)
        # git var gives the committer ident with the right timestamp format.
        ident = self.git("var", "GIT_COMMITTER_IDENT", env=env).strip()
        body = f"object {object_sha}\ntype {otype}\ntag {tag}\ntagger {ident}\n\n{message}"
        if not body.endswith("\n"):
            body += "\n"
        return self.git("mktag", input=body.encode(), env=env).strip()

    def ls_tree(self, rev: str, path: str = "") -> list[TreeEntry] | None:
        """Entries of the directory ``path`` at ``rev``; None if it is not a directory."""
        commit = self.resolve(rev)  # by sha from here on: the rest is answered once
        if commit is None:
            return None
        spec = f"{commit}:{path}" if path else f"{commit}^{{tree}}"
        if self.object_type(spec) != "tree":
            return None
        out = self.git("ls-tree", "-l", spec)
        entries = []
        for line in out.splitlines():
            meta, name = line.split("\t", 1)
            mode, typ, sha, size = meta.split()
            entries.append(TreeEntry(mode, typ, sha, 0 if size == "-" else int(size),
                                     f"{path.rstrip('/')}/{name}" if path else name))
        return entries

    def blob_at(self, rev: str, path: str) -> tuple[str, bytes] | None:
        """(blob sha, content) of the file ``path`` at ``rev``; None if not a file."""
        commit = self.resolve(rev)  # by sha from here on: the rest is answered once
        if commit is None:
            return None
        spec = f"{commit}:{path}"
        if self.object_type(spec) != "blob":
            return None
        sha = self.git("rev-parse", spec).strip()
        return sha, self.git_bytes("cat-file", "blob", sha)

    def changed_files(self, a: str, b: str) -> list[tuple[str, str, int, int]]:
        """(status, path, additions, deletions) between two commits."""
        status = {}
        for line in self.git("diff", "--name-status", "--no-renames", a, b).splitlines():
            st, path = line.split("\t", 1)
            status[path] = st
        result = []
        for line in self.git("diff", "--numstat", "--no-renames", a, b).splitlines():
            add, dele, path = line.split("\t", 2)
            result.append((status.get(path, "M"), path, int(add) if add != "-" else 0,
                           int(dele) if dele != "-" else 0))
        return result

    # -- writes -------------------------------------------------------------

    def commit_tree(self, tree: str, parents: list[str], message: str,
                    author: tuple[str, str], committer: tuple[str, str] = WEB_FLOW,
                    date: str | None = None) -> str:
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return self.git(*args, input=message.encode(),
                        env=_env(author, committer, date)).strip()

    def write_files(self, base: str | None, files: dict[str, bytes | None]) -> str:
        """A tree: ``base``'s tree with ``files`` written (None deletes). Returns its sha."""
        with tempfile.TemporaryDirectory(prefix="sandbox-index-") as tmp:
            env = _env(None, None)
            env["GIT_INDEX_FILE"] = str(Path(tmp) / "index")
            if base:
                self.git("read-tree", base, env=env)
            for path, content in files.items():
                if content is None:
                    self.git("update-index", "--force-remove", path, env=env)
                    continue
                sha = self.git("hash-object", "-w", "--stdin", input=content).strip()
                self.git("update-index", "--add", "--cacheinfo", f"100644,{sha},{path}", env=env)
            return self.git("write-tree", env=env).strip()

    def commit_files(self, branch: str, files: dict[str, bytes | None], message: str,
                     author: tuple[str, str], committer: tuple[str, str] = WEB_FLOW,
                     date: str | None = None) -> str:
        """Commit ``files`` on top of ``branch`` (created if missing) and move the branch."""
        with self.lock:
            parent = self.resolve(f"refs/heads/{branch}")
            tree = self.write_files(parent, files)
            sha = self.commit_tree(tree, [parent] if parent else [], message, author,
                                   committer, date)
            self.update_ref(f"refs/heads/{branch}", sha, parent or ZERO_SHA)
            return sha

    def merge_tree(self, base: str, head: str) -> str:
        """The merged tree of two commits; GitError on conflicts."""
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-tree", "--write-tree",
             "--no-messages", base, head],
            capture_output=True, env=_env(WEB_FLOW, WEB_FLOW),
        )
        if proc.returncode != 0:
            raise GitError("merge conflict")
        return proc.stdout.decode().split("\n", 1)[0].strip()

    def rebase_onto(self, base: str, commits: list[CommitInfo],
                    committer: tuple[str, str] = WEB_FLOW) -> str:
        """Replay ``commits`` on ``base`` in a throwaway worktree (GitHub's "rebase")."""
        with tempfile.TemporaryDirectory(prefix="sandbox-rebase-") as tmp:
            wt = Path(tmp) / "wt"
            self.git("worktree", "add", "--detach", str(wt), base)
            try:
                for c in commits:
                    env = _env((c.author.name, c.author.email), committer)
                    env["GIT_AUTHOR_DATE"] = c.author.date
                    proc = subprocess.run(["git", "-C", str(wt), "cherry-pick",
                                           "--allow-empty", c.sha], capture_output=True,
                                          env=env)
                    if proc.returncode != 0:
                        raise GitError("rebase conflict")
                return subprocess.run(["git", "-C", str(wt), "rev-parse", "HEAD"],
                                      capture_output=True, check=True,
                                      text=True).stdout.strip()
            finally:
                self.git("worktree", "remove", "--force", str(wt), check=False)
                shutil.rmtree(wt, ignore_errors=True)
                self.git("worktree", "prune", check=False)


def _parse_ident(ident: str) -> tuple[str, str, str]:
    """``Name <email> 1700000000 +0000`` → (name, email, ISO date)."""
    from datetime import datetime, timedelta, timezone

    name, _, rest = ident.partition(" <")
    email, _, stamp = rest.partition("> ")
    parts = stamp.split()
    if len(parts) == 2:
        secs, tz = int(parts[0]), parts[1]
        sign = -1 if tz.startswith("-") else 1
        offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])) * sign
        date = datetime.fromtimestamp(secs, timezone(offset)).isoformat()
    else:
        date = "1970-01-01T00:00:00+00:00"
    return name, email, date


def init_bare(path: Path, default_branch: str) -> BareRepo:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", f"--initial-branch={default_branch}",
                    str(path)], check=True, env=_env(None, None))
    repo = BareRepo(path)
    repo.git("config", "http.receivepack", "true")
    repo.git("config", "uploadpack.allowAnySHA1InWant", "true")
    return repo
