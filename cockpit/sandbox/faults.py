"""Fault injection: a tiny grammar for the failures the cockpit must survive.

SPEC is a comma-separated list of items::

    latency:100          add 100 ms to every request
    5xx:0.1              10% of requests get a 500 (also 500:, 502:, 503:, 504:)
    timeout:req=7        the 7th request hangs (``hang=S`` seconds, default 30)
    drop:0.05            5% of connections are closed mid-response
    ratelimit:req=20     the 20th request hits the primary rate limit (403)
    secondary:req=30     the 30th request hits a secondary rate limit (429 + Retry-After)
    seed=1               seed of the random generator (reproducible runs)
    hang=2               how long a "timeout" holds the request, in seconds

A trigger is a rate (0..1) or ``req=N`` (``req=N+M`` for several), where N counts
the fault-eligible requests since the spec was set (1-based). Eligible requests
are the GitHub API and the announcement services; git smart HTTP and the
``/_sandbox`` inspection endpoints are never faulted, so a test can always look.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("5xx", "500", "502", "503", "504", "timeout", "drop", "ratelimit", "secondary")


class FaultSpecError(ValueError):
    """The SPEC string does not follow the grammar (message says where)."""


@dataclass
class Rule:
    kind: str
    rate: float = 0.0
    requests: frozenset[int] = frozenset()

    def __str__(self) -> str:
        if self.requests:
            return f"{self.kind}:req={'+'.join(str(n) for n in sorted(self.requests))}"
        return f"{self.kind}:{self.rate:g}"


@dataclass
class FaultSpec:
    rules: list[Rule] = field(default_factory=list)
    latency_ms: int = 0
    seed: int | None = None
    hang_seconds: float = 30.0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        spec = cls()
        for raw in text.split(","):
            item = raw.strip()
            if not item or item == "none":
                continue
            if "=" in item and ":" not in item:
                key, _, value = item.partition("=")
                try:
                    if key == "seed":
                        spec.seed = int(value)
                    elif key == "hang":
                        spec.hang_seconds = float(value)
                    else:
                        raise FaultSpecError(f"unknown option {key!r} in {item!r}")
                except ValueError as exc:
                    raise FaultSpecError(f"bad value in {item!r}") from exc
                continue
            kind, sep, trigger = item.partition(":")
            if not sep:
                raise FaultSpecError(f"{item!r}: expected KIND:TRIGGER")
            if kind == "latency":
                try:
                    spec.latency_ms = int(trigger)
                except ValueError as exc:
                    raise FaultSpecError(f"{item!r}: latency takes milliseconds") from exc
                continue
            if kind not in KINDS:
                raise FaultSpecError(f"unknown fault kind {kind!r} (one of {', '.join(KINDS)})")
            if trigger.startswith("req="):
                try:
                    numbers = frozenset(int(n) for n in trigger[4:].split("+"))
                except ValueError as exc:
                    raise FaultSpecError(f"{item!r}: req=N[+M...]") from exc
                spec.rules.append(Rule(kind, requests=numbers))
            else:
                try:
                    rate = float(trigger)
                except ValueError as exc:
                    raise FaultSpecError(f"{item!r}: trigger is a rate or req=N") from exc
                if not 0 <= rate <= 1:
                    raise FaultSpecError(f"{item!r}: rate must be within 0..1")
                spec.rules.append(Rule(kind, rate=rate))
        return spec

    def __str__(self) -> str:
        parts = [str(r) for r in self.rules]
        if self.latency_ms:
            parts.append(f"latency:{self.latency_ms}")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        if self.hang_seconds != 30.0:
            parts.append(f"hang={self.hang_seconds:g}")
        return ",".join(parts)


class FaultInjector:
    """Counts eligible requests and decides, per request, which fault (if any) fires."""

    def __init__(self, spec: FaultSpec | None = None) -> None:
        self._lock = threading.Lock()
        self.set(spec or FaultSpec())

    def set(self, spec: FaultSpec) -> None:
        with self._lock:
            self.spec = spec
            self.count = 0
            self._random = random.Random(spec.seed)

    def next(self) -> tuple[int, str | None]:
        """Number this request and pick its fault: the first matching rule wins."""
        with self._lock:
            self.count += 1
            n = self.count
            for rule in self.spec.rules:
                if n in rule.requests:
                    return n, rule.kind
                if rule.rate and self._random.random() < rule.rate:
                    return n, rule.kind
            return n, None
