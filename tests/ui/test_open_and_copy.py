"""`o` and `y` say what really happened: no browser, no "opened"; OSC 52, no "copied"."""

from __future__ import annotations

import base64

import pytest

from screens.widgets.checklist import Item
from tests.ui.helpers import frozen_app, wait_for

SIZE = (120, 40)
FORUM = Item("announce", "post-forum")


def toasts(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_o_without_a_browser_says_so_and_shows_the_link(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    app = frozen_app("walkthrough")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.open_link(FORUM)
        await wait_for(pilot, lambda: any("browser" in t for t in toasts(app)),
                       what="the o toast")
    assert "no browser here: https://discuss.ipfs.tech" in toasts(app)
    assert not [t for t in toasts(app) if "opened" in t]


async def test_y_says_it_sent_osc_52_and_where_else_the_text_is(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    app = frozen_app("walkthrough")
    sent: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        monkeypatch.setattr(app._driver, "write", sent.append)
        app.copy_manual(Item("tag", "push-tag"))
        await wait_for(pilot, lambda: any("clipboard" in t for t in toasts(app)),
                       what="the y toast")
    said = next(t for t in toasts(app) if "clipboard" in t)
    assert not [t for t in toasts(app) if "copied" in t]
    assert said.startswith("sent to the terminal's clipboard (OSC 52; tmux or your terminal "
                           "may ignore it):\n")
    assert "explanation pane" in said and "set-clipboard on" in said
    osc = [s for s in sent if s.startswith("\x1b]52;c;")]
    assert len(osc) == 1
    text = base64.b64decode(osc[0].removeprefix("\x1b]52;c;").rstrip("\a")).decode()
    assert said.splitlines()[1] == text.splitlines()[0]
