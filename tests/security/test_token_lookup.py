"""Every token the cockpit uses comes through ``cockpit.secrets.find_token``.

A module that read ``COCKPIT_GITHUB_TOKEN`` (or called the environment-only lookup)
itself would ignore the keyring: a driver who ran ``cockpit login`` would see that part
of the cockpit fail with 401 (the tracking-issue journal did, before this test).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cockpit.context import Session
from cockpit.prompts import AnswersPrompter
from cockpit.secrets import TOKEN_ENV, Redactor
from cockpit.settings import Settings

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


def test_deferred_secrets_are_registered_before_the_first_redaction() -> None:
    redact = Redactor()
    asked: list[int] = []
    redact.defer(lambda: asked.append(1) or ["s3cr3t-deferred", None, "abc"])
    assert asked == [], "nothing is looked up before it is needed"
    assert redact("a s3cr3t-deferred b abc") == "a *** b abc", "short strings are not secrets"
    assert redact("s3cr3t-deferred") == "***"
    assert asked == [1], "each loader runs once"


def test_a_session_knows_its_tokens_before_anything_leaves_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_MATRIX_TOKEN", "syt_sessionTokenForRedaction")
    session = Session(settings=Settings(), prompter=AnswersPrompter(yes=True))
    assert session.redact("token syt_sessionTokenForRedaction") == "token ***"
