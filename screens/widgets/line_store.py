"""Every line of one stage's log, kept compactly so a million lines stay searchable.

A Python ``str`` per line costs ~50 bytes of header and a list slot on top of its text;
for a stage that streams a million lines that is most of the memory the cockpit uses.
So lines are sealed into chunks of ``CHUNK_LINES`` joined by newlines (one object per
chunk), and only the newest, open chunk is a list. Reading is by index or in order;
the last chunk split is cached, which makes sequential scans (search) cheap.

Each line carries a small integer tag (the log pane's number for the action that
logged it), two bytes a line, so the pane can show one action's lines out of many.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

CHUNK_LINES = 1_000


class LineStore:
    """An append-only sequence of lines (no newlines inside a line)."""

    def __init__(self) -> None:
        self._sealed: list[str] = []
        self._open: list[str] = []
        self._cache: tuple[int, list[str]] = (-1, [])
        self.tags = array("H")
        """Per line: the tag it was appended with (0: none)."""
        self.width = 0
        """The longest line's length in characters (how far the view scrolls sideways)."""

    def append(self, line: str, tag: int = 0) -> int:
        """Store a line; its index."""
        line = line.replace("\n", " ")
        self._open.append(line)
        self.tags.append(tag)
        self.width = max(self.width, len(line))
        if len(self._open) == CHUNK_LINES:
            self._sealed.append("\n".join(self._open))
            self._open = []
        return len(self.tags) - 1

    def replace(self, index: int, line: str) -> None:
        """Rewrite one stored line in place (an updating line: a poll's summary)."""
        line = line.replace("\n", " ")
        self.width = max(self.width, len(line))
        number, offset = divmod(index, CHUNK_LINES)
        if number == len(self._sealed):
            self._open[offset] = line
            return
        lines = list(self._chunk(number))
        lines[offset] = line
        self._sealed[number] = "\n".join(lines)
        self._cache = (number, lines)

    def indices(self, tag: int, start: int = 0) -> list[int]:
        """Indices (from ``start`` on) of the lines appended with ``tag``, in order."""
        tags = self.tags
        return [index for index in range(start, len(tags)) if tags[index] == tag]

    def __len__(self) -> int:
        return len(self._sealed) * CHUNK_LINES + len(self._open)

    def _chunk(self, number: int) -> list[str]:
        if number == len(self._sealed):
            return self._open
        cached_number, lines = self._cache
        if cached_number != number:
            lines = self._sealed[number].split("\n")
            self._cache = (number, lines)
        return lines

    def __getitem__(self, index: int) -> str:
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(index)
        return self._chunk(index // CHUNK_LINES)[index % CHUNK_LINES]

    def __iter__(self) -> Iterator[str]:
        for number in range(len(self._sealed)):
            yield from self._sealed[number].split("\n")
        yield from self._open

    def tail(self, count: int) -> list[str]:
        """The last ``count`` lines, oldest first."""
        start = max(0, len(self) - count)
        return [self[index] for index in range(start, len(self))]
