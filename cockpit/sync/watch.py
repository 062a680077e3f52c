"""``cockpit status --watch``: follow a release from any machine, in the terminal.

Prints each change the shadow watcher sees (who drives which stage, transitions,
action results, log excerpts), one line each with the local time it was seen, or one
JSON object per line with ``--json``. When a stage finishes, its actions' read-only
checks run again in the background and their tally is printed: the journal says what
the driver did, the checks say what the world now holds. ^C stops; the last line
counts the polls and how many came back 304.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TextIO

from cockpit.engine import MAX_CONCURRENT_CHECKS, Engine
from cockpit.model import Status
from cockpit.services.http import RequestRecord
from cockpit.sync.records import TERMINAL
from cockpit.sync.shadow import Change, ShadowWatcher
from cockpit.sync.thread import Thread, locate, sync_client

EXIT_OK, EXIT_BAD_INPUT = 0, 2


class _Tally:
    """Counts the watcher's own requests by status (the 304 ratio)."""

    def __init__(self) -> None:
        self.requests = 0
        self.not_modified = 0
        self.mutating = 0

    def __call__(self, record: RequestRecord) -> None:
        self.requests += 1
        self.not_modified += 1 if record.from_cache else 0
        self.mutating += 0 if record.method in ("GET", "HEAD") else 1


def _line(change: Change, as_json: bool) -> str:
    if as_json:
        return json.dumps({"kind": change.kind, "stage": change.stage, "status": change.status,
                           "action": change.action, "text": change.text,
                           "seen": change.seen.timestamp(),
                           "at": change.at.timestamp() if change.at else None})
    return f"{change.seen:%H:%M:%S} {change.kind:<10} {change.text}"


async def _recheck(engine: Engine, stage_id: str, out: TextIO, as_json: bool) -> None:
    stage = engine.stage(stage_id)
    limit = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)

    async def one(index: int) -> Status:
        async with limit:
            return (await engine.check_action(stage, stage.actions[index])).status

    statuses = await asyncio.gather(*(one(i) for i in range(len(stage.actions))))
    done = sum(1 for s in statuses if s is Status.DONE)
    if as_json:
        print(json.dumps({"kind": "checks", "stage": stage_id, "done": done,
                          "total": len(statuses)}), file=out, flush=True)
    else:
        print(f"{'':8} checks     {stage_id}: {done}/{len(statuses)} actions done "
              "(checked read-only)", file=out, flush=True)


async def watch(engine: Engine, *, interval: float | None = None, as_json: bool = False,
                out: TextIO = sys.stdout) -> int:
    """Watch until cancelled (^C); exit 2 when the playbook has no tracking issue."""
    settings = engine.session.settings
    target = locate(engine)
    if target is None:
        print(f"cockpit: playbook {engine.playbook.name} has no tracking issue to watch",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    tally = _Tally()
    gh = sync_client(engine)
    gh.on_request = tally
    every = interval if interval is not None else settings.shadow_poll_seconds
    watcher = ShadowWatcher(Thread(gh, target), engine.release_key, every,
                            settings.lock_skew_seconds)
    print(f"cockpit: watching \"{target.title}\" in {target.repo} every {every:g}s "
          "(read-only); ^C stops", file=sys.stderr, flush=True)
    checks: set[asyncio.Task[None]] = set()
    try:
        async for batch in watcher.changes():
            for change in batch:
                print(_line(change, as_json), file=out, flush=True)
                if change.kind == "transition" and change.status in TERMINAL:
                    task = asyncio.create_task(_recheck(engine, change.stage, out, as_json))
                    checks.add(task)
                    task.add_done_callback(checks.discard)
    finally:
        for task in checks:
            task.cancel()
        await gh.aclose()
        await engine.session.aclose()
        print(f"cockpit: {tally.requests} requests while watching, {tally.not_modified} "
              f"answered 304, {tally.mutating} mutating", file=sys.stderr, flush=True)
    return EXIT_OK
