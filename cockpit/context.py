"""What an action can reach while it runs: the release, services, the log, the human.

One ``Session`` is built per cockpit process (it owns the service clients and
their connections); each action gets a light ``ActionContext`` view of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.model import Release, Version
from cockpit.prompts import Prompt, PromptAnswer, Prompter
from cockpit.secrets import Redactor, token_from_env
from cockpit.services.git import GitRepo, GitWorkspace
from cockpit.settings import Settings


class SymbolicVersion:
    """Stands in for a version when explaining a playbook without one: ``vX.Y.Z[-rcN]``."""

    major, minor, patch, rc = "X", "Y", "Z", "N"
    base = "X.Y.Z"
    number = "X.Y.Z[-rcN]"
    tag = "vX.Y.Z[-rcN]"
    minor_series = "X.Y"
    next_dev = "X.(Y+1).0-dev"

    def __str__(self) -> str:
        return self.tag


class ReadOnlyViolation(PermissionError):
    """A mutating call in a read-only session (walkthrough, shadow, status)."""


@dataclass
class Session:
    """Per-process shared state: settings, secrets, clients, and the human."""

    settings: Settings
    prompter: Prompter
    release: Release | None = None
    read_only: bool = False
    redact: Redactor = field(default_factory=Redactor)
    emit_log: Callable[[str, str | None, str, str | None], None] = lambda *_: None
    """(stage, action, line, manual equivalent) → the engine turns it into a LogLine."""
    manual_confirmations: set[tuple[str, str]] = field(default_factory=set)
    """(stage, action) pairs a human said they did by hand (restored from the journal)."""
    _git: GitWorkspace | None = None

    def __post_init__(self) -> None:
        for service in ("github", "matrix", "discourse", "discord", "reddit"):
            self.redact.add(token_from_env(service))

    @property
    def version(self) -> Version | SymbolicVersion:
        return self.release.version if self.release else SymbolicVersion()

    def git(self, log: Callable[[str], None]) -> GitWorkspace:
        if self._git is None:
            self._git = GitWorkspace(
                Path(self.settings.workspace_dir) / "clones",
                self.settings.clone_url,
                token_from_env("github"),
                log,
                self.redact,
            )
        self._git.log = log
        return self._git


@dataclass
class ActionContext:
    """The view of the session one action gets."""

    session: Session
    stage_id: str
    action_id: str
    values: dict[str, Any]
    """Template values (``version``, playbook vars) the action's params were rendered with."""

    @property
    def release(self) -> Release:
        if self.session.release is None:
            raise RuntimeError("this needs a release version (pass --version)")
        return self.session.release

    @property
    def settings(self) -> Settings:
        return self.session.settings

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    def log(self, line: str) -> None:
        self.session.emit_log(self.stage_id, self.action_id, self.session.redact(line), None)

    def manual(self, command: str) -> None:
        """Log a command as the manual equivalent of what the cockpit just did."""
        clean = self.session.redact(command)
        self.session.emit_log(self.stage_id, self.action_id, "$ " + clean, clean)

    async def git(self, repo: str) -> GitRepo:
        """A freshly fetched working clone of ``repo`` (``owner/name``)."""
        return await self.session.git(self.manual).open(repo)

    async def ask(self, prompt: Prompt) -> PromptAnswer:
        return await self.session.prompter.ask(prompt)

    def guard_write(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyViolation(f"read-only session: refused to {what}")

    @property
    def prompt_prefix(self) -> str:
        return f"{self.stage_id}/{self.action_id}"
