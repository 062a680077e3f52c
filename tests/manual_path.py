"""The manual path: a stage done by hand, with the commands ``cockpit explain`` prints.

    path = ManualPath(handle, workdir)
    failures = path.run_stage("preflight", "v0.30.0-rc1")

An explanation's ```` ```sh ```` blocks are what a person pastes into a terminal when the
cockpit is not there. This module takes them from ``cockpit explain STAGE --release V``
(run in this process, in the demo's environment), keeps the actions that apply to the
release, and runs each block as printed with ``bash`` in one working directory (a
person's shell: ``body.md`` written by one command is read by the next), in the
environment a user of the demo's sandbox has: its ``export`` lines (``GH_HOST``,
``GH_ENTERPRISE_TOKEN``, ``SSL_CERT_FILE``, ...), the demo's git identity and signing key,
a ``gh`` home of its own, and git credentials for the sandbox's git URLs given by ``gh``
(``gh auth setup-git``, as GitHub's own docs tell a user). A block that fails is reported
with the exact command that failed and what it printed: the explanation is then wrong.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.cli import main
from cockpit.model import Version
from cockpit.playbook import load_playbook

if TYPE_CHECKING:
    from cockpit.sandbox.testing import SandboxHandle

_HEADING = re.compile(r"^## (?P<stage>[\w-]+)/(?P<action>[\w-]+)\b", re.MULTILINE)
_SH_BLOCK = re.compile(r"^(?P<fence>`{3,})sh\n(?P<body>.*?)^(?P=fence)$",
                       re.MULTILINE | re.DOTALL)

_TRAP = ("set -eE -o pipefail\n"
         "trap 'echo \"manual-path: failed: $BASH_COMMAND\" >&2' ERR\n")
"""Stop at the first command that fails (in a pipe too) and name it, as a person would
notice it in their terminal."""


@dataclass(frozen=True)
class Block:
    """One action's printed commands."""

    stage: str
    action: str
    kind: str
    script: str

    @property
    def by_hand(self) -> bool:
        """A ``manual`` step's commands are instructions for a person's judgement (which
        commits to cherry-pick), not a recipe: the stand-in maintainer does that work."""
        return self.kind == "manual"


@dataclass(frozen=True)
class Failure:
    """A block that did not run as printed."""

    block: Block
    command: str
    output: str

    def __str__(self) -> str:
        return (f"{self.block.stage}/{self.block.action}: `{self.command}` failed:\n"
                f"{self.output.strip()}")


def explained(*args: str) -> str:
    """What ``cockpit explain ARGS`` prints, run in this process's environment."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["explain", *args])
    assert code == 0, err.getvalue()
    return out.getvalue()


def applicable(stage: str, version: str) -> dict[str, str]:
    """The ids of ``stage``'s actions that ``version``'s release applies, in order, and
    their kinds."""
    v = Version.parse(version)
    spec = next(s for s in load_playbook().stages if s.id == stage)
    return {a.id: a.kind for a in spec.actions if spec.applies_to(v) and a.applies_to(v)}


def by_hand_steps(stage: str, version: str) -> set[str]:
    """``stage``'s ``manual`` steps in ``version``'s release: a person's work and "Done"."""
    return {action for action, kind in applicable(stage, version).items() if kind == "manual"}


def blocks(markdown: str, stage: str, actions: dict[str, str]) -> list[Block]:
    """The ``sh`` blocks of each of ``actions`` in a stage's explanation, in order."""
    headings = list(_HEADING.finditer(markdown))
    sections: dict[str, str] = {}
    for here, after in zip(headings, [*headings[1:], None], strict=True):
        end = after.start() if after else len(markdown)
        if here["stage"] == stage:
            sections[here["action"]] = markdown[here.end():end]
    found = []
    for action, kind in actions.items():
        scripts = [m["body"] for m in _SH_BLOCK.finditer(sections[action])]
        if scripts:
            found.append(Block(stage, action, kind, "".join(scripts)))
    return found


def user_env(handle: SandboxHandle, home: Path) -> dict[str, str]:
    """The shell environment of a user of the demo's sandbox, with ``home`` as ``$HOME``.

    The process's own environment is the demo's (``demo_environment``): the cockpit's
    variables, its git identity (``GIT_CONFIG_GLOBAL``) and signing key (``GNUPGHOME``);
    over it go the sandbox's ``export`` lines, and a gh configuration of the user's own
    whose git credential helper answers for the sandbox's host."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "GIT_AUTHOR", "GIT_COMMITTER"))}
    gitconfig = home / "gitconfig"
    shutil.copyfile(os.environ["GIT_CONFIG_GLOBAL"], gitconfig)
    env.update({
        "HOME": str(home), "GH_CONFIG_DIR": str(home / "gh"),
        "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_TERMINAL_PROMPT": "0",
        "GH_PROMPT_DISABLED": "1", "GH_NO_UPDATE_NOTIFIER": "1", "GH_PAGER": "",
        "NO_COLOR": "1", "PAGER": "cat",
        # Only the sandbox answers: a command that would reach a real service (a registry
        # the explanation forgot to name) fails through a proxy that is not there.
        **{name: "http://127.0.0.1:9" for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy",
                                                   "http_proxy", "npm_config_proxy",
                                                   "npm_config_https_proxy")},
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "npm_config_update_notifier": "false",
        # `cockpit` itself, as the user installed it
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **handle.sandbox.client_env(),
    })
    (home / "gh").mkdir(parents=True, exist_ok=True)
    subprocess.run(["gh", "auth", "setup-git", "--hostname", env["GH_HOST"]], env=env,
                   check=True, capture_output=True, text=True)
    return env


@dataclass
class ManualPath:
    """Runs stages by hand in one working directory and environment."""

    handle: SandboxHandle
    home: Path

    seconds: dict[str, float] = field(default_factory=dict)
    """How long each action's commands took (the slow ones are the waits)."""

    def __post_init__(self) -> None:
        self.workdir = self.home / "work"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = user_env(self.handle, self.home)

    def blocks(self, stage: str, version: str) -> list[Block]:
        return blocks(explained(stage, "--release", version), stage,
                      applicable(stage, version))

    def run(self, block: Block) -> Failure | None:
        start = time.perf_counter()
        try:
            return self._run(block)
        finally:
            self.seconds[f"{block.stage}/{block.action}"] = time.perf_counter() - start

    def _run(self, block: Block) -> Failure | None:
        done = subprocess.run(["bash", "-c", _TRAP + block.script], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=120,
                              check=False)
        if done.returncode == 0:
            return None
        failed = re.findall(r"^manual-path: failed: (.*)$", done.stderr, re.MULTILINE)
        return Failure(block, failed[-1] if failed else "bash", done.stdout + done.stderr)

    def run_stage(self, stage: str, version: str) -> list[Failure]:
        """Every applicable action's commands, in order; what failed."""
        return [failure for block in self.blocks(stage, version) if not block.by_hand
                if (failure := self.run(block)) is not None]
