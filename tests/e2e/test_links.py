"""The demo stays in its sandbox: every link the cockpit shows, opens or writes during the
whole cycle (log lines, the tracking issue, release notes, announcements, the journal, the
blog, docs and desktop pull requests of the final) points at the sandbox on 127.0.0.1,
never at github.com, discord.com, slack.com, ... Read off the session's cycle world."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cockpit.sandbox.seed import BLOG_RELEASES
from cockpit.sandbox.testing import SandboxHandle, running_sandbox
from tests.e2e.conftest import Cycle
from tests.e2e.driver import STAGES, said

URL = re.compile(r"https?://[^\s<>\"'`)\]\\|]+")


def urls(text: str) -> set[str]:
    return set(URL.findall(text))


def elsewhere(found: set[str], sandbox: SandboxHandle) -> list[str]:
    """The links in ``found`` that do not point at the sandbox."""
    return sorted(u for u in found if not u.startswith(sandbox.base_url + "/")
                  and u != sandbox.base_url)


def test_every_link_of_the_cycle_points_into_its_sandbox(cycle: Cycle, tmp_path: Path) -> None:
    sandbox = cycle.world.handle
    with running_sandbox(tmp_path / "fresh") as fresh:  # what the seed itself links
        seeded = {u.replace(fresh.base_url, sandbox.base_url)
                  for u in urls(json.dumps(fresh.state()))}
    # The blog's past entries (v0.29.0, v0.28.0) are history the final's blog update
    # republishes, not links the cockpit made.
    seeded |= urls(BLOG_RELEASES.decode())
    world = sandbox.state()
    world.pop("webhooks")  # the demo's own receiver (the App hook's URL): not a link made
    world_text = json.dumps(world)
    state_dir = Path(cycle.driver.env["COCKPIT_STATE_DIR"])
    journal = "".join(p.read_text() for p in state_dir.rglob("*.jsonl"))
    printed = "".join(run.stdout + run.stderr for run in cycle.driver.runs)
    with cycle.driver._environment():
        shown = said("status", "--release", "v0.30.0-rc1")
        for stage in STAGES:  # every explanation, "Where:" included, of an RC and a final
            shown += said("explain", stage, "--release", "v0.30.0-rc1")
            shown += said("explain", stage, "--release", "v0.30.0")
    assert "Where: <" in shown
    assert elsewhere(urls(shown), sandbox) == []
    made = urls(world_text) - seeded
    assert elsewhere(made, sandbox) == []
    assert elsewhere(urls(journal), sandbox) == []
    assert elsewhere(urls(printed), sandbox) == []
    # It can fail: the cycle wrote links (releases, the tracking issue, the forum post).
    assert any("/ipfs/kubo/releases/tag/v0.30.0-rc1" in u for u in made)
    assert any("/ipfs/kubo/releases/tag/v0.30.1" in u for u in made)
    assert any(u.startswith(sandbox.base_url + "/discourse/") for u in made | urls(printed))
