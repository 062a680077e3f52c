"""The ``cockpit`` console script: the UI side starts the command line and hands it the TUIs.

The core (``cockpit``) never imports ``screens``: the command line in ``cockpit.cli`` is
given the TUI launchers (``screens.launch``) here, as callables, and calls one only when a
verb needs a screen. ``screens.launch`` imports nothing at module level, so this costs no
textual import for ``cockpit status``, ``explain``, ``plan``...

Start-up imports run with the cyclic collector paused (see ``cockpit.startup``).
"""

from __future__ import annotations

import gc
import sys

from cockpit.startup import pause_collection


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        # Answered before importing the command line (pydantic, asyncio: ~170 ms): scripts
        # and package managers ask this often. ``cockpit.cli`` answers it the same way.
        from cockpit import __version__

        print(f"cockpit {__version__}")
        return 0
    pause_collection()
    try:
        from cockpit.cli import Launchers
        from cockpit.cli import main as cli_main
        from screens.launch import launch, launch_ci, launch_review

        return cli_main(launchers=Launchers(release=launch, ci=launch_ci, review=launch_review))
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
