"""Tokens: from the system keyring (``cockpit login``), else from environment variables.

Lookup order for a service: a token being verified by ``cockpit login`` (pinned in
memory for that one check), then the system keyring (Secret Service on Linux, the
macOS Keychain, Windows Credential Locker), then the environment variables in
``TOKEN_ENV``. A token is never written to a file by the cockpit: the keyring holds
it encrypted, or the driver's environment does.

When no keyring backend exists (a headless box, a container) the cockpit says so
once on stderr and reads tokens from the environment. A keyring backend set to
``keyring.backends.null.Keyring`` (``PYTHON_KEYRING_BACKEND``) is a deliberate
"environment only", so it is silent: ``cockpit demo`` uses it so that a driver's
real tokens never reach the sandbox.

Every token that is found is also registered with the ``Redactor`` (see
``cockpit.context.Session``) so that it can never reach a log line, an event, the
journal or an error message.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

SERVICES = ("github", "matrix", "discourse", "discord", "reddit", "ci-webhook")
"""Every service the cockpit holds a secret for (``cockpit login SERVICE``)."""

SIGNING_SECRETS = ("ci-webhook",)
"""Secrets that are never sent anywhere, only used to sign or check signatures (the GitHub
webhook secret ``cockpit ci serve`` checks deliveries with): no service can verify them, so
``cockpit login`` stores them unchecked and ``cockpit doctor`` only says where they come from.
No release step needs them."""

TOKEN_ENV = {
    "github": ("COCKPIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"),
    "matrix": ("COCKPIT_MATRIX_TOKEN",),
    "discourse": ("COCKPIT_DISCOURSE_TOKEN",),
    "discord": ("COCKPIT_DISCORD_WEBHOOK",),
    "reddit": ("COCKPIT_REDDIT_TOKEN",),
    "ci-webhook": ("COCKPIT_CI_WEBHOOK_SECRET",),
}

KEYRING_SERVICE = "cockpit"
"""The keyring entry is (``cockpit``, SERVICE): ``secret-tool lookup service cockpit
username github`` finds it with the Secret Service."""


@dataclass
class Redactor:
    """Replaces every known secret with ``***`` in any text that leaves the process.

    Secrets can be registered late (``defer``): looking tokens up in a keyring costs
    about 0.1 s, which the TUI does after its first paint. Every redaction first runs
    the loaders still pending, so no text leaves before the secrets are known.
    """

    secrets: set[str] = field(default_factory=set)
    _pattern: re.Pattern[str] | None = None
    _pending: list[Callable[[], Iterable[str | None]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def defer(self, loader: Callable[[], Iterable[str | None]]) -> None:
        """Register the secrets ``loader`` returns before the next redaction."""
        with self._lock:
            self._pending.append(loader)

    def load(self) -> None:
        """Run the pending loaders now (a worker does this off the UI's thread)."""
        with self._lock:
            while self._pending:
                for secret in self._pending.pop(0)():
                    self._add(secret)

    def add(self, secret: str | None) -> None:
        with self._lock:
            self._add(secret)

    def _add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets.add(secret)
            ordered = sorted(self.secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def __call__(self, text: str) -> str:
        if self._pending:
            self.load()
        if self._pattern is None:
            return text
        return self._pattern.sub("***", text)


def token_from_env(service: str) -> str | None:
    """The first non-empty variable of ``TOKEN_ENV[service]``."""
    found = env_source(service)
    return os.environ[found] if found else None


def env_source(service: str) -> str | None:
    """The name of the environment variable that holds the token, if any does."""
    for name in TOKEN_ENV.get(service, ()):
        if os.environ.get(name):
            return name
    return None


# -- the keyring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyringState:
    """Whether a usable system keyring exists, and which one (for messages)."""

    usable: bool
    backend: str
    """``SecretService Keyring``, ``fail Keyring``…"""
    deliberate: bool = False
    """No keyring by choice (the null backend): tokens come from the environment quietly."""


def _backend() -> Any:
    import keyring

    return keyring.get_keyring()


PLAINTEXT_BACKENDS = ("keyrings.alt",)
"""Backend packages that keep secrets in files anyone with the file can read: refused."""


def _refused(backend: Any) -> bool:
    from keyring.backends.chainer import ChainerBackend

    chained = list(backend.backends) if isinstance(backend, ChainerBackend) else [backend]
    return any(type(b).__module__.startswith(PLAINTEXT_BACKENDS) for b in chained)


def keyring_state() -> KeyringState:
    from keyring.backends import fail, null

    backend = _backend()
    name = f"{type(backend).__module__.rsplit('.', 1)[-1]} {type(backend).__name__}"
    if isinstance(backend, null.Keyring):
        return KeyringState(False, name, deliberate=True)
    if _refused(backend):
        return KeyringState(False, f"{name}, which stores secrets in plain text: not used")
    return KeyringState(not isinstance(backend, fail.Keyring), name)


def no_keyring_message(reason: str = "") -> str:
    """Said once per process when tokens have to come from the environment."""
    why = f" ({reason})" if reason else ""
    variables = ", ".join(names[0] for names in TOKEN_ENV.values())
    return (f"cockpit: no system keyring is available{why}; tokens come from environment "
            f"variables ({variables}). To keep them in a keyring instead, run a Secret "
            "Service (e.g. gnome-keyring) and `cockpit login SERVICE`.")


class TokenStore:
    """Finds tokens (pinned, keyring, environment) and keeps keyring answers for the process.

    Keyring answers are cached because every service client asks, and a Secret Service
    lookup is a D-Bus round trip; environment variables are read fresh every time.
    """

    def __init__(self, warn: Callable[[str], None] | None = None) -> None:
        self._warn = warn or (lambda text: print(text, file=sys.stderr))
        self._warned = False
        self._cache: dict[str, str | None] = {}
        self._pinned: dict[str, str] = {}
        self._lookup = threading.Lock()
        """One keyring lookup at a time: the TUI looks tokens up in a worker thread."""

    @contextmanager
    def warnings_to(self, warn: Callable[[str], None]) -> Iterator[None]:
        """Say the no-keyring warning through ``warn`` inside the block (the TUI owns the
        terminal: a line on stderr would be drawn over)."""
        previous, self._warn = self._warn, warn
        try:
            yield
        finally:
            self._warn = previous

    def forget(self) -> None:
        """Drop cached keyring answers (after login/logout, or a backend change)."""
        self._cache.clear()

    def _say_once(self, reason: str = "") -> None:
        if not self._warned:
            self._warned = True
            self._warn(no_keyring_message(reason))

    def from_keyring(self, service: str) -> str | None:
        """The keyring's token, or None (no entry, or no usable keyring: said once)."""
        with self._lookup:
            return self._from_keyring(service)

    def _from_keyring(self, service: str) -> str | None:
        if service in self._cache:
            return self._cache[service]
        from keyring.errors import KeyringError

        value: str | None = None
        state = keyring_state()
        if state.usable:
            try:
                value = _backend().get_password(KEYRING_SERVICE, service)
            except KeyringError as exc:
                self._say_once(f"{state.backend}: {type(exc).__name__}: {exc}")
        elif not state.deliberate:
            self._say_once(state.backend)
        self._cache[service] = value
        return value

    def find(self, service: str) -> str | None:
        if service in self._pinned:
            return self._pinned[service]
        return self.from_keyring(service) or token_from_env(service)

    def source(self, service: str) -> TokenSource | None:
        """Where ``find`` gets the token from, without its value."""
        if service in self._pinned:
            return TokenSource(service, "login", "the token being verified")
        if self.from_keyring(service):
            return TokenSource(service, "keyring",
                               f"{keyring_state().backend} ({KEYRING_SERVICE}/{service})")
        name = env_source(service)
        return TokenSource(service, "env", name) if name else None

    @contextmanager
    def pinned(self, service: str, token: str) -> Iterator[None]:
        """Use ``token`` for ``service`` inside the block (to verify it before storing)."""
        self._pinned[service] = token
        try:
            yield
        finally:
            self._pinned.pop(service, None)

    def store(self, service: str, token: str) -> None:
        """Save in the system keyring; raises ``NoKeyringError`` when there is none."""
        from keyring.errors import NoKeyringError

        state = keyring_state()
        if not state.usable:
            raise NoKeyringError(no_keyring_message(state.backend))
        _backend().set_password(KEYRING_SERVICE, service, token)
        self._cache[service] = token

    def delete(self, service: str) -> bool:
        """Remove from the keyring; False when there was nothing to remove."""
        from keyring.errors import PasswordDeleteError

        if not keyring_state().usable:
            return False
        self._cache.pop(service, None)
        try:
            _backend().delete_password(KEYRING_SERVICE, service)
        except PasswordDeleteError:
            return False
        return True


@dataclass(frozen=True)
class TokenSource:
    service: str
    kind: Literal["keyring", "env", "login"]
    name: str
    """The keyring entry or the environment variable's name: never the value."""

    def __str__(self) -> str:
        return f"keyring: {self.name}" if self.kind == "keyring" else (
            f"${self.name}" if self.kind == "env" else self.name)


STORE = TokenStore()
"""The process's token store: every token lookup in the cockpit goes through it."""


def find_token(service: str) -> str | None:
    """The token for ``service``: pinned, else the keyring, else the environment."""
    return STORE.find(service)
