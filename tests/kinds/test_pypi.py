"""``pypi.release`` (``cockpit/actions/pypi.py``) through the engine against the sandbox's
PyPI over loopback: releases are put there through its upload API, as twine does. One
sandbox for the module (each case reads a different project or version of it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cockpit.events import ActionChecked
from cockpit.model import Outcome, Status
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import Run, inline, make_engine
from tests.pypi_setup import release


@pytest.fixture(scope="module")
def world(module_sandbox: SandboxHandle) -> SandboxHandle:
    """acme-widgets 1.2.0rc1 and 1.2.0 (sdist and wheel), acme-gadgets 1.3.0 (a wheel)."""
    release(module_sandbox, "acme-widgets", "1.2.0rc1")
    release(module_sandbox, "acme-widgets", "1.2.0")
    release(module_sandbox, "acme-gadgets", "1.3.0", ("wheel",))
    return module_sandbox


@pytest.fixture(autouse=True)
def sandbox(world: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """The module's sandbox, its settings exported, its request log cleared."""
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    world.clear_requests()
    yield world


def on_pypi(version: str, files: list[str] | None = None, package: str = "Acme.Widgets"
            ) -> Run:
    params: dict[str, object] = {"package": package, "version": version}
    if files is not None:
        params["files"] = files
    return Run(inline([("on-pypi", "pypi.release", params)]), abort=True)


async def test_a_release_already_there_is_done_and_nothing_is_sent(
        sandbox: SandboxHandle) -> None:
    run = on_pypi("v1.2.0-rc1")  # the tag's spelling: PEP 440 makes it 1.2.0rc1
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == []
    assert "acme_widgets-1.2.0rc1.tar.gz" in report.actions[0].reason
    assert report.actions[0].link and "/pypi/project/acme-widgets/1.2.0rc1/" in \
        report.actions[0].link
    assert not sandbox.requests(mutating=True)
    assert [r["path"] for r in sandbox.requests(service="pypi")] == [
        "/pypi/pypi/acme-widgets/1.2.0rc1/json"]


@pytest.mark.parametrize(("package", "version", "reason"), [
    ("nothing-here", "1.3.0", "nothing-here is not on PyPI at all"),
    ("acme-widgets", "1.3.0", "acme-widgets 1.3.0 is not on PyPI (latest is 1.2.0)"),
    ("acme-gadgets", "1.3.0", "acme-gadgets 1.3.0 is on PyPI without sdist"),
], ids=["no-project", "other-version-only", "wheel-without-sdist"])
async def test_a_missing_release_or_file_is_failed_with_the_fix(
        package: str, version: str, reason: str) -> None:
    run = on_pypi(version, package=package)
    report = await run()
    assert report.outcome is not Outcome.DONE
    assert [e for e in run.events if isinstance(e, ActionChecked)][-1].result.status \
        is Status.FAILED
    assert reason in report.actions[0].reason, report.actions[0].reason
    assert f"twine upload dist/{package.replace('-', '_')}-1.3.0*" in report.actions[0].reason


async def test_a_wheel_only_project_passes_when_only_wheels_are_asked() -> None:
    assert (await on_pypi("1.3.0", ["wheel"], "acme-gadgets")()).outcome is Outcome.DONE


async def test_a_version_that_is_not_pep440_is_failed_not_sent(sandbox: SandboxHandle) -> None:
    report = await on_pypi("v1.x")()
    assert "'v1.x' is not a PEP 440 version" in report.actions[0].reason
    assert not sandbox.requests(service="pypi")


def test_the_explanation_names_the_exact_manual_commands(sandbox: SandboxHandle) -> None:
    plan = inline([("on-pypi", "pypi.release", {"package": "Acme.Widgets",
                                                "version": "1.2.0-rc1"})])
    engine, _ = make_engine(plan)
    kind = engine.build(plan.stages[0], plan.stages[0].actions[0])
    assert kind is not None
    pypi = sandbox.env["COCKPIT_PYPI_URL"]
    text = kind.explain()
    assert (f"curl -fsS {pypi}/pypi/acme-widgets/1.2.0rc1/json | jq -r '.info.yanked, "
            "(.urls[] | .packagetype + \" \" + .filename)'") in text
    assert (f"python -m pip download --no-deps --dest /tmp/acme-widgets --index-url "
            f"{pypi}/simple/ 'acme-widgets==1.2.0rc1'") in text


async def test_a_yanked_release_is_failed(sandbox: SandboxHandle) -> None:
    """PyPI yanks from its web pages only (no API): the test yanks in the world."""
    release(sandbox, "acme-yanked", "0.1.0")
    with sandbox.sandbox.world.lock:
        entry = sandbox.sandbox.world.data["pypi"]["acme-yanked"]["releases"]["0.1.0"]
        entry.update(yanked=True, yanked_reason="broken wheel")
    report = await on_pypi("0.1.0", package="acme-yanked")()
    assert "acme-yanked 0.1.0 is on PyPI but yanked: broken wheel" in report.actions[0].reason
