"""A playbook's parameter check is skipped only for a text (and code) that passed it before."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cockpit import validated
from cockpit.playbook import PlaybookError, parse_playbook

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "git-release.toml").read_text()
BAD_PARAM = GOOD.replace('ref = "{version_branch}"', 'reff = "{version_branch}"')

IMPORTED_KINDS = (
    "import sys; from cockpit.playbook import load_playbook; load_playbook({path!r});"
    "print(sum(m.startswith('cockpit.actions.') and m.split('.')[-1] not in "
    "('base', 'catalog') for m in sys.modules))"
)


def _kind_modules_imported_by_a_fresh_load(path: Path) -> int:
    done = subprocess.run([sys.executable, "-c", IMPORTED_KINDS.format(path=str(path))],
                          capture_output=True, text=True, check=True, env=dict(os.environ))
    return int(done.stdout.strip())


def test_second_load_of_an_unchanged_playbook_imports_no_kind(tmp_path: Path) -> None:
    path = tmp_path / "release.toml"
    path.write_text(GOOD)
    assert _kind_modules_imported_by_a_fresh_load(path) > 0
    assert _kind_modules_imported_by_a_fresh_load(path) == 0


def test_a_changed_text_is_checked_again() -> None:
    parse_playbook(GOOD, "good.toml")
    assert validated.passed_before(GOOD)
    assert not validated.passed_before(BAD_PARAM)
    with pytest.raises(PlaybookError, match=r"params\.reff"):
        parse_playbook(BAD_PARAM, "bad.toml")
    assert not validated.passed_before(BAD_PARAM), "a failing text is never recorded"


def test_a_changed_kind_module_invalidates_every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    parse_playbook(GOOD, "good.toml")
    assert validated.passed_before(GOOD)
    monkeypatch.setattr(validated, "_code_fingerprint", lambda: b"another build of cockpit")
    assert not validated.passed_before(GOOD)


def test_an_unwritable_cache_only_costs_time(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    parse_playbook(GOOD, "good.toml")
    assert not validated.passed_before(GOOD)
    with pytest.raises(PlaybookError):
        parse_playbook(BAD_PARAM, "bad.toml")


def test_a_remembered_pass_builds_the_same_playbook_without_parsing_or_checking(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = parse_playbook(GOOD, "good.toml")

    def refused(*_args: object) -> object:
        raise AssertionError("a remembered text is neither parsed nor checked again")

    import cockpit.playbook as playbook_module

    monkeypatch.setattr(tomllib, "loads", refused)
    monkeypatch.setattr(playbook_module, "_check_templates", refused)
    monkeypatch.setattr(playbook_module, "_check_conditions", refused)
    assert parse_playbook(GOOD, "good.toml") == first


def test_every_checking_module_is_in_the_fingerprint() -> None:
    package = Path(validated.__file__).parent
    assert all((package / f"{name}.py").is_file() for name in validated.CHECKERS)
    assert b"conditions.py:" in validated._code_fingerprint()


def test_the_records_are_pruned_to_the_newest(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each edit and each upgrade writes a record: only the newest ``KEPT_RECORDS`` stay."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = [f"# edit {n}\n{GOOD}" for n in range(validated.KEPT_RECORDS + 5)]
    for n, text in enumerate(texts):
        validated.remember_pass(text, {"edit": n})
        os.utime(validated._record(text), ns=(n * 10**9, n * 10**9))  # written in order
    records = list((tmp_path / "cockpit" / "validated-playbooks").iterdir())
    assert len(records) == validated.KEPT_RECORDS
    assert validated.remembered(texts[-1]) == {"edit": len(texts) - 1}
    assert validated.remembered(texts[5]) == {"edit": 5}
    assert not any(validated.passed_before(text) for text in texts[:4])
