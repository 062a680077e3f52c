"""``cockpit demo``: a whole release against a local sandbox, with no accounts.

The demo gets a throwaway home of its own: a sandbox world, a state directory, a
git identity in its own global config and a fresh GPG key to sign the tag with,
so it never reads or changes the driver's real configuration.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cockpit.sandbox.testing import SandboxHandle

DEMO_NAME = "Cockpit Demo"
DEMO_EMAIL = "demo@cockpit.invalid"


def _signing_key(gnupg_home: Path) -> str:
    """Make a passphrase-less signing key; return its fingerprint."""
    gnupg_home.mkdir(mode=0o700, parents=True)
    env = {**os.environ, "GNUPGHOME": str(gnupg_home)}
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
         "--quick-generate-key", f"{DEMO_NAME} <{DEMO_EMAIL}>", "ed25519", "sign", "never"],
        env=env, check=True, capture_output=True)
    listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"],
                             env=env, check=True, capture_output=True, text=True).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


@contextmanager
def demo_environment(home: Path, **sandbox_options: Any) -> Iterator[SandboxHandle]:
    """Point the cockpit at a sandbox in ``home`` and restore the environment afterwards.

    ``sandbox_options`` are ``SandboxOptions`` fields (``faults``, ``time_scale``, ...):
    the end-to-end tests run the same world faster, or with faults on."""
    from cockpit.sandbox.testing import start_sandbox, stop_sandbox

    saved = dict(os.environ)
    handle = start_sandbox(home / "sandbox", **sandbox_options)
    try:
        gitconfig = home / "gitconfig"
        lines = ["[user]", f"\tname = {DEMO_NAME}", f"\temail = {DEMO_EMAIL}"]
        try:
            key = _signing_key(home / "gnupg")
            os.environ["GNUPGHOME"] = str(home / "gnupg")
            lines.append(f"\tsigningkey = {key}")
        except (OSError, subprocess.CalledProcessError):
            pass  # no gpg: preflight says so and how to fix it
        gitconfig.write_text("\n".join(lines) + "\n")
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
        })
        yield handle
    finally:
        stop_sandbox(handle)
        _stop_gpg_agent(home / "gnupg")
        os.environ.clear()
        os.environ.update(saved)


def _stop_gpg_agent(gnupg_home: Path) -> None:
    """Signing the tag started a gpg-agent for the throwaway key: it outlives the demo
    (one more daemon per run) unless told to stop."""
    if gnupg_home.is_dir():
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], check=False, capture_output=True,
                       env={**os.environ, "GNUPGHOME": str(gnupg_home)})
