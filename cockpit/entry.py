"""The ``cockpit`` console script: start-up imports run with the cyclic collector paused.

Starting the TUI imports ~700 modules whose objects all live until the process ends;
the collector's passes over them during the imports cost ~25 ms of a ~380 ms first paint
and free nothing. So collection is paused here, before the first import, and resumed by
``resume_collection``: at once for every command but the TUI, after the first paint for
the TUI. The objects made by then are frozen (never scanned again), which also keeps
later collections from walking every module the start-up loaded.
"""

from __future__ import annotations

import gc
import sys


def resume_collection() -> None:
    """Turn the collector back on if start-up paused it; harmless when it is running."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        # Answered before importing the command line (pydantic, asyncio: ~170 ms): scripts
        # and package managers ask this often. ``cockpit.cli`` answers it the same way.
        from cockpit import __version__

        print(f"cockpit {__version__}")
        return 0
    gc.disable()
    try:
        from cockpit.cli import main as cli_main

        return cli_main()
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
