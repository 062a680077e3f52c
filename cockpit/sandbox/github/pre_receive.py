"""What GitHub's "protected branch hook" refuses, as one rule set for git pushes and the API.

GitHub refuses a ref update on a protected branch (``GH006: Protected branch update
failed``) when it would rewrite history, delete the branch, bypass the required pull
request reviews, or land a commit whose required status checks are not green; and it never
deletes the default branch. The same decision serves two callers:

- ``git push`` over smart HTTP: this file is also the repositories' ``pre-receive`` hook
  (``git http-backend`` → ``receive-pack`` runs it with the pushed objects quarantined, so
  fast-forward is decided on the real objects). It is run as a plain script, with only the
  standard library, and reads the policy the sandbox computed from ``COCKPIT_PROTECTION``.
- the REST API (``refs``, ``protection``): the same ``refusal`` with the bare repository's
  own ancestry check.

The policy is ``{"default": branch, "branches": {name: {"force": bool, "delete": bool,
"reviews": int, "checks": [context...], "green": [sha...]}}}``: ``green`` lists the
commits whose required checks all succeeded (the sandbox knows its check runs; the hook
does not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

ZERO = "0" * 40
ENV = "COCKPIT_PROTECTION"

Policy = dict[str, Any]


def refusal(policy: Policy, ref: str, old: str | None, new: str | None,
            fast_forward: Callable[[str, str], bool]) -> list[str]:
    """GitHub's error lines for this update of ``ref`` (empty: allowed)."""
    if not ref.startswith("refs/heads/"):
        return []
    branch = ref.removeprefix("refs/heads/")
    if new is None and branch == policy.get("default"):
        return [f"refusing to delete the current branch: {ref}"]
    rules = policy.get("branches", {}).get(branch)
    if rules is None or old is None:
        return []
    head = f"GH006: Protected branch update failed for {ref}."
    if new is None:
        return [] if rules["delete"] else [head, "Cannot delete this protected branch"]
    if not rules["force"] and not fast_forward(old, new):
        return [head, "Cannot force-push to this branch"]
    reviews = int(rules.get("reviews") or 0)
    if reviews:
        return [head, f"At least {reviews} approving review{'s are' if reviews > 1 else ' is'}"
                      " required by reviewers with write access."]
    missing = [c for c in rules.get("checks", []) if new not in rules.get("green", [])]
    if missing:
        return [head, f'Required status check "{missing[0]}" is expected.']
    return []


def _git_fast_forward(old: str, new: str) -> bool:
    done = subprocess.run(["git", "merge-base", "--is-ancestor", old, new],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return done.returncode == 0


def main() -> int:
    """The hook: ``old new ref`` lines on stdin; any refusal declines the whole push."""
    policy: Policy = json.loads(os.environ.get(ENV) or "{}")
    lines: list[str] = []
    for line in sys.stdin:
        old, new, ref = line.split()
        lines += refusal(policy, ref, None if old == ZERO else old,
                         None if new == ZERO else new, _git_fast_forward)
    for text in lines:
        print(f"error: {text}", file=sys.stderr)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
