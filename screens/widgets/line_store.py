"""Every line of one stage's log, kept compactly so a million lines stay searchable.

A Python ``str`` per line costs ~50 bytes of header and a list slot on top of its text;
for a stage that streams a million lines that is most of the memory the cockpit uses.
So lines are sealed into chunks of ``CHUNK_LINES`` joined by newlines (one object per
chunk), and only the newest, open chunk is a list. Reading is by index or in order;
the last chunk split is cached, which makes sequential scans (search) cheap.
"""

from __future__ import annotations

from collections.abc import Iterator

CHUNK_LINES = 1_000


class LineStore:
    """An append-only sequence of lines (no newlines inside a line)."""

    def __init__(self) -> None:
        self._sealed: list[str] = []
        self._open: list[str] = []
        self._cache: tuple[int, list[str]] = (-1, [])

    def append(self, line: str) -> None:
        self._open.append(line.replace("\n", " "))
        if len(self._open) == CHUNK_LINES:
            self._sealed.append("\n".join(self._open))
            self._open = []

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
