"""The driver's signing key as ``git tag -s`` will pick it: ``user.signingkey`` from git
config, else the committer's email, resolved by gpg to one secret key's fingerprint.

The preflight (is there a key, can it sign, is it registered on GitHub) and the signed tag's
review facts (which key the driver claims to sign with) both need exactly this, so it lives
once, here. gpg is run as a subprocess; nothing here parses OpenPGP.
"""

from __future__ import annotations

import os
import subprocess


def git_config(key: str) -> str:
    """``git config --get key`` as git sees it from here ('' when unset)."""
    result = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip()


def git_identity() -> tuple[str, str]:
    """(name, email) as git would use them for a commit: environment first, then config."""
    name = os.environ.get("GIT_COMMITTER_NAME") or git_config("user.name")
    email = os.environ.get("GIT_COMMITTER_EMAIL") or git_config("user.email")
    return name, email


def wanted_key(match_email: bool = True) -> str:
    """What git asks gpg to sign with: ``user.signingkey``, else (``match_email``) the
    committer's email; '' when neither is set."""
    key = git_config("user.signingkey")
    if not key and match_email:
        _, key = git_identity()
    return key


def run_gpg(program: str, *args: str, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([program, "--batch", *args], input=stdin, capture_output=True,
                          text=True, check=False, timeout=30)


def secret_fingerprint(program: str, key: str) -> str | None:
    """The fingerprint of the secret key gpg finds for ``key`` (a key id, fingerprint or
    email), or None when it has none."""
    listed = run_gpg(program, "--with-colons", "--list-secret-keys", key)
    if listed.returncode != 0 or "sec:" not in listed.stdout:
        return None
    return next((line.split(":")[9] for line in listed.stdout.splitlines()
                 if line.startswith("fpr:")), key)


def signing_fingerprint(program: str = "gpg") -> str | None:
    """The fingerprint ``git tag -s`` would sign with here, or None (no key configured or
    found, or no gpg)."""
    key = wanted_key()
    if not key:
        return None
    try:
        return secret_fingerprint(program, key)
    except OSError:
        return None
