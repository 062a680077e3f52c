"""``crates.release`` (``cockpit/actions/crates.py``) through the engine against the
sandbox's crates.io over loopback; versions are published through its cargo API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.crates_setup import cargo_publish
from tests.kinds.harness import Run, inline, make_engine


@pytest.fixture(scope="module")
def world(module_sandbox: SandboxHandle) -> SandboxHandle:
    """acme-widgets 1.2.0 on the sandbox's crates.io."""
    assert cargo_publish(module_sandbox, "acme-widgets", "1.2.0").status_code == 200
    return module_sandbox


@pytest.fixture(autouse=True)
def sandbox(world: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    world.clear_requests()
    yield world


def on_crates(crate: str, version: str) -> Run:
    return Run(inline([("on-crates", "crates.release", {"crate": crate, "version": version})]),
               abort=True)


async def test_a_published_version_is_done_and_nothing_is_sent(sandbox: SandboxHandle) -> None:
    run = on_crates("acme-widgets", "v1.2.0")
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == [] and not sandbox.requests(mutating=True)
    assert [r["path"] for r in sandbox.requests(service="crates")] == [
        "/crates/api/v1/crates/acme-widgets/1.2.0"]


@pytest.mark.parametrize(("crate", "reason"), [
    ("acme-widgets", "acme-widgets 1.3.0 is not on crates.io (newest is 1.2.0)"),
    ("acme-gadgets", "acme-gadgets is not on crates.io at all"),
], ids=["other-version", "no-crate"])
async def test_a_missing_version_is_failed_with_the_fix(crate: str, reason: str) -> None:
    report = await on_crates(crate, "1.3.0")()
    assert report.outcome is Outcome.ABORTED
    assert reason in report.actions[0].reason and f"cargo publish -p {crate}" in \
        report.actions[0].reason


def test_the_explanation_gives_the_exact_commands(sandbox: SandboxHandle) -> None:
    plan = inline([("c", "crates.release", {"crate": "acme-widgets", "version": "1.2.0"})])
    engine, _ = make_engine(plan)
    kind = engine.build(plan.stages[0], plan.stages[0].actions[0])
    assert kind is not None
    crates = sandbox.env["COCKPIT_CRATES_URL"]
    assert (f"curl -fsS -A cockpit {crates}/api/v1/crates/acme-widgets/1.2.0 | jq "
            "'.version | {num, yanked}'") in kind.explain()


async def test_a_yanked_version_is_failed(sandbox: SandboxHandle) -> None:
    assert cargo_publish(sandbox, "acme-yanked", "0.1.0").status_code == 200
    with sandbox.sandbox.world.lock:
        sandbox.sandbox.world.data["crates"]["acme-yanked"]["versions"]["0.1.0"]["yanked"] = True
    report = await on_crates("acme-yanked", "0.1.0")()
    assert "acme-yanked 0.1.0 is on crates.io but yanked" in report.actions[0].reason
