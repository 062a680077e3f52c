"""Remembers which playbook texts already passed the action-parameter check.

Checking every action's parameters needs every kind's pydantic model, which means
importing every kind module: about 0.2 s, most of the TUI's start-up budget. The check
depends only on the playbook's text and on the kinds' code, so a pass is recorded under
a digest of both, and an unchanged playbook on an unchanged cockpit skips the imports.
Any edit to the playbook, to a kind module, to cockpit or to pydantic changes the digest
and the full check runs again. The record is a cache: losing it only costs time.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

import platformdirs
import pydantic.version

import cockpit


@functools.cache
def _code_fingerprint() -> bytes:
    """What the check's verdict depends on besides the text: the kinds' code and versions
    (stat-ed once per process: a miss both looks the record up and writes it)."""
    package = Path(__file__).resolve().parent
    parts = [cockpit.__version__, pydantic.version.VERSION, sys.version]
    for source in [package / "playbook.py", *sorted((package / "actions").glob("*.py"))]:
        stat = source.stat()
        parts.append(f"{source.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return "\n".join(parts).encode()


def _record(text: str) -> Path:
    digest = hashlib.sha256(_code_fingerprint() + b"\0" + text.encode()).hexdigest()
    return Path(platformdirs.user_cache_dir("cockpit")) / "validated-playbooks" / digest


def passed_before(text: str) -> bool:
    """True when this exact text passed the check with this exact code."""
    try:
        return _record(text).is_file()
    except OSError:
        return False


def remember_pass(text: str) -> None:
    """Record a pass; a cache that cannot be written is not an error."""
    try:
        record = _record(text)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.touch()
    except OSError:
        pass
