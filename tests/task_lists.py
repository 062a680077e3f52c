"""Read a GitHub task list back as a Markdown parser sees it (markdown-it with the task-list
plugin): what ``cockpit export --markdown`` wrote, item by item.

Why here: the export's own tests and the ``cockpit init`` round trip both read exported
checklists back, and must read them the same way (never with the exporter's own code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

_ITEM = re.compile(r"^(?P<warn>⚠️ )?(?P<marks>(?:\*\*[^*]+\*\* )*)(?P<title>.+?)"
                   r"(?: · \[link\]\((?P<link>[^)]+)\))? — `(?P<id>[a-z0-9-]+/[a-z0-9-]+)`$")


@dataclass(frozen=True)
class TaskItem:
    """One top-level task-list item of an exported checklist."""

    id: str
    """``stage/action``, as the item ends."""
    title: str
    marks: tuple[str, ...]
    """RC/FINAL/PATCH (or ``not …``) marks, in order."""
    warning: bool
    """⚠️: a point of no return."""
    checked: bool
    heading: str
    """The ``##`` heading it sits under."""

    @property
    def key(self) -> tuple[str, str, tuple[str, ...], bool]:
        """What a playbook decides about the item: id, title, marks, point of no return."""
        return (self.id, self.title, self.marks, self.warning)


def task_items(markdown: str) -> list[TaskItem]:
    """Every top-level task-list item, with the ``##`` heading it sits under."""
    tokens = MarkdownIt("gfm-like").use(tasklists_plugin).parse(markdown)
    items, heading = [], ""
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            heading = tokens[i + 1].content
        if token.type == "list_item_open" and "task-list-item" in str(token.attrs.get("class")):
            assert token.level == 1, "a task item is top-level, never nested in another"
            items.append(_item(tokens[i + 2], heading))
    return items


def _item(inline: Token, heading: str) -> TaskItem:
    box = (inline.children or [])[0]
    assert box.type == "html_inline" and 'type="checkbox"' in box.content
    found = _ITEM.match(inline.content.strip())
    assert found, inline.content
    marks = tuple(re.findall(r"\*\*([^*]+)\*\*", found["marks"]))
    return TaskItem(found["id"], found["title"], marks, bool(found["warn"]),
                    "checked" in box.content, heading)
