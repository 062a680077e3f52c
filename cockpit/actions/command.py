"""``command.run``: a step that is a local command, guarded by a check command.

Many projects' release steps are scripts (``make dist``, ``./scripts/bump.sh 1.2.0``).
The cockpit can run them, but only the way it runs everything: check, apply, check
again. So a command step must declare its ``check``, a command that exits 0 once the
step is done (a file has the version, a build exists, a tag is there); a playbook
without one does not load. The check runs first, and when it passes the command does
not run at all (a rerun is safe); after the command, the check must pass, or the step is
failed, not done (a script that exits 0 without doing its job is caught).

Both run with ``/bin/sh -c`` in ``cwd`` (relative to the directory the cockpit runs in),
with the cockpit's environment; ``timeout_seconds`` bounds each (the whole process group
is ended when it passes, or when the stage is cancelled). Their output goes to the
action's log line by line as it comes, through the session's redactor, which also hides
the values of the variables named in ``secret_env``. Parameters are templates like any
other: ``{version.number}`` is filled in, and a literal brace is written twice (``${{HOME}}``).

The check is the author's promise that it only reads: it runs in read-only sessions too
(a shadow, a walkthrough), on the machine that runs the cockpit.

    [[stages.actions]]
    id = "build"
    kind = "command.run"
    title = "Build the distributions"
    reversibility = "reversible"
    params = { run = "python -m build", check = "ls dist/acme_widgets-{version.number}.tar.gz",
               cwd = "." }
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from cockpit.actions.base import Params, Step, code_block, register
from cockpit.model import CheckResult, Reversibility

KEEP_LINES = 5
"""Lines of output a result's reason quotes (all of it is in the log)."""
CANNOT_RUN = {126: "not executable", 127: "command not found"}
"""The shell's exit codes for a command that never ran."""


class CommandParams(Params):
    run: str
    """The command that does the step, as typed in a shell (``/bin/sh -c``)."""
    check: str
    """Required: a command that exits 0 when the step is done, and non-zero when it is not
    (yet). It runs before ``run`` (done: ``run`` is skipped) and after it (it must pass)."""
    cwd: str = "."
    """The working directory of both commands (``~`` expands; relative to the directory
    the cockpit runs in)."""
    timeout_seconds: float = Field(600.0, gt=0, allow_inf_nan=False)
    """How long ``run`` may take before it is stopped (and the step failed)."""
    check_timeout_seconds: float = Field(60.0, gt=0, allow_inf_nan=False)
    """How long one run of ``check`` may take."""
    secret_env: list[str] = []
    """Environment variables whose values never reach the log (``TWINE_PASSWORD``)."""

    @field_validator("run", "check")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a command (a command step never runs without its "
                             "check, nor with an empty command)")
        return value


@dataclass(frozen=True)
class Finished:
    """How one command ended."""

    code: int | None
    """The exit status; negative: killed by that signal; None: timed out."""
    tail: list[str]
    """Its last lines of output."""

    @property
    def last(self) -> str:
        return " | ".join(self.tail[-KEEP_LINES:]) or "no output"


class CommandFailed(RuntimeError):
    """The command exited non-zero, was killed, or timed out."""


@register
class RunCommand(Step[CommandParams]):
    kind = "command.run"
    summary = "Run a local command unless its check says the step is done; the check must pass after"
    reversibility = Reversibility.IRREVERSIBLE
    """A command can do anything (``twine upload`` cannot be undone), and the cockpit cannot
    know what: it asks for a typed confirmation unless the playbook says what this one is
    (``reversibility = "reversible"`` for a build, a file edit)."""

    @property
    def _cwd(self) -> Path:
        return Path(self.params.cwd).expanduser()

    def explain(self) -> str:
        p = self.params
        return (f"Runs `{p.run}` in `{p.cwd}`, but only if the check `{p.check}` fails: "
                "when it already passes, the step is done and nothing runs, so a rerun is "
                f"safe. After the command the check must pass, or the step is failed. "
                f"The command may take {p.timeout_seconds:g} s; its output is in the log "
                "(secrets hidden). By hand:\n\n"
                + code_block(f"cd {shlex.quote(p.cwd)}",
                             "# 1. the check: exit 0 means already done (then stop here)",
                             p.check,
                             "# 2. the step",
                             p.run,
                             "# 3. the check again: it must exit 0 now",
                             p.check))

    async def confirmation(self) -> tuple[str, str]:
        return (f"Run `{self.params.run}` in {self.params.cwd}.", self.ctx.action_id)

    async def check(self) -> CheckResult:
        p = self.params
        if not self._cwd.is_dir():
            return CheckResult.failed(f"the working directory {p.cwd} does not exist "
                                      f"(from {Path.cwd()})")
        done = await self._sh(p.check, p.check_timeout_seconds, "check")
        if done.code == 0:
            return CheckResult.done(f"the check passes: {p.check}")
        if done.code is None:
            return CheckResult.failed(f"the check timed out after {p.check_timeout_seconds:g} "
                                      f"s: {p.check}")
        if done.code in CANNOT_RUN or done.code < 0:
            why = CANNOT_RUN.get(done.code) or f"killed by signal {-done.code}"
            return CheckResult.failed(f"the check cannot run (exit {done.code}: {why}): "
                                      f"{done.last}")
        return CheckResult.incomplete(f"the check says not done (exit {done.code}): "
                                      f"{done.last}")

    async def apply(self) -> None:
        p = self.params
        self.ctx.guard_write(f"run {p.run!r}")
        self.ctx.manual(f"cd {shlex.quote(p.cwd)} && {p.run}")
        done = await self._sh(p.run, p.timeout_seconds, "run")
        if done.code is None:
            raise CommandFailed(f"{p.run!r} timed out after {p.timeout_seconds:g} s and was "
                                f"stopped: {done.last}")
        if done.code != 0:
            raise CommandFailed(f"{p.run!r} exited {done.code}: {done.last}")

    async def _sh(self, command: str, timeout: float, label: str) -> Finished:
        """Run ``command`` with the shell in ``cwd``, each output line to the log as it
        comes; the whole process group is ended on timeout or cancellation."""
        for name in self.params.secret_env:
            self.ctx.session.redact.add(os.environ.get(name))
        self.ctx.log(f"{label}: $ {command}")
        process = await asyncio.create_subprocess_exec(
            "/bin/sh", "-c", command, cwd=self._cwd, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
        tail: deque[str] = deque(maxlen=KEEP_LINES)
        try:
            await asyncio.wait_for(self._pump(process, tail), timeout)
            code: int | None = await process.wait()
        except TimeoutError:
            code = None
        finally:
            if process.returncode is None:
                await _stop(process)
        self.ctx.log(f"{label}: {'timed out' if code is None else f'exit {code}'}")
        return Finished(code, [self.ctx.session.redact(line) for line in tail])

    async def _pump(self, process: asyncio.subprocess.Process, tail: deque[str]) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            tail.append(line)
            self.ctx.log("  " + line)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """End the command's whole process group: TERM, then KILL after two seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), 2.0)
            return
        except TimeoutError:
            continue
