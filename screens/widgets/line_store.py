"""Every line of one stage's log, kept compactly so a million lines stay searchable.

A Python ``str`` per line costs ~50 bytes of header and a list slot on top of its text;
for a stage that streams a million lines that is most of the memory the cockpit uses.
So lines are sealed into chunks of ``CHUNK_LINES`` joined by newlines (one object per
chunk), and only the newest, open chunk is a list. Reading is by index or in order;
the last chunk split is cached, which makes sequential reads cheap. Search runs over
whole chunks (``str.find`` on a chunk's text), so a miss over a million lines costs a
scan of the text at C speed, not a million Python steps.

The store is the only copy of a stage's lines: the log pane's view renders from it row
by row and keeps nothing per line but, when one action is shown, that action's indices.
It is not bounded (a million lines of ~60 characters hold ~70 MiB).

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

    def chunks(self, start: int = 0) -> Iterator[list[str]]:
        """The lines from index ``start`` on, in order, up to a chunk at a time (lists to
        read, not to change)."""
        for number in range(max(0, start) // CHUNK_LINES, len(self._sealed) + 1):
            lines = self._chunk(number)
            skip = start - number * CHUNK_LINES
            yield lines[skip:] if skip > 0 else lines

    def search(self, needle: str, start: int, stop: int | None = None,
               backward: bool = False) -> Iterator[int]:
        """Indices of the lines holding ``needle`` (ignoring case), nearest ``start`` first:
        from ``start`` up to ``stop`` (excluded; default: the end), or back from ``start``
        down to ``stop`` (excluded; default: the first line)."""
        needle = needle.lower()
        if not needle or "\n" in needle:
            return
        if backward:
            low, high = max(-1 if stop is None else stop, -1) + 1, min(start, len(self) - 1) + 1
        else:
            low, high = max(0, start), min(len(self), len(self) if stop is None else stop)
        if low >= high:
            return
        numbers = range(low // CHUNK_LINES, (high - 1) // CHUNK_LINES + 1)
        found = _found_back if backward else _found_on
        for number in reversed(numbers) if backward else numbers:
            base = number * CHUNK_LINES
            first, end = max(0, low - base), min(CHUNK_LINES, high - base)
            text = self._text(number, first, end)
            yield from (base + first + line for line in found(text, needle))

    def _text(self, number: int, first: int, end: int) -> str:
        """Lines ``first``..``end`` of chunk ``number``, joined, in lower case."""
        if number < len(self._sealed) and (first, end) == (0, CHUNK_LINES):
            return self._sealed[number].lower()
        return "\n".join(self._chunk(number)[first:end]).lower()


def _found_on(text: str, needle: str) -> Iterator[int]:
    """The lines of ``text`` (newline-joined) holding ``needle``, first to last."""
    line, counted = 0, 0
    at = text.find(needle)
    while at >= 0:
        line += text.count("\n", counted, at)
        yield line
        counted = text.find("\n", at) + 1
        if not counted:
            return
        line += 1
        at = text.find(needle, counted)


def _found_back(text: str, needle: str) -> Iterator[int]:
    """The lines of ``text`` (newline-joined) holding ``needle``, last to first."""
    at = text.rfind(needle)
    if at < 0:
        return
    line = text.count("\n", 0, at)
    while True:
        yield line
        begins = text.rfind("\n", 0, at)  # the end of the line before
        at = text.rfind(needle, 0, begins) if begins >= 0 else -1
        if at < 0:
            return
        line -= 1 + text.count("\n", at, begins)
