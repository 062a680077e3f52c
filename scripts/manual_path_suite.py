"""The whole release cycle by hand: v0.30.0-rc1, v0.30.0 and v0.30.1, every stage each
release runs, with exactly the commands ``cockpit explain STAGE --release V`` prints.

One demo world over TLS; for each release and stage in order, ``tests.manual_path.
release_stage`` runs the stand-in maintainer's work, every applicable action's ``sh``
block with bash (the real ``gh``, git, curl, jq, npm; nothing but the sandbox reachable),
then requires ``cockpit status`` to find the stage done once the driver presses Done for
its ``manual`` steps. It stops at the first stage that fails (the later ones build on it)
and prints the command that failed.

    .venv/bin/python scripts/manual_path_suite.py
    .venv/bin/python scripts/manual_path_suite.py --releases v0.30.0-rc1 v0.30.0

CI proves a subset (tests/e2e/test_manual_path.py: the RC and the final's prepare-branch).
Exit code: 0 when every stage was released by hand, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.manual_path import by_hand_world, release_stage, stages_of

CYCLE = ("v0.30.0-rc1", "v0.30.0", "v0.30.1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", nargs="+", default=list(CYCLE),
                        help="the releases to make by hand, in order (default: %(default)s)")
    args = parser.parse_args()
    started = time.perf_counter()
    proved = 0
    with tempfile.TemporaryDirectory(prefix="cockpit-manual-") as tmp, \
            by_hand_world(Path(tmp)) as world:
        for version in args.releases:
            for stage in stages_of(version):
                began = time.perf_counter()
                problem = release_stage(world, stage, version)
                took = time.perf_counter() - began
                if problem is not None:
                    print(f"FAILED {version} {stage} ({took:.1f} s):\n{problem}", flush=True)
                    print(f"\n{proved} stages released by hand before it; "
                          f"{time.perf_counter() - started:.0f} s")
                    return 1
                proved += 1
                print(f"ok {version} {stage} ({took:.1f} s)", flush=True)
    print(f"\n{proved} stages of {', '.join(args.releases)} released by hand with the "
          f"printed commands; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
