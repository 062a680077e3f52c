"""The sandbox over HTTPS: a CA per data directory, kept across restarts, trusted by the
clients the export lines point at it (Python/httpx, git, curl), and the cockpit itself
working against it."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cockpit.sandbox.core import Sandbox, SandboxOptions
from cockpit.sandbox.testing import SandboxHandle
from cockpit.sandbox.tls import files_in


def test_the_ca_is_made_once_per_data_directory_and_kept(tmp_path: Path) -> None:
    first = Sandbox(SandboxOptions(data_dir=tmp_path, tls=True))
    assert first.tls is not None
    ca, cert = first.tls.ca_cert.read_bytes(), first.tls.cert.read_bytes()
    assert oct(first.tls.key.stat().st_mode & 0o777) == "0o600"
    again = Sandbox(SandboxOptions(data_dir=tmp_path, tls=True))
    assert again.tls == files_in(tmp_path)
    assert (again.tls.ca_cert.read_bytes(), again.tls.cert.read_bytes()) == (ca, cert)
    first.tls.cert.unlink()  # a lost (or expired) server certificate is reissued by the CA
    third = Sandbox(SandboxOptions(data_dir=tmp_path, tls=True))
    assert third.tls is not None and third.tls.ca_cert.read_bytes() == ca
    context = ssl.create_default_context(cafile=str(third.tls.ca_cert))
    context.load_cert_chain(third.tls.cert, third.tls.key)  # key and certificate match


def test_plain_http_names_no_ca(tmp_path: Path) -> None:
    sb = Sandbox(SandboxOptions(data_dir=tmp_path))
    sb.bind("127.0.0.1", 1)
    assert sb.tls is None and sb.client_env() == {}
    assert not (tmp_path / "tls").exists()
    assert "SSL_CERT_FILE" not in sb.env()


def test_https_is_trusted_through_the_ca_and_only_through_it(tls_sandbox: SandboxHandle
                                                            ) -> None:
    env = tls_sandbox.env
    assert tls_sandbox.base_url.startswith("https://127.0.0.1:")
    assert env["GH_HOST"] == tls_sandbox.base_url.removeprefix("https://")
    assert env["COCKPIT_GITHUB_API_URL"] == tls_sandbox.base_url + "/api/v3"
    auth = {"Authorization": f"Bearer {env['GH_ENTERPRISE_TOKEN']}"}
    trusted = ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
    user = httpx.get(env["COCKPIT_GITHUB_API_URL"] + "/user", headers=auth, verify=trusted)
    assert user.json()["login"] == "release-driver"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(env["COCKPIT_GITHUB_API_URL"] + "/user", headers=auth)  # certifi's CAs
    git = subprocess.run(["git", "ls-remote", tls_sandbox.clone_url("ipfs/kubo"), "master"],
                         env={**os.environ, "GIT_SSL_CAINFO": env["GIT_SSL_CAINFO"],
                              "GIT_TERMINAL_PROMPT": "0"},
                         capture_output=True, text=True, timeout=30, check=True)
    assert git.stdout.endswith("\trefs/heads/master\n")
    if shutil.which("curl"):
        curl = subprocess.run(["curl", "-sSf", "-H", f"Authorization: {auth['Authorization']}",
                               env["COCKPIT_GITHUB_API_URL"] + "/rate_limit"],
                              env={**os.environ, "CURL_CA_BUNDLE": env["CURL_CA_BUNDLE"]},
                              capture_output=True, text=True, timeout=30)
        assert curl.returncode == 0, curl.stderr


def test_the_cockpit_reads_a_release_over_https(tls_sandbox: SandboxHandle,
                                                cockpit_home: Path) -> None:
    """The exported environment is all the cockpit needs: its HTTP client trusts the CA
    named by SSL_CERT_FILE (httpx reads it), its git trusts GIT_SSL_CAINFO."""
    env = {**os.environ, **tls_sandbox.env}
    done = subprocess.run([sys.executable, "-m", "screens.main", "status", "--json",
                           "--release", "v0.30.0-rc1"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1, done.stderr  # read fine; the release is not done yet
    rows = {row["stage"]: row for row in json.loads(done.stdout)["actions"]}
    assert rows["preflight"]["state"] != "failed", rows["preflight"]
    assert "CERTIFICATE" not in done.stdout + done.stderr
    assert [r for r in tls_sandbox.requests(service="github") if r["path"].startswith(
        "/api/v3/repos/ipfs/kubo")]


def test_cockpit_sandbox_tls_prints_what_clients_need(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "cockpit.sandbox", "--tls", "--data",
                             str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    exports: dict[str, str] = {}
    try:
        while "GH_ENTERPRISE_TOKEN" not in exports:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            if line.startswith("export "):
                key, _, value = line[7:].strip().partition("=")
                exports[key] = value.strip("'")
        ca = str(data / "tls" / "ca.pem")
        assert {k: exports[k] for k in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
                                        "GIT_SSL_CAINFO", "CURL_CA_BUNDLE")} == dict.fromkeys(
            ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"), ca)
        assert exports["COCKPIT_GITHUB_API_URL"] == f"https://{exports['GH_HOST']}/api/v3"
        assert exports["COCKPIT_GIT_BASE_URL"] == f"https://{exports['GH_HOST']}"
        assert exports["GH_ENTERPRISE_TOKEN"] == exports["COCKPIT_GITHUB_TOKEN"]
        answer = httpx.get(exports["COCKPIT_GITHUB_API_URL"] + "/rate_limit",
                           verify=ssl.create_default_context(cafile=ca))
        assert answer.status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
