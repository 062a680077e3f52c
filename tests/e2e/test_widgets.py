"""The second built-in playbook, end to end: a Python library released to PyPI.

A maintainer of ``acme/widgets`` (PEP 440 versions, tags without ``v``) releases
1.2.0rc1 and then 1.2.0 with ``cockpit run STAGE --playbook widgets --release V --yes``,
against the sandbox: the repository is created through the sandbox's GitHub API
(``POST /orgs/acme/repos``) and pushed over git's smart HTTP; the tag push starts the
repository's own publish workflow, which is what uploads to the sandbox's PyPI. Every
release is then run a second time, which must change nothing (no mutating request, the
same normalised world).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from cockpit.cli import main
from cockpit.playbook import load_playbook
from cockpit.sandbox.seed import ADMIN_LOGIN
from cockpit.sandbox.testing import SandboxHandle
from tests.reliability.release_runner import release_world
from tests.reliability.world_diff import Json, differences, settle, snapshot

REPO = "acme/widgets"
RELEASES = ("1.2.0rc1", "1.2.0")
STAGES = [stage.id for stage in load_playbook("widgets").stages]

WORKFLOWS = {
    ".github/workflows/publish.yml": """\
name: Publish to PyPI
on:
  push:
    tags: ["*"]
jobs:
  pypi:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - run: python -m pip install build && python -m build
      - uses: pypa/gh-action-pypi-publish@release/v1
""",
    ".github/workflows/ci.yml": """\
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m pip install -e . && python -m pytest
""",
}
PROJECT = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-widgets"
version = "1.1.0"
description = "Widgets for Acme's gadgets"
requires-python = ">=3.10"
""",
    "CHANGELOG.md": """\
# Changelog

## Unreleased

- Widgets stack.

## 1.1.0

- First release.
""",
    "src/acme_widgets/__init__.py": '"""Widgets for Acme\'s gadgets."""\n',
    **WORKFLOWS,
}


@dataclass
class Pass:
    """All stages of one release, once."""

    version: str
    codes: dict[str, int]
    output: str
    mutating: list[str]
    world: Json = field(repr=False)
    seconds: float


@dataclass
class Released:
    handle: SandboxHandle
    passes: list[Pass] = field(default_factory=list)


def _git(*args: str, cwd: Path, token: str) -> None:
    subprocess.run(["git", "-c", f"http.extraHeader=Authorization: Bearer {token}", *args],
                   cwd=cwd, check=True, capture_output=True, timeout=60)


def create_project(handle: SandboxHandle, work: Path) -> None:
    """The library as its maintainers start it: an organization (made in GitHub's web UI,
    which has no API: seeded), the repository created through the API with its README,
    then the project pushed with its 1.1.0 tag (published by its own workflow)."""
    world = handle.sandbox.world
    with world.lock:
        world.organization("acme", "Acme's open source", [ADMIN_LOGIN])
    world.save()
    created = httpx.post(f"{handle.api_url}/orgs/acme/repos", timeout=10,
                         headers={"Authorization": f"Bearer {handle.admin_token}"},
                         json={"name": "widgets", "description": "Widgets for Acme's gadgets",
                               "auto_init": True})
    assert created.status_code == 201, created.text
    clone = work / "widgets"
    _git("clone", "-q", handle.clone_url(REPO), str(clone), cwd=work, token=handle.admin_token)
    for path, text in PROJECT.items():
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_text(text)
    _git("add", "-A", cwd=clone, token=handle.admin_token)
    _git("commit", "-qm", "acme-widgets 1.1.0", cwd=clone, token=handle.admin_token)
    _git("tag", "-a", "1.1.0", "-m", "Release 1.1.0", cwd=clone, token=handle.admin_token)
    _git("push", "-q", "origin", "main", "1.1.0", cwd=clone, token=handle.admin_token)
    settle(handle)


def release(handle: SandboxHandle, version: str) -> Pass:
    """``cockpit run STAGE`` for every stage, in order, stopping at the first that fails."""
    first, start = len(handle.requests()), time.perf_counter()
    codes, out = {}, io.StringIO()
    for stage in STAGES:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            codes[stage] = main(["run", stage, "--playbook", "widgets", "--release", version,
                                 "--yes"])
        if codes[stage]:
            break
    seconds = time.perf_counter() - start
    settle(handle)
    changes = [f"{r['method']} {r['path']}" for r in handle.requests()[first:]
               if r["mutating"]]
    return Pass(version, codes, out.getvalue(), changes, snapshot(handle), seconds)


@pytest.fixture(scope="module")
def widgets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Released]:
    home = tmp_path_factory.mktemp("e2e-widgets")
    outside = dict(os.environ)
    try:
        with release_world(home) as world:
            done = Released(world.handle)
            create_project(world.handle, home)
            for version in RELEASES:
                for _ in range(2):  # the release, then the same release again
                    done.passes.append(release(world.handle, version))
                    print(f"{version}: {done.passes[-1].seconds:.1f} s, "
                          f"{len(done.passes[-1].mutating)} mutating requests")
            yield done
    finally:
        os.environ.clear()
        os.environ.update(outside)


def _tail(one: Pass) -> str:
    return "\n".join(one.output.splitlines()[-40:])


def test_both_releases_run_every_stage(widgets: Released) -> None:
    for one in widgets.passes:
        assert list(one.codes) == STAGES and not any(one.codes.values()), \
            f"{one.version}: {one.codes}\n{_tail(one)}"
    first_rc, _, first_final, _ = widgets.passes
    assert first_rc.mutating and first_final.mutating


def test_running_a_release_again_changes_nothing(widgets: Released) -> None:
    for first, again in zip(widgets.passes[::2], widgets.passes[1::2], strict=True):
        assert again.mutating == [], f"{again.version}: a rerun changed {again.mutating}"
        assert not differences(first.world, again.world), \
            differences(first.world, again.world)


def test_the_world_is_a_released_python_library(widgets: Released) -> None:
    state = widgets.handle.state()
    repo = state["repos"][REPO]
    git = widgets.handle.sandbox.repos[REPO]
    assert sorted(repo["tags"]) == ["1.1.0", "1.2.0", "1.2.0rc1"]
    for version in RELEASES:
        pyproject = git.blob_at(f"refs/tags/{version}", "pyproject.toml")
        assert pyproject is not None and f'version = "{version}"' in pyproject[1].decode()
        assert git.is_ancestor(f"refs/tags/{version}", "refs/heads/main")
    changelog = git.blob_at("refs/heads/main", "CHANGELOG.md")
    assert changelog is not None and changelog[1].decode().startswith(
        "# Changelog\n\n## Unreleased\n\n## 1.2.0\n\n## 1.2.0rc1\n\n- Widgets stack.\n")
    releases = {r["tag_name"]: (r["prerelease"], r["draft"]) for r in repo["releases"]}
    assert releases == {"1.2.0rc1": (True, False), "1.2.0": (False, False)}
    pulls = [i["title"] for i in repo["issues"] if i["pull"]]
    assert pulls == ["Release 1.2.0rc1", "Release 1.2.0"]
    published = sorted(f["filename"] for release in
                       state["pypi"]["acme-widgets"]["releases"].values()
                       for f in release["files"])
    assert published == sorted(f"acme_widgets-{v}{end}" for v in ("1.1.0", *RELEASES)
                               for end in (".tar.gz", "-py3-none-any.whl"))
    publish_runs = sorted(r["head_branch"] for r in repo["runs"]
                          if r["workflow_name"] == "Publish to PyPI")
    assert publish_runs == ["1.1.0", "1.2.0", "1.2.0rc1"]
    assert [t["title"] for t in state["discourse"]["topics"]] == \
        [f"acme-widgets {v} released" for v in RELEASES]


def test_status_reads_both_releases_as_complete(widgets: Released) -> None:
    """The read-only status of 1.2.0 in the world after it: every stage done. 1.2.0rc1's
    too: main has moved past its version bump, which is read at its tag (1.2.0rc1), and
    its preflight says done: its own tag, made before 1.2.0."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["status", "--playbook", "widgets", "--release", RELEASES[-1]])
    assert code == 0, out.getvalue()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["status", "--playbook", "widgets", "--release", RELEASES[0]])
    assert code == 0 and "made before 1.2.0" in out.getvalue(), out.getvalue()
    assert "pyproject.toml at tag 1.2.0rc1 contains" in out.getvalue(), out.getvalue()
