"""The stages as a navigable checklist, each expandable into its actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from cockpit.states import POINT_OF_NO_RETURN
from screens.state import ActionState, ReleaseState, StageState, State, format_elapsed


def _mark(irreversible: bool) -> tuple[str, str]:
    """The point-of-no-return flag before a title (nothing for the others)."""
    glyph, style = POINT_OF_NO_RETURN
    return (f"{glyph} ", style) if irreversible else ("", "")


@dataclass(frozen=True)
class Item:
    """What a checklist line stands for: a stage, or one action of it."""

    stage: str
    action: str | None = None


class Checklist(Tree[Item]):
    """Stages (with glyph, status and elapsed time) and, expanded, their actions."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, state: ReleaseState, clock: Callable[[], float], **kwargs: object) -> None:
        super().__init__("stages", **kwargs)  # type: ignore[arg-type]
        self.state = state
        self.clock = clock
        self.show_root = False
        self.guide_depth = 2
        self._item_nodes: dict[Item, TreeNode[Item]] = {}
        self._numbers = {stage_id: n for n, stage_id in enumerate(state.stages, 1)}

    def on_mount(self) -> None:
        for number, stage in enumerate(self.state.stages.values(), 1):
            node = self.root.add(self._stage_label(number, stage), data=Item(stage.id))
            self._item_nodes[Item(stage.id)] = node
            for action in stage.actions.values():
                item = Item(stage.id, action.id)
                self._item_nodes[item] = node.add_leaf(self._action_label(action), data=item)
        self.root.expand()
        self.cursor_line = 0

    @property
    def selected(self) -> Item | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def node_for(self, item: Item) -> TreeNode[Item] | None:
        return self._item_nodes.get(item)

    def select_stage(self, stage_id: str) -> None:
        node = self._item_nodes.get(Item(stage_id))
        if node is not None:
            self.move_cursor(node)

    def _stage_label(self, number: int, stage: StageState) -> Text:
        view = stage.view
        now = self.clock()
        label = Text.assemble((f"{view.glyph} ", view.style), f"{number:2}. ",
                              _mark(stage.irreversible), stage.title)
        extra = [view.state.value]
        if view.blocked_by:
            extra.append(f"waits on {view.blocked_by.partition('. ')[0]}")
        elif view.state is State.BLOCKED and view.reason:  # queued here: "waiting for docs"
            extra.append(view.reason)
        if view.state is State.HELD and stage.facts.held_by:
            extra.append(stage.facts.held_by)
        waits = [a.waiting_until for a in stage.actions.values() if a.waiting_until is not None]
        if waits:
            extra.append(f"wait {max(0, int(max(waits) - now))}s")
        elapsed = format_elapsed(stage.elapsed(now))
        if elapsed and view.state is not State.NOT_APPLICABLE:
            extra.append(elapsed)
        if view.by and view.state is not State.HELD:
            extra.append(view.by)
        dim = view.style in ("dim", "yellow")
        label.append(f"  {' · '.join(extra)}", style="dim" if dim else f"{view.style} italic")
        return label

    def _action_label(self, action: ActionState) -> Text:
        view = action.view
        label = Text.assemble((f"{view.glyph} ", view.style), _mark(action.irreversible),
                              action.title,
                              style="dim" if view.state is State.NOT_APPLICABLE else "")
        if action.waiting_until is not None:
            left = max(0, int(action.waiting_until - self.clock()))
            label.append(f"  waiting {left}s", style="bold blue")
        return label

    def refresh_item(self, stage_id: str, action_id: str | None = None, *,
                     only: bool = False) -> None:
        """Relabel one stage (and one action of it, or all of them); ``only`` relabels just
        the action."""
        stage = self.state.stages[stage_id]
        if not only:
            node = self._item_nodes.get(Item(stage_id))
            if node is not None:
                node.set_label(self._stage_label(self._numbers[stage_id], stage))
        ids = [action_id] if action_id else list(stage.actions)
        for each in ids:
            leaf = self._item_nodes.get(Item(stage_id, each))
            if leaf is not None:
                leaf.set_label(self._action_label(stage.actions[each]))

    def refresh_all(self) -> None:
        for stage_id in self.state.stages:
            self.refresh_item(stage_id)
