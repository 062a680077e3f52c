"""The sandbox's PyPI (``cockpit/sandbox/pypi.py``): uploads as twine makes them, the JSON
API, the simple index in both PEP 503 and PEP 691 form, pip installing from it, and a
Python project's publish workflow putting its release there."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from cockpit.sandbox.pypi import build_sdist, core_metadata
from cockpit.sandbox.seed import INFRA_REPO
from cockpit.sandbox.testing import SandboxHandle
from tests.pypi_setup import release, upload

PYPROJECT = """[project]
name = "Acme.Widgets"
version = "{version}"
description = "Widgets for tests"
requires-python = ">=3.11"
"""
PUBLISH = b"""name: Publish
on:
  push:
    tags: ["*"]
jobs:
  pypi:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@release/v1
"""


def test_upload_refuses_what_pypi_refuses(sandbox: SandboxHandle) -> None:
    sdist = "acme_widgets-1.0.0.tar.gz"
    assert upload(sandbox, "acme-widgets", "1.0.0", sdist, b"x", auth=None).status_code == 403
    assert upload(sandbox, "acme-widgets", "1.0.0", sdist, b"x",
                  auth=("__token__", "wrong")).status_code == 403
    other = upload(sandbox, "acme-widgets", "1.0.1", sdist, b"x")
    assert other.status_code == 400 and "Start filename" in other.text
    digest = upload(sandbox, "acme-widgets", "1.0.0", sdist, b"x", sha256="0" * 64)
    assert digest.status_code == 400 and "digest" in digest.text
    assert upload(sandbox, "acme-widgets", "1.0.0", sdist, b"x").status_code == 200
    again = upload(sandbox, "acme-widgets", "1.0.0", sdist, b"y")
    assert again.status_code == 400 and "File already exists" in again.text
    assert [r["status"] for r in sandbox.requests(service="pypi")] == [403, 403, 400, 400,
                                                                        200, 400]


def test_json_api_and_simple_index(sandbox: SandboxHandle, tmp_path: Path) -> None:
    pypi = sandbox.env["COCKPIT_PYPI_URL"]
    release(sandbox, "acme-widgets", "1.1.0")
    files = release(sandbox, "acme-widgets", "1.2.0rc1")
    assert httpx.get(f"{pypi}/pypi/acme-widgets/9.9.9/json").status_code == 404
    assert httpx.get(f"{pypi}/pypi/nothing-here/json").status_code == 404
    doc = httpx.get(f"{pypi}/pypi/Acme.Widgets/1.2.0-rc1/json").json()  # any spelling
    assert doc["info"]["version"] == "1.2.0rc1" and "releases" not in doc
    assert sorted(f["packagetype"] for f in doc["urls"]) == ["bdist_wheel", "sdist"]
    project = httpx.get(f"{pypi}/pypi/acme-widgets/json").json()
    assert project["info"]["version"] == "1.1.0"  # the latest final, as PyPI says
    assert set(project["releases"]) == {"1.1.0", "1.2.0rc1"}
    # PEP 691 JSON, and PEP 503 HTML with each file's sha256 in its link.
    simple = httpx.get(f"{pypi}/simple/acme-widgets/",
                       headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert simple.headers["content-type"] == "application/vnd.pypi.simple.v1+json"
    listed = {f["filename"]: f for f in simple.json()["files"]}
    assert set(files) <= set(listed) and simple.json()["versions"] == ["1.1.0", "1.2.0rc1"]
    wheel = listed[files[1]]
    content = httpx.get(wheel["url"]).content
    assert hashlib.sha256(content).hexdigest() == wheel["hashes"]["sha256"]
    page = httpx.get(f"{pypi}/simple/acme-widgets/").text
    assert f"{files[1]}</a>" in page and f"#sha256={wheel['hashes']['sha256']}" in page
    moved = httpx.get(f"{pypi}/simple/Acme_Widgets/")
    assert moved.status_code == 301 and moved.headers["location"].endswith(
        "/simple/acme-widgets/")
    assert "acme-widgets" in httpx.get(f"{pypi}/simple/").text
    # pip itself installs from it (files verified against the index's hashes); no pip
    # configuration of this machine adds other indexes.
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                           "--disable-pip-version-check", "--dest", str(tmp_path / "dl"),
                           "--index-url", f"{pypi}/simple/", "--only-binary", ":all:",
                           "acme-widgets==1.1.0"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "dl").iterdir()] == ["acme_widgets-1.1.0-py3-none-any.whl"]


def _commit(sandbox: SandboxHandle, path: str, text: bytes) -> str:
    """Write ``path`` on the repository's default branch through the contents API."""
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    url = f"{sandbox.api_url}/repos/{INFRA_REPO}/contents/{path}"
    found = httpx.get(url, headers=headers)
    body = {"message": f"add {path}", "content": base64.b64encode(text).decode(),
            **({"sha": found.json()["sha"]} if found.status_code == 200 else {})}
    put = httpx.put(url, headers=headers, json=body)
    assert put.status_code in (200, 201), put.text
    return str(put.json()["commit"]["sha"])


def _tag_and_wait(sandbox: SandboxHandle, tag: str, sha: str) -> str:
    """Push ``tag`` at ``sha`` (through the refs API) and return its publish run's log."""
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    made = httpx.post(f"{sandbox.api_url}/repos/{INFRA_REPO}/git/refs", headers=headers,
                      json={"ref": f"refs/tags/{tag}", "sha": sha})
    assert made.status_code == 201, made.text
    for _ in range(100):
        sandbox.tick()
        runs = [r for r in sandbox.state()["repos"][INFRA_REPO]["runs"]
                if r["head_branch"] == tag]
        if runs and runs[0]["status"] == "completed":
            return str(runs[0]["log"])
        time.sleep(0.05)
    raise AssertionError(f"the publish run of {tag} did not complete")


def test_a_publish_workflow_uploads_pyprojects_version(sandbox: SandboxHandle) -> None:
    pypi = sandbox.env["COCKPIT_PYPI_URL"]
    _commit(sandbox, ".github/workflows/publish.yml", PUBLISH)
    head = _commit(sandbox, "pyproject.toml", PYPROJECT.format(version="2.0.0").encode())
    log = _tag_and_wait(sandbox, "2.0.0", head)
    assert "Uploading acme_widgets-2.0.0.tar.gz" in log, log
    doc = httpx.get(f"{pypi}/pypi/acme-widgets/2.0.0/json").json()
    assert doc["info"]["name"] == "Acme.Widgets"
    assert doc["info"]["requires_python"] == ">=3.11"
    wheel = next(f for f in doc["urls"] if f["packagetype"] == "bdist_wheel")
    with zipfile.ZipFile(io.BytesIO(httpx.get(wheel["url"]).content)) as whl:
        metadata = whl.read("acme_widgets-2.0.0.dist-info/METADATA").decode()
    assert "Version: 2.0.0" in metadata
    # Reproducible: the same input builds the very same bytes (no time in them).
    sdist = next(f for f in doc["urls"] if f["packagetype"] == "sdist")
    rebuilt = build_sdist("Acme.Widgets", "2.0.0", PYPROJECT.format(version="2.0.0").encode(),
                          core_metadata("Acme.Widgets", "2.0.0", "Widgets for tests", ">=3.11"))
    assert hashlib.sha256(rebuilt[1]).hexdigest() == sdist["digests"]["sha256"]
    # A tag pushed before the version bump publishes what pyproject.toml says: the old
    # version, which is already there, so nothing new reaches PyPI.
    log = _tag_and_wait(sandbox, "2.0.1", head)
    assert "Skipping acme_widgets-2.0.0.tar.gz: File already exists" in log, log
    assert httpx.get(f"{pypi}/pypi/acme-widgets/2.0.1/json").status_code == 404


def test_a_release_published_runs_a_workflow_that_publishes_the_tags_version(
        sandbox: SandboxHandle) -> None:
    """``on: release`` and a ``dynamic`` version (setuptools-scm): the draft starts
    nothing; publishing it runs the workflow on the tag, which names the version."""
    pypi = sandbox.env["COCKPIT_PYPI_URL"]
    _commit(sandbox, ".github/workflows/publish.yml", PUBLISH.replace(
        b'push:\n    tags: ["*"]', b"release:\n    types: [published]"))
    _commit(sandbox, "pyproject.toml", b'[project]\nname = "acme-widgets"\n'
                                       b'dynamic = ["version"]\n')
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    api = f"{sandbox.api_url}/repos/{INFRA_REPO}/releases"
    draft = httpx.post(api, headers=headers, json={"tag_name": "v3.0.0rc1", "draft": True,
                                                   "prerelease": True}).json()
    assert not sandbox.state()["repos"][INFRA_REPO]["runs"]
    assert httpx.patch(f"{api}/{draft['id']}", headers=headers,
                       json={"draft": False}).status_code == 200
    for _ in range(100):
        sandbox.tick()
        runs = sandbox.state()["repos"][INFRA_REPO]["runs"]
        if runs and runs[0]["status"] == "completed":
            break
        time.sleep(0.05)
    assert [(r["event"], r["head_branch"]) for r in runs] == [("release", "v3.0.0rc1")]
    assert "Uploading acme_widgets-3.0.0rc1-py3-none-any.whl" in runs[0]["log"]
    assert httpx.get(f"{pypi}/pypi/acme-widgets/3.0.0rc1/json").status_code == 200
