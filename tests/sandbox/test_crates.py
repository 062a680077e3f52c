"""The sandbox's crates.io (``cockpit/sandbox/crates.py``): cargo's publish API, the read
API, and a Rust project's ``cargo publish`` workflow putting its version there."""

from __future__ import annotations

import base64
import time

import httpx

from cockpit.sandbox.seed import INFRA_REPO
from cockpit.sandbox.testing import SandboxHandle
from tests.crates_setup import cargo_publish

WORKFLOW = b"""name: Release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo publish
"""


def test_publish_and_read(sandbox: SandboxHandle) -> None:
    api = f"{sandbox.env['COCKPIT_CRATES_URL']}/api/v1/crates"
    assert cargo_publish(sandbox, "acme-widgets", "1.0.0", token="wrong").status_code == 403
    assert cargo_publish(sandbox, "x", "1", body=b"\x05").status_code == 400
    assert cargo_publish(sandbox, "acme-widgets", "1.0.0").status_code == 200
    assert cargo_publish(sandbox, "acme-widgets", "1.1.0-rc.1").status_code == 200
    again = cargo_publish(sandbox, "acme-widgets", "1.0.0")
    assert again.status_code == 400 and "already uploaded" in again.json()["errors"][0]["detail"]
    doc = httpx.get(f"{api}/acme_widgets").json()  # - and _ are one
    assert doc["crate"]["max_version"] == "1.1.0-rc.1"
    assert doc["crate"]["max_stable_version"] == "1.0.0"
    assert [v["num"] for v in doc["versions"]] == ["1.1.0-rc.1", "1.0.0"]
    one = httpx.get(f"{api}/acme-widgets/1.0.0").json()["version"]
    assert one["num"] == "1.0.0" and one["yanked"] is False
    missing = httpx.get(f"{api}/acme-widgets/9.9.9")
    assert missing.status_code == 404 and "does not have a version" in missing.text


def test_a_cargo_publish_workflow_publishes_cargo_tomls_version(sandbox: SandboxHandle) -> None:
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    contents = f"{sandbox.api_url}/repos/{INFRA_REPO}/contents"
    head = ""
    for path, text in ((".github/workflows/release.yml", WORKFLOW),
                       ("Cargo.toml", b'[package]\nname = "acme-widgets"\nversion = "0.4.0"\n')):
        put = httpx.put(f"{contents}/{path}", headers=headers, json={
            "message": f"add {path}", "content": base64.b64encode(text).decode()})
        head = put.json()["commit"]["sha"]
    made = httpx.post(f"{sandbox.api_url}/repos/{INFRA_REPO}/git/refs", headers=headers,
                      json={"ref": "refs/tags/v0.4.0", "sha": head})
    assert made.status_code == 201
    for _ in range(100):
        sandbox.tick()
        runs = sandbox.state()["repos"][INFRA_REPO]["runs"]
        if runs and runs[-1]["status"] == "completed":
            break
        time.sleep(0.05)
    assert "Uploaded acme-widgets v0.4.0" in runs[-1]["log"]
    api = f"{sandbox.env['COCKPIT_CRATES_URL']}/api/v1/crates/acme-widgets/0.4.0"
    assert httpx.get(api).json()["version"]["num"] == "0.4.0"
