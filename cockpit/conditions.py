"""``when = "..."`` conditions: a small, safe boolean expression over the template values.

One action can then say ``when = "version.is_rc or vars.channel == 'beta'"`` instead of
being written twice, once gated per release kind. The expression language is Jinja2's
(``and``, ``or``, ``not``, comparisons, ``in``, literals, attribute and item access), run
in Jinja2's *immutable sandbox*: a maintained evaluator that refuses private attributes
(``version.__class__``), cannot mutate anything and has no access to Python builtins. A
hand-written parser would have to get all of that right again; ``eval`` gets none of it.
(simpleeval would do too, but Jinja2 is maintained by Pallets, already installed with the
test tools, and its parser gives a line and a message for every syntax error.)

The names are those a parameter template sees: ``version`` (``is_rc``, ``is_final``,
``is_patch``, ``major`` …), ``settings``, each var by its name, and ``vars`` (all vars as
one mapping). Every expression is parsed, its names and attributes resolved, and its value
computed for a sample RC, final and patch release at load (``cockpit.playbook``), so a typo
or a condition that is not a boolean never reaches a run.

Jinja2 is imported on the first expression, not with this module: a playbook whose ``when``s
are all release-kind words (Kubo's) never needs it, and its import (~8 ms) would otherwise
be paid before the TUI's first paint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment


@cache
def _env() -> ImmutableSandboxedEnvironment:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)


class ConditionError(ValueError):
    """A condition that does not parse, names something unknown, or is not a boolean."""


@lru_cache(maxsize=512)
def _compiled(expression: str) -> Any:
    return _env().compile_expression(expression, undefined_to_none=False)


def syntax_error(expression: str) -> str | None:
    """Why ``expression`` does not parse (None: it does)."""
    import jinja2

    try:
        _compiled(expression)
    except jinja2.TemplateSyntaxError as exc:
        return f"syntax error in condition {expression!r}: {exc.message}"
    return None


def unknown_name(expression: str, values: Mapping[str, Any]) -> str | None:
    """The first name or attribute in ``expression`` that ``values`` lack, with the nearest
    known ones (None: every name resolves). Assumes the expression parses."""
    body = _env().parse("{{ " + expression + " }}")
    for chain in _chains(body):
        head, *attrs = chain
        if head not in values:
            return f"unknown name {head!r} in condition {expression!r}" + (
                _suggest(head, values) or f" (a condition may use {', '.join(sorted(values))})")
        value, path = values[head], head
        for attr in attrs:
            found = _attribute(value, attr)
            if found is _MISSING:
                return (f"unknown name {path + '.' + attr!r} in condition {expression!r}"
                        + _suggest(attr, _names(value), path + ".{}"))
            value, path = found, f"{path}.{attr}"
    return None


_MISSING = object()


def _attribute(value: Any, attr: str) -> Any:
    """``value.attr`` as Jinja2 reads it: an attribute, else an item of a mapping."""
    if not attr.startswith("_") and hasattr(value, attr):
        return getattr(value, attr)
    if isinstance(value, Mapping) and attr in value:
        return value[attr]
    return _MISSING


def _names(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    return [n for n in dir(value) if not n.startswith("_")]


def _chains(node: nodes.Node) -> Iterable[list[str]]:
    """Every ``name.attr.attr`` chain read by the expression (outermost first)."""
    from jinja2 import nodes
    if isinstance(node, nodes.Getattr):
        inner: nodes.Node = node
        attrs: list[str] = []
        while isinstance(inner, nodes.Getattr):
            attrs.insert(0, inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name):
            yield [inner.name, *attrs]
            return
        yield from _chains(inner)
        return
    if isinstance(node, nodes.Name):
        yield [node.name]
        return
    for child in node.iter_child_nodes():
        yield from _chains(child)


def _suggest(word: str, choices: Iterable[str], shape: str = "{}") -> str:
    close = difflib.get_close_matches(word, list(choices), n=3)
    return ("; did you mean " + " or ".join(repr(shape.format(c)) for c in close) + "?"
            if close else "")


def evaluate(expression: str, values: Mapping[str, Any]) -> bool:
    """The condition's verdict for these values; ``ConditionError`` if it is not a boolean
    (``vars.channel`` alone is a string, and any non-empty string would be "true")."""
    try:
        result = _compiled(expression)(**values)
    except Exception as exc:  # any error of the expression (None > 0) is the playbook's
        raise ConditionError(f"condition {expression!r}: {exc}") from None
    if isinstance(result, bool):
        return result
    import jinja2

    shown = "undefined" if isinstance(result, jinja2.Undefined) else repr(result)
    raise ConditionError(f"condition {expression!r} gives {shown}, not true or false "
                         "(compare it: vars.channel == 'beta')")


def problem(expression: str, samples: Mapping[str, Mapping[str, Any]]) -> str | None:
    """What is wrong with ``expression`` for any sample (label → values); None: nothing."""
    error = syntax_error(expression)
    if error:
        return error
    for label, values in samples.items():
        error = unknown_name(expression, values)
        if error:
            return error
        try:
            evaluate(expression, values)
        except ConditionError as exc:
            return f"{exc} (for {label})"
    return None
