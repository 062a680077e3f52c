"""Pull request reviews in the sandbox, and a simulated reviewer who approves.

A release pull request waits for a maintainer's approval. In the sandbox there is no
maintainer, so, like the workflow simulator does for CI runs, a simulated reviewer
approves: in each repository listed in ``AUTO_REVIEWERS`` (``ipfs/kubo``: ``alice``, for
pull requests into ``release``, the release pull request), an open pull request into
that branch that is ready for review (not a draft) and was not opened by the reviewer
gets one ``APPROVED`` review once it has been ready for the review delay (the sandbox's
``workflow_seconds`` when set, else ten minutes times ``time_scale``). Like a run's
phase, the approval is a function of the wall clock, applied by ``tick()`` on every
GitHub request; other pull requests are left alone, so runs that never wait for a
review do not see the world change with the clock. Tests turn the reviewer off (or
change it) per repository with ``set_auto_reviewer``.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

AUTO_REVIEWERS: dict[str, Json] = {"ipfs/kubo": {"login": "alice", "base": "release"}}
"""Repository → whose approval the sandbox simulates, on pull requests into which branch."""
NOMINAL_REVIEW_SECONDS = 600.0
APPROVAL_BODY = "LGTM (approved by the sandbox's simulated reviewer)"


def reviews(pull: Json) -> list[Json]:
    """The pull's reviews, oldest first (pulls made before reviews existed have none)."""
    found: list[Json] = pull.get("reviews", [])
    return found


def add_review(sb: Sandbox, issue: Json, user: str, state: str, body: str) -> Json:
    """Record one submitted review on the pull's current head. Call under the world lock."""
    review: Json = {"id": sb.world.new_id(), "user": user, "state": state, "body": body,
                    "commit_id": issue["pull"]["head_sha"], "submitted_at": now_iso()}
    issue["pull"].setdefault("reviews", []).append(review)
    return review


def set_auto_reviewer(sb: Sandbox, repo: str, login: str | None, base: str = "release"
                      ) -> None:
    """Who approves ``repo``'s ready pull requests into ``base`` (None: nobody, they wait)."""
    with sb.world.lock:
        configured = sb.world.data.setdefault("auto_reviewers", dict(AUTO_REVIEWERS))
        configured[repo] = {"login": login, "base": base}
    sb.world.save()


def review_delay(sb: Sandbox) -> float:
    opts = sb.options
    if opts.workflow_seconds is not None:
        return opts.workflow_seconds
    return NOMINAL_REVIEW_SECONDS * opts.time_scale


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def tick(sb: Sandbox) -> None:
    """Let the simulated reviewers approve whatever has been ready long enough."""
    configured: dict[str, Json] = sb.world.data.get("auto_reviewers", AUTO_REVIEWERS)
    delay = review_delay(sb)
    now = time.time()
    changed = False
    with sb.world.lock:
        for full, rule in configured.items():
            reviewer, repo = rule["login"], sb.world.repo(full)
            if reviewer is None or repo is None:
                continue
            for issue in repo["issues"]:
                pull = issue["pull"]
                if not pull or issue["state"] != "open" or pull["draft"] \
                        or pull["base"] != rule["base"] or issue["user"] == reviewer:
                    continue
                if any(r["user"] == reviewer for r in reviews(pull)):
                    continue
                ready = pull.get("ready_since") or _epoch(issue["created_at"])
                if now - ready >= delay:
                    sb.world.user(reviewer)
                    add_review(sb, issue, reviewer, "APPROVED", APPROVAL_BODY)
                    changed = True
    if changed:
        sb.world.save()
