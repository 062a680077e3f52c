"""How the CI screen writes numbers: short durations, rates, ages and per-day bars.

Why a module of its own: every cell of the CI screen is one of these, and the one rule that
matters — a missing number is never drawn as a zero — is easier to keep in one place. No data
is ``—`` in a cell and ``·`` in a bar: a day without runs is not a fast day, a workflow
without judged runs has no success rate, not 0 %.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text

NONE = "—"
"""A number that is not known (no data), as a cell shows it."""
GAP = "·"
"""A day without data in a bar."""
BARS = "▁▂▃▄▅▆▇█"


def duration(seconds: float | None) -> str:
    """``45s``, ``4m05s``, ``1h02m``, ``2d03h``: at most 6 characters; ``—`` when unknown."""
    if seconds is None:
        return NONE
    total = max(round(seconds), 0)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{minutes}m{rest:02d}s"
    if total < 86400:
        hours, rest = divmod(total, 3600)
        return f"{hours}h{rest // 60:02d}m"
    days, rest = divmod(total, 86400)
    return f"{days}d{rest // 3600:02d}h"


def rate(value: float | None) -> str:
    """``92%``; ``—`` when nothing was judged (never ``0%``)."""
    return NONE if value is None else f"{value * 100:.0f}%"


def ago(moment: float | None, now: float) -> str:
    """``3m05s ago``; ``never`` when there is no moment."""
    if moment is None:
        return "never"
    return f"{duration(now - moment)} ago"


def clock(moment: float) -> str:
    """``14:02:03`` in UTC (the store's times are UTC; the screen says so once)."""
    return time.strftime("%H:%M:%S", time.gmtime(moment))


def stamp(moment: float) -> str:
    """``11-30 14:02`` (UTC): a run's creation in a narrow column."""
    return time.strftime("%m-%d %H:%M", time.gmtime(moment))


def day_label(day: int) -> str:
    """An epoch day as ``11-30``."""
    return time.strftime("%m-%d", time.gmtime(day * 86400))


def count(value: int | None) -> str:
    return NONE if value is None else str(value)


def bar(value: float | None, top: float) -> str:
    """One bar of a sparkline: ``▁``…``█`` scaled to ``top``; the gap mark when unknown."""
    if value is None:
        return GAP
    if top <= 0:
        return BARS[0]
    index = round(value / top * (len(BARS) - 1))
    return BARS[max(0, min(index, len(BARS) - 1))]


def spark(values: Sequence[float | None], styles: Sequence[str] = (), *,
          top: float | None = None, repeat: int = 1) -> Text:
    """A text sparkline, one bar per value (``repeat`` characters wide), scaled to ``top``
    (default: the largest value); ``styles`` colour each bar (a gap is always dim)."""
    known = [value for value in values if value is not None]
    ceiling = top if top is not None else (max(known) if known else 0.0)
    out = Text(no_wrap=True, overflow="crop")
    for index, value in enumerate(values):
        style = "dim" if value is None else (styles[index] if index < len(styles) else "")
        out.append(bar(value, ceiling) * repeat, style=style)
    return out


def outcome_style(successes: int, judged: int) -> str:
    """A day's colour: all judged runs succeeded, some failed, most failed, none judged."""
    if judged == 0:
        return "dim"
    failed = judged - successes
    if failed == 0:
        return "green"
    return "red" if failed * 2 >= judged else "yellow"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis when it does not fit."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
