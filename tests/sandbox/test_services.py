"""Announcement services, registries, persistence across restarts."""

from __future__ import annotations

from pathlib import Path

import httpx

from cockpit.sandbox.seed import CHATTER_ALIAS
from cockpit.sandbox.testing import SandboxHandle, running_sandbox


def test_discourse_topic_pin_search_and_mirror(sandbox: SandboxHandle) -> None:
    d = sandbox.env["COCKPIT_DISCOURSE_URL"]
    key = {"Api-Key": sandbox.env["COCKPIT_DISCOURSE_TOKEN"], "Api-Username": "releasebot"}
    assert httpx.post(d + "/posts.json", json={"title": "x" * 10, "raw": "y" * 20}
                      ).status_code == 403
    post = httpx.post(d + "/posts.json", headers=key, json={
        "title": "Kubo v0.30.0-rc1 is out!", "raw": "Heading\n\nRelease notes: ...",
        "category": 13, "tags": ["kubo", "go-ipfs"]}).json()
    tid = post["topic_id"]
    pin = httpx.put(f"{d}/t/{tid}/status.json", headers=key,
                    data={"status": "pinned", "enabled": "true"})
    assert pin.json()["success"] == "OK"
    topic = httpx.get(f"{d}/t/{tid}.json").json()
    assert topic["pinned"] and topic["tags"] == ["kubo", "go-ipfs"]
    found = httpx.get(d + "/search.json", params={"q": "Kubo v0.30.0-rc1 tags:kubo"}).json()
    assert [t["id"] for t in found["topics"]] == [tid]
    assert httpx.get(d + "/latest.json").json()["topic_list"]["topics"][0]["id"] == tid
    # mirrored to Discord and Matrix #ipfs-chatter
    msgs = httpx.get(sandbox.base_url + "/discord/api/channels/2000/messages").json()
    assert "Kubo v0.30.0-rc1 is out!" in msgs[0]["content"]
    m = sandbox.env["COCKPIT_MATRIX_URL"] + "/_matrix/client/v3"
    auth = {"Authorization": f"Bearer {sandbox.env['COCKPIT_MATRIX_TOKEN']}"}
    room = httpx.get(f"{m}/directory/room/{CHATTER_ALIAS.replace('#', '%23')}").json()
    events = httpx.get(f"{m}/rooms/{room['room_id']}/messages", headers=auth).json()["chunk"]
    assert "Kubo v0.30.0-rc1 is out!" in events[0]["content"]["body"]
    state = sandbox.state()
    assert len(state["discourse"]["topics"]) == 1


def test_discord_webhook(sandbox: SandboxHandle) -> None:
    url = sandbox.env["COCKPIT_DISCORD_WEBHOOK_URL"]
    assert httpx.post(url, json={"content": "hi"}).status_code == 204
    msg = httpx.post(url, params={"wait": "true"}, json={"content": "Kubo v0.30.0 is out"}).json()
    assert msg["content"] == "Kubo v0.30.0 is out" and msg["webhook_id"]
    assert httpx.get(f"{url}/messages/{msg['id']}").json()["id"] == msg["id"]
    assert httpx.post(url.rsplit("/", 1)[0] + "/bad", json={"content": "x"}).status_code == 401
    assert httpx.post(url, json={}).status_code == 400
    assert len(sandbox.state()["discord"]["messages"]) == 2


def test_reddit_and_matrix(sandbox: SandboxHandle) -> None:
    r = sandbox.env["COCKPIT_REDDIT_URL"]
    auth = {"Authorization": f"Bearer {sandbox.env['COCKPIT_REDDIT_TOKEN']}"}
    assert httpx.post(r + "/api/submit", data={"sr": "ipfs"}).status_code == 401
    sub = httpx.post(r + "/api/submit", headers=auth, data={
        "sr": "ipfs", "kind": "link", "title": "Kubo v0.30.0", "api_type": "json",
        "url": "https://github.com/ipfs/kubo/releases/tag/v0.30.0"}).json()
    assert sub["json"]["errors"] == []
    listing = httpx.get(r + "/r/ipfs/new.json").json()
    assert listing["data"]["children"][0]["data"]["title"] == "Kubo v0.30.0"

    m = sandbox.env["COCKPIT_MATRIX_URL"] + "/_matrix/client/v3"
    mauth = {"Authorization": f"Bearer {sandbox.env['COCKPIT_MATRIX_TOKEN']}"}
    room = "%21ipfs-chatter:sandbox.local"
    url = f"{m}/rooms/{room}/send/m.room.message/txn1"
    first = httpx.put(url, headers=mauth, json={"msgtype": "m.text", "body": "hello"}).json()
    again = httpx.put(url, headers=mauth, json={"msgtype": "m.text", "body": "hello"}).json()
    assert first == again  # idempotent by transaction id, as Matrix is
    assert httpx.put(url, json={"body": "x"}).status_code == 401
    assert httpx.get(f"{m}/directory/room/%23nope:ipfs.io").status_code == 404
    assert httpx.get(f"{m}/account/whoami", headers=mauth).json()["user_id"]


def test_registries(sandbox: SandboxHandle) -> None:
    docker = sandbox.env["COCKPIT_DOCKER_REGISTRY_URL"]
    assert httpx.get(docker + "/v2/repositories/ipfs/kubo/tags/v0.29.0").is_success
    assert httpx.get(docker + "/v2/repositories/ipfs/kubo/tags/v9.9.9").status_code == 404
    assert httpx.get(docker + "/v2/repositories/ipfs/kubo/tags").json()["count"] >= 3
    npm = sandbox.env["COCKPIT_NPM_REGISTRY_URL"]
    assert httpx.get(npm + "/kubo").json()["dist-tags"]["latest"] == "0.29.0"
    assert httpx.get(npm + "/kubo/0.99.0").status_code == 404
    dist = sandbox.env["COCKPIT_DIST_URL"]
    assert "v0.29.0" in httpx.get(dist + "/kubo/versions").text.split()
    assert httpx.get(dist + "/go-ipfs/current").text == "v0.29.0\n"


def test_state_survives_restart(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sb:
        h = {"Authorization": f"Bearer {sb.admin_token}"}
        httpx.post(sb.api_url + "/repos/ipfs/kubo/issues", headers=h,
                   json={"title": "Release v0.30.0"}).raise_for_status()
        token = sb.admin_token
    with running_sandbox(tmp_path) as sb2:
        assert sb2.admin_token == token
        titles = [i["title"] for i in sb2.state()["repos"]["ipfs/kubo"]["issues"]]
        assert titles.count("Release v0.30.0") == 1


def test_discourse_pins_only_for_staff_and_says_who_is(sandbox: SandboxHandle) -> None:
    """Categories as the API user sees them (News: staff only), users' staff flags, and a
    pin refused to a regular user, as Discourse does."""
    d = sandbox.env["COCKPIT_DISCOURSE_URL"]
    key = sandbox.env["COCKPIT_DISCOURSE_TOKEN"]

    def as_user(name: str) -> dict[str, str]:
        return {"Api-Key": key, "Api-Username": name}

    def news(name: str) -> int:
        cats = httpx.get(d + "/categories.json", headers=as_user(name)).json()
        return next(c["permission"] for c in cats["category_list"]["categories"]
                    if c["name"] == "News")

    assert (news("system"), news("newcomer")) == (1, 3)
    assert httpx.get(d + "/categories.json").status_code == 403
    admin = httpx.get(d + "/u/system.json", headers=as_user("system")).json()["user"]
    regular = httpx.get(d + "/u/newcomer.json", headers=as_user("system")).json()["user"]
    assert (admin["admin"], regular["admin"], regular["moderator"]) == (True, False, False)
    assert httpx.get(d + "/u/nobody.json", headers=as_user("system")).status_code == 404
    tid = httpx.post(d + "/posts.json", headers=as_user("newcomer"), json={
        "title": "A question about pins", "raw": "How do I pin a topic?", "category": 14}
                     ).json()["topic_id"]
    refused = httpx.put(f"{d}/t/{tid}/status.json", headers=as_user("newcomer"),
                        data={"status": "pinned_globally", "enabled": "true"})
    assert refused.status_code == 403 and refused.json()["error_type"] == "invalid_access"
    assert httpx.put(f"{d}/t/{tid}/status.json", headers=as_user("system"),
                     data={"status": "pinned_globally", "enabled": "true"}).status_code == 200
    topic = httpx.get(f"{d}/t/{tid}.json").json()
    assert topic["pinned"] and topic["pinned_globally"] and topic["pinned_until"] is None
    httpx.put(f"{d}/t/{tid}/status.json", headers=as_user("system"),
              data={"status": "pinned", "enabled": "false"})
    topic = httpx.get(f"{d}/t/{tid}.json").json()
    assert not topic["pinned"] and not topic["pinned_globally"]


def test_discourse_session_names_the_api_user_and_refuses_a_bad_key(
        sandbox: SandboxHandle) -> None:
    """``session/current.json``: whom the key acts as (the printed token check reads it);
    a wrong key, or a user the forum does not know, is refused with 403 as Discourse does."""
    d = sandbox.env["COCKPIT_DISCOURSE_URL"]
    key = sandbox.env["COCKPIT_DISCOURSE_TOKEN"]
    me = httpx.get(d + "/session/current.json",
                   headers={"Api-Key": key, "Api-Username": "system"}).json()["current_user"]
    assert (me["username"], me["admin"]) == ("system", True)
    for headers in ({"Api-Key": "wrong", "Api-Username": "system"},
                    {"Api-Key": key, "Api-Username": "nobody"}):
        refused = httpx.get(d + "/session/current.json", headers=headers)
        assert refused.status_code == 403 and refused.json()["error_type"] == "invalid_access"
