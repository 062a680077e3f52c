"""git.edit decides "done" from the content it produces: an insertion, whose pattern still
matches after it, is applied once however often its stage reruns (issue 12, item 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from cockpit.actions.git import EditFile, EditParams
from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.events import ActionApplying, Event
from cockpit.explain import explain_action
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter
from cockpit.settings import Settings
from tests.gitworld import git, make_remote

PLAYBOOK = load_playbook(Path(__file__).parents[1] / "data" / "insert-headings.toml")
CHANGELOG = "# Changelog\n\n## Unreleased\n\n- a fix\n\n## v1.1.0\n\n- the first release\n"
NEWS = "# News\n\n## v1.1.0\n\nThe first release.\n\n## v1.0.0\n\nA preview.\n"


def _edit(pattern: str, replacement: str) -> EditFile:
    params = EditParams(repo="acme/app", branch="b", path="f", pattern=pattern,
                        replacement=replacement, message="m")
    return EditFile(params, cast(Any, None))  # already_edited reads no context


@pytest.mark.parametrize(("pattern", "replacement", "base"), [
    ("^## Unreleased$", "## Unreleased\n\n## v1.2.0", CHANGELOG),  # inserted after the match
    ("^## v.*$", "## v1.2.0\n\n\\g<0>", NEWS),  # before it, and the pattern matches the insert
    ("\\A", "<!-- generated -->\n", NEWS),  # an empty match: at the top of the file
    ('version = "[^"]*"', 'version = "1.2.0"', 'version = "1.1.0"\n'),  # a plain replacement
])
def test_an_edit_is_done_on_its_own_output_and_only_there(pattern: str, replacement: str,
                                                           base: str) -> None:
    edit = _edit(pattern, replacement)
    once = edit._edited(base)
    assert once != base and not edit.already_edited(base)
    assert edit.already_edited(once)
    assert edit._edited(once) != once or pattern.startswith("version"), \
        "an insertion applied blindly twice would duplicate: the case the check must catch"


def test_a_matching_text_elsewhere_does_not_count_as_done() -> None:
    """The first ``version = …`` needs the change though a later one already reads 1.2.0."""
    edit = _edit('version = "[^"]*"', 'version = "1.2.0"')
    text = 'version = "1.1.0"\n[dependency]\nversion = "1.2.0"\n'
    assert not edit.already_edited(text)
    assert edit.already_edited(edit._edited(text))


def _remote(root: Path) -> Path:
    bare = make_remote(root)
    seed = root / "seed"
    (seed / "CHANGELOG.md").write_text(CHANGELOG)
    (seed / "NEWS.md").write_text(NEWS)
    git("add", ".", cwd=seed)
    git("commit", "-qm", "changelogs", cwd=seed)
    git("push", "-q", str(bare), "master", cwd=seed)
    return bare


def _engine(remotes: Path, workspace: Path) -> tuple[Engine, list[Event]]:
    settings = Settings(git_base_url=remotes.as_uri(), workspace_dir=workspace)
    release = Release(playbook="inserts", version=Version.parse("v1.2.0"), driver="t", host="h")
    engine = Engine(PLAYBOOK, Session(settings=settings, prompter=AnswersPrompter(),
                                      release=release), EventBus())
    events: list[Event] = []
    engine.bus.listen(events.append)
    return engine, events


async def test_an_insertion_stage_run_three_times_commits_once(tmp_path: Path) -> None:
    remote = _remote(tmp_path / "remotes")
    applied = []
    # Twice on one machine, then from another one (a fresh clone).
    for machine in ("a", "a", "b"):
        engine, events = _engine(tmp_path / "remotes", tmp_path / machine)
        report = await engine.run_stage("changelog")
        assert report.outcome is Outcome.DONE, report
        applied.append(sorted(e.action for e in events if isinstance(e, ActionApplying)))
    assert applied == [["branch", "heading-after", "heading-before", "set-version"], [], []]

    log = git("log", "--format=%s", "release-v1.2.0", cwd=remote).splitlines()
    assert log == ["chore: set version to 1.2.0", "docs: news heading for v1.2.0",
                   "docs: changelog heading for v1.2.0", "changelogs", "initial"]
    changelog = git("show", "release-v1.2.0:CHANGELOG.md", cwd=remote)
    news = git("show", "release-v1.2.0:NEWS.md", cwd=remote)
    assert changelog.count("## v1.2.0") == 1 and news.count("## v1.2.0") == 1
    assert changelog.startswith("# Changelog\n\n## Unreleased\n\n## v1.2.0\n\n- a fix\n")
    assert news.startswith("# News\n\n## v1.2.0\n\n## v1.1.0\n")


def test_explain_promises_what_the_check_does(tmp_path: Path) -> None:
    engine, _ = _engine(tmp_path / "remotes", tmp_path / "w")
    stage = engine.stage("changelog")
    spec = stage.action("heading-after")
    assert spec is not None
    text = explain_action(engine, stage, spec)
    assert "what the edit produces" in text and "never adds a second commit" not in text
