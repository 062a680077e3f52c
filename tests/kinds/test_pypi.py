"""``pypi.release`` (``cockpit/actions/pypi.py``) through the engine against the sandbox's
PyPI over loopback: releases are put there through its upload API, as twine does."""

from __future__ import annotations

import pytest

from cockpit.events import ActionChecked
from cockpit.model import Outcome, Status
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import Run, inline
from tests.pypi_setup import release


def on_pypi(version: str, files: list[str] | None = None) -> Run:
    params: dict[str, object] = {"package": "Acme.Widgets", "version": version}
    if files is not None:
        params["files"] = files
    return Run(inline([("on-pypi", "pypi.release", params)]), abort=True)


def last_check(run: Run) -> Status:
    return [e for e in run.events if isinstance(e, ActionChecked)][-1].result.status


async def test_a_release_already_there_is_done_and_nothing_is_sent(
        sandbox: SandboxHandle) -> None:
    release(sandbox, "acme-widgets", "1.2.0rc1")
    sandbox.clear_requests()
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


@pytest.mark.parametrize(("uploaded", "wanted", "reason"), [
    ((), None, "acme-widgets is not on PyPI at all"),
    (("sdist", "wheel"), None, "acme-widgets 1.3.0 is not on PyPI (latest is 1.2.0)"),
    (("wheel",), ["sdist", "wheel"], "acme-widgets 1.3.0 is on PyPI without sdist"),
], ids=["no-project", "other-version-only", "wheel-without-sdist"])
async def test_a_missing_release_or_file_is_failed_with_the_fix(
        sandbox: SandboxHandle, uploaded: tuple[str, ...], wanted: list[str] | None,
        reason: str) -> None:
    if uploaded:
        release(sandbox, "acme-widgets", "1.2.0" if len(uploaded) == 2 else "1.3.0", uploaded)
    run = on_pypi("1.3.0", wanted)
    report = await run()
    assert report.outcome is not Outcome.DONE
    assert last_check(run) is Status.FAILED
    assert reason in report.actions[0].reason, report.actions[0].reason
    assert "twine upload dist/acme_widgets-1.3.0*" in report.actions[0].reason


async def test_a_wheel_only_project_passes_when_only_wheels_are_asked(
        sandbox: SandboxHandle) -> None:
    release(sandbox, "acme-widgets", "1.3.0", ("wheel",))
    assert (await on_pypi("1.3.0", ["wheel"])()).outcome is Outcome.DONE


async def test_a_version_that_is_not_pep440_is_failed_not_sent(sandbox: SandboxHandle) -> None:
    run = on_pypi("v1.x")
    report = await run()
    assert "'v1.x' is not a PEP 440 version" in report.actions[0].reason
    assert not sandbox.requests(service="pypi")


def test_the_explanation_names_the_exact_manual_commands(sandbox: SandboxHandle) -> None:
    from tests.kinds.harness import make_engine

    plan = inline([("on-pypi", "pypi.release", {"package": "Acme.Widgets",
                                                "version": "1.2.0-rc1"})])
    engine, _ = make_engine(plan)
    kind = engine.build(plan.stages[0], plan.stages[0].actions[0])
    assert kind is not None
    pypi = sandbox.env["COCKPIT_PYPI_URL"]
    text = kind.explain()
    assert f"curl -s {pypi}/pypi/acme-widgets/1.2.0rc1/json | jq" in text
    assert (f"python -m pip download --no-deps --dest /tmp/acme-widgets --index-url "
            f"{pypi}/simple/ 'acme-widgets==1.2.0rc1'") in text
