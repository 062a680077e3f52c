"""SVG snapshots: main screen, each modal kind, walkthrough, shadow, help, error dialog.

Update after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from cockpit.events import ActionChecked
from cockpit.model import CheckResult
from cockpit.secrets import STORE
from screens.widgets.checklist import Item
from tests.ui.snapshot_apps import KEY, error_modal, gallery, history, make, modal

SIZE = (130, 40)
Snap = Callable[..., bool]


@pytest.fixture(autouse=True)
def no_keyring_toast(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests run without a keyring, which the app says once per process in a toast:
    the snapshots must not depend on whether an earlier test already said it."""
    monkeypatch.setattr(STORE, "_warned", True)


def test_main_screen(snap_compare: Snap) -> None:
    app, clock = make()

    async def before(pilot: Pilot[object]) -> None:
        history(app, clock)
        app.select(Item("tag"))
        await pilot.pause()
        app.select(Item("prepare-branch", "create-branch"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


@pytest.mark.parametrize("kind", ["confirm", "choose", "text", "manual"])
def test_prompt_modal(snap_compare: Snap, kind: str) -> None:
    app, clock = make()

    async def before(pilot: Pilot[object]) -> None:
        history(app, clock)
        await app.push_screen(modal(kind))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_confirm_modal_typed(snap_compare: Snap) -> None:
    app, _ = make()

    async def before(pilot: Pilot[object]) -> None:
        await app.push_screen(modal("confirm"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, press=[*"v0.30.0-rc1"], run_before=before)


def test_walkthrough(snap_compare: Snap) -> None:
    app, _ = make("walkthrough")

    async def before(pilot: Pilot[object]) -> None:
        app.select(Item("tag", "push-tag"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_shadow(snap_compare: Snap) -> None:
    app, _ = make("shadow")

    async def before(pilot: Pilot[object]) -> None:
        for stage, action, result in [
            ("prepare-branch", "create-branch", CheckResult.done("branch exists at 87d496d45ea0")),
            ("prepare-branch", "set-version", CheckResult.done("version.go reads 0.30.0-rc1")),
            ("tag", "push-tag", CheckResult.incomplete("tag v0.30.0-rc1 is not pushed yet")),
            ("announce", "post-forum", CheckResult.incomplete("waiting for a human")),
        ]:
            app.apply_event(ActionChecked(release=KEY, stage=stage, action=action,
                                          result=result))
        app.select(Item("tag", "push-tag"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_help(snap_compare: Snap) -> None:
    assert snap_compare(make()[0], terminal_size=SIZE, press=["question_mark"])


def test_error_dialog(snap_compare: Snap) -> None:
    app, _ = make()

    async def before(pilot: Pilot[object]) -> None:
        await app.push_screen(error_modal())
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


@pytest.mark.parametrize("size", [(160, 50), (80, 24)], ids=["160x50", "80x24"])
def test_every_state(snap_compare: Snap, size: tuple[int, int]) -> None:
    """Every state of the one model on one screen, header included, wide and at 80x24."""
    app, _ = gallery()

    async def before(pilot: Pilot[object]) -> None:
        app.query_one("#checklist").refresh_all()  # type: ignore[attr-defined]
        app.select(Item("prepare-branch", "create-version-branch"))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=before)
