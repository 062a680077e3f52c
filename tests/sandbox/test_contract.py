"""The contract checker itself: it must accept real traffic and catch broken shapes."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from cockpit.sandbox.github.releases import UPLOAD_ROUTES
from cockpit.sandbox.github.routes import ROUTES
from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.contract import Contract, ContractError


def test_route_table_and_subset_are_the_same_operations(contract: Contract) -> None:
    """A route added to a resource module without its operation in ``cut_openapi.py``
    (or an operation cut but not routed) would escape the contract; this says which."""
    served = [*ROUTES, *UPLOAD_ROUTES]  # uploads: under /api/uploads, GitHub's upload host
    routed = {(method.lower(), re.sub(r"\{(\w+):\w+\}", r"{\1}", path))
              for method, path, _ in served}
    documented = {(method, path) for path, ops in contract.spec["paths"].items()
                  for method in ops if method in ("get", "post", "put", "patch", "delete")}
    assert sorted(routed - documented) == []
    assert sorted(documented - routed) == []
    assert len(routed) == len(served)  # no route listed twice


def test_spec_version_is_recorded(contract: Contract) -> None:
    assert contract.version == "23.0.2"
    assert "@octokit/openapi@23.0.2" in contract.spec["x-cockpit-source"]


@pytest.mark.parametrize(("path", "template", "params"), [
    ("/repos/ipfs/kubo/git/ref/heads/release-v0.30.0",
     "/repos/{owner}/{repo}/git/ref/{ref}", {"ref": "heads/release-v0.30.0"}),
    ("/repos/ipfs/kubo/contents/docs/changelogs/v0.30.md",
     "/repos/{owner}/{repo}/contents/{path}", {"path": "docs/changelogs/v0.30.md"}),
    ("/repos/ipfs/kubo/compare/release...feat/x",
     "/repos/{owner}/{repo}/compare/{basehead}", {"basehead": "release...feat/x"}),
    ("/repos/ipfs/kubo/commits/feat/x/status",
     "/repos/{owner}/{repo}/commits/{ref}/status", {"ref": "feat/x"}),
    ("/repos/ipfs/kubo/commits/feat/x/check-suites",
     "/repos/{owner}/{repo}/commits/{ref}/check-suites", {"ref": "feat/x"}),
    ("/repos/ipfs/kubo/commits/feat/x/statuses",
     "/repos/{owner}/{repo}/commits/{ref}/statuses", {"ref": "feat/x"}),
    ("/repos/ipfs/kubo/branches/feat/x",
     "/repos/{owner}/{repo}/branches/{branch}", {"branch": "feat/x"}),
])
def test_templates_with_slashes(contract: Contract, path: str, template: str,
                                params: dict[str, str]) -> None:
    found = contract.match("GET", path)
    assert found is not None
    assert found[0] == template
    for k, v in params.items():
        assert found[1][k] == v


def _exchange(sb: SandboxHandle, path: str) -> tuple[dict[str, str], bytes, int]:
    r = httpx.get(sb.api_url + path, headers={"Authorization": f"Bearer {sb.admin_token}"})
    return dict(r.headers), r.content, r.status_code


@pytest.mark.parametrize(("path", "field"), [
    ("/repos/ipfs/kubo/releases/latest", "tag_name"),
    ("/repos/ipfs/kubo/git/ref/tags/v0.29.0", "object"),
    ("/repos/ipfs/kubo", "default_branch"),
])
def test_deliberately_broken_response_fails(sandbox: SandboxHandle, contract: Contract,
                                            path: str, field: str) -> None:
    headers, body, status = _exchange(sandbox, path)
    contract.check("GET", path, "", {}, None, status, headers, body)  # the real one passes
    broken = json.loads(body)
    del broken[field]
    with pytest.raises(ContractError):
        contract.check("GET", path, "", {}, None, status, headers, json.dumps(broken).encode())


def test_wrong_type_and_undocumented_status_fail(sandbox: SandboxHandle,
                                                 contract: Contract) -> None:
    path = "/repos/ipfs/kubo/pulls"
    headers, body, status = _exchange(sandbox, path + "?state=all")
    with pytest.raises(ContractError):
        contract.check("GET", path, "state=all", {}, None, status, headers, b'{"not": "a list"}')
    with pytest.raises(ContractError):
        contract.check("GET", path, "", {}, None, 201, headers, body)
    with pytest.raises(ContractError):  # errors must keep GitHub's shape
        contract.check("GET", path, "", {}, None, 418, headers, b'{"error": "x"}')


def test_invalid_request_body_fails(contract: Contract) -> None:
    with pytest.raises(ContractError):
        contract.check("POST", "/repos/ipfs/kubo/git/refs", "",
                       {"content-type": "application/json"}, b'{"ref": 1}', 201, {}, b"{}")


def test_validation_really_runs(gh: httpx.Client, checked: type) -> None:
    before = checked.count
    gh.get("/repos/ipfs/kubo")
    assert checked.count == before + 1
