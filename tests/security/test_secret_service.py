"""The real Secret Service: gnome-keyring-daemon on a private D-Bus session.

``cockpit login --stdin github`` stores the token through keyring's SecretService
backend; a second ``cockpit`` process (``doctor``) reads it back from the daemon and
uses it against the sandbox; SecretStorage itself confirms the item; and the keyring
file the daemon wrote on disk does not hold the token in plain text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.sandbox.testing import SandboxHandle
from tests.security.conftest import ROOT, TOKEN_VARIABLES

SESSION = r"""
set -eu
printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf '%s\n' "$LOGIN_TOKEN" | "$PY" -m cockpit.cli login --stdin github
echo "== status"
"$PY" -m cockpit.cli login --status
echo "== doctor"
"$PY" -m cockpit.cli doctor --version v0.30.0-rc1 || true
echo "== secretstorage"
"$PY" - <<'PY'
import hashlib, os
from contextlib import closing
import secretstorage
with closing(secretstorage.dbus_init()) as bus:
    items = list(secretstorage.search_items(bus, {"service": "cockpit", "username": "github"}))
    secret = items[0].get_secret().decode()
    same = hashlib.sha256(secret.encode()).hexdigest() == os.environ["TOKEN_SHA256"]
    print(f"items={len(items)} same={same} locked={items[0].is_locked()}")
PY
"""


def _tools_or_fail() -> None:
    missing = [tool for tool in ("gnome-keyring-daemon", "dbus-run-session")
               if shutil.which(tool) is None]
    if missing:
        message = (f"{', '.join(missing)} not installed (.ci/run installs gnome-keyring and "
                   "dbus)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_login_stores_in_gnome_keyring_and_the_next_process_reads_it(
        sandbox: SandboxHandle, tmp_path: Path) -> None:
    import hashlib

    _tools_or_fail()
    token = sandbox.issue_token("write")
    home, run = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    run.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items()
           if k not in TOKEN_VARIABLES and k not in ("PYTHON_KEYRING_BACKEND",
                                                     "DBUS_SESSION_BUS_ADDRESS")}
    env.update({k: v for k, v in sandbox.env.items() if k not in TOKEN_VARIABLES})
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                "XDG_RUNTIME_DIR": str(run), "PYTHONPATH": str(ROOT), "PY": sys.executable,
                "KEYRING_PASSWORD": "a-throwaway-keyring-password", "LOGIN_TOKEN": token,
                "TOKEN_SHA256": hashlib.sha256(token.encode()).hexdigest()})
    done = subprocess.run(["dbus-run-session", "--", "bash", "-c", SESSION], env=env,
                          capture_output=True, text=True, timeout=90, check=False, cwd=ROOT)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "stored the github token in the system keyring (SecretService Keyring" in out
    status = out.split("== status")[1].split("== doctor")[0]
    assert "keyring: SecretService Keyring" in status
    assert "github     keyring: SecretService Keyring (cockpit/github)" in status
    doctor = out.split("== doctor")[1]
    assert "GitHub token of release-driver is valid (scopes repo, workflow) [keyring: " \
        "SecretService Keyring (cockpit/github)]" in doctor, doctor
    assert "items=1 same=True locked=False" in out
    assert token not in out + done.stderr
    stored = list((home / "data" / "keyrings").glob("*.keyring"))
    assert stored, "gnome-keyring wrote no keyring file"
    for path in stored:
        assert token.encode() not in path.read_bytes(), f"{path} holds the token in plain text"
