"""``cockpit login`` / ``logout`` / ``login --status`` against the sandbox, as subprocesses."""

from __future__ import annotations

import pytest

from cockpit.sandbox.testing import SandboxHandle
from tests.security.conftest import Cockpit


def test_login_verifies_stores_in_the_keyring_and_logout_removes(
        cockpit: Cockpit, sandbox: SandboxHandle) -> None:
    token = sandbox.issue_token("write")
    stored = cockpit("login", "--stdin", "github", stdin=token + "\n")
    assert stored.returncode == 0, stored.stderr
    assert "verified: GitHub token of" in stored.stdout
    assert "scopes repo, workflow" in stored.stdout
    assert cockpit.stored() == {"cockpit": {"github": token}}

    status = cockpit("login", "--status")
    assert status.returncode == 0, status.stderr
    lines = dict(line.split(None, 1) for line in status.stdout.splitlines()[1:])
    assert lines["github"].startswith("keyring: ")
    assert lines["matrix"].startswith("not set")
    shown = cockpit("login", "--status", env={"COCKPIT_MATRIX_TOKEN": "m-secret-value"})
    assert "$COCKPIT_MATRIX_TOKEN" in shown.stdout

    # The token read back from the keyring is the one later commands use.
    doctor = cockpit("doctor", "--version", "v0.30.0-rc1")
    assert "GitHub token of release-driver is valid" in doctor.stdout, doctor.stdout
    assert "[keyring: " in doctor.stdout

    removed = cockpit("logout", "github")
    assert removed.returncode == 0 and "removed the github token" in removed.stdout
    assert cockpit.stored() == {"cockpit": {}}
    again = cockpit("logout", "github")
    assert again.returncode == 0 and "no github token in the system keyring" in again.stdout
    everything = "".join(p.stdout + p.stderr for p in (stored, status, shown, doctor, removed))
    assert token not in everything and "m-secret-value" not in everything


def test_login_refuses_a_read_only_or_unknown_token_and_stores_nothing(
        cockpit: Cockpit, sandbox: SandboxHandle) -> None:
    read_only = cockpit("login", "--stdin", "github", stdin=sandbox.readonly_token)
    assert read_only.returncode == 1
    assert "lacks the scopes repo, workflow (has: none)" in read_only.stderr
    assert "--no-verify" in read_only.stderr
    unknown = cockpit("login", "--stdin", "github", stdin="ghp_not-a-sandbox-token")
    assert unknown.returncode == 1 and "refused (401)" in unknown.stderr, unknown.stderr
    empty = cockpit("login", "--stdin", "matrix", stdin="  \n")
    assert empty.returncode == 1 and "no matrix token given" in empty.stderr
    assert cockpit.stored() == {}
    for proc in (read_only, unknown):
        assert sandbox.readonly_token not in proc.stdout + proc.stderr
        assert "ghp_not-a-sandbox-token" not in proc.stdout + proc.stderr
    forced = cockpit("login", "--stdin", "--no-verify", "github", stdin=sandbox.readonly_token)
    assert forced.returncode == 0 and "verified" not in forced.stdout
    assert cockpit.stored() == {"cockpit": {"github": sandbox.readonly_token}}


def test_the_keyring_takes_precedence_over_the_environment(cockpit: Cockpit,
                                                           sandbox: SandboxHandle) -> None:
    assert cockpit("login", "--stdin", "github", stdin=sandbox.admin_token).returncode == 0
    both = {"GITHUB_TOKEN": sandbox.readonly_token}
    status = cockpit("login", "--status", env=both)
    assert "github     keyring: " in status.stdout
    doctor = cockpit("doctor", "--version", "v0.30.0-rc1", env=both)
    assert "scopes repo, workflow) [keyring: " in doctor.stdout, doctor.stdout
    note = cockpit("login", "--stdin", "github", stdin=sandbox.admin_token, env=both)
    assert "takes precedence over $GITHUB_TOKEN" in note.stdout


def test_without_a_keyring_nothing_is_stored_and_tokens_come_from_the_environment(
        cockpit: Cockpit, sandbox: SandboxHandle) -> None:
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    refused = cockpit("login", "--stdin", "github", stdin=sandbox.admin_token, env=no_keyring)
    assert refused.returncode == 1
    assert "no system keyring is available" in refused.stderr
    assert "never writes a token to a file: nothing stored" in refused.stderr
    assert "Export COCKPIT_GITHUB_TOKEN" in refused.stderr
    assert not cockpit.keyring_file.exists()
    status = cockpit("login", "--status", env={**no_keyring,
                                               "COCKPIT_GITHUB_TOKEN": sandbox.admin_token})
    assert status.returncode == 0
    assert "github     $COCKPIT_GITHUB_TOKEN" in status.stdout
    # Said once per process, on stderr, with how to set the variables.
    assert status.stderr.count("no system keyring is available") == 1, status.stderr
    assert "COCKPIT_MATRIX_TOKEN" in status.stderr
    assert sandbox.admin_token not in status.stdout + status.stderr + refused.stderr


def test_a_plaintext_keyring_backend_is_never_used() -> None:
    """keyrings.alt's file backends keep tokens readable on disk: the cockpit refuses them
    (for reading and for storing) and falls back to the environment."""
    import keyring
    from keyring.backend import KeyringBackend

    from cockpit.login import LoginError, login
    from cockpit.playbook import load_playbook
    from cockpit.secrets import STORE, keyring_state

    written: list[str] = []

    def remember(self: object, service: str, username: str, password: str) -> None:
        written.append(password)

    plaintext = type("PlaintextKeyring", (KeyringBackend,), {
        "__module__": "keyrings.alt.file", "priority": -5,  # never auto-detected
        "get_password": lambda self, service, username: "from-a-plaintext-file",
        "set_password": remember, "delete_password": lambda self, s, u: None})
    previous = keyring.get_keyring()
    keyring.set_keyring(plaintext())
    STORE.forget()
    try:
        state = keyring_state()
        assert not state.usable and "plain text: not used" in state.backend
        assert STORE.find("reddit") is None
        with pytest.raises(LoginError, match="nothing stored"):
            login(load_playbook(), "reddit", "a-reddit-token", check=False)
        assert written == []
    finally:
        keyring.set_keyring(previous)
        STORE.forget()


def test_typed_token_is_not_echoed(cockpit: Cockpit, sandbox: SandboxHandle) -> None:
    """At a terminal the token is read with getpass: nothing typed appears on screen."""
    import os
    import pty
    import subprocess
    import sys
    import time

    from tests.security.conftest import ROOT

    token = sandbox.issue_token("write")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "screens.main", "login", "github"],
                            stdin=follower, stdout=follower, stderr=follower, cwd=ROOT,
                            env=cockpit.env, start_new_session=True)
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 30
    while b"input is hidden" not in screen and time.monotonic() < deadline:
        screen += os.read(leader, 4096)
    os.write(leader, token.encode() + b"\n")
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    assert proc.wait(timeout=30) == 0, screen.decode()
    os.close(leader)
    assert b"github token (input is hidden): " in screen
    assert b"stored the github token in the system keyring" in screen
    assert token.encode() not in screen
    assert cockpit.stored() == {"cockpit": {"github": token}}
