"""The playbook format: a TOML file of stages and their actions, validated by pydantic.

Errors are for humans editing the file: each names the file, the line, the
stage and action, and the field. Action parameters are validated against the
kind's own parameter model, so a typo in a parameter is caught at load time,
not halfway through a release.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cockpit.actions import REGISTRY, load_kinds
from cockpit.errors import BadInput
from cockpit.model import Condition, Reversibility, Version, applies
from cockpit.validated import passed_before, remember_pass

_ID = r"^[a-z0-9][a-z0-9-]*$"


def _repeated(ids: Iterable[str]) -> str | None:
    """The first id met a second time (None: each is used once)."""
    seen: set[str] = set()
    for one in ids:
        if one in seen:
            return one
        seen.add(one)
    return None


class ActionSpec(BaseModel):
    """One step of a stage: a registered kind plus its parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    kind: str
    title: str
    review: Literal["none", "required"] = "none"
    """``required``: a second maintainer approves the facts of this step (``cockpit review``)
    before it is applied; the driver's run waits for the approval."""
    when: list[Condition] = []
    params: dict[str, Any] = {}
    reversibility: Reversibility | None = None
    """Overrides the kind's own class (``cockpit.model.Reversibility``) for this action."""

    def applies_to(self, version: Version) -> bool:
        return applies(self.when, version)


class StageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    title: str
    summary: str
    when: list[Condition] = []
    actions: list[ActionSpec]

    @field_validator("actions")
    @classmethod
    def _unique_actions(cls, actions: list[ActionSpec]) -> list[ActionSpec]:
        if (twice := _repeated(action.id for action in actions)) is not None:
            raise ValueError(f"action id {twice!r} is used twice in this stage")
        return actions

    def action(self, action_id: str) -> ActionSpec | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def applies_to(self, version: Version) -> bool:
        return applies(self.when, version)


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_ID)
    title: str
    description: str = ""
    vars: dict[str, str] = {}
    """Template values usable in parameters as ``{name}``; may themselves use ``{version.*}``."""
    stages: list[StageSpec]

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, stages: list[StageSpec]) -> list[StageSpec]:
        if (twice := _repeated(stage.id for stage in stages)) is not None:
            raise ValueError(f"stage id {twice!r} is used twice")
        return stages

    def stage(self, stage_id: str) -> StageSpec | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    @property
    def action_count(self) -> int:
        return sum(len(stage.actions) for stage in self.stages)


@dataclass(frozen=True)
class PlaybookProblem:
    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"


class PlaybookError(BadInput, ValueError):
    """A playbook that does not load; ``problems`` lists every error found."""

    def __init__(self, problems: list[PlaybookProblem]) -> None:
        self.problems = problems
        super().__init__("invalid playbook:\n" + "\n".join(f"  {p}" for p in problems))


class TemplateError(BadInput, ValueError):
    """A ``{name}`` in a parameter that the playbook's values do not define."""


def load_playbook(path: Path | None = None) -> Playbook:
    """Load and validate a playbook file; the built-in Kubo playbook when ``path`` is None."""
    if path is None:
        source = resources.files("cockpit.playbooks").joinpath("kubo.toml")
        return parse_playbook(source.read_text(encoding="utf-8"), "kubo.toml (built-in)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError([PlaybookProblem(str(path), None, "", f"cannot read: {exc.strerror}")]) from exc
    return parse_playbook(text, str(path))


def parse_playbook(text: str, filename: str) -> Playbook:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise PlaybookError(
            [PlaybookProblem(filename, int(line.group(1)) if line else None, "",
                             f"not valid TOML: {exc}")]
        ) from None
    lines = _LineIndex(text)
    try:
        playbook = Playbook.model_validate(raw)
    except ValidationError as exc:
        raise PlaybookError(
            [_problem(filename, lines, raw, tuple(err["loc"]), err["msg"]) for err in exc.errors()]
        ) from None
    checked = passed_before(text)
    problems = ([] if checked else _check_kinds(playbook, filename, lines)) \
        + _check_templates(playbook, filename, lines)
    if problems:
        raise PlaybookError(problems)
    if not checked:
        remember_pass(text)
    return playbook


def _check_templates(playbook: Playbook, filename: str, lines: _LineIndex
                     ) -> list[PlaybookProblem]:
    """Every ``{name}`` must name a value the playbook defines (``version``, ``settings``,
    or a var defined above it): a typo is caught at load time, not halfway through."""
    problems: list[PlaybookProblem] = []
    known = {"version", "settings"}

    def visit(value: Any, loc: tuple[Any, ...], where: str, field: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                visit(item, (*loc, i), where, field)
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(item, (*loc, key), where, f"{field}.{key}")
        elif isinstance(value, str):
            problem = _template_problem(value, known)
            if problem:
                problems.append(PlaybookProblem(filename, lines.find(loc), where,
                                                f"field {field!r}: {problem}"))

    for name, raw in playbook.vars.items():
        visit(raw, ("vars", name), "", f"vars.{name}")
        known.add(name)
    for s, stage in enumerate(playbook.stages):
        for a, action in enumerate(stage.actions):
            for key, raw in action.params.items():
                visit(raw, ("stages", s, "actions", a, "params", key),
                      f"stage {stage.id!r} / action {action.id!r}", f"params.{key}")
    return problems


def _template_problem(value: str, known: set[str]) -> str | None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
    except ValueError as exc:
        return f"bad template {value!r}: {exc} (write {{{{ and }}}} for literal braces)"
    for name in fields:
        root = re.split(r"[.\[]", name, maxsplit=1)[0]
        if root not in known:
            return (f"unknown template value {{{name}}} in {value!r} "
                    f"(known: {', '.join(sorted(known))})")
    return None


def _check_kinds(playbook: Playbook, filename: str, lines: _LineIndex) -> list[PlaybookProblem]:
    load_kinds()
    problems = []
    for s, stage in enumerate(playbook.stages):
        for a, action in enumerate(stage.actions):
            where = f"stage {stage.id!r} / action {action.id!r}"
            info = REGISTRY.get(action.kind)
            if info is None:
                known = ", ".join(sorted(REGISTRY.kinds))
                problems.append(PlaybookProblem(
                    filename, lines.find(("stages", s, "actions", a, "kind")), where,
                    f"field 'kind': unknown action kind {action.kind!r} (known: {known})"))
                continue
            if info.params_model is None:
                continue
            try:
                info.params_model.model_validate(action.params)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ("stages", s, "actions", a, "params", *err["loc"])
                    field = ".".join(str(part) for part in err["loc"])
                    problems.append(PlaybookProblem(
                        filename, lines.find(loc), where,
                        f"field 'params.{field}': {_message(err['msg'], err['type'])}"))
    return problems


def _message(msg: str, kind: str) -> str:
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    return msg


def _problem(filename: str, lines: _LineIndex, raw: dict[str, Any], loc: tuple[Any, ...],
             msg: str) -> PlaybookProblem:
    where = []
    if len(loc) >= 2 and loc[0] == "stages" and isinstance(loc[1], int):
        stage_id = _get(raw, ("stages", loc[1], "id"))
        where.append(f"stage {stage_id!r}" if stage_id else f"stage #{loc[1] + 1}")
        if len(loc) >= 4 and loc[2] == "actions" and isinstance(loc[3], int):
            action_id = _get(raw, (*loc[:4], "id"))
            where.append(f"action {action_id!r}" if action_id else f"action #{loc[3] + 1}")
    field = ".".join(str(p) for p in loc[len(where) * 2:] if not isinstance(p, int)) or str(loc[-1])
    kind = "extra_forbidden" if msg == "Extra inputs are not permitted" else ""
    return PlaybookProblem(filename, lines.find(loc), " / ".join(where),
                           f"field {field!r}: {_message(msg, kind)}")


def _get(raw: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


class _LineIndex:
    """Maps a location like ``("stages", 2, "actions", 0, "kind")`` to its line in the file.

    TOML parsers do not keep positions, so this follows the playbook's own shape:
    ``[[stages]]`` and ``[[stages.actions]]`` headers count entries, ``[...params]``
    tables and ``key =`` lines record where each field is written.
    """

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def lines(self) -> dict[tuple[Any, ...], int]:
        """Built on the first ``find``: a playbook without problems never needs it."""
        lines: dict[tuple[Any, ...], int] = {}
        counters: dict[str, int] = {}
        table: tuple[Any, ...] = ()
        for number, line in enumerate(self.text.splitlines(), 1):
            header = self._HEADER.match(line)
            if header:
                array = header.group(1) == "[["
                names = [n.strip('"') for n in header.group(2).split(".")]
                table = self._table(names, array, counters)
                lines.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                lines.setdefault((*table, key.group(1).strip('"')), number)
        return lines

    @staticmethod
    def _table(names: list[str], array: bool, counters: dict[str, int]) -> tuple[Any, ...]:
        path: list[Any] = []
        for depth, name in enumerate(names):
            path.append(name)
            dotted = ".".join(names[: depth + 1])
            is_last = depth == len(names) - 1
            if is_last and array:
                counters[dotted] = counters.get(dotted, -1) + 1
                # Entering a new array element resets the counts of its children.
                for other in [k for k in counters if k.startswith(dotted + ".")]:
                    del counters[other]
            if dotted in counters:
                path.append(counters[dotted])
        return tuple(path)

    def find(self, loc: tuple[Any, ...]) -> int | None:
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None


def template_values(playbook: Playbook, version: Any, settings: Any = None) -> dict[str, Any]:
    """Values for ``{...}`` in parameters: ``version``, ``settings`` and the playbook's vars.

    ``{settings.dist_url}`` and friends let a playbook name the services it reads without
    hard-coding them, so the sandbox (and tests) can point every fetch at 127.0.0.1.
    """
    values: dict[str, Any] = {"version": version, "settings": settings}
    for name, raw in playbook.vars.items():
        values[name] = render(raw, values)
    return values


def render(value: Any, values: dict[str, Any]) -> Any:
    """Fill ``{name}`` / ``{version.tag}`` templates in strings, recursively."""
    if isinstance(value, str):
        try:
            return string.Formatter().vformat(value, (), values)
        except (KeyError, AttributeError, IndexError, ValueError) as exc:
            raise TemplateError(f"cannot fill {value!r}: unknown value {exc}") from None
    if isinstance(value, list):
        return [render(item, values) for item in value]
    if isinstance(value, dict):
        return {key: render(item, values) for key, item in value.items()}
    return value
