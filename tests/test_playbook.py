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


# -- the errors of issue #16, each with its exact message ----------------------------------

def _problems(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as error:
        parse_playbook(text, "mine.toml")
    return [str(problem) for problem in error.value.problems]


def test_a_key_typo_says_did_you_mean() -> None:
    bad = GOOD.replace('title = "Set version.go"', 'titel = "Set version.go"')
    assert _problems(bad) == [  # and no second line saying 'title' is missing
        f"mine.toml:{_line_of(bad, 'titel =')}: stage 'prepare-branch' / action 'set-version': "
        "field 'titel': unknown field; did you mean 'title'?",
    ]


def test_a_param_typo_says_did_you_mean_from_the_kinds_own_fields() -> None:
    bad = GOOD.replace('ref = "{version_branch}"', 'reff = "{version_branch}"')
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, 'reff =')}: stage 'tag' / action 'tag': field "
        "'params.reff': unknown field; did you mean 'ref'?"]


def test_an_unknown_kind_names_the_nearest_kinds_not_all_of_them() -> None:
    bad = GOOD.replace('kind = "git.tag"', 'kind = "git.tagg"')
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, 'git.tagg')}: stage 'tag' / action 'tag': field 'kind': "
        "unknown action kind 'git.tagg'; did you mean 'git.tag' or 'git.tag-verify' or "
        "'git.edit'?"]


def test_an_unknown_kind_with_nothing_close_points_at_the_catalog() -> None:
    bad = GOOD.replace('kind = "git.tag"', 'kind = "zzzzzz"')
    [problem] = _problems(bad)
    assert problem.startswith(f"mine.toml:{_line_of(bad, 'zzzzzz')}: stage 'tag' / action "
                              "'tag': field 'kind': unknown action kind 'zzzzzz' (no kind is "
                              "close: the ")
    assert problem.endswith(" kinds are listed in cockpit/actions/catalog.py)")


def test_a_duplicate_stage_id_names_both_lines() -> None:
    bad = GOOD.replace('id = "announce"', 'id = "tag"')
    first, second = (n for n, line in enumerate(bad.splitlines(), 1) if line == 'id = "tag"'
                     and bad.splitlines()[n - 2] == "[[stages]]")
    assert _problems(bad) == [f"mine.toml:{second}: field 'id': stage id 'tag' is used twice: "
                              f"lines {first} and {second} (each stage needs its own id)"]


def test_a_duplicate_action_id_names_both_lines() -> None:
    bad = GOOD.replace('id = "set-version"', 'id = "create-branch"')
    first, second = (n for n, line in enumerate(bad.splitlines(), 1)
                     if line == 'id = "create-branch"')
    assert _problems(bad) == [
        f"mine.toml:{second}: stage 'prepare-branch': field 'id': action id 'create-branch' "
        f"is used twice in this stage: lines {first} and {second}"]


@pytest.mark.parametrize(("template", "label", "version"), [
    pytest.param("{version.tga}", "an RC", "v1.2.0-rc1", id="in-every-action"),
    pytest.param("{version.tga}", "a final release", "v1.2.0", id="final-only-stage"),
])
def test_a_template_naming_an_unknown_value_fails_at_load_for_every_kind_of_version(
        template: str, label: str, version: str) -> None:
    # The announce stage runs for final releases only: its templates are checked with one.
    old = 'ref = "{version_branch}"' if label == "an RC" else 'copy_text = "Kubo {version.tag} is out!"'
    new = f'ref = "{template}"' if label == "an RC" else f'copy_text = "{template}"'
    bad = GOOD.replace(old, new)
    field, where = ("params.ref", "stage 'tag' / action 'tag'") if label == "an RC" \
        else ("params.copy_text", "stage 'announce' / action 'tweet'")
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, template)}: {where}: field {field!r}: unknown template "
        f"value {template} in {template!r} (for {label}, {version}): version has no 'tga'; "
        "did you mean {version.tag}?"]


def test_a_template_naming_an_unknown_var_says_did_you_mean() -> None:
    bad = GOOD.replace('ref = "{version_branch}"', 'ref = "{version_brnch}"')
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, 'version_brnch')}: stage 'tag' / action 'tag': field "
        "'params.ref': unknown template value {version_brnch} in '{version_brnch}'; did you "
        "mean {version_branch} or {version}?"]


def test_vars_may_only_use_the_vars_defined_above() -> None:
    bad = GOOD.replace('repo = "acme/app"\nversion_branch = "release-v{version.base}"',
                       'version_branch = "release-{repo}-v{version.base}"\nrepo = "acme/app"')
    repo_line = _line_of(bad, 'repo = "acme')
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, 'version_branch =')}: field 'vars.version_branch': unknown "
        "template value {repo} in 'release-{repo}-v{version.base}': vars may only use those "
        f"defined above, and 'repo' is defined below it (line {repo_line}"
        "); move it up"]


@pytest.mark.parametrize(("old", "new", "field"), [
    pytest.param("pattern = 'CurrentVersionNumber = \"[^\"]*\"'",
                 "pattern = 'CurrentVersionNumber = \"[^\"*\"'", "params.pattern", id="git.edit"),
])
def test_an_invalid_regex_fails_at_load_naming_the_field(old: str, new: str, field: str) -> None:
    bad = GOOD.replace(old, new)
    assert bad != GOOD
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, 'pattern =')}: stage 'prepare-branch' / action "
        f"'set-version': field {field!r}: invalid regular expression "
        "'CurrentVersionNumber = \"[^\"*\"': unterminated character set at position 24"]


def test_an_invalid_regex_behind_a_var_is_caught_once_the_var_is_filled() -> None:
    bad = GOOD.replace("pattern = 'CurrentVersionNumber = \"[^\"]*\"'", 'pattern = "{pat}"') \
        .replace('repo = "acme/app"\n', 'repo = "acme/app"\npat = "v(?P<x"\n')
    [problem] = _problems(bad)
    assert problem.startswith(f"mine.toml:{_line_of(bad, 'pattern =')}: stage 'prepare-branch'"
                              " / action 'set-version': field 'params.pattern': invalid regular "
                              "expression '{pat}': ")


@pytest.mark.parametrize("kind", ["git.edit", "git.file-contains", "github.pull-body-compare",
                                  "preflight.version-valid"])
def test_every_kind_reading_a_regex_declares_it(kind: str) -> None:
    from cockpit.actions import REGISTRY, load_kinds
    from cockpit.playbook import _regex_fields

    load_kinds()
    info = REGISTRY.get(kind)
    assert info is not None and info.params_model is not None
    assert _regex_fields(info.params_model)


def test_five_errors_are_reported_at_once() -> None:
    bad = (GOOD.replace('title = "Set version.go"', 'titel = "Set version.go"')
           .replace('kind = "git.tag"', 'kind = "git.tagg"')
           .replace('id = "announce"', 'id = "tag"')
           .replace('copy_text = "Kubo {version.tag} is out!"', 'copy_text = "{version.tga}"')
           .replace("pattern = 'CurrentVersionNumber = \"[^\"]*\"'", "pattern = '(unclosed'"))
    problems = _problems(bad)
    for needle in ("'titel': unknown field; did you mean 'title'?",
                   "unknown action kind 'git.tagg'; did you mean 'git.tag'",
                   "stage id 'tag' is used twice",
                   "version has no 'tga'; did you mean {version.tag}?",
                   "field 'params.pattern': invalid regular expression '(unclosed'"):
        assert sum(needle in p for p in problems) == 1, (needle, problems)


def test_a_template_naming_nothing_close_says_what_a_template_may_use() -> None:
    bad = GOOD.replace('ref = "{version_branch}"', 'ref = "{zzz}"')
    assert _problems(bad) == [
        f"mine.toml:{_line_of(bad, 'zzz')}: stage 'tag' / action 'tag': field 'params.ref': "
        "unknown template value {zzz} in '{zzz}' (a template may use {version.*}, "
        "{settings.*} and the vars)"]
