"""The full fault suite: a whole RC release under every fault kind the sandbox offers.

Each spec (a fault kind at 10% and 30%, latency, a mix) runs a fresh release with the
faults on for every stage; a stage that stops is rerun as its message says (faults
still on, a few times, then once without). The release must finish, every stop must
be a clear resumable error (exit 1, "stage X stopped: ... rerun `cockpit run X`", no
traceback), and the final world must equal the fault-free baseline's: no duplicate.

    .venv/bin/python scripts/fault_suite.py [--seed 1] [--only 5xx:0.3 ...]

CI runs two specs (tests/reliability/test_faults.py). Exit 0 when every spec passed.
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

from tests.reliability.crash import run_baseline
from tests.reliability.faulted import FULL_MATRIX, run_faulted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", default=[], help="run only this spec")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    specs = args.only or FULL_MATRIX
    results = []
    with tempfile.TemporaryDirectory(prefix="cockpit-faults-") as tmp:
        base = run_baseline(Path(tmp) / "baseline")
        for i, spec in enumerate(specs, 1):
            result = run_faulted(spec, Path(tmp) / f"spec-{i}", base.world, seed=args.seed)
            results.append(result)
            print(f"[{i}/{len(specs)}] {result.describe()}", flush=True)
    injected: Counter[str] = Counter()
    for r in results:
        injected.update(r.injected)
    passed = [r for r in results if r.ok]
    print(f"\nseed {args.seed}: {len(passed)}/{len(results)} fault specs passed; "
          f"{sum(injected.values())} faults injected "
          f"({', '.join(f'{k} {n}' for k, n in sorted(injected.items()))}); "
          f"{sum(len(r.release.stops) for r in results)} stops, all resumed by rerunning; "
          f"{sum(len(r.compared.duplicates) for r in results)} duplicates; "
          f"{time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "specs": [
            {"spec": r.spec, "ok": r.ok, "injected": dict(r.injected),
             "stops": len(r.release.stops), "fault_free_reruns": r.fault_free_reruns,
             "stages_faulted": r.stages_faulted, "unclear": r.unclear,
             **r.compared.as_json(),
             "seconds": round(r.seconds, 1)} for r in results]}, indent=1))
    return 0 if len(passed) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
