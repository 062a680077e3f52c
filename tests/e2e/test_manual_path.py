"""The manual path, proved: v0.30.0-rc1 released by hand, stage by stage, with exactly the
commands ``cockpit explain STAGE --release v0.30.0-rc1`` prints (issue 15).

For each stage in order: the demo's stand-in maintainer does the driver's own work
(``tests.e2e.cycle.by_hand``), every applicable action's ``sh`` block runs as printed
(``tests.manual_path``: bash, the real ``gh`` over HTTPS, git, curl, jq) as a user of the
demo's sandbox would paste it; then ``cockpit status`` must find nothing left to apply but
the ``manual`` steps, which only a person's "Done" can settle. The driver presses Done
(``cockpit run STAGE``), that run must apply nothing else, and the stage is done.

A command that fails names itself: the explanation is wrong and is fixed in its kind
(``explain``), never here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pytest

from tests.e2e.cycle import by_hand
from tests.e2e.driver import ReleaseDriver
from tests.gh_setup import needs_gh
from tests.manual_path import ManualPath, by_hand_steps
from tests.reliability.release_runner import RUN_ENV, scoped_env

VERSION = "v0.30.0-rc1"

PROVED = ("preflight", "prepare-branch", "tag", "publish-to-dockerhub",
          "publish-to-distributions", "publish-to-npm", "publish-to-github", "staging",
          "promote", "test-ipfs-companion")
"""The stages whose printed commands release v0.30.0-rc1 by hand, in the playbook's order:
every stage the RC runs. Stages the RC skips (update-ipfs-desktop,
-docs, -blog, merge-branch, prepare-next) and the final's own actions are not run here."""

_CHECKED_INCOMPLETE = re.compile(r"^\s+(\S+): check → incomplete", re.MULTILINE)
"""A ``cockpit run`` line for an action its run found left to do (and so applied)."""


@dataclass
class ByHand:
    """The demo's world, the user who releases in it by hand, and how far they got."""

    path: ManualPath
    driver: ReleaseDriver
    done: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def by_hand_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ByHand]:
    from cockpit.demo import demo_environment

    home = tmp_path_factory.mktemp("manual-path")
    answers = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    with demo_environment(home, tls=True, workflow_seconds=0.4) as handle, \
            resources.as_file(answers) as answers_file, scoped_env(RUN_ENV):
        driver = ReleaseDriver(dict(os.environ), answers_file)
        with driver._environment():
            path = ManualPath(handle, home / "user")
        yield ByHand(path, driver)


def _rows(report: dict[str, Any], stage: str) -> dict[str, dict[str, Any]]:
    """The stage's actions that are not settled (done or not applicable), by id."""
    return {row["action"]: row for row in report["actions"]
            if row["stage"] == stage and row["state"] not in ("done", "not applicable")}


@needs_gh
@pytest.mark.parametrize("stage", PROVED)
def test_a_stage_released_by_hand_with_the_printed_commands(by_hand_world: ByHand,
                                                            stage: str) -> None:
    world = by_hand_world
    before = PROVED[:PROVED.index(stage)]
    if world.done != list(before):
        pytest.skip(f"an earlier stage was not released by hand ({world.done})")
    hands = by_hand(world.path.handle, VERSION)
    if stage in hands:
        hands[stage]()

    with world.driver._environment():
        blocks = world.path.blocks(stage, VERSION)
        for block in blocks:  # as a person would: stop at the first command that fails
            failure = None if block.by_hand else world.path.run(block)
            assert failure is None, str(failure)

    left = _rows(world.driver.status(VERSION), stage)
    assert set(left) <= by_hand_steps(stage, VERSION), f"left to apply after the printed commands: {left}"
    assert all(row["status"] == "incomplete" for row in left.values()), left

    if left:  # Done, pressed for the steps only a person can settle
        run = world.driver.run_stage(stage, VERSION)
        assert run.exit_code == 0, run.stdout + run.stderr
        applied = set(_CHECKED_INCOMPLETE.findall(run.stdout))
        assert applied == set(left), f"the Done run applied {applied}, not only {set(left)}"
        assert not _rows(world.driver.status(VERSION), stage)
    world.done.append(stage)
    slow = sorted(world.path.seconds.items(), key=lambda kv: -kv[1])[:3]
    print(f"{stage}: slowest commands " + ", ".join(f"{k} {v:.1f} s" for k, v in slow))
