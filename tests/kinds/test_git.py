"""git.edit decides "done" from the content it produces: an insertion, whose pattern still
matches after it, is applied once however often its stage reruns (issue 12, item 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from cockpit.actions.git import EditFile, EditParams
from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine, StageReport, Verdict
from cockpit.events import ActionApplying, ActionChecked, Event
from cockpit.explain import explain_action
from cockpit.model import Outcome, Release, Status, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter
from cockpit.sandbox.testing import SandboxHandle
from cockpit.settings import Settings
from tests.github_setup import push_to_branch
from tests.gitworld import git, make_remote
from tests.kinds.harness import Run, inline, make_engine

PLAYBOOK = load_playbook(Path(__file__).parents[1] / "data" / "insert-headings.toml")
REVIEWED = load_playbook(Path(__file__).parents[1] / "multi" / "data" / "reviewed.toml")
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


class _MovingReviewer:
    """A second maintainer who approves whatever is asked; on the ``move_on``-th ask (the
    engine's check right after the driver's typed confirmation) someone pushes to master
    just after, so it moves between the last approval and the tag's own fetch."""

    def __init__(self, sandbox: SandboxHandle, move_on: int | None) -> None:
        self.sandbox, self.move_on, self.asked = sandbox, move_on, 0
        self.moved_to: str | None = None

    async def verdict(self, stage: str, action_id: str, facts: dict[str, str]) -> Verdict:
        self.asked += 1
        if self.asked == self.move_on:
            self.moved_to = push_to_branch(self.sandbox, "ipfs/kubo", "LATE.md",
                                           "landed after the approval")
        return Verdict(True, f"approved {facts['commit'][:12]}")


async def _tag_stage(sandbox: SandboxHandle, reviewer: _MovingReviewer) -> StageReport:
    engine, _events = make_engine(REVIEWED, "v0.30.0-rc1")  # its tag: review = "required"
    engine.review_gate = reviewer
    try:
        return await engine.run_stage("tag")
    finally:
        await engine.session.aclose()


async def test_the_tag_is_the_approved_commit_or_none(sandbox: SandboxHandle) -> None:
    """The branch moves after the last approval, before the tag's fetch: nothing
    unreviewed is tagged, the stop says why; the rerun is reviewed afresh and tags once."""
    approved = sandbox.state()["repos"]["ipfs/kubo"]["branches"]["master"]
    moving = _MovingReviewer(sandbox, move_on=2)
    stopped = await _tag_stage(sandbox, moving)
    assert stopped.outcome is Outcome.NEEDS_HUMAN, stopped
    assert moving.moved_to is not None
    reason = stopped.actions[0].reason
    assert f"not tagged: master moved to {moving.moved_to[:12]} after {approved[:12]}" \
        in reason
    assert "v0.30.0-rc1" not in sandbox.state()["repos"]["ipfs/kubo"]["tags"]
    again = await _tag_stage(sandbox, _MovingReviewer(sandbox, move_on=None))
    assert again.outcome is Outcome.DONE, again
    assert sandbox.state()["repos"]["ipfs/kubo"]["tags"]["v0.30.0-rc1"] == moving.moved_to


@pytest.mark.parametrize(("version", "status", "says"), [
    ("v0.29.0-rc1", Status.DONE,
     "version.go at tag v0.29.0-rc1 reads 'const CurrentVersionNumber = \"0.29.0-rc1\"'"),
    ("v0.29.0-rc2", Status.INCOMPLETE, "version.go on release needs the change"),
], ids=["tagged-with-the-change", "untagged-reads-the-branch"])
async def test_once_tagged_an_edit_is_judged_in_the_tagged_file(
        sandbox: SandboxHandle, version: str, status: Status, says: str) -> None:
    """Kubo's set-version for a release candidate whose version branch moved on (the
    seeded ``release`` reads 0.29.0 since v0.29.0): its tag holds the edit, so it is done.
    An untagged version reads the branch as before, where the edit is still to do."""
    edit = {"repo": "ipfs/kubo", "branch": "release", "path": "version.go",
            "pattern": 'const CurrentVersionNumber = "[^"]*"', "tag": version,
            "replacement": f'const CurrentVersionNumber = "{version[1:]}"',
            "message": f"chore: set version to {version[1:]}"}
    engine, events = make_engine(inline([("set-version", "git.edit", edit)]), version,
                                 read_only=True)
    try:
        await engine.run_stage("s")
    finally:
        await engine.session.aclose()
    first = next(e.result for e in events if isinstance(e, ActionChecked))
    assert (first.status, first.reason) == (status, says)
    assert not sandbox.requests(mutating=True)


async def test_a_tag_made_without_the_edit_fails_and_is_not_edited(
        sandbox: SandboxHandle) -> None:
    """v0.29.0's tag reads 0.29.0: an edit to 0.29.5 judged there cannot be applied (a
    pushed tag never moves), so the check fails for a person instead of committing."""
    edit = {"repo": "ipfs/kubo", "branch": "release", "path": "version.go",
            "pattern": 'const CurrentVersionNumber = "[^"]*"', "tag": "v0.29.0",
            "replacement": 'const CurrentVersionNumber = "0.29.5"', "message": "m"}
    run = Run([("set-version", "git.edit", edit)], "v0.29.0", abort=True)
    report = await run()
    (action,) = report.actions
    assert action.outcome is Outcome.ABORTED and run.applied == []
    assert "v0.29.0 was made without this change" in action.reason, action.reason
