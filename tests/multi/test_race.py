"""Two drivers start the same stage at the same moment: exactly one runs it, every time."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from cockpit.sandbox.testing import SandboxHandle
from tests.multi.conftest import TRACKED, Machine
from tests.multi.helpers import kubo_comments

RACES = 20
AT_ONCE = 2
NAMES = ("alice", "bob")


def _one_winner(version: str, outs: dict[str, tuple[str, str, int]]) -> str:
    """The one driver that ran the stage; the other must name it as the holder."""
    winners = [name for name, (_, _, code) in outs.items() if code == 0]
    assert len(winners) == 1, "\n".join(f"--- {name} exit {code}:\n{err[-1500:]}\n{out[-3000:]}"
                                        for name, (out, err, code) in outs.items())
    winner = winners[0]
    loser = next(name for name in outs if name != winner)
    lose_out, lose_err, lose_code = outs[loser]
    assert f"prepare: claimed by {winner}@" in outs[winner][1], version
    assert lose_code == 1
    assert re.search(rf"stage prepare is held by {winner}@\S+ until \d{{4}}-\d\d-\d\d "
                     r"\d\d:\d\d:\d\d UTC; rerun later or pass --steal", lose_err), lose_err
    assert "== stage prepare" not in lose_out, f"{version}: the loser ran the stage"
    return winner


# Twenty races in a minute or two, both drivers on the sandbox's one token (on GitHub each
# driver has an account of their own) with 3 s leases renewed every second: GitHub's 80
# writes a minute per account would be spent by that compression, not by one driver.
@pytest.mark.sandbox(secondary_writes=1_000)
def test_twenty_races_one_winner_each_and_no_duplicates(
        sandbox: SandboxHandle, machines: dict[str, Machine]) -> None:
    alice, bob = machines["alice"], machines["bob"]
    first = alice.run("run", "preflight", "--playbook", TRACKED, "--version", "v1.0.0-rc1",
                      "--yes")
    assert first.returncode == 0, first.stdout + first.stderr

    wins: Counter[str] = Counter()
    started = time.perf_counter()
    # Two releases race at once (a lock is per release and stage: no cross-blocking), each
    # process on a "machine" of its own: one machine's concurrent runs would share clones.
    for batch in range(0, RACES, AT_ONCE):
        versions = [f"v1.0.0-rc{n}" for n in range(batch + 1, batch + AT_ONCE + 1)]
        procs = {(version, m.name): m.elsewhere(slot).start(
                     "run", "prepare", "--playbook", TRACKED, "--version", version, "--yes")
                 for slot, version in enumerate(versions) for m in (alice, bob)}
        outs = {key: (*p.communicate(timeout=120), p.returncode) for key, p in procs.items()}
        for version in versions:
            wins[_one_winner(version, {name: outs[(version, name)] for name in NAMES})] += 1
    elapsed = time.perf_counter() - started

    bodies = kubo_comments(sandbox)
    branches = sandbox.state()["repos"]["ipfs/kubo"]["branches"]
    repo = sandbox.sandbox.repos["ipfs/kubo"]
    for n in range(1, RACES + 1):
        version = f"v1.0.0-rc{n}"
        assert sum(f"<!-- tracked:{version}/start -->" in b for b in bodies) == 1, version
        subjects = [c.message.splitlines()[0]
                    for c in repo.log(branches[f"release-v1.0.0-rc{n}"], max_count=3)]
        assert subjects.count(f"chore: set version to 1.0.0-rc{n}") == 1, subjects
        journal = [b for b in bodies if f"`tracked-{version}` · stage **prepare**: ✔ done" in b]
        assert len(journal) == 1, version
    assert not [b for b in bodies if "<!-- cockpit:claim " in b], "a claim was left behind"
    print(f"\n{RACES} races in {elapsed:.1f}s, {AT_ONCE} at a time: wins {dict(wins)}")
