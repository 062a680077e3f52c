"""The sandbox's Matrix answers as a real Synapse does: the same questions, asked of both,
get the same statuses, ``errcode``\\s and answer shapes (ids and server names differ).

Both start with the release account joined to #ipfs-chatter, as the sandbox is seeded;
then it sends, leaves (a left room still reads up to the leave, but takes no message and
is not among ``joined_rooms``) and joins again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from cockpit.sandbox.seed import CHATTER_ALIAS
from cockpit.sandbox.testing import SandboxHandle
from tests.services.synapse_server import SERVER_NAME, Synapse


@dataclass
class Homeserver:
    url: str
    token: str
    alias: str
    room_id: str

    def ask(self, method: str, path: str, token: str | None = "", **kwargs: Any
            ) -> tuple[int, Any]:
        """(status, what the answer says that both servers must agree on)."""
        token = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(method, f"{self.url}/_matrix/client/v3{path}",
                                 headers=headers, timeout=10, **kwargs)
        data = response.json()
        if "errcode" in data:
            return response.status_code, data["errcode"]
        if "joined_rooms" in data:
            return response.status_code, (sorted(data), self.room_id in data["joined_rooms"])
        if "chunk" in data:
            bodies = [ev["content"].get("body") for ev in data["chunk"]
                      if ev["type"] == "m.room.message"]
            return response.status_code, (sorted(data), bodies)
        if "room_id" in data:
            return response.status_code, (sorted(data), data["room_id"] == self.room_id)
        return response.status_code, sorted(data)


def conversation(hs: Homeserver) -> list[tuple[str, tuple[int, Any]]]:
    room = quote(hs.room_id, safe="")
    alias = quote(hs.alias, safe="")
    body = {"msgtype": "m.text", "body": "Kubo v0.30.0 is out!"}
    latest = {"dir": "b", "limit": 10}
    steps: list[tuple[str, tuple[int, Any]]] = []

    def step(name: str, method: str, path: str, **kwargs: Any) -> None:
        steps.append((name, hs.ask(method, path, **kwargs)))

    step("joined", "GET", "/joined_rooms")
    step("joined, no token", "GET", "/joined_rooms", token=None)
    step("joined, bad token", "GET", "/joined_rooms", token="syt_not_a_token")
    step("whoami", "GET", "/account/whoami")
    step("alias", "GET", f"/directory/room/{alias}")
    step("send", "PUT", f"/rooms/{room}/send/m.room.message/parity-1", json=body)
    step("read", "GET", f"/rooms/{room}/messages", params=latest)
    step("leave", "POST", f"/rooms/{room}/leave", json={})
    step("joined after leaving", "GET", "/joined_rooms")
    step("leave again", "POST", f"/rooms/{room}/leave", json={})
    step("send after leaving", "PUT", f"/rooms/{room}/send/m.room.message/parity-2",
         json=body)
    step("read after leaving", "GET", f"/rooms/{room}/messages", params=latest)
    step("join by alias", "POST", f"/join/{alias}", json={})
    step("joined after joining", "GET", "/joined_rooms")
    step("join again by id", "POST", f"/join/{room}", json={})
    step("join an unknown alias", "POST", f"/join/{quote('#nope:' + SERVER_NAME)}", json={})
    step("join an unknown room", "POST", f"/join/{quote('!nope:' + SERVER_NAME)}", json={})
    step("an endpoint not served", "GET", "/no_such_endpoint")
    return steps


def test_the_sandbox_answers_as_synapse(synapse: Synapse, sandbox: SandboxHandle) -> None:
    owner = synapse.register("parity-owner")
    bot = synapse.register("parity-bot")
    room_id = synapse.create_room(owner, "parity-chatter")
    alias = f"#parity-chatter:{SERVER_NAME}"
    httpx.post(f"{synapse.url}/_matrix/client/v3/join/{quote(alias)}",
               headers={"Authorization": f"Bearer {bot.token}"}, json={}).raise_for_status()
    real = conversation(Homeserver(synapse.url, bot.token, alias, room_id))

    sandbox_alias = CHATTER_ALIAS
    sandbox_room = httpx.get(f"{sandbox.env['COCKPIT_MATRIX_URL']}/_matrix/client/v3/"
                             f"directory/room/{quote(sandbox_alias)}").json()["room_id"]
    ours = conversation(Homeserver(sandbox.env["COCKPIT_MATRIX_URL"],
                                   sandbox.env["COCKPIT_MATRIX_TOKEN"], sandbox_alias,
                                   sandbox_room))
    assert ours == real
    # and the answers are the ones the story says, not two servers wrong alike
    said = dict(real)
    assert said["joined"] == (200, (["joined_rooms"], True))
    assert said["joined after leaving"] == (200, (["joined_rooms"], False))
    assert said["send after leaving"] == (403, "M_FORBIDDEN")
    assert said["read after leaving"][1][1] == ["Kubo v0.30.0 is out!"]
