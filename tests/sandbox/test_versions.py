"""The sandbox's version order: PEP 440 by packaging.version, semver by semver, and the
tag list and "latest release" the GitHub API serves in that order."""

from __future__ import annotations

import random

import httpx
import pytest

from cockpit.sandbox.versions import version_key

K = "/repos/ipfs/kubo"


@pytest.mark.parametrize("ordered", [
    pytest.param(["v1.1.9", "v1.2.0.dev1", "v1.2.0a1", "v1.2.0b2", "v1.2.0rc1", "v1.2.0rc2",
                  "v1.2.0", "v1.2.0.post1.dev1", "v1.2.0.post1", "v1.2.0.post2",
                  "v1.2.1.dev0", "v1.10.0"], id="pep440"),
    pytest.param(["v0.29.0", "v0.30.0-alpha", "v0.30.0-alpha.1", "v0.30.0-alpha.beta",
                  "v0.30.0-beta", "v0.30.0-beta.2", "v0.30.0-beta.11", "v0.30.0-rc.1",
                  "v0.30.0", "v0.30.1-rc1", "v0.30.1", "v0.31.0"], id="semver"),
    # Kubo's -rcN is one alphanumeric identifier: compared as text, as semver says.
    pytest.param(["v0.30.0-rc1", "v0.30.0-rc10", "v0.30.0-rc2", "v0.30.0"],
                 id="semver-alphanumeric-identifier"),
    # v1.2.0 is valid in both; a PEP 440 repository's final sits between its rc and post.
    pytest.param(["v1.2.0rc1", "v1.2.0", "v1.2.0.post1", "v1.2.1"], id="mixed"),
    pytest.param(["latest", "nightly", "v0.0.1", "1.0"], id="names-before-versions"),
])
def test_version_order(ordered: list[str]) -> None:
    shuffled = ordered[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=version_key) == ordered
    assert max(shuffled, key=version_key) == ordered[-1]


@pytest.mark.parametrize("same", [("v1.2", "1.2.0"), ("v1.0.0+build.7", "v1.0.0+build.9")],
                         ids=["trailing-zero", "build-metadata"])
def test_equal_versions(same: tuple[str, str]) -> None:
    """Trailing zeros (PEP 440) and build metadata (semver) do not count."""
    assert version_key(same[0]) == version_key(same[1])


def test_tags_and_latest_release_over_the_api(gh: httpx.Client) -> None:
    """``GET /tags`` lists the newest first and ``/releases/latest`` is the highest version:
    1.2.0.post1 after 1.2.0, which is after 1.2.0rc1 (digits picked out of the names put
    the rc last and tied the post release with its final)."""
    head = gh.get(K + "/git/ref/heads/master").json()["object"]["sha"]
    for tag in ("v1.2.0.post1", "v1.2.0rc1", "v1.2.0"):
        gh.post(K + "/git/refs", json={"ref": f"refs/tags/{tag}", "sha": head}
                ).raise_for_status()
        gh.post(K + "/releases", json={"tag_name": tag, "name": tag}).raise_for_status()
    names = [t["name"] for t in gh.get(K + "/tags").json()]
    assert names[:3] == ["v1.2.0.post1", "v1.2.0", "v1.2.0rc1"]
    assert gh.get(K + "/releases/latest").json()["tag_name"] == "v1.2.0.post1"
