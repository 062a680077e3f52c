"""Start-up runs with the cyclic collector paused; this module pauses and resumes it.

Starting the TUI imports ~700 modules whose objects all live until the process ends;
the collector's passes over them during the imports cost ~25 ms of a ~380 ms first paint
and free nothing. So the console script (``screens.main``) pauses collection before its
first import, and ``resume_collection`` turns it back on: at once for every command but a
TUI (``cockpit.cli``), after the first paint for a TUI (``screens.app``, ``screens.ci``).
The objects made by then are frozen (never scanned again), which also keeps later
collections from walking every module the start-up loaded.

It lives in the core, with no imports, so that both sides can reach it for free.
"""

from __future__ import annotations

import gc


def pause_collection() -> None:
    """Stop the cyclic collector for the start-up imports."""
    gc.disable()


def resume_collection() -> None:
    """Turn the collector back on if start-up paused it; harmless when it is running."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
