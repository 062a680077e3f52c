"""The full bad-input suite: the hypothesis tests of tests/reliability at the ``full`` profile.

Versions, playbook mutations, answers files, settings and malformed server responses,
1,000 examples per test instead of CI's 60; prints how many bad inputs were tried.

    .venv/bin/python scripts/bad_input_suite.py [--json FIGURES.json]

Exit code: pytest's (0 when every example passed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/reliability/test_bad_input.py", "tests/reliability/test_bad_responses.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the counts here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.json"
        env = {**os.environ, "COCKPIT_HYPOTHESIS": "full", "COCKPIT_FIGURES": str(figures)}
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                *TESTS], cwd=ROOT, env=env)
        tried = json.loads(figures.read_text()) if figures.exists() else {}
    print(f"bad inputs tried: {sum(tried.values())} "
          f"({', '.join(f'{k} {n}' for k, n in sorted(tried.items()))})")
    if args.json:
        args.json.write_text(json.dumps(tried, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
