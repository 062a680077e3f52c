"""Hold sandbox traffic to GitHub's official OpenAPI description (the cut subset).

A sandbox that drifts from GitHub would let the cockpit pass its tests and
fail in production, so every request and response of the sandbox tests goes
through ``Contract.check``. Two things need care:

- Path parameters that contain slashes (``ref``, ``path``, ``basehead``,
  ``branch``, ``tag``): openapi-core's own matcher stops at ``/``, so we match
  templates ourselves (slash-capable parameters take ``.+``; the template with
  the most literal text wins) and hand openapi-core the pattern and values.
- Statuses the description does not list for an operation (GitHub documents
  only some 4xx per operation; 304 never has a body): errors must still have
  GitHub's error shape, 304 must be empty, injected faults are exempt (they are
  tested separately, and are marked ``x-sandbox-fault``).

Needs ``openapi-core`` (the ``test`` extra, which brings ``werkzeug``), so it lives with
the tests, not in the shipped package; the server never imports it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = (Path(__file__).resolve().parents[2] / "cockpit" / "sandbox" / "github" / "openapi"
             / "github-subset.json")
SLASHY = {"ref", "path", "basehead", "branch", "tag", "name"}
HOST = "https://api.github.com"


class ContractError(AssertionError):
    """A request or response does not match GitHub's description."""


@dataclass
class _Request:
    host_url: str
    path: str
    path_pattern: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


@dataclass
class Contract:
    spec: dict[str, Any]
    openapi: OpenAPI = field(init=False)
    templates: list[tuple[int, re.Pattern[str], str]] = field(init=False)

    def __post_init__(self) -> None:
        self.openapi = OpenAPI.from_dict(self.spec)
        self.templates = []
        for template in self.spec["paths"]:
            literal = len(re.sub(r"\{[^}]+\}", "", template))
            regex = re.sub(
                r"\{([^}]+)\}",
                lambda m: f"(?P<{m[1]}>.+)" if m[1] in SLASHY else f"(?P<{m[1]}>[^/]+)",
                template)
            self.templates.append((literal, re.compile(f"^{regex}$"), template))
        self.templates.sort(key=lambda t: -t[0])

    @property
    def version(self) -> str:
        return str(self.spec["info"]["version"])

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The spec template (and its parameters) for an API path like ``/repos/o/r``."""
        for _, regex, template in self.templates:
            m = regex.match(path)
            if m and method.lower() in self.spec["paths"][template]:
                return template, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def check(self, method: str, path: str, query: str, req_headers: dict[str, str],
              req_body: bytes | None, status: int, resp_headers: dict[str, str],
              resp_body: bytes) -> None:
        """Validate one exchange; raises ContractError saying what is wrong."""
        found = self.match(method, path)
        if found is None:
            raise ContractError(f"{method} {path}: not an operation of the GitHub subset")
        template, params = found
        h = Headers(list(req_headers.items()))
        # An operation with servers of its own (uploads.github.com) is served there.
        servers = self.spec["paths"][template][method.lower()].get("servers") or [{}]
        request = _Request(
            host_url=servers[0].get("url", HOST), path=path, path_pattern=template,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
                header=h, path=params),
            content_type=req_headers.get("content-type", "application/json")
            if req_body else "", body=req_body or None)
        result = self.openapi.validate_request  # bound once for clarity
        try:
            result(request)
        except Exception as exc:
            raise ContractError(f"{method} {path}: request: {_explain(exc)}") from exc

        lowered = {k.lower(): v for k, v in resp_headers.items()}
        if "x-sandbox-fault" in lowered:
            return
        if status == 304:
            if resp_body:
                raise ContractError(f"{method} {path}: 304 with a body")
            return
        op = self.spec["paths"][template][method.lower()]
        if str(status) not in op["responses"] and "default" not in op["responses"]:
            if status >= 400:
                _check_error(method, path, status, resp_body)
                return
            raise ContractError(f"{method} {path}: status {status} is not documented "
                                f"(documented: {', '.join(op['responses'])})")
        response = _Response(status, lowered.get("content-type", "").split(";")[0],
                             Headers(list(resp_headers.items())), resp_body or None)
        try:
            self.openapi.validate_response(request, response)
        except Exception as exc:
            raise ContractError(f"{method} {path} → {status}: {_explain(exc)}") from exc


def _check_error(method: str, path: str, status: int, body: bytes) -> None:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ContractError(f"{method} {path} → {status}: error body is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("message"), str) or \
            not isinstance(data.get("documentation_url"), str):
        raise ContractError(f"{method} {path} → {status}: not GitHub's error shape: {data}")


def _explain(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {str(exc)[:300]}"]
    for sub in getattr(exc, "schema_errors", None) or []:
        parts.append(f"  - {getattr(sub, 'message', sub)} at "
                     f"{'/'.join(str(p) for p in getattr(sub, 'absolute_path', []))}")
    cause = exc.__cause__
    if cause is not None:
        for sub in getattr(cause, "schema_errors", None) or []:
            parts.append(f"  - {getattr(sub, 'message', sub)} at "
                         f"{'/'.join(str(p) for p in getattr(sub, 'absolute_path', []))}")
    return "\n".join(p[:500] for p in parts)[:3000]


@cache
def load_contract(path: Path = SPEC_PATH) -> Contract:
    """Loading the description takes about a second; do it once per process."""
    return Contract(json.loads(path.read_text()))
