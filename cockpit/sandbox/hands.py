"""A stand-in maintainer: what a release's driver does by hand, done for real.

The playbook's manual steps ("cherry-pick the fixes", "update the dependencies, push
the branch, press Done") are answered yes by an answers file; the work behind them is
git pushed to the sandbox over smart HTTP, made here with the git command line as a
maintainer would, under a maintainer's identity (not the cockpit's). ``cockpit demo``
uses it to stand in for the driver's hands; the end-to-end tests use it between runs.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cockpit.sandbox.inprocess import SandboxHandle

KUBO = "ipfs/kubo"
MAINTAINER = ("Alice Maintainer", "alice@example.org")
PATCH_FIX = "fix(pin): do not crash on a missing block in `ipfs pin ls`"


@dataclass(frozen=True)
class Clone:
    """A working clone of one sandbox repository."""

    path: Path
    token: str

    def git(self, *args: str) -> str:
        # Not the driver's git settings, but its trust in the sandbox's CA (over TLS).
        env = {**{k: v for k, v in os.environ.items()
                  if not k.startswith("GIT_") or k == "GIT_SSL_CAINFO"},
               "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_CONFIG_GLOBAL": os.devnull,
               "GIT_AUTHOR_NAME": MAINTAINER[0], "GIT_AUTHOR_EMAIL": MAINTAINER[1],
               "GIT_COMMITTER_NAME": MAINTAINER[0], "GIT_COMMITTER_EMAIL": MAINTAINER[1]}
        return subprocess.run(
            ["git", "-c", f"http.extraHeader=Authorization: Bearer {self.token}", *args],
            cwd=self.path, env=env, check=True, capture_output=True, text=True).stdout

    def commit(self, files: dict[str, str], message: str) -> str:
        for path, text in files.items():
            target = self.path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.git("add", path)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@contextmanager
def working_clone(handle: SandboxHandle, repo: str) -> Iterator[Clone]:
    with tempfile.TemporaryDirectory(prefix="cockpit-hands-") as tmp:
        clone = Clone(Path(tmp), handle.admin_token)
        clone.git("clone", "-q", handle.clone_url(repo), ".")
        yield clone


def update_dependencies(handle: SandboxHandle, base: str) -> None:
    """Prepare-next's by-hand `go get -u ./... && go mod tidy`, pushed to its branch."""
    branch = f"update-deps-after-v{base}"
    with working_clone(handle, KUBO) as clone:
        exists = clone.git("ls-remote", "--heads", "origin", branch).strip()
        clone.git("checkout", "-q", "-B", branch, f"origin/{branch}" if exists else "origin/master")
        clone.commit({"go.mod": "module github.com/ipfs/kubo\n\ngo 1.22\n\n"
                                "require github.com/ipfs/boxo v0.24.0\n"},
                     "chore: update dependencies")
        clone.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")


def improve_release_process(handle: SandboxHandle, base: str) -> None:
    """Prepare-next's by-hand notes on the release process, pushed to their branch."""
    branch = f"release-process-after-v{base}"
    with working_clone(handle, KUBO) as clone:
        exists = clone.git("ls-remote", "--heads", "origin", branch).strip()
        clone.git("checkout", "-q", "-B", branch, f"origin/{branch}" if exists else "origin/master")
        checklist = clone.path / "docs/RELEASE_CHECKLIST.md"
        clone.commit({"docs/RELEASE_CHECKLIST.md": checklist.read_text() + (
            f"\n## Learned in v{base}\n\n- Check the Go version of the downstream builds "
            "before the release branch is cut.\n")},
            f"docs: improve the release process after v{base}")
        clone.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")


def _with_patch_section(changelog: str, version: str, highlight: str) -> str:
    """Kubo's layout for a patch: a ``## vX.Y.Z`` section (listed at the top) above the
    previous release's, its Changelog and Contributors left for the cockpit to fill."""
    anchor = version.replace(".", "")
    title, _, rest = changelog.partition("\n\n")
    section = (f"## {version}\n\n- [Overview](#overview)\n- [🔦 Highlights](#-highlights)\n"
               "- [📝 Changelog](#-changelog)\n- [👨‍👩‍👧‍👦 Contributors](#-contributors)\n\n"
               f"### Overview\n\n### 🔦 Highlights\n\n{highlight}\n\n### 📝 Changelog\n\n"
               "### 👨‍👩‍👧‍👦 Contributors\n\n")
    first = rest.index("\n## ")
    return f"{title}\n\n- [{version}](#{anchor})\n{rest[:first]}\n{section}{rest[first + 1:]}"


def land_patch_fix(handle: SandboxHandle, version: str) -> None:
    """A fix merged on master, then cherry-picked (``-x``) onto the patch's version branch,
    which the driver cuts from ``release`` before starting the cockpit."""
    base = version.lstrip("v")
    minor = ".".join(base.split(".")[:2])
    path = f"docs/changelogs/v{minor}.md"
    with working_clone(handle, KUBO) as clone:
        clone.git("checkout", "-q", "-B", "master", "origin/master")
        changelog = (clone.path / path).read_text()
        fix = clone.commit({
            "core/commands/pin.go": "package commands\n// pin ls: skip missing blocks\n",
            path: _with_patch_section(changelog, version,
                                      "#### `ipfs pin ls` no longer crashes on a missing "
                                      "block"),
        }, PATCH_FIX)
        clone.git("push", "-q", "origin", "HEAD:refs/heads/master")
        clone.git("checkout", "-q", "-B", f"release-{version}", "origin/release")
        clone.git("cherry-pick", "-x", fix)
        clone.git("push", "-q", "origin", f"HEAD:refs/heads/release-{version}")
