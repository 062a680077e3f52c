"""The core must never import textual: it runs in CI, in shadows and in scripts."""

from __future__ import annotations

import subprocess
import sys


def test_core_does_not_import_textual() -> None:
    code = (
        "import sys, cockpit, cockpit.cli, cockpit.engine, cockpit.playbook, cockpit.status, "
        "cockpit.journal, cockpit.explain;"
        "from cockpit.actions import load_kinds; load_kinds();"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=False)
    assert found.returncode == 0, f"textual imported by the core: {found.stdout}{found.stderr}"
