"""Branch protection rules as the world stores them, and the ones the seed starts with.

Kept apart from ``github.protection`` (the API resource and its enforcement) so that
building the seed does not import the web stack.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

PROTECTED_NAMES = ("master", "main", "release")
"""The branches the seeded world protects (what it showed as ``protected`` before the
rules were enforced)."""

FLAGS = ("required_linear_history", "allow_force_pushes", "allow_deletions",
         "block_creations", "required_conversation_resolution", "lock_branch",
         "allow_fork_syncing")


def seeded(full: str) -> dict[str, Json]:
    """The seeded repositories' rules: no force-push, no deletion, for everyone; Kubo's
    ``release`` takes changes only through an approved pull request whose Go tests
    passed (the sandbox's simulated reviewer approves those, see ``reviews``)."""
    base = normalise({"required_status_checks": None, "enforce_admins": True,
                      "required_pull_request_reviews": None, "restrictions": None})
    table = {name: dict(base) for name in PROTECTED_NAMES}
    if full == "ipfs/kubo":
        table["release"] = normalise({
            "required_status_checks": {"strict": False, "contexts": ["go-test"]},
            "enforce_admins": True, "restrictions": None,
            "required_pull_request_reviews": {"required_approving_review_count": 1}})
    return table


def normalise(body: Json) -> Json:
    """The stored form of a ``PUT`` body (validated against the schema beforehand)."""
    checks = body.get("required_status_checks")
    if checks is not None:
        named = [c["context"] for c in checks.get("checks") or []]
        contexts = list(dict.fromkeys([*(checks.get("contexts") or []), *named]))
        checks = {"strict": bool(checks.get("strict")), "contexts": contexts}
    pr = body.get("required_pull_request_reviews")
    if pr is not None:
        pr = {"dismiss_stale_reviews": bool(pr.get("dismiss_stale_reviews")),
              "require_code_owner_reviews": bool(pr.get("require_code_owner_reviews")),
              "required_approving_review_count":
                  int(pr.get("required_approving_review_count", 1)),
              "require_last_push_approval": bool(pr.get("require_last_push_approval"))}
    return {"required_status_checks": checks, "enforce_admins": bool(body.get("enforce_admins")),
            "required_pull_request_reviews": pr,
            **{flag: bool(body.get(flag)) for flag in FLAGS}}
