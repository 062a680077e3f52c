"""Entry point from the CLI: build the session, engine and app, run it, return an exit code.

Imports stay inside the functions so ``import screens.launch`` costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.ci.store import Store
    from cockpit.model import Release
    from cockpit.playbook import Playbook
    from cockpit.settings import Settings
    from cockpit.sync.review import Reviewer
    from screens.app import CockpitApp, Mode


def build_app(playbook: Playbook, release: Release | None, mode: Mode = "drive", *,
              settings: Settings | None = None, clock: Callable[[], float] = time.monotonic,
              journal: bool = True, shadow_interval: float = 30.0,
              auto_check: bool = True, solo: bool = False) -> CockpitApp:
    """The app with its engine; walkthrough and shadow get a read-only session. ``solo``:
    one maintainer, so a reviewed step asks the driver's typed acknowledgement instead."""
    from cockpit.context import Session
    from cockpit.engine import Engine
    from cockpit.local_journal import Journal
    from cockpit.settings import Settings
    from screens.app import CockpitApp
    from screens.prompter import ModalPrompter

    settings = settings or Settings()
    prompter = ModalPrompter()
    session = Session(settings=settings, prompter=prompter, release=release,
                      read_only=mode != "drive")
    engine = Engine(playbook, session)
    engine.solo = solo
    book: Journal | None = None
    if journal and release is not None:
        book = Journal(settings.state_dir, engine.release_key)
        session.manual_confirmations |= book.manual_confirmations()
        if mode == "drive":
            session.skipped.update(book.skipped())
            engine.bus.listen(book.append)
    app = CockpitApp(engine, prompter, mode, clock=clock, shadow_interval=shadow_interval,
                     auto_check=auto_check)
    app.local_journal = book
    return app


def launch(playbook: Playbook, release: Release, mode: str = "drive", *,
           solo: bool = False) -> int:
    """Run the TUI until the driver quits; 0 unless the app says otherwise."""
    from screens.app import MODES

    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
    from cockpit.settings import Settings

    settings = Settings()
    app = build_app(playbook, release, mode, settings=settings,
                    shadow_interval=settings.shadow_poll_seconds, solo=solo)
    result = app.run()
    return int(result or 0)


def launch_ci(store: Store, *, window: str = "7d", repository: str | None = None) -> int:
    """``cockpit ci``: the CI screen on its own, over an opened store (the caller closes it)."""
    from screens.ci import CiApp, CiContext
    from screens.widgets.ci_data import Filters
    from screens.widgets.ci_reader import StoreReader

    context = CiContext(StoreReader(store=store), standalone=True, owns_reader=True,
                        filters=Filters(repository=repository, window=window))
    return int(CiApp(context).run() or 0)


async def launch_review(reviewer: Reviewer, interval: float) -> int:
    """``cockpit review --release V``: the second maintainer's screen, in the caller's loop
    (the caller holds the reviewer's clients and closes them)."""
    from screens.review import ReviewApp

    return int(await ReviewApp(reviewer, interval=interval).run_async() or 0)
