"""``http.check``: a URL answers as expected — a status, a JSON value, a text.

The generic "is it out there" verify, for what no dedicated kind covers: a docs site
that must show the new version, a registry with a JSON API (``$.crate.max_version`` on
crates.io, ``$.info.version`` on PyPI), a health endpoint, a download that must exist.
One GET, anonymous, through the session's HTTP layer: timeouts and retries (a 5xx, a
dropped connection, a timeout are retried with backoff, ``attempts`` in all) are the
layer's, and every attempt is logged with its ``curl`` line.

A JSON value is selected with an RFC 9535 JSONPath (``$.info.version``,
``$.urls[*].packagetype``, ``$.releases['1.2.0']``), evaluated by ``jsonpath-rfc9535``
(the standard's syntax, typed, maintained, so the check means what the RFC says); the
path is compiled when the playbook loads, so a typo is a load error with its line. The
manual equivalent is a ``jq`` filter when the path has only names, indexes and
wildcards (most do), else the same library's command line.

    [[stages.actions]]
    id = "docs-updated"
    kind = "http.check"
    title = "The docs name the new version"
    params = { url = "https://docs.example.org/version.json", json_path = "$.latest",
               equals = "{version.number}" }
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import jsonpath_rfc9535
from jsonpath_rfc9535.segments import JSONPathChildSegment
from jsonpath_rfc9535.selectors import IndexSelector, NameSelector, WildcardSelector
from pydantic import Field, JsonValue, field_validator, model_validator

from cockpit.actions.base import Params, Verify, code_block, register
from cockpit.model import CheckResult
from cockpit.services.http import MalformedResponseError, RetryPolicy, ServiceError

_TEMPLATE = re.compile(r"\{[^{}]*\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class HttpCheckParams(Params):
    url: str
    """The address to GET (anonymous: no token is sent)."""
    status: int = Field(200, ge=100, le=599)
    """The status it must answer. Redirects are not followed (nor by the manual ``curl``):
    a moved page answers 301, so give its final URL."""
    json_path: str | None = None
    """An RFC 9535 JSONPath into the JSON body (``$.info.version``): it must select
    something (and, with ``equals``, that value)."""
    equals: JsonValue = None
    """The value ``json_path`` must select (one of its matches, when it selects several);
    a template like ``{version.number}`` is a string."""
    contains: str | None = None
    """A text the body must contain."""
    timeout_seconds: float = Field(10.0, gt=0, le=300, allow_inf_nan=False)
    """How long one attempt may take."""
    attempts: int = Field(3, ge=1, le=10)
    """Attempts in all when the answer is a 5xx, a timeout or a dropped connection."""

    @field_validator("json_path")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        """Compiled at load (templates stand in as plain names: JSONPath has no braces)."""
        if value is not None:
            try:
                jsonpath_rfc9535.compile(_TEMPLATE.sub("x", value))
            except jsonpath_rfc9535.JSONPathError as exc:
                raise ValueError(f"not an RFC 9535 JSONPath: {exc}") from None
        return value

    @model_validator(mode="after")
    def _equals_needs_a_path(self) -> HttpCheckParams:
        if self.equals is not None and self.json_path is None:
            raise ValueError("'equals' compares the value at 'json_path': give json_path too")
        return self


def jq_filter(path: str) -> str | None:
    """``path`` as a jq filter, when it has only names, indexes and wildcards
    (``$.urls[*].packagetype`` → ``.urls[].packagetype``); None otherwise."""
    out: list[str] = []
    for segment in jsonpath_rfc9535.compile(path).segments:
        if not isinstance(segment, JSONPathChildSegment) or len(segment.selectors) != 1:
            return None
        selector = segment.selectors[0]
        dot = "" if out else "."  # ``.a["b"][0][]``: jq 1.6 reads no ``.`` before ``[``
        if isinstance(selector, NameSelector):
            name = selector.name
            out.append(f".{name}" if _IDENTIFIER.match(name) else f"{dot}[{json.dumps(name)}]")
        elif isinstance(selector, IndexSelector):
            out.append(f"{dot}[{selector.index}]")
        elif isinstance(selector, WildcardSelector):
            out.append(f"{dot}[]")
        else:
            return None
    return "".join(out) or "."


def _same(found: Any, wanted: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(found, bool) or isinstance(wanted, bool):
        return type(found) is type(wanted) and found == wanted
    return bool(found == wanted)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


@register
class HttpCheck(Verify[HttpCheckParams]):
    kind = "http.check"
    summary = "Verify that a URL answers a status, and a JSON value or a text"

    def _expectations(self) -> str:
        p = self.params
        parts = [f"answers {p.status}"]
        if p.json_path is not None:
            parts.append(f"`{p.json_path}` is {_shown(p.equals)}" if p.equals is not None
                         else f"`{p.json_path}` selects something")
        if p.contains is not None:
            parts.append(f"contains \"{p.contains}\"")
        return ", ".join(parts)

    def explain(self) -> str:
        p = self.params
        url = shlex.quote(p.url)
        cmds = [f"curl -sS -o /dev/null -w '%{{http_code}}\\n' {url}   # must print {p.status}"]
        if p.json_path is not None:
            jq = jq_filter(p.json_path)
            want = (f"must print {_shown(p.equals)}" if p.equals is not None
                    else "must print something")
            if jq is not None:
                cmds.append(f"curl -sS {url} | jq {shlex.quote(jq)}   # {want}")
            else:
                cmds.append(f"curl -sS {url} | python -m jsonpath_rfc9535 -q "
                            f"{shlex.quote(p.json_path)}   # {want}")
        if p.contains is not None:
            cmds.append(f"curl -sS {url} | grep -F -- {shlex.quote(p.contains)}")
        return (f"Verifies that <{p.url}> {self._expectations()}. One anonymous GET, "
                f"{p.timeout_seconds:g} s per attempt, {p.attempts} attempt(s) when the "
                "server fails or does not answer. Read-only. By hand:\n\n" + code_block(*cmds))

    def fix(self) -> str:
        return (f"make {self.params.url} answer as expected ({self._expectations()}): "
                "finish the step that publishes it (deploys and caches can lag), then retry")

    async def check(self) -> CheckResult:
        p = self.params
        settings = self.ctx.settings
        http = self.ctx.session.http_client(
            f"http ({p.timeout_seconds:g} s, {p.attempts} attempts)", "",
            timeout=p.timeout_seconds,
            retry=RetryPolicy(max_attempts=p.attempts,
                              base_delay=settings.http_retry_base_seconds))
        try:
            response = await http.get(p.url, ok=range(100, 600), auth=False)
        except ServiceError as exc:
            return CheckResult.failed(f"{p.url} did not answer: {exc}", p.url)
        if response.status != p.status:
            return CheckResult.failed(f"{p.url} answered {response.status}, not {p.status}: "
                                      f"{self.fix()}", p.url)
        found = [f"answered {p.status}"]
        if p.json_path is not None:
            try:
                data = response.json()
            except MalformedResponseError:
                return CheckResult.failed(f"{p.url} did not answer JSON, so {p.json_path} "
                                          "cannot be read", p.url)
            values = jsonpath_rfc9535.compile(p.json_path).find(data).values()
            if not values:
                return CheckResult.failed(f"{p.json_path} selects nothing in {p.url}: "
                                          f"{self.fix()}", p.url)
            if p.equals is not None and not any(_same(v, p.equals) for v in values):
                got = ", ".join(_shown(v) for v in values[:5])
                return CheckResult.failed(f"{p.json_path} is {got}, not {_shown(p.equals)}: "
                                          f"{self.fix()}", p.url)
            found.append(f"{p.json_path} is {_shown(values[0] if p.equals is None else p.equals)}")
        if p.contains is not None:
            if p.contains not in response.text:
                return CheckResult.failed(f"{p.url} does not contain {p.contains!r}: "
                                          f"{self.fix()}", p.url)
            found.append(f"contains {p.contains!r}")
        return CheckResult.done(f"{p.url} {', '.join(found)}", p.url)
