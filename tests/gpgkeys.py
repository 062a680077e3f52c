"""Throwaway GPG keys for tests: a fresh GnuPG home under /tmp (gpg-agent's socket paths
must stay short, so never under a long pytest ``tmp_path``), removed afterwards with its
agent."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TestKey:
    home: Path
    fingerprint: str
    armored: str

    @property
    def key_id(self) -> str:
        return self.fingerprint[-16:]


def _gpg(home: Path, *args: str) -> str:
    return subprocess.run(["gpg", "--homedir", str(home), "--batch", *args], check=True,
                          capture_output=True, text=True).stdout


@contextmanager
def gpg_key(uid: str = "Test Driver <driver@example.invalid>") -> Iterator[TestKey]:
    """A passphrase-less ed25519 signing key for ``uid`` in a GnuPG home of its own."""
    home = Path(tempfile.mkdtemp(prefix="cockpit-test-gpg-", dir="/tmp"))
    os.chmod(home, 0o700)
    try:
        _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
        listing = _gpg(home, "--with-colons", "--list-secret-keys")
        fpr = next(line.split(":")[9] for line in listing.splitlines()
                   if line.startswith("fpr:"))
        yield TestKey(home, fpr, _gpg(home, "--armor", "--export", fpr))
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], check=False, capture_output=True,
                       env={**os.environ, "GNUPGHOME": str(home)})
        shutil.rmtree(home, ignore_errors=True)


def register(api_url: str, token: str, key: TestKey) -> None:
    """Register ``key`` on the token's sandbox account, as ``gh gpg-key add`` would."""
    import httpx

    made = httpx.post(f"{api_url}/user/gpg_keys", json={"armored_public_key": key.armored},
                      headers={"Authorization": f"Bearer {token}"})
    made.raise_for_status()
