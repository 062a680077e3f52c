"""`cockpit export --markdown`: the playbook as a GitHub task list, ticked from the world.

The output is read back with a real Markdown parser (markdown-it with GitHub's task-list
rule), never with the exporter's own patterns, and compared with the loaded playbook.
"""

from __future__ import annotations

import re

import pytest

from cockpit.actions import reversibility_of
from cockpit.export import WARNING, export_markdown, export_release
from cockpit.local_journal import Journal
from cockpit.model import Outcome, Reversibility
from cockpit.playbook import Playbook, load_playbook
from cockpit.prompts import fill_notation
from cockpit.sandbox.testing import SandboxHandle
from cockpit.states import State
from cockpit.status import read_status
from tests.kinds.harness import Run, built_in, make_engine
from tests.sandboxes import SandboxSetup
from tests.task_lists import task_items

BUILT_IN = load_playbook()
_ITEM = re.compile(r"^(?P<warn>⚠️ )?(?P<marks>(?:\*\*[^*]+\*\* )*)(?P<title>.+?)"
                   r"(?: · \[link\]\((?P<link>[^)]+)\))?(?: \((?P<note>[a-z]+)\))? — "
                   r"`(?P<id>[a-z0-9-]+/[a-z0-9-]+)`$")


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    return SandboxSetup(export_env=True, env={"COCKPIT_POLL_INITIAL_SECONDS": "0.01"})


def test_the_built_in_playbook_exports_every_action_once_with_its_marks() -> None:
    engine, _ = make_engine(BUILT_IN)
    engine.session.release = None  # no release: the playbook as written, every action
    items = task_items(export_markdown(engine))
    by_id = {item.id: item for item in items}
    assert len(items) == len(by_id) == BUILT_IN.action_count  # every action exactly once
    for number, stage in enumerate(BUILT_IN.stages, 1):
        for spec in stage.actions:
            item = by_id.pop(f"{stage.id}/{spec.id}")
            assert item.title == spec.title  # the playbook's own notation, as written
            assert item.marks == tuple(c.value for c in spec.when)
            irreversible = reversibility_of(spec.kind, spec.reversibility)
            assert item.warning == (irreversible is Reversibility.IRREVERSIBLE)
            assert item.heading.endswith(f"{number}. {stage.title}".split(". ", 1)[1])
            assert not item.checked
    assert {i.id for i in items if i.warning} >= {"tag/tag-rc", "tag/tag-final",
                                                 "publish-to-npm/npm-dispatch",
                                                 "promote/discourse-topic"}


def test_a_release_lists_only_what_applies_to_it_in_its_own_words() -> None:
    engine, _ = make_engine(BUILT_IN, "v0.30.0-rc1")
    items = task_items(export_markdown(engine))
    version = engine.session.version
    expected = [(f"{s.id}/{a.id}", fill_notation(a.title, version)) for s in BUILT_IN.stages
                for a in s.actions if engine.applies(s, a)]
    assert [(i.id, i.title) for i in items] == expected
    assert "tag/tag-rc" in {i.id for i in items} and "tag/tag-final" not in {i.id for i in items}
    assert "Tag v0.30.0-rc1 on release-v0.30.0 (signed) and push it" in {i.title for i in items}


def _cut() -> Playbook:
    """Two actions of prepare-branch (a stage of its own here) and the whole tag stage."""
    return built_in("prepare-branch/create-version-branch", "prepare-branch/set-version",
                    "tag")


async def test_with_a_release_done_items_are_ticked_from_the_world(
        sandbox: SandboxHandle) -> None:
    playbook = _cut()
    first = built_in("prepare-branch/create-version-branch", "prepare-branch/set-version")
    report = await Run(first, "v0.30.0-rc1")()
    assert report.outcome is Outcome.DONE, report

    sandbox.clear_requests()
    engine, _ = make_engine(playbook, "v0.30.0-rc1", read_only=True)
    try:
        text = await export_release(engine)
        status = await read_status(engine)
    finally:
        await engine.session.aclose()
    assert not sandbox.requests(mutating=True)  # read-only: nothing written anywhere
    assert not Journal(engine.session.settings.state_dir, engine.release_key).path.exists()

    items = task_items(text)
    ticked = {i.id for i in items if i.checked}
    # The finished stage: every item ticked. The tag stage: its tag is not pushed, so the
    # tag and what verifies it stay open (its version check already holds in the world).
    assert {i.id for i in items if i.id.startswith("prepare-branch/")} <= ticked
    assert {"tag/tag-rc", "tag/verify-tag-rc", "tag/tag-on-github"}.isdisjoint(ticked)
    assert {i.id for i in items} == {f"{s.id}/{a.id}" for s in playbook.stages
                                     for a in s.actions if engine.applies(s, a)}
    # The same read-only checks as `cockpit status`: ticked is exactly what it calls done.
    assert ticked == {f"{r.stage}/{r.action}" for r in status.rows
                      if r.view.state is State.DONE}
    assert f"{len(ticked)} of the {len(items)} items for v0.30.0-rc1 are done" in text


def test_the_warning_is_the_one_kubo_writes() -> None:
    assert WARNING == "⚠️"
