"""`cockpit init`: a team's markdown checklist becomes a playbook that loads, explains and
runs its by-hand steps the same day; and `init` and `cockpit export --markdown` round-trip.

The checklists are in ``tests/fixtures/checklists/``, written for these tests in three
shapes: a Kubo-style issue template (nested items, **RC**/**FINAL** marks and a
shields.io badge, ⚠️, code spans, inline ``<details>``), a small Python library's flat
list with links, and a docs team's list with headings at two levels and prose between
lists. Exported checklists are read back with markdown-it and its task-list plugin, as
``tests/test_export.py`` reads them, never with the importer's own code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cockpit import cli
from cockpit.actions import REGISTRY, load_kinds, reversibility_of
from cockpit.checklist_import import init, read_checklist, to_playbook
from cockpit.export import export_markdown
from cockpit.model import Condition, Outcome, Reversibility
from cockpit.playbook import Playbook, load_playbook
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import Run, make_engine
from tests.sandboxes import SandboxSetup
from tests.task_lists import task_items

FIXTURES = Path(__file__).parent / "fixtures" / "checklists"
KUBO_STYLE, PYTHON_LIBRARY, TWO_LEVELS = "kubo_style", "python_library", "two_levels"
SHAPES = {
    KUBO_STYLE: ["Before the release", "The release", "After the release"],
    PYTHON_LIBRARY: ["widgets release checklist"],
    TWO_LEVELS: ["Content freeze", "Versioned pages", "Build and deploy", "Afterwards"],
}
"""Each fixture's stages, by title: the headings that hold task items, in order."""
IRREVERSIBLE = Reversibility.IRREVERSIBLE


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    return SandboxSetup(export_env=True, env={"COCKPIT_POLL_INITIAL_SECONDS": "0.01"})


def imported(name: str, tmp_path: Path, repo: str = "") -> tuple[Path, Playbook]:
    path, _ = init(FIXTURES / f"{name}.md", repo, tmp_path / f"{name}.toml")
    return path, load_playbook(path)


def export(playbook: Playbook) -> str:
    """``cockpit export --markdown`` without a release: every stage and action."""
    engine, _ = make_engine(playbook)
    engine.session.release = None
    return export_markdown(engine)


# -- the three shapes --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_checklist_becomes_a_playbook_that_loads_and_explains_every_action(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, playbook = imported(name, tmp_path)
    assert [stage.title for stage in playbook.stages] == SHAPES[name]
    assert {spec.kind for stage in playbook.stages for spec in stage.actions} == {"manual"}
    for stage in playbook.stages:
        assert cli.main(["explain", stage.id, "--playbook", str(path)]) == 0
        out = capsys.readouterr().out
        for spec in stage.actions:
            assert f"{stage.id}/{spec.id}" in out and spec.title in out
            assert "Cannot explain" not in out


def test_the_kubo_style_template_keeps_marks_warnings_commands_and_nesting(
        tmp_path: Path) -> None:
    path, playbook = imported(KUBO_STYLE, tmp_path)
    first, release, after = playbook.stages
    assert release.summary.startswith("Part of: Release checklist.")
    # A plain sub-item is the parent's "how": folded into its instructions as a list.
    accounts = first.actions[0]
    assert accounts.title == "Make sure you have every account the release needs"
    assert "- [ ] write access to the [forum](https://discuss.example.org/c/news)\n" \
           "  - ask the previous driver for an invite" in accounts.params["instructions"]
    # A sub-item with a mark of its own (here Kubo's badge) is an action of its own.
    reddit = first.actions[1]
    assert reddit.title == "a Reddit account that may post in r/example"
    assert reddit.when == [Condition.NOT_PATCH]
    assert first.actions[2].when == [Condition.RC]
    # The inline <details> is layout: its summary's command is kept, the tags are not.
    prepare = release.actions[0]
    assert prepare.title == "Prepare the version branch"
    assert prepare.params["copy_text"] == "./scripts/release.sh prepare vX.Y.Z"
    assert "<details>" not in prepare.params["instructions"]
    changelog = release.action("fill-in-the-changelog-with-the")
    assert changelog is not None and changelog.when == [Condition.FINAL]
    tags = [a for a in release.actions if a.reversibility is IRREVERSIBLE]
    assert [(a.when, a.params.get("copy_text")) for a in tags] == [
        ([Condition.RC], "git tag -s vX.Y.Z-rcN -m 'Prerelease X.Y.Z-rcN'"),
        ([Condition.FINAL], "git tag -s vX.Y.Z -m 'Release X.Y.Z'"),
        # A sub-item's code spans are read in context, never offered to paste: this one
        # says "never `git push --tags`".
        ([], "git push origin vX.Y.Z"),
        ([], None),  # the GitHub release: irreversible, nothing to paste
    ]
    assert "never `git push --tags`" in tags[2].params["instructions"]
    assert after.actions[0].when == [Condition.FINAL, Condition.NOT_PATCH]
    assert after.actions[1].params["copy_text"] == \
        "vX.Y.Z is out: please try it and report back on this issue."
    # Marks a sub-item repeats from its parent (as Kubo's template does) say nothing new.
    nxt = after.action("prepare-the-next-release")
    assert nxt is not None and nxt.when == [Condition.FINAL]
    assert nxt.params["instructions"].endswith(
        "- [ ] open the milestone of the next version\n"
        "- [ ] start its changelog with `./bin/changelog --next`")
    assert [a.id for a in after.actions][-1] == "close-the-milestone"
    text = path.read_text()
    assert '# Proposed kind: git.tag, for a git tag' in text
    assert '# Proposed kind: github.release, for a GitHub release' in text


def test_the_flat_library_checklist_item_by_item(tmp_path: Path) -> None:
    _, playbook = imported(PYTHON_LIBRARY, tmp_path, repo="acme/widgets")
    assert playbook.name == "widgets" and playbook.vars == {"repo": "acme/widgets"}
    got = [(a.title, a.when, a.reversibility, a.params.get("link", ""))
           for a in playbook.stages[0].actions]
    pypi = "https://pypi.org/project/acme-widgets/"
    changes = "https://github.com/acme/widgets/blob/main/CHANGES.md"
    assert got == [
        ("Check that CI on main is green", [], None,
         "https://github.com/acme/widgets/actions?query=branch%3Amain"),
        ('Bump the version in `pyproject.toml` and move the "Unreleased" notes in CHANGES.md '
         "under it", [], None, changes),
        ("Open a pull request with the bump and merge it once it is reviewed", [], None, ""),
        ('Create the tag and push it: `git tag -a 1.2.0 -m "1.2.0"` then '
         "`git push origin 1.2.0`", [], IRREVERSIBLE, ""),
        ("Build and upload to PyPI with `python -m build` and `twine upload dist/*`", [],
         IRREVERSIBLE, pypi),
        ("Check the project page shows the new version and `pip install acme-widgets==1.2.0` "
         "works in a clean venv", [], None, pypi),
        ("Publish the GitHub release, with the notes from CHANGES.md", [], IRREVERSIBLE,
         changes),
        ("Post the announcement on the Discourse forum", [Condition.NOT_RC], None,
         "https://forum.acme.example/c/releases"),
    ]
    upload = playbook.stages[0].actions[4]
    assert upload.params["copy_text"] == "python -m build\ntwine upload dist/*"
    assert "[PyPI](https://pypi.org/project/acme-widgets/)" in upload.params["instructions"]


def test_headings_at_two_levels_and_prose_between_lists(tmp_path: Path) -> None:
    _, playbook = imported(TWO_LEVELS, tmp_path)
    freeze = playbook.stages[0]
    assert freeze.summary.startswith("Part of: Preparation.")
    assert "without the lead's say-so" in freeze.summary
    assert "the second list is still part of the freeze" in freeze.summary
    assert [a.title for a in freeze.actions][-1] == \
        "Run the link checker with `make linkcheck` and fix what it reports"
    assert playbook.stages[2].summary.startswith("Part of: Publication.")
    afterwards = playbook.stages[3].actions
    assert [a.when for a in afterwards] == [[], [Condition.FINAL]]  # an ordered task list


@dataclass(frozen=True)
class Proposed:
    action: str
    kind: str
    params: dict[str, Any]


def proposals(text: str) -> list[Proposed]:
    """The kinds proposed in a playbook's comments, with their parameter skeletons."""
    found, lines = [], text.splitlines()
    for number, line in enumerate(lines):
        if not line.startswith('#   kind = "'):
            continue
        block = []
        for more in lines[number:]:
            if not more.startswith("#   "):
                break
            block.append(more.removeprefix("#   "))
        parsed = tomllib.loads("\n".join(block).replace("[stages.actions.params]", "[params]"))
        action = next(line for line in reversed(lines[:number]) if line.startswith("id = "))
        found.append(Proposed(tomllib.loads(action)["id"], parsed["kind"], parsed["params"]))
    return found


def test_the_proposed_kinds_are_real_kinds_with_valid_parameter_skeletons(
        tmp_path: Path) -> None:
    load_kinds()
    path, _ = imported(PYTHON_LIBRARY, tmp_path, repo="acme/widgets")
    found = proposals(path.read_text())
    assert [(p.action, p.kind) for p in found] == [
        ("check-that-ci-on-main-is-green", "github.workflow-run-wait"),
        ("open-a-pull-request-with-the", "github.pull-merge"),
        ("create-the-tag-and-push-it-git", "git.tag"),
        ("publish-the-github-release-with", "github.release"),
        ("post-the-announcement-on-the", "discourse.topic"),
    ]
    for proposal in found:
        info = REGISTRY.get(proposal.kind)
        assert info is not None and info.params_model is not None
        info.params_model.model_validate(proposal.params)  # every required field is there
        assert proposal.params.get("repo", "{repo}") == "{repo}"
    assert found[-1].params["url"] == "https://forum.acme.example/c/releases"


def test_without_a_checklist_a_starter_for_the_repository(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--repo", "acme/widgets"]) == 0
    assert "wrote" in capsys.readouterr().err
    playbook = load_playbook(tmp_path / "widgets.toml")
    assert [s.id for s in playbook.stages] == ["before-the-release", "tag", "publish",
                                               "announce"]
    assert playbook.vars == {"repo": "acme/widgets"}
    assert {p.kind for p in proposals((tmp_path / "widgets.toml").read_text())} >= {
        "git.tag", "github.release", "discourse.topic"}


# -- by-hand steps run ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SHAPES))
async def test_the_by_hand_steps_run_in_the_engine(name: str, tmp_path: Path,
                                                   sandbox: SandboxHandle) -> None:
    _, playbook = imported(name, tmp_path)
    done = {f"{stage.id}/{spec.id}/manual": True for stage in playbook.stages
            for spec in stage.actions}
    run = Run(playbook, "v1.2.0", done)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    final = make_engine(playbook, "v1.2.0")[0]
    assert run.applied == [spec.id for stage in playbook.stages for spec in stage.actions
                           if final.applies(stage, spec)]
    await final.session.aclose()


def test_a_headless_run_asks_then_remembers(tmp_path: Path, sandbox: SandboxHandle,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path, playbook = imported(PYTHON_LIBRARY, tmp_path, repo="acme/widgets")
    stage = playbook.stages[0]
    first, second, *_ = stage.actions
    not_yet = tmp_path / "not-yet.toml"
    not_yet.write_text(f'"{stage.id}/{first.id}/manual" = true\n'
                       f'"{stage.id}/{second.id}/manual" = false\n')
    answers = tmp_path / "answers.toml"
    answers.write_text("\n".join(f'"{stage.id}/{spec.id}/manual" = true'
                                 for spec in stage.actions) + "\n")
    run = ["run", stage.id, "--playbook", str(path), "--release", "v1.2.0"]
    # "Not yet" on the second step stops the stage there, for a human.
    assert cli.main([*run, "--answers", str(not_yet)]) == 1
    assert f"stage {stage.id} stopped" in capsys.readouterr().err
    # Done by hand, every step (--yes types the confirmations of the points of no return).
    assert cli.main([*run, "--answers", str(answers), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Post the announcement on the Discourse forum" in out
    # A rerun asks nothing (it has no answers to give): the journal remembers each step.
    assert cli.main(run) == 0


def tracked(text: str, template: str, ref: str) -> str:
    """The playbook with its commented tracking-issue stage turned on (as a user would)."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line == "# [[stages]]")
    end = next(n for n in range(start, len(lines)) if not lines[n].startswith("#"))
    block = [line.removeprefix("# ") for line in lines[start:end]]
    block = [f'template = "{template}"' if line.startswith("template =") else
             f'template_ref = "{ref}"' if line.startswith("template_ref =") else line
             for line in block]
    return "\n".join([*lines[:start], *block, "", *lines[end:]]) + "\n"


def test_with_its_tracking_issue_the_checklist_is_journalled_for_every_machine(
        tmp_path: Path, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = imported(PYTHON_LIBRARY, tmp_path, repo="ipfs/kubo")  # a repo the sandbox has
    path.write_text(tracked(path.read_text(), ".github/ISSUE_TEMPLATE/RELEASE_ISSUE_TEMPLATE.md",
                            "master"))
    playbook = load_playbook(path)
    assert [s.id for s in playbook.stages] == ["tracking", "widgets-release-checklist"]
    run = ["--playbook", str(path), "--release", "v1.2.0", "--yes"]
    assert cli.main(["run", "tracking", *run]) == 0
    assert cli.main(["run", "widgets-release-checklist", *run]) == 0
    err = capsys.readouterr().err
    assert "journal: " in err and "no tracking issue" not in err
    # Another machine (its own, empty state directory) reads them done from the issue.
    monkeypatch.setenv("COCKPIT_STATE_DIR", str(tmp_path / "another-machine"))
    assert cli.main(["status", "--playbook", str(path), "--release", "v1.2.0"]) == 0
    out = capsys.readouterr().out
    assert "2/2 stages done" in out
    assert out.count("confirmed done by hand") == len(playbook.stages[1].actions)


# -- round trip with `cockpit export --markdown` ------------------------------------------


def items_of(playbook: Playbook) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """What an export of ``playbook`` must list: every action, in order, with its marks."""
    return [(f"{stage.id}/{spec.id}", spec.title, tuple(c.value for c in spec.when),
             reversibility_of(spec.kind, spec.reversibility) is IRREVERSIBLE)
            for stage in playbook.stages for spec in stage.actions]


def exported_items(markdown: str) -> list[tuple[str, str, tuple[str, ...], bool]]:
    return [item.key for item in task_items(markdown)]


def outline(playbook: Playbook) -> list[tuple[Any, ...]]:
    """Stages and actions as a reader compares them: ids, titles, marks, points of no
    return, in order."""
    return [(stage.id, stage.title, stage.when,
             [(spec.id, spec.title, spec.when,
               reversibility_of(spec.kind, spec.reversibility) is IRREVERSIBLE)
              for spec in stage.actions])
            for stage in playbook.stages]


def reimported(markdown: str) -> Playbook:
    return to_playbook(read_checklist(markdown), name="again", source="export").playbook


@pytest.mark.parametrize("name", list(SHAPES))
def test_exporting_an_imported_checklist_gives_back_the_same_items(name: str,
                                                                   tmp_path: Path) -> None:
    _, playbook = imported(name, tmp_path)
    markdown = export(playbook)
    assert exported_items(markdown) == items_of(playbook)
    again = reimported(markdown)
    assert outline(again) == outline(playbook)
    assert exported_items(export(again)) == items_of(playbook)
    for stage, other in zip(playbook.stages, again.stages, strict=True):
        for spec, copy in zip(stage.actions, other.actions, strict=True):
            assert copy.params.get("link") == spec.params.get("link")
            assert copy.params.get("copy_text") == spec.params.get("copy_text")


def test_init_of_the_built_in_playbooks_export_gives_back_its_outline() -> None:
    built_in = load_playbook()
    markdown = export(built_in)
    again = reimported(markdown)
    assert outline(again) == outline(built_in)
    assert again.title == built_in.title
    assert again.description == built_in.description.strip()
    assert all(spec.kind == "manual" for stage in again.stages for spec in stage.actions)
    # The kinds' manual commands (export's "Manual equivalent") are the steps' text to paste.
    tag = again.stage("tag")
    assert tag is not None
    tag_rc = tag.action("tag-rc")
    assert tag_rc is not None and "git tag -s" in tag_rc.params["copy_text"]
    # And exporting that gives back the built-in playbook's checklist, item for item.
    assert exported_items(export(again)) == exported_items(markdown)


# -- bad input -----------------------------------------------------------------------------


def test_bad_input_says_what_is_wrong_and_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    prose = tmp_path / "notes.md"
    prose.write_text("# Release notes\n\nWe release on Tuesdays.\n\n- a bullet, no box\n")
    cases = [
        (["init", "--from", "missing.md"],
         "missing.md: no such file (--from takes your markdown checklist)"),
        (["init", "--from", str(prose)],
         f"{prose} has no task items (`- [ ] …` lines): nothing to turn into actions"),
        (["init"], "init needs --from CHECKLIST.md (your checklist) or --repo OWNER/REPO"),
        (["init", "--repo", "widgets"], "--repo takes OWNER/REPO (like acme/widgets), "
                                        "not 'widgets'"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2, argv
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [prose]  # nothing written

    source = str(FIXTURES / f"{PYTHON_LIBRARY}.md")
    assert cli.main(["init", "--from", source]) == 0
    written = tmp_path / "widgets-release.toml"
    before = written.read_text()
    written.write_text("# mine\n" + before)
    capsys.readouterr()
    assert cli.main(["init", "--from", source]) == 2
    assert capsys.readouterr().err == ("cockpit: widgets-release.toml exists: pass --force to overwrite "
                                       "it, or -o to write another file\n")
    assert written.read_text().startswith("# mine")  # left as it was
    assert cli.main(["init", "--from", source, "--force"]) == 0
    assert written.read_text() == before
    assert cli.main(["init", "--from", source, "-o", str(tmp_path / "other.toml")]) == 0
    assert load_playbook(tmp_path / "other.toml").action_count == 8
