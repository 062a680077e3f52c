"""Uploads to the sandbox's PyPI the way ``twine upload`` makes them, for tests.

Why here: the sandbox's own tests and the ``pypi.release`` kind's tests both need releases
on the sandbox's PyPI, put there over HTTP through the legacy upload API (the one twine
speaks: a multipart form with ``:action=file_upload``, the metadata fields and the file as
``content``), not written into the world behind the server's back.
"""

from __future__ import annotations

import hashlib

import httpx

from cockpit.sandbox.pypi import UPLOAD_TOKEN, UPLOAD_USER, build_sdist, build_wheel
from cockpit.sandbox.testing import SandboxHandle


def upload(sandbox: SandboxHandle, name: str, version: str, filename: str, content: bytes,
           *, auth: tuple[str, str] | None = (UPLOAD_USER, UPLOAD_TOKEN),
           sha256: str | None = None) -> httpx.Response:
    """POST one file to ``{pypi}/legacy/`` as twine does; the answer is returned as is."""
    filetype = "bdist_wheel" if filename.endswith(".whl") else "sdist"
    fields = {":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": name, "version": version, "filetype": filetype,
              "pyversion": "py3" if filetype == "bdist_wheel" else "source",
              "summary": f"{name} for tests",
              "sha256_digest": sha256 or hashlib.sha256(content).hexdigest()}
    return httpx.post(f"{sandbox.env['COCKPIT_PYPI_URL']}/legacy/", data=fields,
                      files={"content": (filename, content, "application/octet-stream")},
                      auth=auth, timeout=10)


def release(sandbox: SandboxHandle, name: str, version: str, kinds: tuple[str, ...] = (
        "sdist", "wheel")) -> list[str]:
    """Upload a small real sdist and/or wheel of ``name`` ``version``; their file names."""
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    built = {"sdist": build_sdist(name, version, b"[project]\n", metadata),
             "wheel": build_wheel(name, version, metadata)}
    names = []
    for kind in kinds:
        filename, content = built[kind]
        answer = upload(sandbox, name, version, filename, content)
        assert answer.status_code == 200, answer.text
        names.append(filename)
    return names
