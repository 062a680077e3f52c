"""Remembers which playbook texts already passed the load-time checks.

Checking every action's parameters needs every kind's pydantic model, which means
importing every kind module (about 0.2 s), and rendering every template and condition for
each sample version costs tens of milliseconds more: most of the TUI's start-up budget.
The checks depend only on the playbook's text and on the code that checks it (the
playbook, model, settings, conditions and needs modules, the kinds, pydantic and Jinja2),
so a pass is recorded under a digest of both, with the text's parsed TOML, and an
unchanged playbook on an unchanged cockpit is only built into its model. Any edit to the
playbook or to that code, or another cockpit, pydantic or Jinja2 version, changes the
digest and every check runs again.
The record is a cache: losing it only costs time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import platformdirs
import pydantic.version

import cockpit

CHECKERS = ("playbook", "model", "settings", "conditions", "stage_order", "validated")
"""The core modules whose code decides a playbook's verdict (besides the kinds)."""


def _jinja2_version() -> str:
    """Jinja2's installed ``__init__.py`` (it holds ``__version__``), stat-ed without importing
    it: conditions import it on first use, and ``importlib.metadata`` would cost ~5 ms."""
    spec = importlib.util.find_spec("jinja2")
    if spec is None or spec.origin is None:
        return ""
    stat = Path(spec.origin).stat()
    return f"jinja2:{stat.st_mtime_ns}:{stat.st_size}"


@functools.cache
def _code_fingerprint() -> bytes:
    """What the check's verdict depends on besides the text: the kinds' code and versions
    (stat-ed once per process: a miss both looks the record up and writes it)."""
    package = Path(__file__).resolve().parent
    parts = [cockpit.__version__, pydantic.version.VERSION, _jinja2_version(), sys.version]
    checkers = [package / f"{name}.py" for name in CHECKERS]
    for source in [*checkers, *sorted((package / "actions").glob("*.py"))]:
        stat = source.stat()
        parts.append(f"{source.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return "\n".join(parts).encode()


def _record(text: str) -> Path:
    digest = hashlib.sha256(_code_fingerprint() + b"\0" + text.encode()).hexdigest()
    return Path(platformdirs.user_cache_dir("cockpit")) / "validated-playbooks" / digest


def remembered(text: str) -> dict[str, Any] | None:
    """The parsed TOML of this exact text if it passed the checks with this exact code
    (None: it did not, or the record is unreadable). Kept with the pass, because parsing a
    playbook the size of Kubo's with ``tomllib`` costs ~10 ms of the TUI's start."""
    try:
        table = json.loads(_record(text).read_bytes())
    except (OSError, ValueError):
        return None
    return table if isinstance(table, dict) else None


def passed_before(text: str) -> bool:
    """True when this exact text passed the checks with this exact code."""
    return remembered(text) is not None


def remember_pass(text: str, table: dict[str, Any]) -> None:
    """Record a pass with the text's parsed TOML; a cache that cannot be written, or a
    table JSON cannot hold (a TOML date), is not an error: the checks run next time."""
    try:
        content = json.dumps(table, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return
    try:
        record = _record(text)
        record.parent.mkdir(parents=True, exist_ok=True)
        temporary = record.with_name(f"{record.name}.{os.getpid()}.tmp")
        temporary.write_text(content, encoding="utf-8")
        temporary.replace(record)  # whole or absent: two starts may write it at once
        _prune(record.parent)
    except OSError:
        pass


KEPT_RECORDS = 32
"""Records kept (the newest written): each edit of a playbook and each upgrade of the
cockpit writes one (~50 KB for Kubo's), and nothing else would ever remove them."""


def _prune(directory: Path) -> None:
    """Remove all but the ``KEPT_RECORDS`` newest records (a removed one that is still
    wanted is only checked and written again)."""
    records = sorted((entry for entry in os.scandir(directory) if entry.is_file()),
                     key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
    for entry in records[KEPT_RECORDS:]:
        Path(entry.path).unlink(missing_ok=True)
