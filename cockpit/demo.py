"""``cockpit demo``: a whole release against a local sandbox, with no accounts.

The demo gets a throwaway home of its own: a sandbox world, a state directory, a
git identity in its own global config and a fresh GPG key to sign the tag with,
so it never reads or changes the driver's real configuration.

A running demo records where its sandbox is (``recorded``: URLs, the sandbox's tokens,
the release) in a small file under the user's runtime directory, so a second terminal
can follow it: ``cockpit demo --attach shadow|walkthrough|status`` (``attached``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.errors import BadInput

if TYPE_CHECKING:
    from cockpit.ci.alerts import AlertLoop
    from cockpit.ci.receiver import ReceiverHandle
    from cockpit.ci.store import Delivery
    from cockpit.sandbox.inprocess import SandboxHandle

DEMO_NAME = "Cockpit Demo"
DEMO_EMAIL = "demo@cockpit.invalid"
IDENTITY_ENV = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL")
"""A driver's identity variables: set in their shell, git prefers them to the demo's
own identity, which then no longer matches the demo's signing key."""


SOCKET_PATH_LIMIT = 100
"""A Unix socket's path is at most 107 bytes, and gpg-agent puts its sockets in the GnuPG
home (where no /run/user/UID exists): past this, the agent cannot start, no key can be
made, and the demo's preflight fails on a signing key it should have had."""


def _gnupg_home(home: Path) -> Path:
    """The demo's GnuPG home: in ``home``, unless that path is too long for the agent's
    sockets (a long TMPDIR), then a short directory of its own under /tmp."""
    wanted = home / "gnupg"
    if len(str(wanted / "S.gpg-agent.browser")) < SOCKET_PATH_LIMIT:
        return wanted
    return Path(tempfile.mkdtemp(prefix="cockpit-gpg-", dir="/tmp"))


def _signing_key(gnupg_home: Path) -> str:
    """Make a passphrase-less signing key; return its fingerprint."""
    gnupg_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {**os.environ, "GNUPGHOME": str(gnupg_home)}
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
         "--quick-generate-key", f"{DEMO_NAME} <{DEMO_EMAIL}>", "ed25519", "sign", "never"],
        env=env, check=True, capture_output=True)
    listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"],
                             env=env, check=True, capture_output=True, text=True).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def _register_on_sandbox(handle: SandboxHandle, gnupg_home: Path, fingerprint: str) -> None:
    """The throwaway key registered on the driver's sandbox account, as a driver registers
    theirs on GitHub (``gh gpg-key add``): the preflight and the tag's reviewer check it."""
    from cockpit.sandbox.github.gpg_keys import register_key
    from cockpit.sandbox.seed import ADMIN_LOGIN

    armored = subprocess.run(["gpg", "--batch", "--armor", "--export", fingerprint],
                             env={**os.environ, "GNUPGHOME": str(gnupg_home)}, check=True,
                             capture_output=True, text=True).stdout
    register_key(handle.sandbox.world, ADMIN_LOGIN, armored, "cockpit demo")
    handle.sandbox.world.save()


@contextmanager
def demo_environment(home: Path, **sandbox_options: Any) -> Iterator[SandboxHandle]:
    """Point the cockpit at a sandbox in ``home`` and restore the environment afterwards.

    ``sandbox_options`` are ``SandboxOptions`` fields (``faults``, ``time_scale``, ...):
    the end-to-end tests run the same world faster, or with faults on."""
    from cockpit.sandbox.inprocess import start_sandbox, stop_sandbox

    saved = dict(os.environ)
    ci = _start_ci_receiver(home, sandbox_options)
    handle = start_sandbox(home / "sandbox", **sandbox_options)
    gnupg = _gnupg_home(home)
    try:
        gitconfig = home / "gitconfig"
        lines = ["[user]", f"\tname = {DEMO_NAME}", f"\temail = {DEMO_EMAIL}"]
        try:
            key = _signing_key(gnupg)
            os.environ["GNUPGHOME"] = str(gnupg)
            lines.append(f"\tsigningkey = {key}")
            _register_on_sandbox(handle, gnupg, key)
        except (OSError, subprocess.CalledProcessError):
            pass  # no gpg: preflight says so and how to fix it
        gitconfig.write_text("\n".join(lines) + "\n")
        for name in IDENTITY_ENV:  # they would outrank the demo's identity, and its key
            os.environ.pop(name, None)
        os.environ.update(handle.env)
        os.environ.update({
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            # Tokens come from the sandbox's environment only: a driver's real tokens in
            # the system keyring must never be sent to (or shown by) the sandbox.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "COCKPIT_STATE_DIR": str(home / "state"),
            "COCKPIT_WORKSPACE_DIR": str(home / "work"),
            "COCKPIT_DRIVER": os.environ.get("COCKPIT_DRIVER", "demo"),
            "COCKPIT_POLL_INITIAL_SECONDS": os.environ.get("COCKPIT_POLL_INITIAL_SECONDS", "0.2"),
            "COCKPIT_POLL_MAX_SECONDS": os.environ.get("COCKPIT_POLL_MAX_SECONDS", "1"),
            # The demo's CI runs land in its own store: `cockpit ci` and the preflight's
            # CI gate read them, and nothing of the demo enters the user's real store.
            "COCKPIT_CI_DATABASE": ci.database,
        })
        yield handle
    finally:
        stop_sandbox(handle)
        ci.stop()
        _stop_gpg_agent(gnupg)
        if not gnupg.is_relative_to(home):
            shutil.rmtree(gnupg, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved)


def gh_exports(handle: SandboxHandle) -> list[str]:
    """With ``--tls``: the lines that point ``gh`` (and curl, git) at the demo's sandbox
    from another terminal: its CA, ``GH_HOST`` and the driver's token (the sandbox's own,
    worthless outside it)."""
    import shlex

    return ["# point gh at the demo's sandbox (another terminal):",
            *(f"export {k}={shlex.quote(v)}" for k, v in handle.sandbox.client_env().items())]


@dataclass
class DemoCI:
    """The demo's CI health: a receiver on an SQLite file in its home, and its alert loop."""

    receiver: ReceiverHandle
    alerts: AlertLoop
    database: str

    def stop(self) -> None:
        self.receiver.stop()
        self.alerts.stop()


def _start_ci_receiver(home: Path, sandbox_options: dict[str, Any]) -> DemoCI:
    """The CI-health receiver on an SQLite file in the demo's home, and the sandbox told to
    send its Actions webhooks there (an App hook with a fresh secret), as a team would set
    up a GitHub App: so a demo release produces CI data (``cockpit ci``), and the built-in
    alert rules run on it as ``cockpit ci serve`` runs them."""
    import logging
    import secrets

    from cockpit.ci.alerts import AlertLoop
    from cockpit.ci.receiver import ReceiverHandle, log, receiver_app
    from cockpit.ci.store import open_store

    database = f"sqlite:///{home / 'ci' / 'events.sqlite3'}"
    secret = secrets.token_hex(20)
    # Their lines would land on the TUI's screen: `cockpit ci` shows what they would say.
    for logger in (log, logging.getLogger("uvicorn.error")):
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
            logger.propagate = False
    alerts = AlertLoop(lambda: open_store(database), log=lambda _text: None).start()

    def poke(delivery: Delivery) -> None:
        if delivery.event in ("workflow_run", "workflow_job"):
            alerts.poke()

    receiver = ReceiverHandle(receiver_app(lambda: open_store(database), secret,
                                           on_stored=poke))
    receiver.start()
    sandbox_options.setdefault("webhook_url", receiver.url)
    sandbox_options.setdefault("webhook_secret", secret)
    return DemoCI(receiver, alerts, database)


def discard(handle: SandboxHandle, home: Path, record: Path | None = None) -> None:
    """Everything a demo leaves, removed at once: for an exit that skips the ``with``
    blocks (a hung-up terminal, whose process leaves with ``os._exit``: see the TUI's
    hangup handler). Idempotent."""
    from cockpit.sandbox.inprocess import stop_sandbox

    stop_sandbox(handle)
    gnupg = Path(os.environ.get("GNUPGHOME") or home / "gnupg")
    _stop_gpg_agent(gnupg)
    if not gnupg.is_relative_to(home):
        shutil.rmtree(gnupg, ignore_errors=True)
    if record is not None:
        record.unlink(missing_ok=True)
    shutil.rmtree(home, ignore_errors=True)


def _stop_gpg_agent(gnupg_home: Path) -> None:
    """Signing the tag started a gpg-agent for the throwaway key: it outlives the demo
    (one more daemon per run) unless told to stop."""
    if gnupg_home.is_dir():
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], check=False, capture_output=True,
                       env={**os.environ, "GNUPGHOME": str(gnupg_home)})


# -- a second terminal on a running demo ------------------------------------------------

ATTACH_MODES = ("shadow", "walkthrough", "status")
"""What ``cockpit demo --attach`` opens on a running demo: the live read-only TUI, the
explaining TUI, or ``cockpit status`` printed once."""


HOME_ENV = ("GIT_CONFIG_GLOBAL", "GNUPGHOME", "COCKPIT_POLL_INITIAL_SECONDS",
            "COCKPIT_POLL_MAX_SECONDS", "COCKPIT_CI_DATABASE")
"""What ``demo_environment`` sets besides the sandbox's own variables that an attached
terminal needs too (its state and workspace directories stay its own)."""


class NoDemoRunning(BadInput, ValueError):
    """``--attach`` found no running demo to attach to (the CLI exits 2 and says so)."""


@dataclass(frozen=True)
class DemoRecord:
    """Where a running demo's sandbox is: enough for another process to follow it."""

    pid: int
    release: str
    base_url: str
    env: dict[str, str]
    """What points a cockpit at the sandbox: its ``COCKPIT_*`` URLs and tokens (the
    sandbox's own, worthless outside it) and the demo home's git identity and GPG home,
    so the attached terminal checks what the demo's driver has. Attached modes are
    read-only sessions: the HTTP layer refuses their writes."""
    playbook: str | None = None
    """The ``--playbook`` file the demo plays, if not the built-in one."""


def records_dir() -> Path:
    """``$XDG_RUNTIME_DIR/cockpit`` (gone at logout), else the user's state directory."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "cockpit"
    import platformdirs

    return Path(platformdirs.user_state_dir("cockpit")) / "demos"


@contextmanager
def recorded(handle: SandboxHandle, release: str, playbook: Path | None = None
             ) -> Iterator[Path]:
    """Record the running demo (a file readable by the user only) until it ends."""
    home = {name: os.environ[name] for name in HOME_ENV if name in os.environ}
    env = {**handle.env, **home}
    record = DemoRecord(pid=os.getpid(), release=release, base_url=handle.base_url, env=env,
                        playbook=str(playbook.resolve()) if playbook else None)
    where = records_dir()
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = where / f"demo-{os.getpid()}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(record), out)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def running_demo() -> DemoRecord:
    """The newest demo still running; records of demos that died are removed."""
    found: list[tuple[float, DemoRecord]] = []
    for path in records_dir().glob("demo-*.json"):
        try:
            record = DemoRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue
        if _alive(record.pid):
            found.append((path.stat().st_mtime, record))
        else:
            path.unlink(missing_ok=True)
    if not found:
        raise NoDemoRunning(f"no running demo to attach to (none recorded in {records_dir()}): "
                            "start one with `cockpit demo` in another terminal first")
    return max(found, key=lambda pair: pair[0])[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


@contextmanager
def attached(record: DemoRecord) -> Iterator[None]:
    """Point this process at a running demo's sandbox, with a state directory of its own
    (the demo's journal is the demo's), and restore the environment afterwards."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="cockpit-attached-") as home:
        try:
            os.environ.update(record.env)
            os.environ.update({
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                "COCKPIT_STATE_DIR": str(Path(home) / "state"),
                "COCKPIT_WORKSPACE_DIR": str(Path(home) / "work"),
                "COCKPIT_DRIVER": os.environ.get("COCKPIT_DRIVER", "attached"),
                "COCKPIT_SHADOW_POLL_SECONDS":
                    os.environ.get("COCKPIT_SHADOW_POLL_SECONDS", "2"),
            })
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
