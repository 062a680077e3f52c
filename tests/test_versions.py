"""Version schemes: a playbook's ``[versions]`` says semver or PEP 440, which tag, which
pre-releases; the kinds of release, the names derived from a version, the order, and
every refusal (exit 2, naming the scheme, the reason and an example of each form)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from cockpit.cli import main
from cockpit.model import (
    Condition,
    PreKind,
    Release,
    ReleaseKind,
    Version,
    VersionError,
    VersionFormat,
    VersionScheme,
    applies,
)
from cockpit.playbook import PlaybookError, built_in_playbooks, load_playbook, parse_playbook
from cockpit.prompts import fill_notation

KUBO = VersionFormat()
SEMVER_NO_V = VersionFormat(tag="{version}", pre_releases=(PreKind.BETA, PreKind.RC))
PEP440 = VersionFormat(scheme=VersionScheme.PEP440, tag="{version}",
                       pre_releases=(PreKind.ALPHA, PreKind.BETA, PreKind.RC))
PEP440_V = VersionFormat(scheme=VersionScheme.PEP440)

R = ReleaseKind


@pytest.mark.parametrize(
    ("form", "text", "tag", "number", "kinds", "next_dev"),
    [
        (KUBO, "v0.30.0-rc1", "v0.30.0-rc1", "0.30.0-rc1", {R.RC}, "0.31.0-dev"),
        (KUBO, "v0.30.1", "v0.30.1", "0.30.1", {R.FINAL, R.PATCH}, "0.31.0-dev"),
        (SEMVER_NO_V, "1.2.0-rc.1", "1.2.0-rc.1", "1.2.0-rc.1", {R.RC}, "1.3.0-dev"),
        (SEMVER_NO_V, "1.2.0-beta2", "1.2.0-beta2", "1.2.0-beta2", {R.BETA}, "1.3.0-dev"),
        (PEP440, "1.2.0rc1", "1.2.0rc1", "1.2.0rc1", {R.RC}, "1.3.0.dev0"),
        (PEP440, "1.2.0-rc1", "1.2.0rc1", "1.2.0rc1", {R.RC}, "1.3.0.dev0"),
        (PEP440, "1.2.0b1", "1.2.0b1", "1.2.0b1", {R.BETA}, "1.3.0.dev0"),
        (PEP440, "1.2.3a2", "1.2.3a2", "1.2.3a2", {R.ALPHA, R.PATCH}, "1.3.0.dev0"),
        (PEP440, "1.2.0.post1", "1.2.0.post1", "1.2.0.post1", {R.FINAL, R.POST}, "1.3.0.dev0"),
        (PEP440, "1.2.3", "1.2.3", "1.2.3", {R.FINAL, R.PATCH}, "1.3.0.dev0"),
        (PEP440_V, "v1.2.0rc1", "v1.2.0rc1", "1.2.0rc1", {R.RC}, "1.3.0.dev0"),
    ],
    ids=["kubo-rc", "kubo-patch", "semver-rc-dot", "semver-beta", "pep440-rc",
         "pep440-rc-normalized", "pep440-beta", "pep440-alpha-patch", "pep440-post",
         "pep440-patch", "pep440-with-v"],
)
def test_each_scheme_derives_tag_number_and_kinds(form: VersionFormat, text: str, tag: str,
                                                  number: str, kinds: set[ReleaseKind],
                                                  next_dev: str) -> None:
    version = form.parse(text)
    assert (version.tag, version.number, set(version.kinds)) == (tag, number, kinds)
    assert version.next_dev == next_dev
    assert str(version) == tag
    assert form.parse(version.tag) == version  # the tag reads back as the same version


def test_the_rc_shorthand_and_the_default_are_kubos() -> None:
    assert Version(major=0, minor=30, patch=0, rc=1) == Version.parse("v0.30.0-rc1")
    assert Version.parse("v0.30.0-rc1").rc == 1 and PEP440.parse("1.2.0b1").rc is None
    previous = PEP440.parse("1.2.3").previous_patch
    assert previous is not None and previous.tag == "1.2.2"


def test_pep440_versions_sort_as_pypi_does() -> None:
    texts = ["1.2.1", "1.2.0.post1", "1.2.0", "1.2.0rc2", "1.2.0rc1", "1.2.0b1", "1.2.0a1"]
    assert [v.tag for v in sorted(PEP440.parse(t) for t in texts)] == list(reversed(texts))


@pytest.mark.parametrize(
    ("form", "text", "message"),
    [
        (KUBO, "0.30.0",
         "'0.30.0' is not a release version (semver; write it as its tag, v0.30.0): use "
         "vX.Y.Z (a final or patch release, e.g. v0.30.0 or v0.30.1) or vX.Y.Z-rcN (a "
         "release candidate, e.g. v0.30.0-rc1)"),
        (KUBO, "v0.30.0-beta1",
         "'v0.30.0-beta1' is not a release version (semver; this playbook ships no beta "
         "pre-releases; to ship one, add \"beta\" to [versions] pre_releases): use vX.Y.Z (a "
         "final or patch release, e.g. v0.30.0 or v0.30.1) or vX.Y.Z-rcN (a release "
         "candidate, e.g. v0.30.0-rc1)"),
        (SEMVER_NO_V, "1.2.0-pre1",
         "'1.2.0-pre1' is not a release version (semver; 'pre' is not a pre-release kind "
         "(alpha, beta or rc)): use X.Y.Z (a final or patch release, e.g. 0.30.0 or 0.30.1), "
         "X.Y.Z-rcN (a release candidate, e.g. 0.30.0-rc1) or X.Y.Z-betaN (a beta, e.g. "
         "0.30.0-beta1)"),
        (PEP440, "v1.2.0",
         "'v1.2.0' is not a release version (PEP 440; its tags have no 'v', write 1.2.0): "
         "use X.Y.Z (a final or patch release, e.g. 1.2.0 or 1.2.1), X.Y.ZrcN (a release "
         "candidate, e.g. 1.2.0rc1), X.Y.ZbN (a beta, e.g. 1.2.0b1), X.Y.ZaN (an alpha, e.g. "
         "1.2.0a1) or X.Y.Z.postN (a post release, e.g. 1.2.0.post1)"),
    ],
    ids=["kubo-bare-number", "kubo-beta", "semver-unknown-pre", "pep440-v"],
)
def test_a_malformed_version_is_refused_with_the_accepted_forms(
        form: VersionFormat, text: str, message: str) -> None:
    with pytest.raises(VersionError) as error:
        form.parse(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.2", "a release is three numbers, X.Y.Z"),
        ("1.2.0.dev1", "a development release (.devN) is not a release"),
        ("1!1.2.0", "an epoch (N!) is not used by a release"),
        ("1.2.0+acme", "a local version (+…) is never uploaded to an index"),
        ("1.2.0rc1.post1", "a post release of a pre-release is not a release"),
        ("banana", None),
    ],
    ids=["two-numbers", "dev", "epoch", "local", "post-of-rc", "garbage"],
)
def test_pep440_says_why_a_valid_pep440_version_is_no_release(text: str,
                                                              reason: str | None) -> None:
    with pytest.raises(VersionError) as error:
        PEP440.parse(text)
    head = f"{text!r} is not a release version (PEP 440" + (f"; {reason}" if reason else "")
    assert str(error.value).startswith(head + "): use X.Y.Z (a final or patch release")


def test_conditions_for_the_new_kinds() -> None:
    beta, post = PEP440.parse("1.2.0b1"), PEP440.parse("1.2.0.post1")
    assert applies([Condition.BETA], beta) and applies([Condition.NOT_FINAL], beta)
    assert not applies([Condition.RC], beta)
    assert applies([Condition.FINAL, Condition.POST], post)
    assert not applies([Condition.NOT_POST], post)


def test_samples_follow_the_playbooks_format() -> None:
    assert [v.tag for v in KUBO.samples().values()] == ["v1.2.0-rc1", "v1.2.0", "v1.2.3"]
    assert {label: v.tag for label, v in PEP440.samples().items()} == {
        "an RC": "1.2.0rc1", "a beta": "1.2.0b1", "an alpha": "1.2.0a1",
        "a final release": "1.2.0", "a patch release": "1.2.3",
        "a post release": "1.2.0.post1"}


# -- the playbook's [versions] ----------------------------------------------------------------

SMALL = """\
name = "small"
title = "Small"
{versions}
[[stages]]
id = "tag"
title = "Tag"
summary = "Tag it."

[[stages.actions]]
id = "tag"
kind = "manual"
title = "Tag X.Y.Z[rcN]"
params = {{ instructions = "git tag {{version.tag}}" }}

[[stages.actions]]
id = "post-note"
kind = "manual"
title = "Say why X.Y.Z[rcN] was re-released"
when = ["POST"]
params = {{ instructions = "{post_template}" }}
"""


def small(versions: str, post_template: str = "post {version.number}") -> str:
    return SMALL.format(versions=versions, post_template=post_template)


def test_a_playbook_declares_its_scheme_and_tag() -> None:
    book = parse_playbook(small('[versions]\nscheme = "pep440"\ntag = "{version}"\n'), "s.toml")
    assert book.versions == VersionFormat(scheme=VersionScheme.PEP440, tag="{version}")
    assert book.parse_version("1.2.0rc1").tag == "1.2.0rc1"
    assert parse_playbook(small(""), "s.toml").versions == KUBO


@pytest.mark.parametrize(
    ("versions", "line", "message"),
    [
        ('scheme = "calver"', 4, "field 'versions.scheme': Input should be 'semver' or "
                                 "'pep440'"),
        ('tag = "release-{ver}"', 4, "field 'versions.tag': Value error, a tag template "
                                     "names {version} once and nothing else, as in "
                                     "'v{version}' or '{version}', not 'release-{ver}'"),
        ('pre_releases = ["gamma"]', 4, "field 'versions.pre_releases': Input should be "
                                        "'alpha', 'beta' or 'rc'"),
        ('schema = "pep440"', 4, "field 'versions.schema': unknown field; did you mean "
                                 "'scheme'?"),
    ],
    ids=["unknown-scheme", "tag-without-version", "unknown-pre-release", "typo"],
)
def test_a_bad_versions_table_is_a_load_error_with_its_line(versions: str, line: int,
                                                            message: str) -> None:
    with pytest.raises(PlaybookError) as error:
        parse_playbook(small(f"[versions]\n{versions}\n"), "s.toml")
    assert [str(p) for p in error.value.problems] == [f"s.toml:{line}: {message}"]


def test_templates_are_resolved_for_each_kind_the_scheme_has() -> None:
    """An action only post releases run is checked with a post-release sample, which only
    PEP 440 has: its typo fails at load, named with that sample."""
    bad = small('[versions]\nscheme = "pep440"\n', post_template="post {version.numbr}")
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, "s.toml")
    assert "(for a post release, v1.2.0.post1)" in str(error.value)
    assert "did you mean" in str(error.value) or "has no" in str(error.value)
    parse_playbook(small(""), "s.toml")  # semver has no post release: never rendered


# -- the CLI ---------------------------------------------------------------------------------

def cockpit(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(args))
    return code, out.getvalue()


def test_the_built_in_playbooks_are_selectable_by_name() -> None:
    assert built_in_playbooks() == ["kubo", "widgets"]
    assert load_playbook("widgets").versions == PEP440
    assert load_playbook("kubo") == load_playbook()
    code, said = cockpit("plan", "--playbook", "nosuch", "--release", "1.0.0")
    assert code == 2 and "nosuch: cannot read: No such file or directory (a built-in " \
                         "playbook is named: kubo, widgets)" in said


def test_release_is_parsed_in_the_playbooks_scheme() -> None:
    code, said = cockpit("plan", "--playbook", "widgets", "--release", "v1.2.0")
    assert code == 2
    assert said.startswith("cockpit: 'v1.2.0' is not a release version (PEP 440; its tags "
                           "have no 'v', write 1.2.0): use X.Y.Z")
    code, said = cockpit("plan", "--release", "1.2.0rc1")  # Kubo's: semver, v
    assert code == 2 and "(semver" in said and "vX.Y.Z-rcN" in said
    assert cockpit("plan", "--playbook", "widgets") == (
        2, "cockpit: --release is required: pass --release X.Y.Z[rcN]\n")
    assert cockpit("plan") == (2, "cockpit: --release is required: pass --release "
                                  "vX.Y.Z[-rcN]\n")


def test_plan_shows_what_each_kind_of_release_runs(tmp_path: Path) -> None:
    book = tmp_path / "small.toml"
    book.write_text(small('[versions]\nscheme = "pep440"\ntag = "{version}"\n'
                          'pre_releases = ["beta", "rc"]\n'))
    code, said = cockpit("plan", "--playbook", str(book), "--release", "1.2.0.post1")
    assert code == 0, said
    table = said.split("Actions per kind of release", 1)[1].split("\n\n", 1)[0]
    assert table.splitlines() == [
        " (PEP 440, tags {version}; samples an RC 1.2.0rc1, a beta 1.2.0b1, a final release "
        "1.2.0, a patch release 1.2.3, a post release 1.2.0.post1):",
        "  stage      RC    BETA   FINAL   PATCH   POST*",
        "  tag         1       1       1       1       2",
        "  total       1       1       1       1       2",
        "`cockpit plan --kinds` names the actions of each kind."]


def test_plan_kinds_says_which_actions_every_kind_runs_without_a_release() -> None:
    code, said = cockpit("plan", "--kinds", "--playbook", "widgets")
    assert code == 0, said
    rows = {line.split()[0]: line.split()[1:] for line in said.splitlines()
            if line.startswith("  ") and "/" in line}
    assert said.splitlines()[2].split() == ["RC", "BETA", "ALPHA", "FINAL", "PATCH", "POST"]
    assert rows["github-release/release-pre"] == ["✓", "✓", "✓", "·", "·", "·"]
    assert rows["github-release/release-final"] == ["·", "·", "·", "✓", "✓", "✓"]
    assert len(rows) == load_playbook("widgets").action_count


def test_titles_name_the_release_in_its_own_scheme() -> None:
    assert fill_notation("Tag X.Y.Z[rcN] on main", PEP440.parse("1.2.0b1")) == \
        "Tag 1.2.0b1 on main"
    assert fill_notation("Tag X.Y.Z[rcN] on main", PEP440.parse("1.2.0")) == "Tag 1.2.0 on main"
    assert fill_notation("Tag vX.Y.Z-rcN on release-vX.Y.Z", Version.parse("v0.30.0-rc1")) \
        == "Tag v0.30.0-rc1 on release-v0.30.0"


def test_explaining_without_a_release_writes_the_playbooks_notation() -> None:
    code, said = cockpit("explain", "tag/tag", "--playbook", "widgets")
    assert code == 0, said
    assert "git tag -a -m 'Release X.Y.Z[rcN]' X.Y.Z[rcN] origin/main" in said
    code, said = cockpit("explain", "preflight/version-newer", "--playbook", "widgets")
    assert code == 0 and "git ls-remote --tags " in said and ".git '*'" in said


def test_a_tag_with_a_slash_still_names_one_journal_file() -> None:
    monorepo = VersionFormat(tag="widgets/v{version}")
    version = monorepo.parse("widgets/v1.2.0-rc1")
    assert (version.tag, version.number) == ("widgets/v1.2.0-rc1", "1.2.0-rc1")
    release = Release(playbook="acme", version=version, driver="me", host="here")
    assert release.key == "acme-widgets-v1.2.0-rc1"
    with pytest.raises(VersionError, match=re.escape("write it as its tag, widgets/v1.2.0")):
        monorepo.parse("1.2.0")
