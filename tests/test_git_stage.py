"""The engine on real things: a git-only stage against a real bare repository, twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.bus import EventBus
from cockpit.context import Session
from cockpit.engine import Engine
from cockpit.events import ActionApplying, ActionFinished, Event
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import load_playbook
from cockpit.prompts import AnswersPrompter, PromptAnswer
from cockpit.settings import Settings
from tests.gitworld import git, make_remote, refs

PLAYBOOK = load_playbook(Path(__file__).parent / "data" / "git-release.toml")


def _engine(remotes: Path, workspace: Path, version: str,
            prompter: AnswersPrompter) -> tuple[Engine, list[Event]]:
    settings = Settings(git_base_url=remotes.as_uri(), workspace_dir=workspace)
    release = Release(playbook="gitonly", version=Version.parse(version), driver="t", host="h")
    engine = Engine(PLAYBOOK, Session(settings=settings, prompter=prompter, release=release),
                    EventBus())
    events: list[Event] = []
    engine.bus.listen(events.append)
    return engine, events


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path / "remotes")


async def test_git_stages_twice_make_one_branch_one_commit_one_tag(tmp_path: Path,
                                                                   remote: Path) -> None:
    remotes = tmp_path / "remotes"
    answers = AnswersPrompter({"tag/tag/confirm": PromptAnswer(value=True)})
    first, events = _engine(remotes, tmp_path / "machine-a", "v0.30.0-rc1", answers)
    for stage in ("prepare-branch", "tag"):
        report = await first.run_stage(stage)
        assert report.outcome is Outcome.DONE, report
    assert sum(isinstance(e, ActionApplying) for e in events) == 3

    branch_log = git("log", "--format=%s", "release-v0.30.0", cwd=remote).splitlines()
    assert branch_log == ["chore: set version to 0.30.0-rc1", "initial"]
    assert refs(remote, "refs/heads") == ["refs/heads/master", "refs/heads/release-v0.30.0"]
    assert refs(remote, "refs/tags") == ["refs/tags/v0.30.0-rc1"]
    assert git("cat-file", "-t", "v0.30.0-rc1", cwd=remote).strip() == "tag"
    assert git("rev-parse", "v0.30.0-rc1^{commit}", cwd=remote) == git(
        "rev-parse", "release-v0.30.0", cwd=remote)

    # A second run, from another machine (a fresh workspace): everything is already done.
    second, events = _engine(remotes, tmp_path / "machine-b", "v0.30.0-rc1", AnswersPrompter())
    for stage in ("prepare-branch", "tag"):
        report = await second.run_stage(stage)
        assert report.outcome is Outcome.DONE
    assert not [e for e in events if isinstance(e, ActionApplying)]
    finished = [e for e in events if isinstance(e, ActionFinished)]
    assert [e.outcome for e in finished] == [Outcome.DONE] * 3
    assert git("log", "--format=%s", "release-v0.30.0", cwd=remote).splitlines() == branch_log
    assert refs(remote, "refs/tags") == ["refs/tags/v0.30.0-rc1"]


async def test_tag_is_not_created_without_the_typed_confirmation(tmp_path: Path,
                                                                 remote: Path) -> None:
    remotes = tmp_path / "remotes"
    refuse = AnswersPrompter({"tag/tag/confirm": PromptAnswer(value=False)})
    engine, _ = _engine(remotes, tmp_path / "w", "v0.30.0-rc1", refuse)
    assert (await engine.run_stage("prepare-branch")).outcome is Outcome.DONE
    report = await engine.run_stage("tag")
    assert report.outcome is Outcome.CANCELLED, "declined: nothing changed, nothing failed"
    assert refs(remote, "refs/tags") == []


async def test_no_answer_for_the_tag_stops_as_needs_human(tmp_path: Path, remote: Path) -> None:
    engine, _ = _engine(tmp_path / "remotes", tmp_path / "w", "v0.30.0-rc1", AnswersPrompter())
    await engine.run_stage("prepare-branch")
    report = await engine.run_stage("tag")
    assert report.outcome is Outcome.NEEDS_HUMAN
    assert "tag/tag/confirm" in report.reason
    assert refs(remote, "refs/tags") == []


async def test_manual_step_is_remembered_and_stage_skipped_for_rc(tmp_path: Path,
                                                                  remote: Path) -> None:
    rc, _ = _engine(tmp_path / "remotes", tmp_path / "w", "v0.30.0-rc1", AnswersPrompter())
    assert (await rc.run_stage("announce")).outcome is Outcome.NOT_APPLICABLE
    final, _events = _engine(tmp_path / "remotes", tmp_path / "w", "v0.30.0",
                            AnswersPrompter(yes=True))
    assert (await final.run_stage("announce")).outcome is Outcome.DONE
    assert ("announce", "tweet") in final.session.manual_confirmations


async def test_a_read_only_session_cannot_push_even_if_an_apply_tries(tmp_path: Path,
                                                                      remote: Path) -> None:
    """The guard sits in the git service, below the engine: calling ``apply`` directly in a
    read-only session (walkthrough, shadow) still sends nothing."""
    from cockpit.context import ReadOnlyViolation

    settings = Settings(git_base_url=(tmp_path / "remotes").as_uri(),
                        workspace_dir=tmp_path / "machine")
    release = Release(playbook="gitonly", version=Version.parse("v0.30.0-rc1"), driver="t",
                      host="h")
    session = Session(settings=settings, prompter=AnswersPrompter(), release=release,
                      read_only=True)
    engine = Engine(PLAYBOOK, session, EventBus())
    stage = engine.stage("prepare-branch")
    before = refs(remote, "refs/heads")
    spec = stage.action("create-branch")
    assert spec is not None
    action = engine.build(stage, spec)
    assert action is not None
    with pytest.raises(ReadOnlyViolation, match="refused to push"):
        await action.apply()
    assert refs(remote, "refs/heads") == before


async def test_two_processes_on_one_machine_use_separate_clones(tmp_path: Path,
                                                                remote: Path) -> None:
    """A second cockpit process (here: a second workspace object, holding its own lock)
    never shares a working tree with the first; each gets a clone of its own."""
    from cockpit.secrets import Redactor
    from cockpit.services.git import GitWorkspace

    root = tmp_path / "machine" / "clones"
    url = (tmp_path / "remotes" / "acme" / "app.git").as_uri()

    def workspace() -> GitWorkspace:
        return GitWorkspace(root, lambda _: url, None, lambda _: None, Redactor())

    first, second = workspace(), workspace()
    one, two = await first.open("acme/app"), await second.open("acme/app")
    assert one.workdir == root / "acme" / "app"
    assert two.workdir == root / "acme" / "app.2"
    assert await one.remote_branch_sha("master") == await two.remote_branch_sha("master")
    # Once the first lets go (its process ended), the next process gets the first clone.
    for handle in first._held:
        handle.close()
    third = await workspace().open("acme/app")
    assert third.workdir == root / "acme" / "app"
