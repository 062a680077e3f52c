"""A whole Kubo release cycle in the sandbox, driven as `cockpit run STAGE` commands.

v0.30.0-rc1 → v0.30.0-rc2 → v0.30.0 → v0.30.1, all 15 stages each, with the demo's
answers file: the world must end as KUBO_RELEASE.md describes, every stage run twice
more in a row must change nothing, and no token may appear in anything the cockpit
wrote or sent.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cycle
from tests.e2e.cycle import CYCLE
from tests.e2e.driver import failure_report, finished
from tests.e2e.world import strings
from tests.reliability.world_diff import differences


def test_every_release_of_the_cycle_completes(cycle: Cycle) -> None:
    assert [p.version for p in cycle.passes] == list(CYCLE), \
        failure_report(cycle.passes[-1].runs)
    for release in cycle.passes:
        assert finished(release.runs), failure_report(release.runs)
        assert release.mutating > 0


def test_the_world_is_what_the_kubo_checklist_describes(cycle: Cycle) -> None:
    handle = cycle.world.handle
    problems = [p for release in cycle.passes for p in release.problems]
    assert not problems, "\n".join(problems)
    kubo_git = handle.sandbox.repos["ipfs/kubo"]
    for version in CYCLE:  # each checked right after its release; now, still on its branch
        branch = "release-v0.30.0" if "-rc" in version else "release"
        assert kubo_git.is_ancestor(f"refs/tags/{version}", f"refs/heads/{branch}")
    state = handle.state()
    kubo = state["repos"]["ipfs/kubo"]
    assert sorted(t for t in kubo["tags"] if t.startswith("v0.30")) == sorted(CYCLE)
    assert [t["title"] for t in state["discourse"]["topics"]] == \
        [f"Kubo {v} is out!" for v in CYCLE]
    releases = {r["tag_name"]: r["prerelease"] for r in kubo["releases"]}
    assert releases == {"v0.29.0": False, "v0.30.0-rc1": True, "v0.30.0-rc2": True,
                        "v0.30.0": False, "v0.30.1": False}
    assert state["npm"]["kubo"]["dist-tags"]["latest"] == "0.30.1"
    open_tracking = [i["title"] for i in kubo["issues"] if not i["pull"]
                     and i["state"] == "open" and "kind/release" in i["labels"]]
    assert open_tracking == ["Release v0.31.0"]


def test_every_tag_waited_for_the_second_maintainer(cycle: Cycle) -> None:
    """Each release's tag push was asked for on its tracking issue and approved by the
    sandbox's second maintainer (another account than the driver's) before it went out."""
    from cockpit.sandbox.seed import REVIEWER_LOGIN

    comments = cycle.world.handle.state()["repos"]["ipfs/kubo"]["comments"]
    asked = [c for c in comments if "<!-- cockpit:review " in c["body"]]
    approved = [c for c in comments if "<!-- cockpit:approval " in c["body"]]
    assert len(asked) == len(CYCLE) and len({c["user"] for c in asked}) == 1
    assert len(approved) == len(CYCLE) and {c["user"] for c in approved} == {REVIEWER_LOGIN}
    assert asked[0]["user"] != REVIEWER_LOGIN
    assert [r.version for r in cycle.driver.reviews] == list(CYCLE)


def test_running_every_stage_again_twice_changes_nothing(cycle: Cycle) -> None:
    for first in cycle.passes:
        reruns = cycle.reruns.get(first.version, [])
        assert len(reruns) == 2, f"{first.version} was not rerun"
        for again in reruns:
            assert finished(again.runs), failure_report(again.runs)
            assert again.mutating == 0, f"{first.version}: a rerun changed {again.changes}"
            assert not differences(first.snapshot, again.snapshot), \
                differences(first.snapshot, again.snapshot)
            assert not again.problems, again.problems


def _secrets(env: dict[str, str]) -> set[str]:
    found = {value for key, value in env.items() if key.endswith("_TOKEN") and value}
    webhook = env.get("COCKPIT_DISCORD_WEBHOOK_URL", "")
    found.add(webhook.rsplit("/", 1)[-1])
    return {s for s in found if len(s) >= 6}


def test_no_secret_in_anything_the_cockpit_wrote_or_sent(cycle: Cycle) -> None:
    handle = cycle.world.handle
    secrets = _secrets(cycle.driver.env) | {handle.admin_token, handle.readonly_token}
    assert handle.admin_token in secrets and len(secrets) >= 5
    state_dir = Path(cycle.driver.env["COCKPIT_STATE_DIR"])
    journals = [p for p in state_dir.rglob("*") if p.is_file()]
    assert journals, "the cockpit kept no local journal"
    places = {
        "stdout/stderr": cycle.driver.printed(),
        **{str(p): p.read_text(errors="replace") for p in journals},
        "request bodies": "\n".join(str(r.get("body") or "") for r in handle.requests()),
        "request paths": "\n".join(str(r.get("path") or "") for r in handle.requests()),
        "world (issues, comments, posts)": "\n".join(strings(handle.state())),
    }
    assert "cockpit:journal" in places["world (issues, comments, posts)"]
    leaks = [f"{where} contains {secret[:6]}…" for where, text in places.items()
             for secret in secrets if secret in text]
    assert not leaks, leaks
