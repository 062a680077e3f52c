"""Labels over REST: the repository's labels and an issue's, every exchange validated
against GitHub's OpenAPI description (the ``gh`` client of ``tests/sandbox/conftest.py``),
and input refused as GitHub refuses it."""

from __future__ import annotations

import httpx
import pytest

from cockpit.sandbox.testing import SandboxHandle

K = "/repos/ipfs/kubo"


def test_create_read_update_delete_a_label(gh: httpx.Client) -> None:
    made = gh.post(K + "/labels", json={"name": "area-docs", "color": "#0E8A16",
                                        "description": "Documentation"})
    assert made.status_code == 201
    label = made.json()
    assert (label["name"], label["color"], label["description"]) == (
        "area-docs", "0e8a16", "Documentation")
    assert made.headers["location"] == label["url"]
    assert gh.get(K + "/labels/AREA-DOCS").json() == label  # names ignore case
    assert label in gh.get(K + "/labels").json()

    renamed = gh.patch(K + "/labels/area-docs", json={"new_name": "area/docs",
                                                      "color": "ff0000"}).json()
    assert (renamed["id"], renamed["name"], renamed["color"], renamed["description"]) == (
        label["id"], "area/docs", "ff0000", "Documentation")
    assert gh.get(K + "/labels/area-docs").status_code == 404

    assert gh.delete(K + "/labels/area%2Fdocs").status_code == 204
    assert "area/docs" not in [x["name"] for x in gh.get(K + "/labels").json()]


def test_a_name_only_issues_carry_is_a_label(gh: httpx.Client) -> None:
    """GitHub creates a label an issue is given; the seeded issues carry kind/bug."""
    listed = {x["name"]: x for x in gh.get(K + "/labels").json()}
    assert listed["kind/bug"]["color"] == "ededed"
    edited = gh.patch(K + "/labels/kind%2Fbug", json={"color": "d73a4a"}).json()
    assert edited["id"] == listed["kind/bug"]["id"]
    issue_labels = gh.get(K + "/issues/2").json()["labels"]
    assert [(x["name"], x["color"]) for x in issue_labels] == [("kind/bug", "d73a4a")]


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"name": "x", "color": "red"}, "color", "invalid"),
    ({"name": "kind/BUG"}, "name", "already_exists"),
], ids=["bad-color", "taken-name"])
def test_bad_labels_are_refused(gh: httpx.Client, body: dict[str, str], field: str,
                                code: str) -> None:
    answer = gh.post(K + "/labels", json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"resource": "Label", "code": code, "field": field}]


def test_a_label_needs_a_name(sandbox: SandboxHandle) -> None:
    """Sent without the validating client: the request breaks the contract on purpose."""
    answer = httpx.post(sandbox.api_url + K + "/labels", json={"color": "ff0000"},
                        headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["name"]


def test_an_issues_labels_add_set_remove_and_clear(gh: httpx.Client) -> None:
    number = gh.post(K + "/issues", json={"title": "labels", "labels": ["kind/bug"]}
                     ).json()["number"]
    path = K + f"/issues/{number}/labels"
    added = gh.post(path, json={"labels": ["needs/triage", "KIND/BUG"]}).json()
    assert [x["name"] for x in added] == ["kind/bug", "needs/triage"]
    assert "needs/triage" in [x["name"] for x in gh.get(K + "/labels").json()]
    replaced = gh.put(path, json={"labels": [{"name": "p1"}]}).json()
    assert [x["name"] for x in replaced] == ["p1"]
    assert gh.delete(path + "/p1").json() == []
    assert gh.delete(path + "/p1").status_code == 404
    gh.post(path, json={"labels": ["a", "b"]})
    assert gh.delete(path).status_code == 204
    assert gh.get(path).json() == []
    assert gh.get(K + f"/issues/{number}").json()["labels"] == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_an_issues_labels_must_be_a_list(sandbox: SandboxHandle, method: str) -> None:
    """``labels: "bug"`` is GitHub's 422, not the labels b, u and g (sent without the
    validating client: the request itself breaks the contract, on purpose)."""
    path = K + "/issues" + ("/2" if method == "PATCH" else "")
    answer = httpx.request(method, sandbox.api_url + path, json={
        "title": "string labels", "labels": "bug"},
        headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert answer.status_code == 422
    assert "is not an array" in answer.json()["message"]
    issues = sandbox.state()["repos"]["ipfs/kubo"]["issues"]
    assert not [i for i in issues if i["title"] == "string labels"]
    assert not {"b", "u", "g"} & {n for i in issues for n in i["labels"]}
