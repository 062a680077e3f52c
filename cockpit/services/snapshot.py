"""One read per question while the release's state is read: a snapshot of the world.

Why: ``cockpit status`` (and the TUI's check-all) runs every action's check at once, and
many checks ask GitHub the same thing — nine of them ask whether the RC tag exists, four
whether its release does. Each of those is a request and, when the answer is a 404
(which carries no ETag, so the ETag cache cannot make it free), a rate-limit point.
Inside ``reading_snapshot()``:

- the first GET of a URL (per credential) goes out and every other check asking the same
  thing, at the same time or later, gets that answer (``SnapshotReads``);
- each clone is fetched once, however many git checks read it (``GitRepo.refresh``);
- the reads the checks declared are fetched ahead in one batch (``cockpit.services.
  read_batch``) and a check asking one of them is answered from it.

The checks run against one consistent snapshot of the world, as a person reading it once
would. Outside it (a stage applying and re-checking what it just changed), nothing is
shared: a re-check must see the world after the write.

The snapshot is a context variable, so it covers exactly the tasks started inside the
``with`` block: a stage running beside a check-all in the TUI never sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import httpx

    from cockpit.services.read_batch import Batch

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

Answers = dict[tuple[str, str], "asyncio.Future[httpx.Response]"]


@dataclass
class Snapshot:
    """What the checks inside one ``reading_snapshot()`` share."""

    answers: Answers = field(default_factory=dict)
    """(URL, credential hash) → the first GET's answer."""
    fetches: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    """Clone directory → its one fetch."""
    batches: dict[str, list[Batch]] = field(default_factory=dict)
    """Credential hash → the read-ahead batches started for it."""


READ_SNAPSHOT: ContextVar[Snapshot | None] = ContextVar("cockpit_read_snapshot", default=None)


@contextmanager
def reading_snapshot() -> Iterator[Snapshot]:
    """Share reads among the checks started inside the block (see the module); a block
    inside another shares the outer one's."""
    outer = READ_SNAPSHOT.get()
    if outer is not None:
        yield outer
        return
    snapshot = Snapshot()
    token = READ_SNAPSHOT.set(snapshot)
    try:
        yield snapshot
    finally:
        READ_SNAPSHOT.reset(token)


async def once(table: dict[K, asyncio.Future[T]], key: K, work: Callable[[], Awaitable[T]]) -> T:
    """The first asker of ``key`` does ``work``; the others wait for and share its result.
    A failure is not shared: an asker that meets one does the work again, alone, as it
    would without a snapshot."""
    shared = table.get(key)
    if shared is not None:
        try:
            return await asyncio.shield(shared)
        except Exception:  # the first asker's failure
            return await work()
    mine: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    table[key] = mine
    try:
        result = await work()
    except BaseException as error:
        table.pop(key, None)
        mine.set_exception(error)
        mine.exception()  # retrieved: nobody else may be waiting
        raise
    mine.set_result(result)
    return result
