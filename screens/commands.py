"""Command palette: run, explain, open link and copy the manual command, for every stage
and action."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.widgets.checklist import Item

if TYPE_CHECKING:
    from screens.app import CockpitApp


class CockpitCommands(Provider):
    """One entry per (stage or action) and verb (run, explain, open link, copy manual command)."""

    def _entries(self) -> list[tuple[str, Callable[[], object], str]]:
        app: CockpitApp = self.app  # type: ignore[assignment]
        verb = {"drive": "Run", "walkthrough": "Check", "shadow": "Re-check"}[app.mode]
        entries: list[tuple[str, Callable[[], object], str]] = []
        for stage in app.engine.playbook.stages:
            item = Item(stage.id)
            entries += [
                (f"{verb} stage {stage.id}", partial(app.run_stage, stage.id), stage.title),
                (f"Explain stage {stage.id}", partial(app.select, item), stage.title),
                (f"Cancel stage {stage.id}", partial(app.cancel_stage, stage.id), stage.title),
                (f"Copy manual commands of {stage.id}", partial(app.copy_manual, item),
                 stage.title),
            ]
            for spec in stage.actions:
                item = Item(stage.id, spec.id)
                name = f"{stage.id}/{spec.id}"
                entries += [
                    (f"Check {name}", partial(app.check_one, stage.id, spec.id), spec.title),
                    (f"Explain {name}", partial(app.select, item), spec.title),
                    (f"Open link of {name}", partial(app.open_link, item), spec.title),
                    (f"Copy manual command of {name}", partial(app.copy_manual, item),
                     spec.title),
                ]
        return entries

    async def discover(self) -> Hits:
        for text, command, help_text in self._entries():
            if "/" not in text:
                yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._entries():
            score = matcher.match(f"{text} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
