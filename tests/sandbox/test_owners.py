"""Users and organizations: ``ipfs`` is an Organization wherever it appears, as on GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from cockpit.sandbox.core import Sandbox, SandboxOptions
from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.conftest import validating_client
from tests.sandbox.contract import Contract


def test_ipfs_is_an_organization_everywhere(gh: httpx.Client) -> None:
    org = gh.get("/orgs/ipfs").json()
    assert org["login"] == "ipfs" and org["type"] == "Organization"
    assert org["public_repos"] == 8 and org["node_id"].startswith("O_")
    assert gh.get("/users/ipfs").json()["type"] == "Organization"
    repo = gh.get("/repos/ipfs/kubo").json()
    assert repo["owner"]["type"] == "Organization" and repo["owner"]["id"] == org["id"]
    pulls = gh.get("/repos/ipfs/kubo/pulls", params={"state": "all"}).json()
    assert all(p["base"]["user"]["type"] == "Organization" for p in pulls)
    listed = gh.get("/orgs/ipfs/repos", params={"sort": "full_name", "per_page": 3})
    assert [r["name"] for r in listed.json()] == ["distributions", "infra", "ipfs-blog"]
    assert 'rel="next"' in listed.headers["link"]


def test_users_and_memberships(gh: httpx.Client, sandbox: SandboxHandle,
                               contract: Contract) -> None:
    me = gh.get("/users/release-driver").json()
    assert me["type"] == "User" and me["user_view_type"] == "public"
    assert gh.get("/users/RELEASE-DRIVER").json()["login"] == "release-driver"
    assert gh.get("/users/nobody-at-all").status_code == 404
    assert gh.get("/orgs/release-driver").status_code == 404  # a user, not an org
    assert [o["login"] for o in gh.get("/user/orgs").json()] == ["ipfs"]
    with validating_client(sandbox, contract, None) as anon:
        assert anon.get("/user/orgs").status_code == 401
        assert anon.get("/orgs/ipfs").json()["login"] == "ipfs"
    with validating_client(sandbox, contract, sandbox.readonly_token) as watcher:
        assert watcher.get("/user/orgs").json() == []


def test_a_data_directory_from_before_organizations_is_upgraded(tmp_path: Path) -> None:
    """``ipfs`` used to be a User made on first sight; a sandbox restarted on such a data
    directory types it Organization, keeping its id."""
    data = tmp_path / "old"
    Sandbox(SandboxOptions(data_dir=data))
    world = json.loads((data / "world.json").read_text())
    world["users"]["ipfs"] = {k: v for k, v in world["users"]["ipfs"].items()
                              if k in ("login", "id", "name", "created_at")} | {"type": "User"}
    (data / "world.json").write_text(json.dumps(world))
    again = Sandbox(SandboxOptions(data_dir=data))
    ipfs = again.world.data["users"]["ipfs"]
    assert ipfs["type"] == "Organization" and ipfs["id"] == world["users"]["ipfs"]["id"]
    assert again.world.orgs_of("release-driver") == ["ipfs"]
