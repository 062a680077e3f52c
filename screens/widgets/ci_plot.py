"""The selected workflow over the window: duration p50 and p90, and queue p90, per day.

Why text bars and not Textual's ``Sparkline`` (or textual-plotext): a day without runs must
look like no data, not like a fast day, and ``Sparkline`` takes numbers only (a gap would be a
zero); plotext would be a dependency for three rows of bars. Each series is one row of bars
(several characters per day when there is room), durations p50 and p90 on one scale so p90
stands above p50, queue time on its own; each row ends with the last day's value and the
window's highest, and a date axis closes the plot.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from screens.widgets import ci_format as fmt
from screens.widgets.ci_data import DayPoint, WorkflowRow

LABEL = 10
"""``dur p50  `` and friends, then the bars."""
TAIL = 22
"""`` last 14m30s max 1h02m`` after the bars."""


class WorkflowPlot(Static):
    """Three rows of per-day bars for one workflow (or a line saying what to select)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.border_title = "selected workflow"

    def show_nothing(self, why: str) -> None:
        self.border_title = "selected workflow"
        self.update(Text(why, style="dim"))

    def show(self, row: WorkflowRow, days: Sequence[DayPoint], window: str, *,
             queue_loaded: bool, width: int) -> None:
        self.border_title = fmt.fit(f"{row.repository} · {row.workflow} · per day over "
                                    f"{window} (UTC)", max(width - 6, 10))
        self.update(render_plot(days, queue_loaded=queue_loaded, width=width))


def render_plot(days: Sequence[DayPoint], *, queue_loaded: bool, width: int) -> Text:
    """The plot's text for ``width`` columns (borders and padding excluded)."""
    room = max(width - LABEL - TAIL, len(days) or 1)
    repeat = max(1, min(4, room // max(len(days), 1)))
    shown = list(days[-(room // repeat):]) if days else []
    durations = [p.duration_p90 for p in shown if p.runs and p.duration_p90 is not None]
    top = float(max(durations)) if durations else 0.0
    p50 = [p.duration_p50 if p.runs else None for p in shown]
    p90 = [p.duration_p90 if p.runs else None for p in shown]
    queue = [p.queue_p90 for p in shown]
    outcome = [fmt.outcome_style(p.successes, p.judged) for p in shown]
    lines = [
        _series("dur p50", p50, outcome, top, repeat),
        _series("dur p90", p90, ["cyan"] * len(shown), top, repeat),
        (_series("queue90", queue, ["magenta"] * len(shown), None, repeat) if queue_loaded
         else Text(f"{'queue90':<{LABEL}}reading…", style="dim")),
        _axis(shown, repeat),
    ]
    return Text("\n").join(lines)


def _series(label: str, values: Sequence[int | None], styles: Sequence[str], top: float | None,
            repeat: int) -> Text:
    known = [value for value in values if value is not None]
    line = Text(f"{label:<{LABEL}}", no_wrap=True)
    line.append_text(fmt.spark([None if v is None else float(v) for v in values], styles,
                               top=top, repeat=repeat))
    last = next((value for value in reversed(values) if value is not None), None)
    line.append(f" last {fmt.duration(last)}", style="bold")
    line.append(f" max {fmt.duration(max(known) if known else None)}", style="dim")
    return line


def _axis(days: Sequence[DayPoint], repeat: int) -> Text:
    if not days:
        return Text("")
    span = len(days) * repeat
    first, last = fmt.day_label(days[0].day), fmt.day_label(days[-1].day)
    gap = span - len(first) - len(last)
    axis = f"{first}{' ' * gap}{last}" if gap >= 1 else first
    return Text(" " * LABEL + axis, style="dim", no_wrap=True)
