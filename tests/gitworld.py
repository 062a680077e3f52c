"""A real bare repository on disk, for engine tests that need no server."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def make_remote(root: Path, name: str = "acme/app") -> Path:
    """A bare repo at ``root/name.git`` whose master has a version.go."""
    bare = root / f"{name}.git"
    seed = root / "seed"
    git("init", "-q", "--bare", "-b", "master", str(bare))
    git("init", "-q", "-b", "master", str(seed))
    (seed / "version.go").write_text(
        'package ipfs\n\n// CurrentVersionNumber is the current application\'s version literal.\n'
        'const CurrentVersionNumber = "0.30.0-dev"\n')
    git("add", ".", cwd=seed)
    git("commit", "-qm", "initial", cwd=seed)
    git("push", "-q", str(bare), "master", cwd=seed)
    return bare


def refs(bare: Path, pattern: str) -> list[str]:
    return git("for-each-ref", "--format=%(refname)", pattern, cwd=bare).split()
