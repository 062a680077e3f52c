"""``cockpit login`` / ``logout`` / ``login --status``: tokens into and out of the keyring.

The token is read without echo (``getpass``) or from stdin (``--stdin``, for scripts),
verified with the playbook's own preflight token check against the configured endpoint
(one cheap authenticated GET) before it is kept, and stored only in the system keyring.
Without a keyring nothing is stored: the cockpit never writes a token to a file, so the
driver is told to export the environment variable instead. No output ever shows a value.

A signing secret (``ci-webhook``: the GitHub webhook secret ``cockpit ci serve`` checks
deliveries with) is never sent to any service, so there is nothing to verify it against: it
is stored unchecked, and the driver is told so.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from cockpit.errors import CockpitError
from cockpit.model import CheckResult, Status
from cockpit.playbook import Playbook
from cockpit.secrets import (
    SERVICES,
    SIGNING_SECRETS,
    STORE,
    TOKEN_ENV,
    env_source,
    keyring_state,
)

SHORT_SECRET = 20
"""A webhook secret shorter than this gets a note: GitHub advises a long random string."""


class LoginError(CockpitError):
    """The token was not stored; the message says why and what to do instead."""


def noun(service: str) -> str:
    """``token``, or ``secret`` for a signing secret (what the driver calls it)."""
    return "secret" if service in SIGNING_SECRETS else "token"


def read_token(service: str, *, from_stdin: bool, stdin: TextIO | None = None) -> str:
    """The token as typed (hidden) or piped; surrounding whitespace is dropped."""
    if from_stdin:
        token = (stdin or sys.stdin).read().strip()
    else:
        token = getpass.getpass(f"{service} {noun(service)} (input is hidden): ").strip()
    if not token:
        raise LoginError(f"no {service} {noun(service)} given: nothing stored")
    return token


async def verify(playbook: Playbook, service: str, token: str) -> CheckResult:
    """Run the preflight token check with ``token`` pinned (nothing stored yet)."""
    from cockpit.doctor import check_token, doctor_engine

    with STORE.pinned(service, token):
        engine = doctor_engine(playbook, None)
        try:
            return await check_token(engine, service)
        finally:
            await engine.session.aclose()


def login(playbook: Playbook, service: str, token: str, *, check: bool = True,
          out: TextIO | None = None) -> None:
    """Verify (unless ``check`` is False), then store ``token`` in the system keyring."""
    out = out or sys.stdout
    state = keyring_state()
    if not state.usable:
        variable = TOKEN_ENV[service][0]
        raise LoginError(
            f"no system keyring is available ({state.backend}), and the cockpit never writes "
            f"a token to a file: nothing stored. Export {variable} in the environment the "
            "cockpit runs in instead, or run a Secret Service (e.g. gnome-keyring) and retry.")
    if service in SIGNING_SECRETS:
        print("not verified: no service can check a webhook secret (GitHub only signs "
              "deliveries with it); set the same secret in the GitHub App's or the webhook's "
              "settings", file=out)
        if len(token) < SHORT_SECRET:
            print(f"note: it is short ({len(token)} characters); GitHub advises a long random "
                  "string, e.g. the output of `python3 -c 'import secrets; "
                  "print(secrets.token_hex(32))'`", file=out)
    elif check:
        result = asyncio.run(verify(playbook, service, token))
        if result.status is not Status.DONE:
            raise LoginError(f"not stored: {result.reason} (store it anyway with --no-verify)")
        print(f"verified: {result.reason}", file=out)
    STORE.store(service, token)
    print(f"stored the {service} {noun(service)} in the system keyring ({state.backend}, entry "
          f"cockpit/{service})", file=out)
    shadowed = env_source(service)
    if shadowed:
        print(f"note: it takes precedence over ${shadowed}, which is also set", file=out)


def logout(service: str, *, out: TextIO | None = None) -> None:
    """Remove the keyring entry (a no-op when there is none); mention any env variable."""
    out = out or sys.stdout
    what = noun(service)
    if STORE.delete(service):
        print(f"removed the {service} {what} from the system keyring", file=out)
    else:
        print(f"no {service} {what} in the system keyring", file=out)
    left = env_source(service)
    if left:
        print(f"note: ${left} still provides a {service} {what} (unset it to log out fully)",
              file=out)


def status_lines() -> list[str]:
    """Which services have a token and where it comes from: never the value."""
    state = keyring_state()
    keyring_text = (state.backend if state.usable else
                    f"none ({state.backend}): tokens come from environment variables")
    lines = [f"keyring: {keyring_text}"]
    width = max(len(s) for s in SERVICES)
    for service in SERVICES:
        source = STORE.source(service)
        where = str(source) if source else f"not set (`cockpit login {service}` or " \
                                           f"${TOKEN_ENV[service][0]})"
        if service in SIGNING_SECRETS and not source:
            where += "; only `cockpit ci serve` needs it"
        lines.append(f"{service:<{width}} {where}")
    return lines


def run_verb(verb: str, service: str | None, playbook: Playbook, *, status: bool = False,
             from_stdin: bool = False, check: bool = True) -> int:
    """The ``login`` and ``logout`` verbs: 0 done, 1 not stored (the message says why)."""
    if verb == "logout":
        logout(service or "github")
        return 0
    if status:
        print("\n".join(status_lines()))
        return 0
    name = service or "github"
    try:
        login(playbook, name, read_token(name, from_stdin=from_stdin), check=check)
    except LoginError as exc:
        print(f"cockpit login: {exc}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("cockpit login: cancelled, nothing stored", file=sys.stderr)
        return 1
    return 0
