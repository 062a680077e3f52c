"""Every token the cockpit uses comes through ``cockpit.secrets.find_token``.

A module that read ``COCKPIT_GITHUB_TOKEN`` (or called the environment-only lookup)
itself would ignore the keyring: a driver who ran ``cockpit login`` would see that part
of the cockpit fail with 401 (the tracking-issue journal did, before this test).
"""

from __future__ import annotations

import re
from pathlib import Path

from cockpit.secrets import TOKEN_ENV

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {ROOT / "cockpit" / "secrets.py"}
"""Where the lookup itself lives."""


def test_no_module_reads_a_token_around_the_keyring() -> None:
    names = sorted({name for names in TOKEN_ENV.values() for name in names}, key=len,
                   reverse=True)
    around = re.compile(r"\btoken_from_env\(|environ(?:\.get)?[\[(]\s*['\"]("
                        + "|".join(names) + r")['\"]")
    offenders = []
    sources = sorted((ROOT / "cockpit").rglob("*.py")) + sorted((ROOT / "screens").rglob("*.py"))
    for path in sources:
        if path in ALLOWED or "sandbox" in path.relative_to(ROOT).parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if around.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert len(sources) > 50
    assert offenders == [], "use cockpit.secrets.find_token:\n" + "\n".join(offenders)
