"""The playbook format: a TOML file of stages and their actions, validated by pydantic.

Errors are for humans editing the file: each names the file, the line, the
stage and action, and the field. Action parameters are validated against the
kind's own parameter model, so a typo in a parameter is caught at load time,
not halfway through a release.

A load reports every problem at once, each with a fix where one is close: did-you-mean
for keys, kinds (the nearest three) and template names; both lines of a duplicate id;
templates resolved, and regex parameters (``actions.base.REGEX``) compiled, for a sample
RC, final and patch version, so ``explain`` and ``plan`` fail (exit 2) on what a run
would only meet later.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from cockpit import conditions, stage_order
from cockpit.actions import REGISTRY, load_kinds
from cockpit.errors import BadInput
from cockpit.model import Condition, Reversibility, Version, VersionFormat, applies
from cockpit.settings import Settings
from cockpit.validated import remember_pass, remembered

_ID = r"^[a-z0-9][a-z0-9-]*$"


def _repeated(ids: Iterable[str]) -> str | None:
    """The first id met a second time (None: each is used once)."""
    seen: set[str] = set()
    for one in ids:
        if one in seen:
            return one
        seen.add(one)
    return None


When = list[Annotated[Condition | str, Field(union_mode="left_to_right")]]
"""A ``when``: release-kind words (``Condition``) and condition expressions, all must hold."""


def _as_list(when: Any) -> Any:
    """``when = "expr"`` is a list of one: the two spellings are one model."""
    return [when] if isinstance(when, str) else when


def holds(when: list[Condition | str], version: Version,
          values: Mapping[str, Any] | None = None) -> bool:
    """Whether every condition of a ``when`` holds for this release. ``values`` are the
    template values (``template_values``); without them an expression sees ``version``."""
    kinds = [c for c in when if isinstance(c, Condition)]
    if not applies(kinds, version):
        return False
    expressions = [c for c in when if not isinstance(c, Condition)]
    if not expressions:
        return True
    scope = condition_values(values or {"version": version})
    return all(conditions.evaluate(e, scope) for e in expressions)


def condition_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A condition's names: the template values plus ``vars``, every var in one mapping."""
    plain = {k: v for k, v in values.items() if k not in ("version", "settings")}
    return {**values, "vars": plain}


def skipped_by_condition(when: list[Condition | str], version: Version,
                         values: Mapping[str, Any] | None = None) -> str | None:
    """``skipped by condition: vars.channel == 'beta' is false for v1.2.0`` when the
    release-kind words of a ``when`` hold but an expression of it is false (None else:
    it applies, or its kind alone leaves it out, which is said as before)."""
    if not applies([c for c in when if isinstance(c, Condition)], version):
        return None
    false = [e for e in expressions(when) if not holds([e], version, values)]
    return f"skipped by condition: {' and '.join(false)} is false for {version}" if false else None


def expressions(when: list[Condition | str]) -> list[str]:
    """The condition expressions of a ``when`` (not the release-kind words)."""
    return [c for c in when if not isinstance(c, Condition)]


_DESCRIBED = ConfigDict(extra="forbid", frozen=True)
"""The playbook's models. Their fields are described with ``Field(description=...)``, not
attribute docstrings: pydantic finds those by walking the frames and ``realpath``-ing every
loaded module (~15 ms on Python < 3.13), and these models are built before the TUI's first
paint. The descriptions are ``cockpit schema``'s."""


class ActionSpec(BaseModel):
    """One step of a stage: a registered kind plus its parameters."""

    model_config = _DESCRIBED

    id: str = Field(pattern=_ID)
    kind: str
    title: str
    review: Literal["none", "required"] = Field("none", description=(
        "``required``: a second maintainer approves the facts of this step (``cockpit review``)"
        "\nbefore it is applied; the driver's run waits for the approval."))
    when: When = Field([], description=(
        "Conditions that must all hold: release kinds (``[\"RC\"]``, ``[\"not PATCH\"]``) or an"
        "\nexpression over the template values (``\"version.is_rc or vars.channel == 'beta'\"``,"
        "\n``cockpit.conditions``). False: the action is skipped by condition, never failed."))
    params: dict[str, Any] = {}
    reversibility: Reversibility | None = Field(None, description=(
        "Overrides the kind's own class (``cockpit.model.Reversibility``) for this action."))

    def applies_to(self, version: Version, values: Mapping[str, Any] | None = None) -> bool:
        return holds(self.when, version, values)

    @field_validator("when", mode="before")
    @classmethod
    def _one_expression(cls, when: Any) -> Any:
        return _as_list(when)


class StageSpec(BaseModel):
    model_config = _DESCRIBED

    id: str = Field(pattern=_ID)
    title: str
    summary: str
    when: When = []
    needs: list[str] | None = Field(None, description=(
        "The stages that must be complete before this one starts (``[]``: none); without it,"
        "\nthe stage before this one. Stages whose needs are met may run side by side."))
    actions: list[ActionSpec]

    @field_validator("when", mode="before")
    @classmethod
    def _one_expression(cls, when: Any) -> Any:
        return _as_list(when)

    @field_validator("actions")
    @classmethod
    def _unique_actions(cls, actions: list[ActionSpec]) -> list[ActionSpec]:
        if (twice := _repeated(action.id for action in actions)) is not None:
            raise PydanticCustomError("duplicate_id", "action id {id!r} is used twice in this "
                                      "stage", {"id": twice})
        return actions

    def action(self, action_id: str) -> ActionSpec | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def applies_to(self, version: Version, values: Mapping[str, Any] | None = None) -> bool:
        return holds(self.when, version, values)


class Playbook(BaseModel):
    model_config = _DESCRIBED

    name: str = Field(pattern=_ID)
    title: str
    description: str = ""
    vars: dict[str, str] = Field({}, description=(
        "Template values usable in parameters as ``{name}``; may themselves use ``{version.*}``."))
    versions: VersionFormat = Field(VersionFormat(), description=(
        "The ``[versions]`` table: scheme (semver, pep440), tag template, pre-release kinds."))
    stages: list[StageSpec]

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, stages: list[StageSpec]) -> list[StageSpec]:
        if (twice := _repeated(stage.id for stage in stages)) is not None:
            raise PydanticCustomError("duplicate_id", "stage id {id!r} is used twice",
                                      {"id": twice})
        return stages

    def stage(self, stage_id: str) -> StageSpec | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def parse_version(self, text: str) -> Version:
        """``--release TEXT`` in this playbook's scheme and tag (exit 2 naming both)."""
        return self.versions.parse(text)

    @cached_property
    def needs(self) -> dict[str, list[str]]:
        """Each stage's direct needs (declared, else the stage before it)."""
        return stage_order.resolve([(s.id, s.needs) for s in self.stages])

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


DEFAULT_PLAYBOOK = "kubo"


def built_in_playbooks() -> list[str]:
    """The names ``--playbook`` takes besides a file: the TOML files shipped in
    ``cockpit/playbooks/`` (an answers file for the demo is not a playbook)."""
    return sorted(entry.name.removesuffix(".toml")
                  for entry in resources.files("cockpit.playbooks").iterdir()
                  if entry.name.endswith(".toml") and not entry.name.endswith("-answers.toml"))


def load_playbook(path: Path | str | None = None) -> Playbook:
    """Load and validate a playbook file, or a built-in one by name (``widgets``); the
    built-in Kubo playbook when ``path`` is None. A file wins over a built-in's name."""
    name = DEFAULT_PLAYBOOK if path is None else str(path)
    if path is None or (not Path(path).exists() and name in built_in_playbooks()):
        source = resources.files("cockpit.playbooks").joinpath(f"{name}.toml")
        return parse_playbook(source.read_text(encoding="utf-8"), f"{name}.toml (built-in)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        hint = (f" (a built-in playbook is named: {', '.join(built_in_playbooks())})"
                if isinstance(exc, FileNotFoundError) else "")
        raise PlaybookError([PlaybookProblem(str(path), None, "",
                                             f"cannot read: {exc.strerror}{hint}")]) from exc
    return parse_playbook(text, str(path))


def parse_playbook(text: str, filename: str) -> Playbook:
    """Validate ``text``; a :class:`PlaybookError` lists every problem found, not the first.

    The checks read the raw TOML as well as the model, so a file with a typo in one action
    still has its kinds, templates and regexes checked everywhere else."""
    known = remembered(text)
    if known is not None:
        # This exact text passed every check below with this exact code (cockpit.validated):
        # only the model is built. Parsing and the checks (every kind imported, every
        # template rendered for each sample version) were most of a warm start's time to
        # the TUI's first paint.
        with contextlib.suppress(ValidationError):  # else the code changed under the record
            return Playbook.model_validate(known)
    import tomllib  # here: a remembered text needs no parser

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise PlaybookError(
            [PlaybookProblem(filename, int(line.group(1)) if line else None, "",
                             f"not valid TOML: {exc}")]
        ) from None
    lines = _LineIndex(text)
    problems = _check_ids(raw, filename, lines)
    playbook: Playbook | None = None
    try:
        playbook = Playbook.model_validate(raw)
    except ValidationError as exc:
        problems += [_problem(filename, lines, raw, tuple(err["loc"]), err["msg"], err["type"])
                     for err in _without_typo_twins(exc.errors(), _MODEL_AT.get)
                     if err["type"] != "duplicate_id"]
    problems += _check_kinds(raw, filename, lines)
    problems += _check_templates(raw, filename, lines)
    problems += _check_needs(raw, filename, lines)
    problems += _check_conditions(raw, filename, lines)
    if problems or playbook is None:
        raise PlaybookError(sorted(problems, key=lambda p: p.line or 0))
    remember_pass(text, raw)
    return playbook


def _raw_actions(raw: Any) -> Iterator[tuple[int, dict[str, Any], int, dict[str, Any]]]:
    """Every action table of the raw TOML (with its stage), whatever else is wrong."""
    for s, stage in enumerate(_list(raw, "stages")):
        if isinstance(stage, dict):
            for a, action in enumerate(_list(stage, "actions")):
                if isinstance(action, dict):
                    yield s, stage, a, action


def _list(table: Any, key: str) -> list[Any]:
    value = table.get(key) if isinstance(table, dict) else None
    return value if isinstance(value, list) else []


def _where(stage: dict[str, Any], s: int, action: dict[str, Any] | None = None,
           a: int = 0) -> str:
    stage_id = stage.get("id")
    where = f"stage {stage_id!r}" if isinstance(stage_id, str) else f"stage #{s + 1}"
    if action is None:
        return where
    action_id = action.get("id")
    return where + (f" / action {action_id!r}" if isinstance(action_id, str)
                    else f" / action #{a + 1}")


def _check_ids(raw: Any, filename: str, lines: _LineIndex) -> list[PlaybookProblem]:
    """A stage id, or an action id within its stage, used twice: both lines are named."""
    problems = []
    first_stage: dict[str, int] = {}
    for s, stage in enumerate(_list(raw, "stages")):
        if not isinstance(stage, dict) or not isinstance(stage.get("id"), str):
            continue
        line = lines.find(("stages", s, "id"))
        if stage["id"] in first_stage:
            problems.append(PlaybookProblem(
                filename, line, "", f"field 'id': stage id {stage['id']!r} is used twice: "
                f"lines {first_stage[stage['id']]} and {line} (each stage needs its own id)"))
        else:
            first_stage[stage["id"]] = line or 0
        first_action: dict[str, int] = {}
        for a, action in enumerate(_list(stage, "actions")):
            if not isinstance(action, dict) or not isinstance(action.get("id"), str):
                continue
            line = lines.find(("stages", s, "actions", a, "id"))
            if action["id"] in first_action:
                problems.append(PlaybookProblem(
                    filename, line, _where(stage, s),
                    f"field 'id': action id {action['id']!r} is used twice in this stage: "
                    f"lines {first_action[action['id']]} and {line}"))
            else:
                first_action[action["id"]] = line or 0
    return problems


def _samples(raw: Any) -> dict[str, Version]:
    """One version of each kind the playbook's ``[versions]`` accepts (an RC, a final and a
    patch release for Kubo's): every template is rendered with each, as a release would. A
    malformed ``[versions]`` table falls back to the default (the model reports it)."""
    table = raw.get("versions") if isinstance(raw, dict) else None
    try:
        form = VersionFormat.model_validate(table if isinstance(table, dict) else {})
    except ValidationError:
        form = VersionFormat()
    return form.samples()


def _applies(raw_when: Any, version: Version, values: Mapping[str, Any] | None = None) -> bool:
    """A raw ``when``'s verdict; a malformed one applies (it is reported elsewhere)."""
    try:
        items = _as_list(raw_when) or []
        return holds([Condition(c) if c in Condition._value2member_map_ else str(c)
                      for c in items], version, values)
    except (TypeError, ValueError):
        return True


def _check_templates(raw: Any, filename: str, lines: _LineIndex) -> list[PlaybookProblem]:
    """Every ``{...}`` in the vars and the action parameters must resolve for every kind of
    version (RC, final, patch): ``{version.tga}`` fails here, at load, with a did-you-mean,
    not halfway through a release."""
    problems: list[PlaybookProblem] = []
    reported: set[tuple[Any, ...]] = set()
    raw_vars = raw.get("vars") if isinstance(raw, dict) else None
    raw_vars = raw_vars if isinstance(raw_vars, dict) else {}
    for label, version in _samples(raw).items():
        values: dict[str, Any] = {"version": version, "settings": Settings.model_construct()}
        for name, value in raw_vars.items():
            loc = ("vars", name)
            values[name] = value
            if not isinstance(value, str):
                continue  # the model reports it
            problem = _template_problem(value, values, label, version, raw_vars, lines)
            if problem and loc not in reported:
                reported.add(loc)
                problems.append(PlaybookProblem(filename, lines.find(loc), "",
                                                f"field 'vars.{name}': {problem}"))
            if not problem:
                try:
                    values[name] = render(value, values)
                except TemplateError as exc:
                    problems.append(PlaybookProblem(filename, lines.find(loc), "",
                                                    f"field 'vars.{name}': {exc}"))
                    reported.add(loc)
        for s, stage, a, action in _raw_actions(raw):
            if not (_applies(stage.get("when"), version, values)
                    and _applies(action.get("when"), version, values)):
                continue
            params = action.get("params")
            for loc, field, value in _strings(params, ("stages", s, "actions", a, "params"),
                                              "params"):
                problem = _template_problem(value, values, label, version, None, lines)
                if problem and loc not in reported:
                    reported.add(loc)
                    problems.append(PlaybookProblem(filename, lines.find(loc),
                                                    _where(stage, s, action, a),
                                                    f"field {field!r}: {problem}"))
    return problems


def _strings(value: Any, loc: tuple[Any, ...], field: str
             ) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    if isinstance(value, str):
        yield loc, field, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*loc, i), field)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*loc, key), f"{field}.{key}")


def _template_problem(value: str, values: dict[str, Any], label: str, version: Version,
                      raw_vars: dict[str, Any] | None, lines: _LineIndex) -> str | None:
    """What is wrong with one template string for one sample version (None: it renders).

    ``raw_vars`` is given while the vars themselves are checked: a var may only use the
    vars above it, and naming one below says so."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
    except ValueError as exc:
        return f"bad template {value!r}: {exc} (write {{{{ and }}}} for literal braces)"
    for name in fields:
        first, rest = _split_field(name)
        if first not in values:
            if raw_vars is not None and first in raw_vars:
                return (f"unknown template value {{{name}}} in {value!r}: vars may only use "
                        f"those defined above, and {first!r} is defined below it "
                        f"(line {lines.find(('vars', first))}); move it up")
            return (f"unknown template value {{{name}}} in {value!r}"
                    + (_suggest(first, list(values), "{{{}}}")
                       or " (a template may use {version.*}, {settings.*} and the vars)"))
        problem = _walk(values[first], first, rest)
        if problem:
            return (f"unknown template value {{{name}}} in {value!r} "
                    f"(for {label}, {version}): {problem}")
    return None


_PART = re.compile(r"\.([^.\[]*)|\[([^\]]*)\]")


def _split_field(name: str) -> tuple[str, list[tuple[bool, Any]]]:
    """``"version.tag"`` -> ``("version", [(True, "tag")])``, as ``str.format`` reads it."""
    first = re.match(r"[^.\[]*", name)
    head = first.group(0) if first else ""
    rest: list[tuple[bool, Any]] = []
    for part in _PART.finditer(name, len(head)):
        if part.group(1) is not None:
            rest.append((True, part.group(1)))
        else:
            key = part.group(2)
            rest.append((False, int(key) if key.isdigit() else key))
    return head, rest


def _walk(value: Any, path: str, rest: list[tuple[bool, Any]]) -> str | None:
    """Follow ``.attr`` / ``[key]`` parts as ``str.format`` would; the first one missing."""
    for is_attr, key in rest:
        if is_attr:
            if not hasattr(value, key):
                names = [n for n in dir(value) if not n.startswith("_")]
                return f"{path} has no {key!r}" + _suggest(key, names, "{{" + path + ".{}}}")
            value = getattr(value, key)
            path = f"{path}.{key}"
        else:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return f"{path} has no item [{key}]"
            path = f"{path}[{key}]"
    return None


def _suggest(word: str, choices: Iterable[str], shape: str = "{!r}") -> str:
    """``"; did you mean 'title'?"`` for the closest choices (at most 3), else nothing."""
    close = difflib.get_close_matches(word, list(choices), n=3)
    if not close:
        return ""
    return "; did you mean " + " or ".join(shape.format(c) for c in close) + "?"


def _regex_fields(model: type[BaseModel]) -> list[str]:
    """The parameters a kind reads as Python regular expressions (``format: regex``)."""
    return [name for name, info in model.model_fields.items()
            if isinstance(info.json_schema_extra, dict)
            and info.json_schema_extra.get("format") == "regex"]


def _check_regexes(action: dict[str, Any], fields: list[str], samples: list[dict[str, Any]],
                   loc: tuple[Any, ...], where: str, filename: str, lines: _LineIndex
                   ) -> list[PlaybookProblem]:
    """Each regex parameter compiles once its templates are filled, for every kind of
    version: an invalid one fails at load naming the field, not at run time."""
    problems = []
    params = action.get("params")
    for name in fields:
        value = params.get(name) if isinstance(params, dict) else None
        for pattern in value if isinstance(value, list) else [value]:
            error = _regex_error(pattern, samples)
            if error:
                problems.append(PlaybookProblem(
                    filename, lines.find((*loc, "params", name)), where,
                    f"field 'params.{name}': invalid regular expression {pattern!r}: {error}"))
                break
    return problems


def _regex_error(pattern: Any, samples: list[dict[str, Any]]) -> str | None:
    """Why ``pattern`` does not compile with one sample's values (None: it does, or a
    template in it does not fill, which the template check reports)."""
    for values in samples:
        try:
            filled = render(pattern, values)
        except TemplateError:
            continue
        if not isinstance(filled, str):
            return None
        try:
            re.compile(filled)
        except re.error as exc:
            return str(exc)
    return None


def _sample_values(raw: Any) -> list[dict[str, Any]]:
    """Template values for each sample version; a var that does not fill is left out."""
    raw_vars = raw.get("vars") if isinstance(raw, dict) else None
    samples = []
    for version in _samples(raw).values():
        values: dict[str, Any] = {"version": version, "settings": Settings.model_construct()}
        for name, value in (raw_vars if isinstance(raw_vars, dict) else {}).items():
            with contextlib.suppress(TemplateError):
                values[name] = render(value, values)
        samples.append(values)
    return samples


def _raw_stage_ids(raw: Any) -> list[tuple[int, dict[str, Any], str]]:
    return [(s, stage, stage["id"]) for s, stage in enumerate(_list(raw, "stages"))
            if isinstance(stage, dict) and isinstance(stage.get("id"), str)]


def _check_needs(raw: Any, filename: str, lines: _LineIndex) -> list[PlaybookProblem]:
    """Every ``needs`` names a stage of this playbook, and no stage needs itself, directly
    or through others: the cycle is named, with the line of each stage in it."""
    problems: list[PlaybookProblem] = []
    stages = _raw_stage_ids(raw)
    known = [stage_id for _, _, stage_id in stages]
    declared: dict[str, list[str] | None] = {}
    line_of: dict[str, int | None] = {}
    for s, stage, stage_id in stages:
        needs = stage.get("needs")
        loc = ("stages", s, "needs") if "needs" in stage else ("stages", s, "id")
        line_of.setdefault(stage_id, lines.find(loc))
        if not isinstance(needs, list):
            declared.setdefault(stage_id, None)
            continue  # absent, or not a list (the model reports that)
        good = []
        for need in needs:
            if isinstance(need, str) and need not in known:
                problems.append(PlaybookProblem(
                    filename, lines.find(loc), _where(stage, s),
                    f"field 'needs': unknown stage {need!r}" + (
                        _suggest(need, known) or f" (the stages are: {', '.join(known)})")))
            elif isinstance(need, str):
                good.append(need)
        declared.setdefault(stage_id, good)
    cycle = stage_order.find_cycle(stage_order.resolve(list(declared.items())))
    if cycle:
        where = ", ".join(f"{stage_id}: line {line_of[stage_id]}" for stage_id in cycle[:-1])
        implied = [f"{b} needs {a} by file order (it has no needs of its own)"
                   for a, b in zip(cycle[1:], cycle, strict=False) if declared.get(b) is None]
        problems.append(PlaybookProblem(
            filename, line_of[cycle[0]], "",
            f"field 'needs': cycle: {' → '.join(cycle)} ({where}"
            + "".join(f"; {note}" for note in implied)
            + "): a stage cannot need itself, directly or through others; remove one of "
              "these needs"))
    return problems


def _check_conditions(raw: Any, filename: str, lines: _LineIndex) -> list[PlaybookProblem]:
    """Every ``when`` expression parses, names only known values, and gives true or false
    for a sample of every kind of release the ``[versions]`` accepts (RC, final, patch...):
    a broken one never reaches a run."""
    samples = {label: condition_values(values)
               for label, values in zip(_samples(raw), _sample_values(raw), strict=True)}
    problems: list[PlaybookProblem] = []
    places: list[tuple[tuple[Any, ...], str, Any]] = [
        (("stages", s), _where(stage, s), stage.get("when"))
        for s, stage in enumerate(_list(raw, "stages")) if isinstance(stage, dict)]
    places += [(("stages", s, "actions", a), _where(stage, s, action, a), action.get("when"))
               for s, stage, a, action in _raw_actions(raw)]
    for loc, where, when in places:
        for item in _as_list(when) or []:
            if not isinstance(item, str) or item in Condition._value2member_map_:
                continue  # a release-kind word, or not a string (the model reports it)
            problem = _kind_word_problem(item) or conditions.problem(item, samples)
            if problem:
                problems.append(PlaybookProblem(filename, lines.find((*loc, "when")), where,
                                                f"field 'when': {problem}"))
    return problems


def _kind_word_problem(item: str) -> str | None:
    """``"FINALE"``: a misspelt release-kind word, not an expression naming ``FINALE``."""
    close = difflib.get_close_matches(item, list(Condition._value2member_map_), n=1)
    if not close or not re.fullmatch(r"(not )?[A-Za-z]+", item):
        return None
    return (f"unknown release kind {item!r}; did you mean " + " or ".join(map(repr, close))
            + "? (or an expression such as 'version.is_final and not version.is_patch')")


def _check_kinds(raw: Any, filename: str, lines: _LineIndex) -> list[PlaybookProblem]:
    load_kinds()
    problems = []
    samples = _sample_values(raw)
    for s, stage, a, action in _raw_actions(raw):
        where = _where(stage, s, action, a)
        loc = ("stages", s, "actions", a)
        kind = action.get("kind")
        if not isinstance(kind, str):
            continue
        info = REGISTRY.get(kind)
        if info is None:
            problems.append(PlaybookProblem(
                filename, lines.find((*loc, "kind")), where,
                f"field 'kind': unknown action kind {kind!r}" + (
                    _suggest(kind, REGISTRY.kinds)
                    or f" (no kind is close: the {len(REGISTRY.kinds)} kinds are listed in "
                       "cockpit/actions/catalog.py)")))
            continue
        if info.params_model is None:
            continue
        try:
            info.params_model.model_validate(action.get("params", {}))
        except ValidationError as exc:
            for err in _without_typo_twins(exc.errors(), _top_level(info.params_model)):
                field = ".".join(str(part) for part in err["loc"])
                message = _message(err["msg"], err["type"])
                if err["type"] == "extra_forbidden" and len(err["loc"]) == 1:
                    message = "unknown field" + (_suggest(field, info.params_model.model_fields)
                                                 or " (check the spelling)")
                problems.append(PlaybookProblem(
                    filename, lines.find((*loc, "params", *err["loc"])), where,
                    f"field 'params.{field}': {message}"))
        problems += _check_regexes(action, _regex_fields(info.params_model), samples, loc,
                                   where, filename, lines)
    return problems


def _without_typo_twins(errors: list[ErrorDetails],
                        model_at: Callable[[tuple[str, ...]], type[BaseModel] | None]
                        ) -> list[ErrorDetails]:
    """Drops "Field required" for a field whose misspelling is reported as unknown next to
    it: ``titel`` says "did you mean 'title'?", and a second line about ``title`` is noise."""
    twins: set[tuple[tuple[Any, ...], str]] = set()
    for err in errors:
        loc = tuple(err["loc"])
        model = model_at(tuple(p for p in loc[:-1] if isinstance(p, str)))
        if err["type"] == "extra_forbidden" and model is not None:
            twins.update((loc[:-1], close) for close in
                         difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1))
    return [err for err in errors
            if not (err["type"] == "missing" and (tuple(err["loc"])[:-1], err["loc"][-1]) in twins)]


def _top_level(model: type[BaseModel]) -> Callable[[tuple[str, ...]], type[BaseModel] | None]:
    """A kind's params model for its own keys (nested ones are not compared)."""
    return lambda prefix: None if prefix else model


def _message(msg: str, kind: str) -> str:
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    return msg


def _problem(filename: str, lines: _LineIndex, raw: dict[str, Any], loc: tuple[Any, ...],
             msg: str, kind: str) -> PlaybookProblem:
    where = []
    if len(loc) >= 2 and loc[0] == "stages" and isinstance(loc[1], int):
        stage_id = _get(raw, ("stages", loc[1], "id"))
        where.append(f"stage {stage_id!r}" if stage_id else f"stage #{loc[1] + 1}")
        if len(loc) >= 4 and loc[2] == "actions" and isinstance(loc[3], int):
            action_id = _get(raw, (*loc[:4], "id"))
            where.append(f"action {action_id!r}" if action_id else f"action #{loc[3] + 1}")
    field = ".".join(str(p) for p in loc[len(where) * 2:] if not isinstance(p, int)) or str(loc[-1])
    message = _message(msg, kind)
    model = _MODEL_AT.get(tuple(p for p in loc[:-1] if not isinstance(p, int)))
    if kind == "extra_forbidden" and model is not None:
        message = "unknown field" + (_suggest(str(loc[-1]), model.model_fields)
                                     or " (check the spelling)")
    return PlaybookProblem(filename, lines.find(loc), " / ".join(where),
                           f"field {field!r}: {message}")


_MODEL_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): Playbook, ("stages",): StageSpec, ("stages", "actions"): ActionSpec,
    ("versions",): VersionFormat}
"""Which model a key belongs to, by its location: the keys a typo is compared with."""


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
