"""Publishes to the sandbox's crates.io the way ``cargo publish`` does, for tests: a PUT of
cargo's body (u32 length, JSON metadata, u32 length, the ``.crate``) with the token."""

from __future__ import annotations

import json
import struct

import httpx

from cockpit.sandbox.crates import PUBLISH_TOKEN
from cockpit.sandbox.testing import SandboxHandle


def cargo_publish(sandbox: SandboxHandle, name: str, version: str, *,
                  token: str = PUBLISH_TOKEN, body: bytes | None = None) -> httpx.Response:
    """PUT ``{crates}/api/v1/crates/new`` as cargo does; the answer is returned as is."""
    if body is None:
        meta = json.dumps({"name": name, "vers": version, "deps": [], "features": {},
                           "authors": [], "description": "test", "license": "MIT"}).encode()
        crate = f"{name}-{version}.crate".encode()
        body = struct.pack("<I", len(meta)) + meta + struct.pack("<I", len(crate)) + crate
    return httpx.put(f"{sandbox.env['COCKPIT_CRATES_URL']}/api/v1/crates/new", content=body,
                     headers={"Authorization": token}, timeout=10)
