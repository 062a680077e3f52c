"""Compare two sandbox worlds after a release: equal up to what legitimately differs.

Two correct runs of the same release differ only in clocks (timestamps, commit and
tag dates, hence commit SHAs), generated ids, and the sandbox's port. ``normalise``
strips exactly those; git history is compared as commit subjects per branch and
tag, so a commit made twice still shows. ``artifacts`` counts every thing a release
creates by a natural key, so a duplicate is named plainly rather than found in a diff.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cockpit.sandbox.testing import SandboxHandle

Json = dict[str, Any]

_ISO_TIME = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:\.\d+)?(?:Z| ?UTC|[+-]\d\d:?\d\d)?")
"""ISO 8601 and the journal's human form (``2026-11-25 12:54:42 UTC``)."""
_HEX = re.compile(r"\b[0-9a-fA-F]{7,64}\b")
"""SHAs (full and short), run ids, snowflakes, key fingerprints: all one token, so an
all-digit short SHA and a lettered one normalise alike."""
_COMMENT_LINK = re.compile(r"#issuecomment-\d+")
"""A link to a comment (an approval names its request so): comment ids differ per world."""
JOURNAL_MARK = "**cockpit** · "
"""How the journal's comments on the tracking issue begin (``cockpit.sync``)."""
CLAIM_MARK = "🔒 **cockpit** · "
"""How a stage claim (a lock) begins."""
_ID_KEYS = {"id", "next_id", "node_id", "topic_id", "event_id", "message_id", "run_id",
            "transaction_id", "workflow_id"}


def _scrub(text: str, base_url: str) -> str:
    text = text.replace(base_url, "<sandbox>").replace(urlsplit(base_url).netloc, "<sandbox>")
    text = _ISO_TIME.sub("<time>", text)
    text = _COMMENT_LINK.sub("#issuecomment-<id>", text)
    return _HEX.sub("<hex>", text)


def _walk(value: Any, base_url: str, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, base_url, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, base_url) for v in value]
    if key in _ID_KEYS or key.endswith("_ts"):
        return "<id>" if value is not None else None
    if isinstance(value, str):
        return _scrub(value, base_url)
    return value


def git_history(handle: SandboxHandle) -> Json:
    """Per repository: each branch's commit subjects, each tag's message and target."""
    out: Json = {}
    for full, repo in handle.sandbox.repos.items():
        branches = {name: [c.message.splitlines()[0] if c.message else "" for c in repo.log(sha)]
                    for name, sha in repo.branches().items()}
        tags: Json = {}
        for name, sha in repo.tags().items():
            info = repo.tag(sha)
            target = repo.commit(info.object_sha if info else sha)
            message = info.message.split("-----BEGIN", 1)[0].strip() if info else None
            tags[name] = {"message": message,
                          "target": target.message.splitlines()[0] if target else None}
        out[full] = {"branches": branches, "tags": tags}
    return out


def _fold_journal(state: Json, repo: Json) -> None:
    """Replace the journal's comments by what must match: each stage's last outcome.

    The journal on the tracking issue is a log: a rerun (after a kill or a fault) adds
    entries, and each entry records its run's requests and timings, so runs differ there
    by design. What must not differ is the outcome it ends with per stage. Stage claims
    (locks) are not release artifacts: those left behind are counted apart (a killed
    driver cannot withdraw its own), under ``_stale_claims``."""
    kept, last = [], state.setdefault("journal", {})
    for comment in repo["comments"]:
        body = comment["body"]
        if body.startswith(JOURNAL_MARK):
            head = body.split("\n", 1)[0]
            stage = re.search(r"stage \*\*([a-z0-9-]+)\*\*", head)
            last[stage.group(1) if stage else head] = head
        elif body.startswith(CLAIM_MARK):
            state["_stale_claims"] = state.get("_stale_claims", 0) + 1
        else:
            kept.append(comment)
    repo["comments"] = kept


_CHECKLIST = re.compile(r"<!-- cockpit:checklist (\S+) begin -->.*?"
                        r"<!-- cockpit:checklist \1 end -->", re.S)
_CHECKLIST_LINE = re.compile(r"^- \[[ x]\] \*\*([a-z0-9-]+)\*\* — ([a-z ]+)", re.M)


def _fold_checklist(state: Json, body: str) -> str:
    """Take the cockpit's checklist block out of an issue body, into ``_checklist``.

    The block mirrors the journal and is repaired by any later write (``cockpit.sync``
    .checklist), so after faults its last lines may lag with nothing left to repair
    them. The journal's outcomes are compared; lagging lines are reported apart."""
    def keep(match: re.Match[str]) -> str:
        lines = state.setdefault("_checklist", {})
        for stage, status in _CHECKLIST_LINE.findall(match.group(0)):
            lines[stage] = status.strip()
        return "<cockpit checklist>"

    return _CHECKLIST.sub(keep, body)


def checklist_lag(world: Json, baseline: Json) -> list[str]:
    """Stages whose checklist line differs from the baseline's (journal says otherwise)."""
    have, want = world.get("_checklist", {}), baseline.get("_checklist", {})
    return [f"{stage}: {have.get(stage)!r} (baseline {status!r})"
            for stage, status in want.items() if have.get(stage) != status]


def settle(handle: SandboxHandle, timeout: float = 15.0) -> None:
    """Let the workflow runs still in flight finish on the sandbox's clock (its ticker
    completes them whether or not anyone polls): two worlds are compared once settled, not
    at whichever moment a faster or slower pass happened to end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handle.sandbox.sim.tick()
        runs = [run for repo in handle.sandbox.world.data["repos"].values()
                for run in repo["runs"]]
        if all(run["status"] == "completed" for run in runs):
            return
        time.sleep(0.05)


def snapshot(handle: SandboxHandle) -> Json:
    """The normalised world: the sandbox state plus git history, clocks and ids stripped.

    The sandbox's webhook bookkeeping (its hooks, whose URL names the receiver's port, and
    which transitions each run has delivered) is not the release's world: left out. Each
    world registers its own throwaway signing key on GitHub, so keys count by account."""
    settle(handle)
    state = handle.state()
    state.pop("webhooks", None)
    state["gpg_keys"] = {login: len(keys) for login, keys in state.get("gpg_keys", {}).items()}
    for repo in state["repos"].values():
        repo.pop("branches", None)  # SHAs: compared as history below
        repo.pop("tags", None)
        for run in repo.get("runs", []):
            run.pop("hook_events", None)
        _fold_journal(state, repo)
    for repo in state["repos"].values():
        for issue in repo["issues"]:
            issue["body"] = _fold_checklist(state, issue.get("body") or "")
    state["git"] = git_history(handle)
    normalised: Json = _walk(state, handle.base_url)
    return normalised


def artifacts(world: Json) -> Counter[str]:
    """Everything a release creates, by a natural key (a duplicate counts 2)."""
    found: Counter[str] = Counter()
    for full, repo in world["repos"].items():
        for issue in repo["issues"]:
            kind = "pull" if issue.get("pull") else "issue"
            found[f"{full} {kind} {issue['title']!r}"] += 1
        for comment in repo["comments"]:
            found[f"{full} comment on #{comment['issue_number']}: "
                  f"{comment['body'][:60]!r}"] += 1
        for release in repo["releases"]:
            found[f"{full} release {release['tag_name']}"] += 1
        for run in repo["runs"]:
            found[f"{full} run {run['workflow_name']} ({run['event']}, "
                  f"{run['head_branch']})"] += 1
        for milestone in repo.get("milestones", []):
            found[f"{full} milestone {milestone['title']}"] += 1
    for full, history in world["git"].items():
        for branch, subjects in history["branches"].items():
            found[f"{full} branch {branch}"] += 1
            for subject in subjects:
                found[f"{full} commit on {branch}: {subject!r}"] += 1
        for tag in history["tags"]:
            found[f"{full} tag {tag}"] += 1
    for topic in world["discourse"]["topics"]:
        found[f"discourse topic {topic['title']!r}"] += 1
    for post in world["discourse"]["posts"]:
        found[f"discourse post {post['raw'][:60]!r}"] += 1
    for message in world["discord"]["messages"]:
        found[f"discord message {message['content'][:60]!r}"] += 1
    for post in world["reddit"]["posts"]:
        found[f"reddit post {str(post.get('title', post))[:60]!r}"] += 1
    for room, data in world["matrix"]["rooms"].items():
        for event in data.get("events", []):
            found[f"matrix {room} {str(event.get('content', event))[:60]!r}"] += 1
    return found


def duplicates(world: Json, baseline: Json) -> list[str]:
    """Artifacts this world has more of than the baseline: each one a bug."""
    have, want = artifacts(world), artifacts(baseline)
    return [f"{key}: {have[key]} (baseline {want[key]})"
            for key in sorted(have) if have[key] > want[key]]


def differences(a: Any, b: Any, path: str = "", limit: int = 20) -> list[str]:
    """Readable paths where two normalised worlds differ (at most ``limit``)."""
    out: list[str] = []

    def visit(x: Any, y: Any, where: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                if str(k).startswith("_"):
                    continue  # reported, not compared (see ``_fold_journal``)
                if k not in x or k not in y:
                    out.append(f"{where}/{k}: only in {'second' if k not in x else 'first'}")
                else:
                    visit(x[k], y[k], f"{where}/{k}")
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (p, q) in enumerate(zip(x, y, strict=True)):
                visit(p, q, f"{where}[{i}]")
        elif isinstance(x, str) and isinstance(y, str) and x != y:
            at = next(i for i in range(min(len(x), len(y)) + 1)
                      if i == min(len(x), len(y)) or x[i] != y[i])
            start = max(0, at - 60)
            out.append(f"{where} (from char {at}): {x[start:at + 120]!r} != {y[start:at + 120]!r}")
        elif x != y:
            out.append(f"{where}: {str(x)[:300]!r} != {str(y)[:300]!r}")

    visit(a, b, path)
    return out


@dataclass
class Comparison:
    """A finished world against the baseline: what must match, and what is only reported."""

    duplicates: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    stale_claims: int = 0
    """Stage claims left on the tracking issue (a killed run's; they lapse). Reported."""
    checklist_lag: list[str] = field(default_factory=list)
    """Checklist lines behind the journal (only a later write repairs them). Reported."""

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.differences

    def lines(self) -> list[str]:
        return ([f"  checklist line behind the journal: {c}" for c in self.checklist_lag]
                + [f"  duplicate: {d}" for d in self.duplicates]
                + [f"  differs: {d}" for d in self.differences])

    def as_json(self) -> Json:
        return asdict(self)


def compare(world: Json, baseline: Json) -> Comparison:
    return Comparison(duplicates(world, baseline), differences(world, baseline),
                      int(world.get("_stale_claims", 0)), checklist_lag(world, baseline))
