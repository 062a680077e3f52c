"""The full crash-resume suite: SIGKILL a whole RC release at N seeded points, resume each.

For every kill point a fresh sandbox world runs the release as 15 ``cockpit run``
processes; one process is SIGKILLed (with its git children) at the point — inside a
mutating request before or after the server acted, inside any request, or at a
time — and resumed by a fresh process until the release is done. The final world
must equal the uninterrupted baseline's, with no artifact created twice.

    .venv/bin/python scripts/crash_suite.py --points 50 --seed 1
    .venv/bin/python scripts/crash_suite.py --only after:#7:fresh     # one point again

CI runs a seeded subset of the same plan (tests/reliability/test_crash_resume.py).
Exit code: 0 when every point survived, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.crash import KillPoint, plan, run_baseline, run_point


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", default=[],
                        help="run only this kill point label (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cockpit-crash-") as tmp:
        base = run_baseline(Path(tmp) / "baseline")
        shape = base.shape
        print(f"baseline: {shape.mutating} mutating requests, {shape.requests} requests, "
              f"{shape.wall:.1f}s", flush=True)
        points = ([KillPoint.parse(label) for label in args.only] if args.only
                  else plan(args.points, args.seed, shape))
        results = []
        for i, point in enumerate(points, 1):
            result = run_point(point, Path(tmp) / f"point-{i}", base.world)
            results.append(result)
            print(f"[{i}/{len(points)}] {result.describe()}", flush=True)
    survived = [r for r in results if r.ok]
    kinds = Counter(r.point.kind for r in survived)
    resumes = Counter(r.point.resume for r in survived)
    print(f"\nseed {args.seed}: {len(survived)}/{len(results)} kill points survived "
          f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}; "
          f"resumed {', '.join(f'{k} {n}' for k, n in sorted(resumes.items()))}); "
          f"{sum(len(r.compared.duplicates) for r in results)} duplicates; "
          f"{time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps({
            "seed": args.seed,
            "baseline": {**vars(shape), "journal_writes": sorted(shape.journal_writes)},
            "points": [{"label": r.point.label, "ok": r.ok, "landed": r.landed,
                        "held": r.held and f"{r.held['method']} {r.held['path']}",
                        "steals": r.release.steals, **r.compared.as_json(),
                        "seconds": round(r.seconds, 1)} for r in results]}, indent=1))
    return 0 if len(survived) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
