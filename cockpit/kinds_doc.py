"""``cockpit kinds [KIND]``: the action kinds, and one kind's parameters, from their models.

A playbook author needs to know which kinds exist and what each takes. Both come from
the code itself (the registry, each kind's params model and its fields' docstrings), the
same source ``cockpit schema`` and the playbook's load-time validation use, so the
documentation cannot drift from what a playbook is checked against.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from cockpit.actions import REGISTRY, KindInfo, load_kinds
from cockpit.actions.base import ActionKind, Step, Verify, Wait
from cockpit.actions.catalog import kind_test_file
from cockpit.errors import BadInput
from cockpit.explain import code_location

_SHAPES: tuple[tuple[type[ActionKind[Any]], str], ...] = (
    (Wait, "Wait"), (Verify, "Verify"), (Step, "Step"))
"""Most specific first: a Wait is also a Verify."""

_MEANING = {"Step": "checks, then changes the world only if the check says it is not done",
            "Verify": "checks only; when it fails it says what a person must do",
            "Wait": "checks only, polled while something outside runs (a workflow, CI, a review)",
            "undeclared": "declared, not implemented: the cockpit asks a person to do it"}


class UnknownKind(BadInput):
    """A ``cockpit kinds KIND`` that names no kind (exit 2, with the nearest names)."""


def shape(info: KindInfo) -> str:
    """``Step``, ``Verify`` or ``Wait`` (``undeclared`` for a kind without a class)."""
    cls = info.implementation
    if cls is None:
        return "undeclared"
    return next((name for base, name in _SHAPES if issubclass(cls, base)), "Step")


def kinds_list() -> str:
    """One line per kind: its name, its shape and its summary."""
    load_kinds()
    kinds = sorted(REGISTRY.kinds.values(), key=lambda info: info.name)
    width = max(len(info.name) for info in kinds)
    lines = [f"{info.name:<{width}}  {shape(info):<6}  {info.summary}" for info in kinds]
    lines += ["", f"{len(kinds)} kinds. `cockpit kinds KIND` documents one kind's parameters; "
                  "`cockpit schema` gives them to your editor."]
    return "\n".join(lines)


def nearest(name: str, known: list[str]) -> list[str]:
    """The kinds closest to ``name`` (spelling first, else those sharing its prefix)."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        return close
    prefix = name.split(".", 1)[0]
    return [k for k in known if k.split(".", 1)[0] == prefix][:3]


def kind_doc(name: str) -> str:
    """One kind: its summary, shape, code and test, and a table of its parameters."""
    load_kinds()
    info = REGISTRY.get(name)
    if info is None:
        close = nearest(name, sorted(REGISTRY.kinds))
        hint = (f"; nearest: {', '.join(close)}" if close
                else "; `cockpit kinds` lists them all")
        raise UnknownKind(f"no kind {name!r}{hint}")
    kind_shape = shape(info)
    lines = [f"# {info.name}", "", f"{info.summary}.", "",
             f"Shape: {kind_shape} — {_MEANING[kind_shape]}."]
    if info.implementation is not None:
        cls = info.implementation
        if kind_shape == "Step":
            lines.append(f"Reversibility: {cls.reversibility.words} (a playbook action may "
                         "declare otherwise).")
        lines.append(f"Code: `{code_location(cls)}` (`{cls.__name__}`)")
        tests = kind_test_file(info.name)
        if tests:
            lines.append(f"Test: `{tests}`")
    lines += ["", *_params_table(info.params_model)]
    return "\n".join(lines)


def _params_table(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return ["Parameters: not declared (any table is accepted)."]
    if not model.model_fields:
        return ["Parameters: none."]
    rows = [("name", "type", "default", "required", "description")]
    for field_name, field in model.model_fields.items():
        required = field.is_required()
        default = "" if required else _default(field.default, field.default_factory)
        rows.append((field_name, type_name(field.annotation), default,
                     "yes" if required else "no", _prose(field.description or "")))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["Parameters:", ""]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:4])]
        lines.append("  " + "  ".join(cells) + "  " + row[4])
    return [line.rstrip() for line in lines]


def _prose(docstring: str) -> str:
    """A field's docstring on one line, its ````code```` as markdown's `code`."""
    return re.sub(r"``(.+?)``", r"`\1`", " ".join(docstring.split()))


def _default(value: Any, factory: Any) -> str:
    """A default as it is written in the playbook's TOML (``"previous"``, ``false``, ``[]``)."""
    if value is PydanticUndefined and factory is not None:
        value = factory()
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        value = value.value
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return str(value)


def type_name(annotation: Any) -> str:
    """A field's type as a playbook author reads it: ``list[str]``, ``int | None``,
    ``"github" | "matrix"``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(repr(a).replace("'", '"') for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join("None" if a is type(None) else type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join(type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\btyping\.", "", str(annotation))
