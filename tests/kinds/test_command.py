"""``command.run`` (``cockpit/actions/command.py``) through the engine: real shell commands
in a temporary directory, the check before and after, output in the log, secrets hidden.
No sandbox: a command step talks to no service (and the settings' defaults are never
reached: nothing here makes a request)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from cockpit.model import Outcome
from cockpit.playbook import PlaybookError, parse_playbook
from tests.kinds.harness import Run, inline, make_engine


def step(tmp_path: Path, run: str, check: str, **more: Any) -> Run:
    params = {"run": run, "check": check, "cwd": str(tmp_path), **more}
    return Run(inline([("cmd", "command.run", params)]), abort=True)


async def test_a_step_whose_check_passes_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "built").write_text("1.2.0\n")
    run = step(tmp_path, "echo ran > ran.txt", "grep -qx 1.2.0 built")
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == [] and not (tmp_path / "ran.txt").exists()
    assert "the check passes: grep -qx 1.2.0 built" in report.actions[0].reason


async def test_the_command_runs_once_then_the_check_passes(tmp_path: Path) -> None:
    command = "echo building; echo 1.2.0 > built; echo built >&2"
    run = step(tmp_path, command, "grep -qx 1.2.0 built")
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == ["cmd"]
    log = run.log_text()
    assert f"$ cd {tmp_path} && {command}" in log  # the manual equivalent
    assert "  building" in log and "  built" in log  # stdout and stderr, line by line
    assert log.index("check: exit 2") < log.index("run: exit 0") < log.index("check: exit 0")
    again = step(tmp_path, command, "grep -qx 1.2.0 built")
    assert (await again()).outcome is Outcome.DONE and again.applied == []


@pytest.mark.parametrize(("command", "reason"), [
    ("echo did nothing", "still incomplete after applying: the check says not done (exit 1)"),
    ("echo broken; exit 3", "apply failed: 'echo broken; exit 3' exited 3: broken"),
], ids=["exit-0-but-check-fails", "command-fails"])
async def test_a_command_that_does_not_do_the_step_is_failed(
        tmp_path: Path, command: str, reason: str) -> None:
    run = step(tmp_path, command, "test -e built")
    report = await run()
    # Failed: the engine asked the driver what to do (the test answers "abort").
    assert report.outcome is Outcome.ABORTED and run.applied == ["cmd"]
    assert report.actions[0].reason.startswith(f"aborted by the driver: {reason}"), \
        report.actions[0].reason


async def test_a_command_past_its_timeout_is_stopped_and_failed(
        tmp_path: Path) -> None:
    started = time.monotonic()
    run = step(tmp_path, "echo $$ > pid; sleep 30; touch built", "test -e built",
               timeout_seconds=0.5)
    report = await run()
    assert time.monotonic() - started < 10
    assert "timed out after 0.5 s and was stopped" in report.actions[0].reason
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):  # the shell (and its sleep) are gone
        import os
        os.kill(pid, 0)


async def test_a_check_that_cannot_run_is_failed_and_the_command_never_runs(
        tmp_path: Path) -> None:
    run = step(tmp_path, "touch ran", "no-such-checker --version")
    report = await run()
    assert run.applied == [] and not (tmp_path / "ran").exists()
    assert "the check cannot run (exit 127: command not found)" in report.actions[0].reason


async def test_secrets_never_reach_the_log(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPLOAD_PASSWORD", "hunter2-upload-secret")
    monkeypatch.setenv("COCKPIT_GITHUB_TOKEN", "ghp_sessiontoken0123456789")
    run = step(tmp_path, 'echo "pw=$UPLOAD_PASSWORD gh=$COCKPIT_GITHUB_TOKEN"; touch built',
               "test -e built", secret_env=["UPLOAD_PASSWORD"])
    report = await run()
    assert report.outcome is Outcome.DONE, report
    log = run.log_text()
    assert "pw=*** gh=***" in log
    assert "hunter2-upload-secret" not in log and "ghp_sessiontoken" not in log


async def test_a_read_only_session_checks_but_never_runs(tmp_path: Path) -> None:
    plan = inline([("cmd", "command.run", {"run": "touch built", "check": "test -e built",
                                           "cwd": str(tmp_path)})])
    engine, _ = make_engine(plan, read_only=True)
    report = await engine.run_stage("s")
    assert report.outcome is Outcome.NEEDS_HUMAN and "would apply" in report.reason
    assert not (tmp_path / "built").exists()


def test_the_explanation_shows_both_commands_exactly() -> None:
    plan = inline([("cmd", "command.run", {"run": "make dist VERSION=1.2.0",
                                           "check": "ls dist/*1.2.0*", "cwd": "pkg dir"})])
    engine, _ = make_engine(plan)
    kind = engine.build(plan.stages[0], plan.stages[0].actions[0])
    assert kind is not None
    text = kind.explain()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block == ["cd 'pkg dir'",
                     "# 1. the check: exit 0 means already done (then stop here)",
                     "ls dist/*1.2.0*", "# 2. the step", "make dist VERSION=1.2.0",
                     "# 3. the check again: it must exit 0 now", "ls dist/*1.2.0*"]


@pytest.mark.parametrize(("params", "message"), [
    ('{ run = "make dist" }', "field 'params.check': Field required"),
    ('{ run = "make dist", check = "  " }', "field 'params.check': Value error, must be a "
                                             "command (a command step never runs without "
                                             "its check"),
], ids=["missing", "blank"])
def test_a_command_without_a_check_does_not_load(params: str, message: str) -> None:
    text = ('name = "t"\ntitle = "T"\n[[stages]]\nid = "s"\ntitle = "S"\nsummary = "s"\n'
            '[[stages.actions]]\nid = "build"\nkind = "command.run"\ntitle = "Build"\n'
            f"params = {params}\n")
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "p.toml")
    assert "p.toml:11" in str(caught.value) and message in str(caught.value), caught.value


async def test_a_cancelled_stage_ends_the_running_command(tmp_path: Path) -> None:
    import asyncio
    import os

    plan = inline([("cmd", "command.run", {"run": "echo $$ > pid; sleep 30",
                                           "check": "test -e built", "cwd": str(tmp_path)})])
    engine, _ = make_engine(plan)
    task = asyncio.create_task(engine.run_stage("s"))
    for _ in range(200):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text().strip():
            break
        await asyncio.sleep(0.02)
    pid = int((tmp_path / "pid").read_text())
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await engine.session.aclose()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
