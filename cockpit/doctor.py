"""``cockpit doctor``: can this machine drive a release? Every failure comes with its fix.

The checks are the playbook's own read-only preflight checks (tokens and scopes, git
identity, signing key, tools: ``cockpit.actions.preflight``), run through the engine
exactly as the preflight stage runs them, plus what only matters to a machine rather
than to one release: where tokens come from (keyring or environment), tokens the
playbook does not check but later stages use, the clock against GitHub's, and the
GitHub rate limit left. Nothing is changed: the session is read-only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

from cockpit.model import CheckResult, Release, Status, Version
from cockpit.secrets import SERVICES, SIGNING_SECRETS, STORE, TOKEN_ENV, keyring_state

if TYPE_CHECKING:
    from cockpit.engine import Engine
    from cockpit.playbook import ActionSpec, Playbook, StageSpec
    from cockpit.settings import Settings

Level = Literal["ok", "warn", "fail"]

DOCTOR_KINDS = ("preflight.token", "preflight.git-identity", "preflight.signing-key",
                "preflight.tool")
"""Preflight kinds about the machine and the driver (the others are about one release)."""

SKEW_WARN_SECONDS = 30.0
"""More than this off GitHub's clock: signatures, "within N hours" checks and timeouts lie."""

RATE_WARN_REMAINING = 500
"""Fewer GitHub requests left than this: a release (~1,000 requests) may stall on the limit."""


@dataclass(frozen=True)
class Finding:
    """One row of the doctor's table."""

    check: str
    level: Level
    detail: str
    fix: str = ""


# -- checks the playbook declares ------------------------------------------------------------


def _fix_of(engine: Engine, stage: StageSpec, spec: ActionSpec) -> str:
    from cockpit.actions.base import Verify

    try:
        action = engine.build(stage, spec)
    except Exception:  # a spec that cannot even be built has no fix to offer but its error
        return ""
    return action.fix() if isinstance(action, Verify) else ""


def _finding(engine: Engine, stage: StageSpec, spec: ActionSpec, result: CheckResult
             ) -> Finding:
    if result.status is Status.DONE:
        # An advisory check (a tool only the manual equivalents use) passes with a warning.
        level: Level = "warn" if result.reason.startswith("warning:") else "ok"
        return Finding(spec.title, level, result.reason)
    fix = _fix_of(engine, stage, spec)
    detail = result.reason.removesuffix(f": {fix}") if fix else result.reason
    level = "fail"
    if spec.when and not isinstance(engine.session.version, Version):
        # Without --version it is unknown whether this release needs it.
        level = "warn"
        detail += f" (needed only for {', '.join(spec.when)} releases)"
    return Finding(spec.title, level, detail, fix or "see `cockpit explain`")


def machine_checks(engine: Engine) -> list[tuple[StageSpec, ActionSpec]]:
    """The playbook's checks of the machine and driver, once each, in playbook order."""
    seen: set[tuple[str, str]] = set()
    found: list[tuple[StageSpec, ActionSpec]] = []
    for stage in engine.playbook.stages:
        for spec in stage.actions:
            key = (spec.kind, repr(sorted(spec.params.items())))
            if spec.kind in DOCTOR_KINDS and key not in seen and engine.applies(stage, spec):
                seen.add(key)
                found.append((stage, spec))
    return found


def token_spec(service: str) -> tuple[StageSpec, ActionSpec]:
    """A preflight token check for a service the playbook does not check in preflight."""
    from cockpit.playbook import ActionSpec, StageSpec

    spec = ActionSpec(id=f"token-{service}", kind="preflight.token",
                      title=f"{service} token", params={"service": service})
    return StageSpec(id="doctor", title="Doctor", summary="machine checks",
                     actions=[spec]), spec


async def check_token(engine: Engine, service: str) -> CheckResult:
    """The preflight token check for ``service`` (``cockpit login`` verifies with it)."""
    for stage, spec in machine_checks(engine):
        if spec.kind == "preflight.token" and spec.params.get("service") == service:
            return await engine.check_action(stage, spec)
    return await engine.check_action(*token_spec(service))


async def _token_findings(engine: Engine, checked: set[str]) -> list[Finding]:
    """Tokens the preflight does not check: a missing one only turns steps manual."""
    out: list[Finding] = []
    for service in SERVICES:
        if service in checked:
            continue
        if service in SIGNING_SECRETS:
            out.append(signing_secret_finding(service))
            continue
        stage, spec = token_spec(service)
        if STORE.find(service) is None:
            from cockpit.actions.preflight import how_to_set

            out.append(Finding(spec.title, "warn", f"not set: steps that post to {service} "
                               "become manual steps", how_to_set(service)))
        else:
            found = _finding(engine, stage, spec, await engine.check_action(stage, spec))
            out.append(_with_source(found, service))
    return out


def signing_secret_finding(service: str) -> Finding:
    """A webhook secret: no release step uses it and no service can verify it, so it is
    never a failure; the row only says where ``cockpit ci serve`` would find it."""
    check = f"{service} secret"
    source = STORE.source(service)
    if source is None:
        return Finding(check, "ok", f"not set: only `cockpit ci serve` needs it (`cockpit login "
                       f"{service}` or ${TOKEN_ENV[service][0]})")
    return Finding(check, "ok", f"set, not verifiable (GitHub only signs with it) [{source}]")


def _with_source(finding: Finding, service: str) -> Finding:
    source = STORE.source(service)
    if source is None:
        return finding
    return Finding(finding.check, finding.level, f"{finding.detail} [{source}]", finding.fix)


def keyring_finding() -> Finding:
    state = keyring_state()
    if state.usable:
        return Finding("system keyring", "ok", f"{state.backend} (`cockpit login` stores here)")
    if state.deliberate:
        return Finding("system keyring", "ok", f"disabled ({state.backend}): tokens come from "
                       "environment variables")
    return Finding("system keyring", "warn",
                   f"none available ({state.backend}): tokens come from environment variables",
                   "run a Secret Service (gnome-keyring, KeePassXC) in your session, then "
                   "`cockpit login SERVICE`; or keep exporting the COCKPIT_*_TOKEN variables")


# -- the GitHub server: clock and rate limit -------------------------------------------------


def clock_finding(server_date: str | None, local_midpoint: float) -> Finding:
    """Compare the server's ``Date`` header with our clock at the middle of the request."""
    if not server_date:
        return Finding("clock", "warn", "GitHub sent no Date header: skew not measured")
    try:
        server = parsedate_to_datetime(server_date).timestamp()
    except (TypeError, ValueError):
        return Finding("clock", "warn", f"unreadable Date header {server_date!r}")
    skew = local_midpoint - server
    text = f"{abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} GitHub's clock"
    if abs(skew) > SKEW_WARN_SECONDS:
        return Finding("clock", "warn", text,
                       "synchronise the clock (`sudo timedatectl set-ntp true`, or "
                       "`sudo chronyc makestep`): time windows and timeouts depend on it")
    return Finding("clock", "ok", f"within {SKEW_WARN_SECONDS:.0f} s of GitHub's ({text})")


def rate_finding(core: dict[str, Any], now: float) -> Finding:
    remaining, limit, reset = int(core["remaining"]), int(core["limit"]), int(core["reset"])
    when = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")
    minutes = max(0, round((reset - now) / 60))
    text = f"{remaining} of {limit} requests left (resets at {when}, in {minutes} min)"
    if remaining < RATE_WARN_REMAINING:
        return Finding("GitHub rate limit", "warn", text,
                       f"wait until {when} before a long stage, or use an authenticated token "
                       "(5,000 requests an hour instead of 60)")
    return Finding("GitHub rate limit", "ok", text)


async def github_server_findings(engine: Engine) -> list[Finding]:
    """One free request (``GET /rate_limit``) gives both the Date header and the limit."""
    from cockpit.services.http import ServiceError

    gh = engine.session.github()
    started = time.time()
    try:
        answer = await gh.rate_limit_now()
    except ServiceError as exc:
        fix = ("check the network and COCKPIT_GITHUB_API_URL "
               f"({engine.session.settings.github_api_url})")
        return [Finding("clock", "fail", f"cannot ask GitHub: {exc}", fix),
                Finding("GitHub rate limit", "fail", "not measured", fix)]
    finished = time.time()
    return [clock_finding(answer.date, (started + finished) / 2),
            rate_finding(answer.value.core.model_dump(), finished)]


# -- all of it --------------------------------------------------------------------------


async def diagnose(engine: Engine) -> list[Finding]:
    """Every finding, in a stable order (playbook checks, tokens, keyring, server)."""
    checks = machine_checks(engine)
    results = await asyncio.gather(*(engine.check_action(stage, spec) for stage, spec in checks))
    findings: list[Finding] = [keyring_finding()]
    checked: set[str] = set()
    for (stage, spec), result in zip(checks, results, strict=True):
        found = _finding(engine, stage, spec, result)
        if spec.kind == "preflight.token":
            service = str(spec.params.get("service"))
            checked.add(service)
            found = _with_source(found, service)
        findings.append(found)
    findings += await _token_findings(engine, checked)
    findings += await github_server_findings(engine)
    return findings


def render(findings: Sequence[Finding]) -> str:
    """A plain table (greppable, no colour): level, check, detail; the fix under failures."""
    width = max(len(f.check) for f in findings)
    lines = []
    for f in findings:
        lines.append(f"{f.level.upper() if f.level != 'ok' else 'ok':<4}  "
                     f"{f.check:<{width}}  {f.detail}")
        if f.fix and f.level != "ok":
            lines.append(f"{'':<4}  {'':<{width}}  fix: {f.fix}")
    fails = sum(f.level == "fail" for f in findings)
    warns = sum(f.level == "warn" for f in findings)
    lines.append("")
    lines.append(f"{len(findings)} checks: {len(findings) - fails - warns} ok, {warns} warnings, "
                 f"{fails} failures")
    return "\n".join(lines)


def doctor_engine(playbook: Playbook, release: Release | None,
                  settings: Settings | None = None) -> Engine:
    from cockpit.context import Session
    from cockpit.engine import Engine
    from cockpit.prompts import AnswersPrompter
    from cockpit.settings import Settings

    session = Session(settings=settings or Settings(), prompter=AnswersPrompter(),
                      release=release, read_only=True)
    return Engine(playbook, session)


async def run_doctor(playbook: Playbook, release: Release | None) -> tuple[int, str]:
    """(exit code, table): 0 when nothing failed (warnings allowed), else 1."""
    engine = doctor_engine(playbook, release)
    try:
        findings = await diagnose(engine)
    finally:
        await engine.session.aclose()
    failed = any(f.level == "fail" for f in findings)
    return (1 if failed else 0), render(findings)
