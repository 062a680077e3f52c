"""Collaborators, their roles and permissions; a repository's topics."""

from __future__ import annotations

import httpx

from cockpit.sandbox.github.collaborators import GRANTS
from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.conftest import validating_client
from tests.sandbox.contract import Contract
from tests.sandbox.test_graphql import post

K = "/repos/ipfs/kubo"


def test_roles_and_permissions(gh: httpx.Client, sandbox: SandboxHandle,
                               contract: Contract) -> None:
    people = {c["login"]: c for c in gh.get(K + "/collaborators").json()}
    assert sorted(people) == ["release-driver", "release-reviewer"]
    assert people["release-driver"]["role_name"] == "admin"
    assert people["release-reviewer"]["permissions"] == {
        "pull": True, "triage": True, "push": True, "maintain": True, "admin": False}
    admins = gh.get(K + "/collaborators", params={"permission": "admin"}).json()
    assert [c["login"] for c in admins] == ["release-driver"]
    assert gh.get(K + "/collaborators", params={"affiliation": "outside"}).json() == []
    assert gh.get(K + "/collaborators/release-reviewer").status_code == 204
    assert gh.get(K + "/collaborators/desktop-maintainer").status_code == 404
    assert gh.get("/repos/ipfs/ipfs-desktop/collaborators/desktop-maintainer").status_code == 204
    perm = gh.get(K + "/collaborators/release-reviewer/permission").json()
    assert (perm["permission"], perm["role_name"]) == ("write", "maintain")
    outsider = gh.get(K + "/collaborators/bob/permission").json()
    assert (outsider["permission"], outsider["user"]["permissions"]["push"]) == ("read", False)
    assert gh.get(K + "/collaborators/nobody-at-all/permission").status_code == 404
    with validating_client(sandbox, contract, sandbox.readonly_token) as watcher:
        assert watcher.get(K + "/collaborators").status_code == 403
    made = gh.post("/user/repos", json={"name": "solo"}).json()
    mine = gh.get(f"/repos/{made['full_name']}/collaborators").json()
    assert [(c["login"], c["role_name"]) for c in mine] == [("release-driver", "admin")]


def test_topics(gh: httpx.Client, sandbox: SandboxHandle) -> None:
    assert gh.get(K + "/topics").json() == {"names": []}
    put = gh.put(K + "/topics", json={"names": ["IPFS", "go", "ipfs", "p2p-network"]})
    assert put.json() == {"names": ["ipfs", "go", "p2p-network"]}
    assert gh.get(K).json()["topics"] == ["ipfs", "go", "p2p-network"]
    bad = gh.put(K + "/topics", json={"names": ["-leading-hyphen"]})
    assert bad.status_code == 422 and isinstance(bad.json()["errors"][0], str)
    assert gh.put(K + "/topics", json={"names": [f"t{i}" for i in range(21)]}).status_code == 422
    assert gh.put(K + "/topics", json={"names": []}).json() == {"names": []}


def test_a_repository_shows_each_caller_its_own_permissions(sandbox: SandboxHandle,
                                                            contract: Contract) -> None:
    """REST's ``permissions`` and GraphQL's ``viewerPermission`` are the caller's role
    (they were ADMIN for everyone): the driver admin, the second maintainer maintain, a
    user with no role on a public repository read; an anonymous caller is shown none."""
    callers = {"admin": sandbox.admin_token, "maintain": sandbox.reviewer_token,
               "read": sandbox.readonly_token}
    for role, token in callers.items():
        with validating_client(sandbox, contract, token) as client:
            flags = client.get(K).json()["permissions"]
        strongest = max((flag for flag, on in flags.items() if on), key=list(GRANTS).index)
        assert GRANTS[strongest] == role, (role, flags)
        answer = post(sandbox, '{ repository(owner: "ipfs", name: "kubo") '
                               "{ viewerPermission } }", token=token)
        assert answer.json()["data"]["repository"]["viewerPermission"] == role.upper()
    with validating_client(sandbox, contract, None) as anonymous:
        assert "permissions" not in anonymous.get(K).json()
