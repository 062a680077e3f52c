"""The CI screen's tables: one per repository, moved through as if they were one list.

Why a DataTable subclass: with a table per repository, ↓ on a table's last row must go on
to the next repository's first row (and ↑ back), as in one long list; the table posts
``CiTable.Edge`` and the screen moves the focus. The columns are fitted to the width
(``workflow_columns``): at 80 columns the workflow name and the per-day bars give way
first, the numbers never.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from screens.widgets import ci_format as fmt
from screens.widgets.ci_data import WorkflowRow


class CiTable(DataTable[Text | str]):
    """A row-cursor table that hands the cursor on past its first and last rows."""

    class Edge(Message):
        """The cursor tried to leave the table (``-1``: above the first row, ``1``: below
        the last)."""

        def __init__(self, table: CiTable, direction: int) -> None:
            super().__init__()
            self.table = table
            self.direction = direction

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False,
                         cursor_foreground_priority="renderable")

    def action_cursor_down(self) -> None:
        if self.row_count == 0 or self.cursor_row >= self.row_count - 1:
            self.post_message(self.Edge(self, 1))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.row_count == 0 or self.cursor_row <= 0:
            self.post_message(self.Edge(self, -1))
            return
        super().action_cursor_up()

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # a table cleared under the cursor
            return None
        return row_key.value

    def move_to_key(self, key: str | None) -> None:
        """Put the cursor on ``key``'s row if it is there (else leave it)."""
        if key is None:
            return
        try:
            index = self.get_row_index(key)
        except Exception:
            return
        self.move_cursor(row=index, animate=False)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


FIXED: tuple[Column, ...] = (
    Column("runs", "runs", 5),
    Column("ok", "ok", 4),
    Column("p50", "p50", 6),
    Column("p90", "p90", 6),
    Column("queue", "queue90", 7),
    Column("kinds", "jobs h/s", 9),
)
"""The number columns: run count, success rate, run duration p50/p90, job queue p90,
jobs on GitHub-hosted / self-hosted runners."""
PADDING = 2
"""A DataTable cell's padding (one column each side)."""
NAME_MIN = 10


def workflow_columns(width: int, days: int, longest_name: int) -> list[Column]:
    """The workflow table's columns for ``width`` terminal columns and ``days`` days."""
    fixed = list(FIXED if width >= 66 else [c for c in FIXED if c.key != "kinds"])
    room = width - 2 - sum(c.width + PADDING for c in fixed) - 2 * PADDING
    spark = max(min(days, room - NAME_MIN), 3)
    name = max(min(longest_name, room - spark), NAME_MIN)
    label = "per day" if spark >= days else f"last {spark}d"
    return [Column("workflow", "workflow", name), *fixed, Column("spark", fmt.fit(label, spark),
                                                                  spark)]


def _right(text: str) -> Text:
    return Text(text, justify="right", no_wrap=True)


def workflow_cells(row: WorkflowRow, columns: Sequence[Column]) -> list[Text | str]:
    """One row's cells, in ``columns``' order."""
    runs = row.runs
    cells: dict[str, Text | str] = {
        "runs": _right(fmt.count(runs.runs if runs else None)),
        "ok": _right(fmt.rate(runs.success_rate if runs else None)),
        "p50": _right(fmt.duration(runs.duration_p50 if runs else None)),
        "p90": _right(fmt.duration(runs.duration_p90 if runs else None)),
        "queue": _right(fmt.duration(row.queue_p90)),
        "kinds": _right(_kinds(row)),
    }
    out: list[Text | str] = []
    for column in columns:
        if column.key == "workflow":
            out.append(Text(fmt.fit(row.workflow, column.width), no_wrap=True))
        elif column.key == "spark":
            out.append(day_bars(row, column.width))
        else:
            out.append(cells[column.key])
    return out


def _kinds(row: WorkflowRow) -> str:
    if row.jobs == 0:
        return fmt.NONE
    text = f"{row.hosted}/{row.self_hosted}"
    return text + ("+?" if row.unknown_kind else "")


def day_bars(row: WorkflowRow, width: int) -> Text:
    """The last ``width`` days: bar height = that day's run duration p50, colour = how its
    runs ended (green: all passed, yellow: some failed, red: most failed); ``·``: no run."""
    days = row.days[-width:] if width > 0 else ()
    values = [point.duration_p50 if point.runs else None for point in days]
    styles = [fmt.outcome_style(point.successes, point.judged) for point in days]
    return fmt.spark(values, styles)
