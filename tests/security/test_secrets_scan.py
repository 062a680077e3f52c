"""The secrets proof: a whole RC release with known tokens, then every byte scanned.

The release is the 15 ``cockpit run STAGE`` commands a driver types (``cli.main`` in
this process, so the test keyring serves them), with the GitHub token taken from the
keyring (stored there by ``cockpit login`` in a subprocess) and the other services'
tokens from the environment. Afterwards every byte the cockpit
wrote is searched for every token, raw and URL-encoded: what it printed (and anything
written straight to the file descriptors), its home (config, state, cache), the demo
home (journal, working clones with every git object decompressed, git config), the
sandbox's request log (bodies included) and world (issues, comments, pulls, releases),
every object pushed to the sandbox's repositories, and an SVG snapshot of the TUI's
main screen after it re-ran preflight. The count must be 0.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import cast
from urllib.parse import quote

import keyring
import pytest
from textual.pilot import Pilot

from cockpit.cli import main, make_release
from cockpit.model import Version
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle
from cockpit.secrets import STORE, TOKEN_ENV
from screens.app import CockpitApp
from screens.launch import build_app
from screens.state import State
from tests.security.conftest import ROOT
from tests.security.file_keyring import FILE_VARIABLE, SELECT, FileKeyring
from tests.ui.helpers import wait_for

VERSION = "v0.30.0-rc1"
FAST_POLL = {"COCKPIT_POLL_INITIAL_SECONDS": "0.05", "COCKPIT_POLL_MAX_SECONDS": "0.2"}


@dataclass
class Scan:
    """Searches byte strings for every form of every secret; counts what it read."""

    secrets: dict[str, str]
    sizes: dict[str, int] = field(default_factory=dict)
    """Bytes read, by source."""
    found: list[str] = field(default_factory=list)

    @property
    def scanned(self) -> int:
        return sum(self.sizes.values())

    def needles(self) -> Iterator[tuple[str, bytes]]:
        for name, value in self.secrets.items():
            for form in {value, quote(value, safe="")}:
                yield name, form.encode()

    def add(self, where: str, data: bytes) -> None:
        self.sizes[where] = len(data)
        self.found += [f"{name} in {where}" for name, needle in self.needles()
                       if needle in data]

    def tree(self, root: Path, skip: tuple[Path, ...] = ()) -> None:
        """Every regular file below ``root``, and every git object of its repositories."""
        for path in sorted(root.rglob("*")):
            if any(path.is_relative_to(s) for s in skip) or path.is_symlink():
                continue
            if path.is_file():
                self.add(str(path), path.read_bytes())
            elif path.is_dir() and (path / "objects").is_dir() and (path / "HEAD").is_file():
                self.add(f"{path} (all objects)", git_objects(path))


def git_objects(git_dir: Path) -> bytes:
    """Every object of a repository, decompressed (a token in a commit or blob shows)."""
    return subprocess.run(["git", "--git-dir", str(git_dir), "cat-file",
                           "--batch-all-objects", "--batch"], capture_output=True,
                          check=True).stdout


def run_release(answers: Path) -> tuple[dict[str, int], str]:
    """Every stage in order, as ``cockpit run STAGE --yes --answers``: exit codes and all
    they printed. Stops at the first stage that does not finish, as a driver would."""
    printed = io.StringIO()
    codes: dict[str, int] = {}
    for stage in load_playbook().stages:
        with redirect_stdout(printed), redirect_stderr(printed):
            # --solo: one maintainer, so the tag is not held for a second one's review (the
            # review request and approval comments are not part of this scan yet).
            codes[stage.id] = main(["run", stage.id, "--version", VERSION, "--yes", "--solo",
                                    "--answers", str(answers)])
        if codes[stage.id] != 0:
            break
    return codes, printed.getvalue()


@pytest.fixture
def test_keyring(tmp_path: Path) -> Iterator[Path]:
    """This process's keyring is the test file keyring (as the login subprocess's is)."""
    path = tmp_path / "test-keyring.json"
    os.environ[FILE_VARIABLE] = str(path)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    STORE.forget()
    try:
        yield path
    finally:
        keyring.set_keyring(previous)
        STORE.forget()
        os.environ.pop(FILE_VARIABLE, None)


async def snapshot_after_preflight(tmp_path: Path) -> bytes:
    """The TUI main screen after re-running preflight (its log pane shows every request)."""
    playbook = load_playbook()
    app: CockpitApp = build_app(playbook, make_release(playbook, Version.parse(VERSION)), "drive")
    async with app.run_test(size=(160, 50)) as running:
        pilot = cast("Pilot[object]", running)
        await pilot.press("r")
        # After the release every preflight check passes again (its own tag counts as the
        # release under way): the stage ends done, its log showing every request it made.
        await wait_for(pilot, lambda: app.state.stages["preflight"].status is State.DONE
                       and "preflight" not in app.running, timeout=60, what="preflight re-run")
        await pilot.pause(0.3)
        svg = app.export_screenshot()
    (tmp_path / "main-screen.svg").write_text(svg)
    return svg.encode()


def test_no_token_in_anything_the_cockpit_wrote(
        demo_world: SandboxHandle, test_keyring: Path, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    sandbox = demo_world
    github_token = sandbox.issue_token("write")
    home = tmp_path / "home"
    home.mkdir()
    github_vars = TOKEN_ENV["github"]
    for name in github_vars:
        os.environ.pop(name, None)
    os.environ.update({"HOME": str(home), **FAST_POLL})
    login = subprocess.run(
        [sys.executable, "-m", "screens.main", "login", "--stdin", "github"],
        input=github_token, capture_output=True, text=True, timeout=60, check=False,
        cwd=ROOT, env={**os.environ, **SELECT, "PYTHONPATH": str(ROOT)})
    assert login.returncode == 0, login.stderr
    assert json.loads(test_keyring.read_text()) == {"cockpit": {"github": github_token}}

    answers_source = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    with resources.as_file(answers_source) as answers:
        codes, printed = run_release(answers)
    assert len(codes) == 15 and set(codes.values()) == {0}, printed[-4000:]
    svg = asyncio.run(snapshot_after_preflight(tmp_path))

    secrets = {"github": github_token, "matrix": os.environ["COCKPIT_MATRIX_TOKEN"],
               "discourse": os.environ["COCKPIT_DISCOURSE_TOKEN"],
               "reddit": os.environ["COCKPIT_REDDIT_TOKEN"],
               "discord webhook": os.environ["COCKPIT_DISCORD_WEBHOOK"]}
    # The tokens really were used: the sandbox saw the keyring's GitHub token (write
    # scope) on the API and on git pushes, a Matrix bearer token, and Discourse calls
    # (its key travels in Api-Key, which the request log does not classify).
    requests = sandbox.requests()
    assert sum(r["auth"] == "write" for r in requests) > 100
    assert {r["service"] for r in requests if r["auth"] != "anonymous"} >= {
        "github", "git", "matrix"}
    assert any(r["service"] == "discourse" and r["mutating"] for r in requests)

    scan = Scan(secrets)
    captured = capfd.readouterr()
    scan.add("cockpit login output", (login.stdout + login.stderr).encode())
    scan.add("stage output", printed.encode())
    scan.add("file descriptors 1 and 2", (captured.out + captured.err).encode())
    scan.tree(home)
    demo_home = sandbox.data_dir.parent
    scan.tree(demo_home, skip=(sandbox.data_dir,))
    scan.add("sandbox request log", json.dumps(requests).encode())
    scan.add("sandbox world", json.dumps(sandbox.state()).encode())
    for bare in sorted((sandbox.data_dir).rglob("*.git")):
        scan.add(f"{bare} (all objects)", git_objects(bare))
        scan.add(f"{bare}/config", (bare / "config").read_bytes())
    scan.add("TUI main screen (SVG)", svg)
    print(f"secrets scan: {scan.scanned:,} bytes in {len(scan.sizes)} sources, "
          f"{len(secrets)} secrets, {len(scan.found)} occurrences")
    assert scan.found == []

    # The scan read what it claims to (every part of the release left bytes to read) …
    def size(part: str) -> int:
        return sum(n for where, n in scan.sizes.items() if part in where)

    for part in ("stage output", "/state/", "/work/clones/", "(all objects)", "request log",
                 "sandbox world", "(SVG)", "gitconfig"):
        assert size(part) > 0, f"nothing scanned for {part!r}"
    # … and would have seen a token, raw or URL-encoded, had one been there.
    control = Scan(secrets)
    control.add("control", f"x{github_token}y {quote(secrets['discord webhook'], safe='')}"
                .encode())
    assert control.found == ["github in control", "discord webhook in control"]
