"""Container start: what running the cockpit in its image adds to a headless verb.

Measures, each N times (median and p90 side by side), with podman and the image that
``.ci/container.sh`` builds (``localhost/cockpit:ci`` unless ``--image``):

- ``podman run --rm IMAGE`` with ``true`` as the entrypoint: the container runtime alone
- ``podman run --rm IMAGE --version``: ``cockpit --version`` in the container

Build the image first (``bash .ci/container.sh``); without podman or the image, the rows
say so and the benchmark still exits 0.

    python bench/container_start.py [-n 10] [--image localhost/cockpit:ci] [--markdown]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, Timing, TimingRuns, machine_markdown, time_command, timing_table

RUNS = TimingRuns(runs=10, warmup=1, quick_runs=3)


def main(argv: list[str] | None = None) -> int:
    parser = RUNS.parser(__doc__)
    parser.add_argument("--image", default="localhost/cockpit:ci")
    args = RUNS.parse(parser, argv)

    # The same podman settings as CI (lowered ulimits, runc).
    env = dict(os.environ, CONTAINERS_CONF=str(REPO / ".ci" / "containers.conf"))
    podman = shutil.which("podman")
    labels = ("runtime only: `podman run --entrypoint true`", "`cockpit --version` in the image")
    timings: list[Timing]
    if podman is None:
        timings = [Timing(label, "", error="podman is not installed") for label in labels]
    elif (
        subprocess.run([podman, "image", "exists", args.image], env=env, check=False).returncode
        != 0
    ):
        error = f"no image {args.image}: run .ci/container.sh"
        timings = [Timing(label, "", error=error) for label in labels]
    else:
        run = [podman, "run", "--rm", "--network", "none"]
        timings = [
            time_command(
                labels[0], [*run, "--entrypoint", "true", args.image], args.runs, args.warmup, env
            ),
            time_command(labels[1], [*run, args.image, "--version"], args.runs, args.warmup, env),
        ]

    out = ["### container_start\n"] if args.markdown else [machine_markdown() + "\n"]
    out.append(f"Image: `{args.image}`\n")
    out.append(timing_table(timings))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
