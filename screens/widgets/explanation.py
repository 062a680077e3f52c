"""The explanation pane: markdown for the selected stage or action, plus the manual
equivalent of each call the cockpit made for it, as it happens.

The markdown is rendered by rich into one ``Static`` rather than by textual's
``Markdown`` widget, which mounts a widget per block: a stage's explanation has dozens
of blocks, and mounting them was most of the time to first paint (~0.7 s of ~1.2 s).
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static


class ExplanationPane(VerticalScroll):
    """Shows ``text`` and, below it, the commands done so far (updated in batches)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._text = ""
        self._manual: list[str] = []
        self._dirty = False

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="explanation-md")

    def show(self, text: str, manual: list[str], title: str) -> None:
        if (text, manual, title) == (self._text, self._manual, self.border_title):
            return  # the same again (a refresh that changed nothing): rendering it is costly
        self._text, self._manual = text, list(manual)
        self.border_title = title
        self._render_now()

    def add_manual(self, command: str) -> None:
        """A new manual-equivalent line for the item shown; rendered on the next ``tick``."""
        self._manual.append(command)
        self._dirty = True

    def tick(self) -> None:
        if self._dirty:
            self._render_now()

    def _render_now(self) -> None:
        self._dirty = False
        body = self._text
        if self._manual:
            shown = self._manual[-40:]
            body += ("\n\n## What the cockpit ran (manual equivalent)\n\n```sh\n"
                     + "\n".join(shown) + "\n```\n")
        from rich.markdown import Markdown  # ~30 ms to import: not before the first paint

        self.query_one("#explanation-md", Static).update(Markdown(body, code_theme="ansi_dark"))
