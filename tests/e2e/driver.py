"""Drive releases the way a user does: ``cockpit run STAGE --version V --yes --answers FILE``.

A step that needs a second maintainer (Kubo's tag push) is asked for and the run stops
("waiting for review"); the sandbox's second maintainer then approves it with its own
token (``cockpit review --approve``, which recomputes the facts itself), and the stage is
run again, as two people would.

The CLI's ``main()`` runs in this process (a subprocess per stage would spend most of
the test budget importing the cockpit), but everything else is real: the sandbox is
served over HTTP on 127.0.0.1, git pushes go over smart HTTP, and each run gets the
exact environment ``cockpit demo`` gives a driver (throwaway git identity, GPG key,
state directory). Every byte a run prints is kept, for the secret scan.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.cli import main
from cockpit.playbook import load_playbook

STAGES = tuple(stage.id for stage in load_playbook().stages)

_REVIEW_ASKED = re.compile(r"waiting for review: .*--approve (\S+)`")
"""A stage that stopped for a second maintainer names what to approve."""

IDENTITY_OVERRIDES = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                      "GIT_COMMITTER_EMAIL")
"""Test-wide identity variables that would shadow the demo's git identity (and so no
longer match its signing key): a driver run has none of them."""


@dataclass(frozen=True)
class StageRun:
    """One ``cockpit run`` as the driver saw it."""

    stage: str
    version: str
    exit_code: int
    seconds: float
    stdout: str
    stderr: str


@dataclass
class ReleaseDriver:
    """Runs cockpit verbs in a fixed environment and keeps what they printed."""

    env: dict[str, str]
    answers: Path
    runs: list[StageRun] = field(default_factory=list)
    reviews: list[StageRun] = field(default_factory=list)
    """The second maintainer's ``cockpit review --approve`` runs."""

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update({k: v for k, v in self.env.items() if k not in IDENTITY_OVERRIDES})
        os.environ["COCKPIT_REVIEW_WAIT_SECONDS"] = "0"  # ask, stop; approved, run again
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def run_stage(self, stage: str, version: str) -> StageRun:
        """One stage; when it stops for a review, the approval, then the stage again."""
        run = self._run_stage(stage, version)
        asked = _REVIEW_ASKED.search(run.stdout + run.stderr) if run.exit_code == 1 else None
        if asked is not None:
            self.second_maintainer_approves(version, asked.group(1))
            run = self._run_stage(stage, version)
        return run

    APPROVAL_TRIES = 4
    """Under faults an approval's answer can be lost: the reviewer reruns it, as its message
    says (a rerun finds an approval that landed and posts nothing)."""

    def _run_stage(self, stage: str, version: str) -> StageRun:
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with self._environment(), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            code = main(["run", stage, "--version", version, "--yes",
                         "--answers", str(self.answers)])
        run = StageRun(stage, version, code, time.perf_counter() - start, out.getvalue(),
                       err.getvalue())
        self.runs.append(run)
        return run

    def second_maintainer_approves(self, version: str, target: str) -> StageRun:
        """``cockpit review --approve`` as the sandbox's second maintainer (its own token
        and workspace); kept with the runs, for the secret scan."""
        reviewer = {"COCKPIT_GITHUB_TOKEN": self.env["COCKPIT_REVIEWER_TOKEN"],
                    "COCKPIT_WORKSPACE_DIR": self.env.get("COCKPIT_WORKSPACE_DIR", "w")
                    + "-reviewer"}
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with self._environment(), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            os.environ.update(reviewer)
            for _ in range(self.APPROVAL_TRIES):
                code = main(["review", "--release", version, "--approve", target, "--yes"])
                if code == 0:
                    break
        run = StageRun(f"review {target}", version, code, time.perf_counter() - start,
                       out.getvalue(), err.getvalue())
        self.reviews.append(run)
        assert code == 0, run.stdout + run.stderr
        return run

    def run_release(self, version: str,
                    by_hand: Mapping[str, Callable[[], object]] | None = None,
                    reruns: int = 0) -> list[StageRun]:
        """All stages in order, stopping at the first that does not finish (as a driver
        would: the next stage depends on this one). ``by_hand[stage]`` is the driver's
        own work, done just before that stage runs. A stage that stops (exit 1) is run
        again up to ``reruns`` times, as its message tells the driver to."""
        done: list[StageRun] = []
        for stage in STAGES:
            if by_hand and stage in by_hand:
                by_hand[stage]()
            for _ in range(reruns + 1):
                run = self.run_stage(stage, version)
                done.append(run)
                if run.exit_code != 1:
                    break
            if run.exit_code != 0:
                break
        return done

    def status(self, version: str, *flags: str) -> dict[str, Any]:
        """``cockpit status --json`` of ``version`` in the driver's environment."""
        out, err = io.StringIO(), io.StringIO()
        with self._environment(), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            code = main(["status", "--release", version, "--json", *flags])
        assert code in (0, 1), err.getvalue()
        report: dict[str, Any] = json.loads(out.getvalue())
        return report

    def printed(self) -> str:
        """Everything every run wrote to stdout and stderr."""
        return "".join(run.stdout + run.stderr for run in [*self.runs, *self.reviews])


def said(*args: str) -> str:
    """What ``cockpit ARGS`` prints (run in this process, in the cycle's environment)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(list(args))
    return out.getvalue() + err.getvalue()


def finished(runs: list[StageRun]) -> bool:
    """Every stage ran and the last run of each finished."""
    last = {run.stage: run.exit_code for run in runs}
    return len(last) == len(STAGES) and not any(last.values())


def failure_report(runs: list[StageRun]) -> str:
    """The tail of the last failed stage's output: what an assertion message needs."""
    failed = [run for run in runs if run.exit_code != 0]
    if not failed:
        return "every stage finished"
    run = failed[-1]
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-40:])
    return f"{run.version} {run.stage} exited {run.exit_code}:\n{tail}"
