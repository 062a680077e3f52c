"""An account's GPG keys: registered with an armored key, listed for oneself and for
anyone (what the preflight and the tag's reviewer ask), validated against GitHub's
description by the ``gh`` fixture."""

from __future__ import annotations

import httpx

from cockpit.sandbox.seed import REVIEWER_LOGIN
from cockpit.sandbox.testing import SandboxHandle
from tests.gpgkeys import gpg_key


def test_register_then_list_mine_and_anyones(sandbox: SandboxHandle, gh: httpx.Client
                                              ) -> None:
    me = gh.get("/user").json()["login"]
    with gpg_key("Key Owner <owner@example.invalid>") as key:
        made = gh.post("/user/gpg_keys", json={"name": "laptop",
                                               "armored_public_key": key.armored})
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["key_id"] == key.key_id
        assert body["can_sign"] is True and body["revoked"] is False
        assert body["emails"] == [{"email": "owner@example.invalid", "verified": False}]
        assert body["raw_key"] == key.armored.strip() and body["name"] == "laptop"
        mine = gh.get("/user/gpg_keys").json()
        assert key.key_id in [k["key_id"] for k in mine]
        theirs = gh.get(f"/users/{me}/gpg_keys").json()
        assert key.key_id in [k["key_id"] for k in theirs]
        assert key.key_id not in [k["key_id"] for k in
                                  gh.get(f"/users/{REVIEWER_LOGIN}/gpg_keys").json()]
        again = gh.post("/user/gpg_keys", json={"armored_public_key": key.armored})
        assert again.status_code == 422 and "already exists" in again.text


def test_not_a_key_is_refused(gh: httpx.Client) -> None:
    refused = gh.post("/user/gpg_keys", json={"armored_public_key": "not a key"})
    assert refused.status_code == 422


def test_unknown_user_and_read_only_token(sandbox: SandboxHandle, gh: httpx.Client,
                                          gh_readonly: httpx.Client) -> None:
    assert gh.get("/users/no-such-person-xyz/gpg_keys").status_code == 404
    with gpg_key() as key:
        refused = gh_readonly.post("/user/gpg_keys", json={"armored_public_key": key.armored})
    assert refused.status_code == 403
