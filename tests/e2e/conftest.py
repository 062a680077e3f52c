"""The clean release cycle, driven once per test session and shared by the e2e tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.e2e.cycle import CYCLE, ReleasePass, drive
from tests.e2e.driver import ReleaseDriver, finished
from tests.reliability.release_runner import World, release_world


@dataclass
class Cycle:
    """A sandbox world after the whole cycle, the driver that made it, and its passes."""

    world: World
    driver: ReleaseDriver
    passes: list[ReleasePass] = field(default_factory=list)
    """The first pass of each release, in order."""
    reruns: dict[str, list[ReleasePass]] = field(default_factory=dict)
    """By version: the two passes run right after the first, in a row."""


@pytest.fixture(scope="session")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cycle]:
    home = tmp_path_factory.mktemp("e2e-cycle")
    outside = dict(os.environ)
    with release_world(home) as world:
        done = Cycle(world, ReleaseDriver(dict(os.environ), world.answers))
        for version in CYCLE:
            release = drive(world.handle, done.driver, version)
            done.passes.append(release)
            print(release.row("first run"))
            if not finished(release.runs):
                break
            done.reruns[version] = []
            for label in ("second run", "third run"):
                again = drive(world.handle, done.driver, version, with_hands=False)
                done.reruns[version].append(again)
                print(again.row(label))
        # The world stays up for the session, but its environment (tokens, GNUPGHOME, git
        # identity) must not leak into the tests that run after this one: the driver
        # keeps its own copy.
        os.environ.clear()
        os.environ.update(outside)
        yield done
