"""Questions for the human, and the ways they get answered.

An action never talks to a terminal or a widget: it asks a ``Prompter``. The
TUI answers with modal dialogs, the terminal runner with ``input()``, CI with
an answers file. Prompt ids are stable (``stage/action/purpose``) so an answers
file written once keeps working.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cockpit.errors import BadInput, StageStopped
from cockpit.model import Version


class _Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    """Stable id, ``stage/action/purpose``: the key in an answers file."""
    title: str
    message: str


class Confirm(_Prompt):
    """Yes or no about one exact thing (``detail`` shows it: a tag and its commit)."""

    kind: Literal["confirm"] = "confirm"
    detail: str = ""
    typed_confirmation: str | None = None
    """For a point of no return (an irreversible action): the text the human must type to
    say yes (e.g. the tag)."""


class Choose(_Prompt):
    kind: Literal["choose"] = "choose"
    choices: list[str]
    default: str | None = None


class TextInput(_Prompt):
    kind: Literal["text"] = "text"
    default: str = ""
    required: bool = True


class Manual(_Prompt):
    """Do this by hand, then say Done; the action's check runs afterwards."""

    kind: Literal["manual"] = "manual"
    instructions: str
    copy_text: str = ""
    link: str | None = None


Prompt = Annotated[Confirm | Choose | TextInput | Manual, Field(discriminator="kind")]

_NOTATION = re.compile(r"(?<!\w)(?P<v>v?)X\.(?P<y>\(Y\+1\)|Y)(?:\.(?P<z>Z|0))?"
                       r"(?P<suffix>\[-rcN\]|-rcN|\[rcN\]|rcN|-dev)?(?!\w)")
"""``vX.Y.Z[-rcN]`` (semver, Kubo's) and ``X.Y.Z[rcN]`` (PEP 440): the bracketed suffix is
the release's own pre-release or post suffix (``-rc1``, ``rc1``, ``b2``, ``.post1``) or
nothing."""


def fill_notation(text: str, version: object) -> str:
    """A playbook title with its ``vX.Y.Z[-rcN]`` notation filled in for a known version.

    Titles and summaries are written once for every release (``Tag vX.Y.Z-rcN on
    release-vX.Y.Z``); a prompt asks about one release, so it names it: ``Tag
    v0.30.0-rc1 on release-v0.30.0``. Without a real version (explain) the text is kept.
    """
    if not isinstance(version, Version):
        return text

    def one(match: re.Match[str]) -> str:
        minor = version.minor + 1 if match["y"] != "Y" else version.minor
        number = f"{version.major}.{minor}"
        if match["z"] is not None:
            number += f".{version.patch if match['z'] == 'Z' else 0}"
        suffix = match["suffix"] or ""
        own = version.number[len(version.base):]
        if suffix in ("[-rcN]", "[rcN]"):
            suffix = own
        elif suffix in ("-rcN", "rcN"):
            suffix = own or suffix
        return match["v"] + number + suffix

    return _NOTATION.sub(one, text)


FAILURE_CHOICES = ["retry", "skip", "abort"]


class PromptAnswer(BaseModel):
    """A human's answer. ``value`` is True/False for confirm and manual (done / not yet)."""

    model_config = ConfigDict(frozen=True)

    value: bool | str
    note: str = ""
    """Why, where it matters (a skip must give a reason)."""


class Prompter(Protocol):
    async def ask(self, prompt: Prompt) -> PromptAnswer: ...


class NoAnswer(StageStopped):
    """A prompt that the configured prompter cannot answer (CI with no answer for it)."""

    def __init__(self, prompt: Prompt) -> None:
        super().__init__(
            f"prompt {prompt.id!r} ({prompt.title}) needs a human: add it to the answers file "
            f"or run interactively"
        )
        self.prompt = prompt


class AnswersFileError(BadInput, ValueError):
    """An answers file that cannot be read or has a wrong-typed entry."""


class _AnswerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: bool | str
    note: str = ""


class AnswersPrompter:
    """Answers prompts from a file (TOML or JSON) mapping prompt ids to answers.

    Values are ``true``/``false`` for confirms and manual steps, a string for
    choices and text, or a table ``{value = "skip", note = "why"}``. A key may
    end in ``*`` to match every id with that prefix. With ``yes=True`` every
    confirmation (including typed ones) and every manual step is answered yes.
    """

    def __init__(self, answers: dict[str, PromptAnswer] | None = None, *, yes: bool = False):
        self.answers = answers or {}
        self.yes = yes

    @classmethod
    def from_file(cls, path: Path, *, yes: bool = False) -> AnswersPrompter:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AnswersFileError(f"{path}: cannot read answers file: {exc.strerror}") from exc
        import tomllib  # here, not before the TUI's first paint: only --answers reads TOML

        try:
            raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AnswersFileError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from exc
        if not isinstance(raw, dict):
            raise AnswersFileError(f"{path}: must be a table mapping prompt ids to answers")
        answers: dict[str, PromptAnswer] = {}
        for key, value in _flatten(raw):
            try:
                entry = _AnswerEntry.model_validate(
                    value if isinstance(value, dict) else {"value": value}
                )
            except ValidationError as exc:
                first = exc.errors()[0]
                raise AnswersFileError(
                    f"{path}: answer for {key!r}: {first['msg']} "
                    "(use true/false, a string, or {value = ..., note = ...})"
                ) from exc
            answers[key] = PromptAnswer(value=entry.value, note=entry.note)
        return cls(answers, yes=yes)

    def with_defaults(self, defaults: AnswersPrompter) -> AnswersPrompter:
        """These answers, falling back to ``defaults`` for ids they do not mention."""
        return AnswersPrompter({**defaults.answers, **self.answers}, yes=self.yes)

    def lookup(self, prompt_id: str) -> PromptAnswer | None:
        if prompt_id in self.answers:
            return self.answers[prompt_id]
        matches = [k for k in self.answers if k.endswith("*") and prompt_id.startswith(k[:-1])]
        if matches:
            return self.answers[max(matches, key=len)]
        return None

    async def ask(self, prompt: Prompt) -> PromptAnswer:
        found = self.lookup(prompt.id)
        if found is not None:
            return found
        if self.yes and isinstance(prompt, Confirm | Manual):
            return PromptAnswer(value=True, note="--yes")
        if isinstance(prompt, Choose) and prompt.default is not None and self.yes:
            return PromptAnswer(value=prompt.default, note="--yes (default)")
        if isinstance(prompt, TextInput) and not prompt.required and self.yes:
            return PromptAnswer(value=prompt.default, note="--yes (optional text left as is)")
        raise NoAnswer(prompt)


def _flatten(raw: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """TOML turns ``"a/b" = 1`` into a flat key but ``[a]`` into a table; accept both."""
    flat: list[tuple[str, object]] = []
    for key, value in raw.items():
        full = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict) and "value" not in value:
            flat.extend(_flatten(value, full))
        else:
            flat.append((full, value))
    return flat


class TerminalPrompter:
    """Asks on the controlling terminal; used by ``cockpit run`` without an answers file."""

    def __init__(self, fallback: AnswersPrompter | None = None) -> None:
        self.fallback = fallback

    async def ask(self, prompt: Prompt) -> PromptAnswer:
        if self.fallback is not None and self.fallback.lookup(prompt.id) is not None:
            return await self.fallback.ask(prompt)
        if not sys.stdin.isatty():
            raise NoAnswer(prompt)
        return await asyncio.to_thread(self._ask_blocking, prompt)

    def _ask_blocking(self, prompt: Prompt) -> PromptAnswer:
        out = sys.stderr
        print(f"\n== {prompt.title} [{prompt.id}]\n{prompt.message}", file=out)
        if isinstance(prompt, Confirm):
            if prompt.detail:
                print(prompt.detail, file=out)
            if prompt.typed_confirmation:
                typed = input(f"Type {prompt.typed_confirmation!r} to go ahead: ")
                return PromptAnswer(value=typed.strip() == prompt.typed_confirmation)
            return PromptAnswer(value=input("Go ahead? [y/N] ").strip().lower() in {"y", "yes"})
        if isinstance(prompt, Choose):
            for number, choice in enumerate(prompt.choices, 1):
                print(f"  {number}. {choice}", file=out)
            while True:
                picked = input("Choice: ").strip()
                if picked.isdigit() and 1 <= int(picked) <= len(prompt.choices):
                    picked = prompt.choices[int(picked) - 1]
                if picked in prompt.choices:
                    note = input("Why? ").strip() if picked == "skip" else ""
                    return PromptAnswer(value=picked, note=note)
        if isinstance(prompt, TextInput):
            text = input(f"[{prompt.default}] ").strip() or prompt.default
            return PromptAnswer(value=text)
        print(prompt.instructions, file=out)
        if prompt.copy_text:
            print("---- copy ----\n" + prompt.copy_text + "\n--------------", file=out)
        if prompt.link:
            print(f"Link: {prompt.link}", file=out)
        return PromptAnswer(value=input("Done? [y/N] ").strip().lower() in {"y", "yes"})
