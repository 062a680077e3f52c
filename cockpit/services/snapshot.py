"""One read per question while the release's state is read: a snapshot of GET answers.

Why: ``cockpit status`` (and the TUI's check-all) runs every action's check at once, and
many checks ask GitHub the same thing — nine of them ask whether the RC tag exists, four
whether its release does. Each of those is a request and, when the answer is a 404
(which carries no ETag, so the ETag cache cannot make it free), a rate-limit point.
Inside ``reading_snapshot()``, the first GET of a URL (per credential) goes out and every
other check asking the same thing, at the same time or later, gets that answer: the
checks run against one consistent snapshot of the world, as a person reading it once
would. Outside it (a stage applying and re-checking what it just changed), nothing is
shared: a re-check must see the world after the write.

The snapshot is a context variable, so it covers exactly the tasks started inside the
``with`` block: a stage running beside a check-all in the TUI never sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx

Answers = dict[tuple[str, str], "asyncio.Future[httpx.Response]"]

READ_SNAPSHOT: ContextVar[Answers | None] = ContextVar("cockpit_read_snapshot", default=None)


@contextmanager
def reading_snapshot() -> Iterator[None]:
    """Share GET answers among the checks started inside the block (see the module); a
    block inside another shares the outer one's answers."""
    if READ_SNAPSHOT.get() is not None:
        yield
        return
    token = READ_SNAPSHOT.set({})
    try:
        yield
    finally:
        READ_SNAPSHOT.reset(token)
