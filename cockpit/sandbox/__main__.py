"""``python -m cockpit.sandbox`` — the same as ``cockpit sandbox``."""

import sys

from cockpit.sandbox.cli import run

sys.exit(run())
