"""The cockpit's errors: one root, two branches the command line and the engine act on.

Every error the product raises on purpose derives from ``CockpitError`` (the sandbox's
stay in the sandbox: it is not the product). Callers catch by branch, never by a list:

    CockpitError                 anything the cockpit raises on purpose: exit 1, no traceback
    ├── BadInput                 the user got a name, a version or a file wrong: exit 2
    ├── StageStopped             a stage stops and waits for a human: exit 1
    │   └── Declined             ... because the driver said no: the stage is cancelled
    ├── CannotFix                a check cannot make itself pass; says what a human must do
    └── ReadOnlyViolation        a mutating call in a read-only session

Each module keeps its own subclass next to the code that raises it (``VersionError`` in
``model``, ``ServiceError`` in ``services.http``, ``StoreError`` in ``ci.store``...) and
keeps ``ValueError``/``RuntimeError``/``LookupError`` as a second base where callers catch
those. This module imports nothing from the cockpit, so every layer can import it.
"""

from __future__ import annotations

__all__ = [
    "BadInput",
    "CannotFix",
    "CockpitError",
    "Declined",
    "ReadOnlyViolation",
    "StageStopped",
]


class CockpitError(Exception):
    """Base class for every error the cockpit raises on purpose.

    Its message is a full sentence for the person at the terminal, so it is shown as it
    is (``cockpit: <message>``, exit 1) and never as a traceback."""


class BadInput(CockpitError):
    """Something the user got wrong on the command line or in a file (a version, a playbook,
    an answers file, a setting, a stage name). The command exits 2 before changing anything.

    Subclasses: ``VersionError``, ``PlaybookError``, ``TemplateError``, ``AnswersFileError``,
    ``SettingsError``, ``UnknownStage``, ``BadDatabaseURL``, ``BadAge``, ``RulesError``,
    ``NotInTheDemoWorld``, ``NoDemoRunning``."""


class StageStopped(CockpitError):
    """A stage cannot go on without a human: a prompt nobody can answer here (``NoAnswer``),
    a manual step not done yet (``NotDoneYet``). The engine stops the stage as needing a
    human; the command exits 1 and says how to resume."""


class Declined(StageStopped):
    """The driver said no to going on (a warning not acknowledged): the engine stops the
    stage as cancelled, not failed. Nothing was changed; a rerun asks again."""


class CannotFix(CockpitError, RuntimeError):
    """A read-only check cannot make itself pass; the message says what a human must do."""


class ReadOnlyViolation(CockpitError, PermissionError):
    """A mutating call in a read-only session (walkthrough, shadow, status)."""
