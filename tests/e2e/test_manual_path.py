"""The manual path, proved: v0.30.0-rc1 released by hand, stage by stage, with exactly the
commands ``cockpit explain STAGE --release v0.30.0-rc1`` prints (issue 15), then the final
release's first stage (v0.30.0's prepare-branch) in the same world.

For each stage in order (``tests.manual_path.release_stage``): the demo's stand-in
maintainer does the driver's own work, every applicable action's ``sh`` block runs as
printed (bash, the real ``gh`` over HTTPS, git, curl, jq) as a user of the demo's sandbox
would paste it; then ``cockpit status`` must find nothing left to apply but the ``manual``
steps, which only a person's "Done" can settle. The driver presses Done (``cockpit run
STAGE``), that run must apply nothing else, and the stage is done.

The whole cycle by hand (the RC, every stage of the final v0.30.0 and of the patch
v0.30.1) is ``scripts/manual_path_suite.py``; it takes minutes, so CI proves the RC and
the final's prepare-branch, whose explanations differ most from the RC's (the draft made
ready, the changelog filled, the approval waited for, the merge).

A command that fails names itself: the explanation is wrong and is fixed in its kind
(``explain``), never here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gh_setup import needs_gh
from tests.manual_path import ByHand, by_hand_world, release_stage

RC = "v0.30.0-rc1"
FINAL = "v0.30.0"

PROVED = (*((RC, stage) for stage in (
    "preflight", "prepare-branch", "tag", "publish-to-dockerhub", "publish-to-distributions",
    "publish-to-npm", "publish-to-github", "staging", "promote", "test-ipfs-companion")),
    (FINAL, "prepare-branch"))
"""The stages released by hand here, in order: every stage the RC runs, then the final's
prepare-branch (its preflight is the RC's, done again, and is left to the suite)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ByHand]:
    with by_hand_world(tmp_path_factory.mktemp("manual-path")) as made:
        yield made


@needs_gh
@pytest.mark.parametrize(("version", "stage"), PROVED, ids=[f"{v} {s}" for v, s in PROVED])
def test_a_stage_released_by_hand_with_the_printed_commands(world: ByHand, version: str,
                                                            stage: str) -> None:
    before = [f"{v} {s}" for v, s in PROVED[:PROVED.index((version, stage))]]
    if world.done != before:
        pytest.skip(f"an earlier stage was not released by hand ({world.done})")
    problem = release_stage(world, stage, version)
    assert problem is None, problem
    slow = sorted(world.path.seconds.items(), key=lambda kv: -kv[1])[:3]
    print(f"{version} {stage}: slowest commands "
          + ", ".join(f"{k} {v:.1f} s" for k, v in slow))


@needs_gh
def test_the_printed_reddit_post_fails_on_a_refusal_and_posts_once(world: ByHand) -> None:
    """``promote/reddit`` of the final, by hand: Reddit refusing the token (a 401) fails
    the printed command, and with the token it posts the link once and the check is done."""
    if world.done != [f"{v} {s}" for v, s in PROVED]:
        pytest.skip(f"the stages before were not released by hand ({world.done})")
    block = next(b for b in world.path.blocks("promote", FINAL) if b.action == "reddit")
    posts = world.path.handle.sandbox.world.data["reddit"]["posts"]
    right = world.path.env["COCKPIT_REDDIT_TOKEN"]
    world.path.env["COCKPIT_REDDIT_TOKEN"] = "not-the-token"
    try:
        refused = world.path.run(block)
    finally:
        world.path.env["COCKPIT_REDDIT_TOKEN"] = right
    assert refused is not None, "a post Reddit refused passed for done"
    assert "returned error: 401" in refused.output, refused.output  # curl's own words
    assert not [p for p in posts if p["title"] == "Kubo v0.30.0 is out!"]

    assert world.path.run(block) is None
    assert len([p for p in posts if p["title"] == "Kubo v0.30.0 is out!"]) == 1
    assert world.path.run(block) is None, "pasted again, the block failed"
    assert len([p for p in posts if p["title"] == "Kubo v0.30.0 is out!"]) == 1, \
        "pasted again, the block posted again"


def written(world: ByHand) -> dict[str, object]:
    """How many comments, issues, releases and workflow runs each repository has, where its
    branches point, and how many forum topics and posts there are: what a get-or-create
    block pasted twice would have made twice (a second commit moves a branch)."""
    state = world.path.handle.state()
    counts: dict[str, object] = {
        f"{full} {what}": len(repo[what]) for full, repo in state["repos"].items()
        for what in ("comments", "issues", "releases", "runs")}
    counts.update({f"{full} branch {name}": sha for full, repo in state["repos"].items()
                   for name, sha in repo["branches"].items()})
    counts.update({f"discourse {what}": len(state["discourse"][what])
                   for what in ("topics", "posts")})
    return counts


@needs_gh
def test_the_printed_get_or_create_blocks_pasted_again_write_nothing(world: ByHand) -> None:
    """Every RC block that looks before it creates (a comment, a forum topic, a release, a
    workflow dispatch, a line in a versions file), pasted a second time after the release
    by hand: it passes and makes nothing, as a rerun of the cockpit makes nothing."""
    if world.done[:len(PROVED) - 1] != [f"{v} {s}" for v, s in PROVED[:-1]]:
        pytest.skip(f"the RC was not released by hand ({world.done})")
    again = [block for stage in dict.fromkeys(s for v, s in PROVED if v == RC)
             for block in world.path.blocks(stage, RC)
             if 'then echo "already there:' in block.script]
    assert {block.kind for block in again} >= {"github.issue-comment", "discourse.topic",
                                               "github.release", "github.workflow-dispatch",
                                               "dist.add-version"}, [b.kind for b in again]
    before = written(world)
    for block in again:
        failure = world.path.run(block)
        assert failure is None, str(failure)
    assert written(world) == before
    with world.driver._environment():
        rows = world.driver.status(FINAL)["actions"]
    row = next(r for r in rows if (r["stage"], r["action"]) == ("promote", "reddit"))
    assert row["state"] == "done", row
