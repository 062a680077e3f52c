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
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.cli import main
from cockpit.model import Version
from cockpit.playbook import load_playbook
from tests.e2e.cycle import by_hand
from tests.e2e.driver import ReleaseDriver
from tests.reliability.release_runner import RUN_ENV, scoped_env

if TYPE_CHECKING:
    from cockpit.sandbox.testing import SandboxHandle

_HEADING = re.compile(r"^## (?P<stage>[\w-]+)/(?P<action>[\w-]+)\b", re.MULTILINE)
_SH_BLOCK = re.compile(r"^(?P<fence>`{3,})sh\n(?P<body>.*?)^(?P=fence)$",
                       re.MULTILINE | re.DOTALL)

_PLACEHOLDER = re.compile(r"\{[a-z][a-z_.]*\}")
"""A template name left in a text (``{run_url}``): the printed commands posted it unfilled."""

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


# -- a whole release by hand, stage by stage ------------------------------------------------

_CHECKED_INCOMPLETE = re.compile(r"^\s+(\S+): check → incomplete", re.MULTILINE)
"""A ``cockpit run`` line for an action its run found left to do (and so applied)."""


@dataclass
class ByHand:
    """The demo's world, the user who releases in it by hand, and how far they got."""

    path: ManualPath
    driver: ReleaseDriver
    done: list[str] = field(default_factory=list)
    """``version stage`` of every stage released by hand, in order."""


@contextlib.contextmanager
def by_hand_world(home: Path) -> Iterator[ByHand]:
    """The demo's world over TLS (what ``gh`` needs), its driver (for ``cockpit status``
    and the Done runs) and its user, with everything under ``home``."""
    from cockpit.demo import demo_environment

    answers = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    with demo_environment(home, tls=True, workflow_seconds=0.4) as handle, \
            resources.as_file(answers) as answers_file, scoped_env(RUN_ENV):
        driver = ReleaseDriver(dict(os.environ), answers_file)
        with driver._environment():
            path = ManualPath(handle, home / "user")
        yield ByHand(path, driver)


def stages_of(version: str) -> list[str]:
    """The stages ``version``'s release runs, in the playbook's order."""
    return [stage.id for stage in load_playbook().stages if applicable(stage.id, version)]


def _unsettled(report: dict[str, Any], stage: str) -> dict[str, dict[str, Any]]:
    """The stage's actions that are not settled (done, not applicable, or skipped by the
    driver), by id."""
    return {row["action"]: row for row in report["actions"]
            if row["stage"] == stage
            and row["state"] not in ("done", "not applicable", "skipped")}


def skipped_by_answers(world: ByHand, stage: str) -> set[str]:
    """``stage``'s actions the demo's driver skips when their check fails (its answers
    file: Go, needed only for the by-hand dependency update, is not on this machine). Their
    blocks may fail here; the driver's Done run skips them, as in ``cockpit demo``."""
    answers = tomllib.loads(world.driver.answers.read_text(encoding="utf-8"))
    return {key.split("/")[1] for key, answer in answers.items()
            if key.startswith(f"{stage}/") and key.endswith("/failed")
            and isinstance(answer, dict) and answer.get("value") == "skip"}


def unfilled(document: Any, where: str = "") -> list[str]:
    """Where the sandbox's world (its issues, comments, releases, posts...) holds a text
    with a template name left in it, and the name."""
    if isinstance(document, dict):
        return [hit for key, value in document.items() for hit in unfilled(value, f"{where}/{key}")]
    if isinstance(document, list):
        return [hit for n, value in enumerate(document) for hit in unfilled(value, f"{where}/{n}")]
    if isinstance(document, str):
        return [f"{where}: {name}" for name in _PLACEHOLDER.findall(document)]
    return []


def release_stage(world: ByHand, stage: str, version: str) -> str | None:
    """``stage`` of ``version`` released by hand; what went wrong, or None.

    The demo's stand-in maintainer does the driver's own work before the release's first
    stage (``tests.e2e.cycle.by_hand``); every applicable action's ``sh`` block runs as
    printed, stopping at the first command that fails; then ``cockpit status`` must find
    nothing left to apply but the ``manual`` steps, which the driver's Done (``cockpit run
    STAGE``) settles without applying anything else."""
    hands = by_hand(world.path.handle, version)
    skipped = skipped_by_answers(world, stage)
    with world.driver._environment():
        if stage in hands:  # in the demo's environment: its git trusts the sandbox's CA
            hands[stage]()
        for block in world.path.blocks(stage, version):
            failure = None if block.by_hand else world.path.run(block)
            if failure is not None and block.action not in skipped:
                return str(failure)
    if left_in := unfilled(world.path.handle.state()):
        return f"posted with a template name left in it: {left_in}"
    left = _unsettled(world.driver.status(version), stage)
    manual = by_hand_steps(stage, version)
    if not set(left) <= manual | skipped:
        return f"left to apply after the printed commands: {left}"
    if any(row["status"] != "incomplete" for action, row in left.items() if action in manual):
        return f"manual steps not merely incomplete: {left}"
    if left:  # Done, pressed for the steps only a person can settle
        run = world.driver.run_stage(stage, version)
        if run.exit_code != 0:
            return f"the Done run failed:\n{run.stdout}{run.stderr}"
        applied = set(_CHECKED_INCOMPLETE.findall(run.stdout))
        if applied != set(left) - skipped:
            return f"the Done run applied {applied}, not only {set(left) - skipped}"
        if still := _unsettled(world.driver.status(version), stage):
            return f"not settled after the Done run: {still}"
    world.done.append(f"{version} {stage}")
    return None
