"""Every request checked against GitHub's own OpenAPI description, as GitHub checks it.

GitHub validates a request's JSON body and query parameters against the operation's
schema before doing anything, and answers 422 with ``Invalid request.`` and what is wrong
(``For 'properties/state', "bogus" is not a member of enum.``). A sandbox that stores
``state: "bogus"`` or turns ``labels: "bug"`` into three labels lets a client bug pass
every test, so the sandbox does the same, with the cut it ships
(``openapi/github-subset.json``) and the ``jsonschema`` library.

The description is OpenAPI 3.0: ``nullable`` becomes a ``null`` alternative and local
``$ref``s point into one registry resource; each operation's validators are built on
first use and cached (the description is read once, lazily, so a sandbox that serves no
API request never loads it).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from cockpit.sandbox.http import ApiError

SPEC_URI = "urn:cockpit:github-subset"


@cache
def _spec() -> dict[str, Any]:
    text = resources.files("cockpit.sandbox.github").joinpath(
        "openapi", "github-subset.json").read_text()
    converted: dict[str, Any] = _json_schema(json.loads(text))
    return converted


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's schema dialect as draft-4 JSON Schema (what ``jsonschema`` reads)."""
    if isinstance(node, list):
        return [_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("discriminator", "example")}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        out["$ref"] = SPEC_URI + ref
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT4.create_resource(_spec())
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


class Operation:
    """The validators of one operation: its JSON body and its query parameters."""

    def __init__(self, op: dict[str, Any]) -> None:
        registry = _registry()
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        self.body = Draft4Validator(body["schema"], registry=registry) if body else None
        self.query: dict[str, Draft4Validator] = {}
        for param in op.get("parameters", []):
            param = _deref(param)
            if param.get("in") == "query" and "schema" in param:
                self.query[param["name"]] = Draft4Validator(param["schema"], registry=registry)
        response = (op.get("responses") or {}).get("422", {})
        self.simple_errors = "validation_failed_simple" in response.get("$ref", "")


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    found: Any = _spec()
    for part in ref.removeprefix(SPEC_URI + "#/").split("/"):
        found = found[part]
    return _deref(found)


@cache
def operation(method: str, template: str) -> Operation | None:
    """The operation routed as ``method template`` (Starlette's ``{x:path}`` allowed)."""
    path = _plain(template)
    op = _spec()["paths"].get(path, {}).get(method.lower())
    return Operation(op) if op else None


def _plain(template: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", template)


def _where(error: ValidationError) -> str:
    parts = ["items" if isinstance(p, int) else f"properties/{p}" for p in error.absolute_path]
    return "/".join(parts)


_TYPE_WORDS = {"array": "an array", "object": "an object", "integer": "an integer",
               "string": "a string", "boolean": "a boolean", "number": "a number",
               "null": "null"}


def _missing(error: ValidationError) -> str:
    """The property a ``required`` failure names (jsonschema says ``'x' is a required…``)."""
    return str(error.message.split("'")[1] if "'" in error.message else error.message)


def _sentence(error: ValidationError) -> str:
    """GitHub's wording of one schema failure."""
    value = json.dumps(error.instance)
    if error.validator == "required":
        return f'"{_missing(error)}" wasn\'t supplied.'
    if error.validator == "enum":
        text = f"{value} is not a member of enum."
    elif error.validator == "type":
        wanted: Any = error.validator_value
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        text = f"{value} is not {' or '.join(_TYPE_WORDS.get(n, n) for n in names)}."
    elif error.validator in ("oneOf", "anyOf"):
        text = f"{value} is not a possible value."
    else:
        text = f"{value} {error.message.split(' ', 1)[-1]}"
    where = _where(error)
    return f"For '{where}', {text}" if where else text


def _refuse(op: Operation, field: str, sentences: list[str]) -> ApiError:
    message = "Invalid request.\n\n" + "\n".join(sentences)
    if op.simple_errors:
        return ApiError(422, message, list(sentences))
    return ApiError(422, message, [{"resource": "Request", "field": field, "code": "invalid",
                                    "message": s} for s in sentences])


def check_query(op: Operation, query: Any) -> None:
    """422 for a query parameter of the wrong type or outside its enum."""
    for name, validator in op.query.items():
        raw = query.get(name)
        if raw is None:
            continue
        value = _coerce(raw, dict(validator.schema))  # type: ignore[arg-type]
        errors = list(validator.iter_errors(value))
        if errors:
            raise _refuse(op, name, [f"For '{name}', " + _sentence(errors[0])])


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        try:
            return int(raw)
        except ValueError:
            return raw
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


def check_body(op: Operation, raw: bytes) -> None:
    """422 for a JSON body the operation's schema refuses (400 when it is not JSON)."""
    if op.body is None:
        return
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
    errors = sorted(op.body.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        field = str(first.absolute_path[0]) if first.absolute_path else \
            _missing(first) if first.validator == "required" else ""
        raise _refuse(op, field, [_sentence(e) for e in errors[:5]])
