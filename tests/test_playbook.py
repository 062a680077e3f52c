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


@pytest.mark.parametrize(("old", "new", "needle", "says"), [
    pytest.param('title = "Set version.go"', 'titel = "Set version.go"', "titel =",
                 ("stage 'prepare-branch'", "action 'set-version'", "'titel'"),
                 id="typo-in-action-field-names-stage-action-and-field"),
    pytest.param('ref = "{version_branch}"', 'reff = "{version_branch}"', "reff =",
                 ("params.reff", "stage 'tag' / action 'tag'"), id="typo-in-param"),
    pytest.param('kind = "git.tag"', 'kind = "git.tagg"', "git.tagg",
                 ("unknown action kind",), id="unknown-kind"),
    pytest.param('when = ["FINAL"]', 'when = ["FINALE"]', "FINALE", ("'when'",),
                 id="bad-condition"),
    pytest.param('title = "Tag"', 'title = "Tag', 'title = "Tag', (), id="toml-syntax-error"),
])
def test_a_bad_playbook_is_caught_at_load_time_with_its_line(
        old: str, new: str, needle: str, says: tuple[str, ...]) -> None:
    bad = GOOD.replace(old, new)
    assert bad != GOOD
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    assert f"mine.toml:{_line_of(bad, needle)}:" in text
    for part in says:
        assert part in text


def test_a_misspelt_reversibility_is_reported_with_its_line_and_the_classes() -> None:
    bad = GOOD.replace('kind = "git.tag"', 'kind = "git.tag"\nreversibility = "irreversable"')
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "mine.toml")
    text = str(error.value)
    assert f"mine.toml:{_line_of(bad, 'irreversable')}:" in text
    assert "stage 'tag' / action 'tag'" in text and "'reversibility'" in text
    assert "'hard-to-reverse'" in text and "'irreversible'" in text


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
