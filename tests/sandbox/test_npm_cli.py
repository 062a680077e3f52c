"""The real ``npm`` CLI's dist-tag commands against the sandbox's npm registry, over HTTPS
(the session's ``tls_sandbox``, trusted through its export lines' ``npm_config_cafile``)."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from cockpit.sandbox.services import NPM_TOKEN
from cockpit.sandbox.testing import SandboxHandle

PKG = "go-ipfs"  # the tls_sandbox is shared: kubo's tags are left as seeded


def _npm_env(sb: SandboxHandle, home: Path, token: str | None) -> dict[str, str]:
    """A user's npm with only the sandbox reachable: its registry, its CA, a token in the
    user's ``.npmrc`` for the registry's host and path (as ``npm login`` writes it)."""
    registry = sb.env["COCKPIT_NPM_REGISTRY_URL"] + "/"
    npmrc = home / ".npmrc"
    lines = [f"registry={registry}"]
    if token:
        lines.append(f"{registry.split(':', 1)[1]}:_authToken={token}")
    npmrc.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    env.update({
        "HOME": str(home), "npm_config_userconfig": str(npmrc),
        "npm_config_cache": str(home / "npm-cache"), "npm_config_update_notifier": "false",
        "npm_config_fund": "false", "npm_config_audit": "false",
        **{name: "http://127.0.0.1:9" for name in ("HTTPS_PROXY", "HTTP_PROXY",
                                                   "https_proxy", "http_proxy")},
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        **sb.sandbox.client_env(),
    })
    return env


def _npm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npm", *args], env=env, cwd=env["HOME"], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture
def npm_env(tls_sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    return _npm_env(tls_sandbox, tmp_path, NPM_TOKEN)


def test_dist_tag_ls_add_rm(tls_sandbox: SandboxHandle, npm_env: dict[str, str]) -> None:
    listed = _npm(npm_env, "dist-tag", "ls", PKG)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["latest: 0.29.0"]

    added = _npm(npm_env, "dist-tag", "add", f"{PKG}@0.29.0-rc1", "next")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"+next: {PKG}@0.29.0-rc1"
    assert tls_sandbox.state()["npm"][PKG]["dist-tags"] == {"latest": "0.29.0",
                                                            "next": "0.29.0-rc1"}
    viewed = _npm(npm_env, "view", PKG, "dist-tags.next")  # the packument agrees
    assert viewed.stdout.strip() == "0.29.0-rc1", viewed.stderr

    removed = _npm(npm_env, "dist-tag", "rm", PKG, "next")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"-next: {PKG}@0.29.0-rc1"
    assert tls_sandbox.state()["npm"][PKG]["dist-tags"] == {"latest": "0.29.0"}


def test_what_the_registry_refuses(tls_sandbox: SandboxHandle,
                                   npm_env: dict[str, str], tmp_path: Path) -> None:
    """A version that is not published, the ``latest`` tag's removal, a write without a
    token: each refused, and nothing changes."""
    unpublished = _npm(npm_env, "dist-tag", "add", f"{PKG}@9.9.9", "next")
    assert unpublished.returncode != 0 and "E403" in unpublished.stderr
    latest = _npm(npm_env, "dist-tag", "rm", PKG, "latest")
    assert latest.returncode != 0 and "E400" in latest.stderr
    anonymous = tmp_path / "anonymous"
    anonymous.mkdir()
    no_token = _npm(_npm_env(tls_sandbox, anonymous, None),
                    "dist-tag", "add", f"{PKG}@0.28.0", "legacy")
    assert no_token.returncode != 0 and "E401" in no_token.stderr
    assert tls_sandbox.state()["npm"][PKG]["dist-tags"] == {"latest": "0.29.0"}
    tags = tls_sandbox.env["COCKPIT_NPM_REGISTRY_URL"] + "/-/package/nope/dist-tags"
    ca = ssl.create_default_context(cafile=tls_sandbox.sandbox.client_env()["SSL_CERT_FILE"])
    assert httpx.get(tags, verify=ca).status_code == 404
