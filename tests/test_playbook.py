from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.playbook import PlaybookError, load_playbook, parse_playbook

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "git-release.toml").read_text()


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_small_playbook_loads() -> None:
    playbook = load_playbook(DATA / "git-release.toml")
    assert [s.id for s in playbook.stages] == ["prepare-branch", "tag", "announce"]
    assert playbook.action_count == 4


def test_typo_in_action_field_names_file_line_stage_action_and_field() -> None:
    bad = GOOD.replace('title = "Set version.go"', 'titel = "Set version.go"')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    line = _line_of(bad, "titel =")
    assert f"mine.toml:{line}:" in text
    assert "stage 'prepare-branch'" in text and "action 'set-version'" in text
    assert "'titel'" in text


def test_typo_in_param_is_caught_at_load_time_with_its_line() -> None:
    bad = GOOD.replace('ref = "{version_branch}"', 'reff = "{version_branch}"')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    assert f"mine.toml:{_line_of(bad, 'reff =')}:" in text
    assert "params.reff" in text and "stage 'tag' / action 'tag'" in text


def test_unknown_kind_is_reported_with_its_line() -> None:
    bad = GOOD.replace('kind = "git.tag"', 'kind = "git.tagg"')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    assert f"mine.toml:{_line_of(bad, 'git.tagg')}:" in text and "unknown action kind" in text


def test_bad_condition_is_reported_with_its_line() -> None:
    bad = GOOD.replace('when = ["FINAL"]', 'when = ["FINALE"]')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    assert f"mine.toml:{_line_of(bad, 'FINALE')}:" in text and "'when'" in text


def test_a_misspelt_reversibility_is_reported_with_its_line_and_the_classes() -> None:
    bad = GOOD.replace('kind = "git.tag"', 'kind = "git.tag"\nreversibility = "irreversable"')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    assert f"mine.toml:{_line_of(bad, 'irreversable')}:" in text
    assert "stage 'tag' / action 'tag'" in text and "'reversibility'" in text
    assert "'hard-to-reverse'" in text and "'irreversible'" in text


def test_toml_syntax_error_has_a_line() -> None:
    bad = GOOD.replace('title = "Tag"', 'title = "Tag')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    line = _line_of(bad, 'title = "Tag')
    assert f"mine.toml:{line}:" in str(error.value)


def test_missing_file_is_a_playbook_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read"):
        load_playbook(tmp_path / "nope.toml")


def test_builtin_kubo_playbook_has_the_fifteen_stages() -> None:
    playbook = load_playbook()
    assert [s.id for s in playbook.stages] == [
        "preflight", "prepare-branch", "tag", "publish-to-dockerhub",
        "publish-to-distributions", "publish-to-npm", "publish-to-github", "staging",
        "promote", "test-ipfs-companion", "update-ipfs-desktop", "update-ipfs-docs",
        "update-ipfs-blog", "merge-branch", "prepare-next",
    ]
    assert 120 <= playbook.action_count <= 200
