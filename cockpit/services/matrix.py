"""Matrix client-server API: post the release announcement, and check it arrived.

Kubo's announcements reach Matrix (#ipfs-chatter) mirrored from Discourse; the promote
stage checks they did, and falls back to posting itself. Sending uses
``PUT /rooms/{room}/send/m.room.message/{txnId}``: the homeserver deduplicates by
transaction id, so this write is *idempotent* and the HTTP layer may retry it after a
timeout without risking a double post (unlike Discourse or Discord). Pass a stable
``txn_id`` to extend that guarantee across reruns of the cockpit.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from cockpit.services.client import ServiceClient
from cockpit.services.http import HttpClient

CLIENT_API = "_matrix/client/v3"


class MatrixMessage(BaseModel):
    """One ``m.room.message`` event, as much of it as the cockpit reads."""

    model_config = ConfigDict(extra="ignore")

    event_id: str
    sender: str
    origin_server_ts: int = 0
    content: dict[str, Any] = Field(default_factory=dict)

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))


def _seg(value: str) -> str:
    """Room ids (``!x:hs``) and aliases (``#x:hs``) must be escaped in a path segment."""
    return quote(value, safe="")


class MatrixClient(ServiceClient):
    """A Matrix user's view: whoami, aliases, send, read.

    ``homeserver`` is the base URL (``https://matrix.org``; the sandbox serves one under
    ``/matrix``), without ``/_matrix``. Extra keyword arguments go to ``HttpClient``
    (redactor, read-only, log callbacks…).
    """

    def __init__(self, homeserver: str, token: str | None, **http: Any) -> None:
        http.setdefault("service", "matrix")
        self.http = HttpClient(homeserver, token=token, **http)

    async def whoami(self) -> str:
        """The token's user id (``@user:server``): a cheap check that the token works."""
        data = (await self.http.get(f"{CLIENT_API}/account/whoami")).json()
        return str(data["user_id"])

    async def resolve_alias(self, alias: str) -> str:
        """``#room:server`` → ``!roomid:server``."""
        data = (await self.http.get(f"{CLIENT_API}/directory/room/{_seg(alias)}")).json()
        return str(data["room_id"])

    async def room_id(self, room: str) -> str:
        """Accept either a room id or an alias (resolved)."""
        return await self.resolve_alias(room) if room.startswith("#") else room

    async def join(self, room: str) -> str:
        """Join a room by id or alias (idempotent on the server); returns the room id."""
        data = (await self.http.post(f"{CLIENT_API}/join/{_seg(room)}", json={},
                                     idempotent=True)).json()
        return str(data["room_id"])

    async def send_message(self, room: str, body: str, *, txn_id: str | None = None,
                           msgtype: str = "m.text", formatted_body: str | None = None
                           ) -> str:
        """Send a message to ``room`` (id or alias); returns the event id.

        The same ``txn_id`` (per access token) never posts twice: retries reuse it.
        """
        room_id = await self.room_id(room)
        txn = txn_id or f"cockpit-{uuid.uuid4().hex}"
        content: dict[str, Any] = {"msgtype": msgtype, "body": body}
        if formatted_body is not None:
            content.update(format="org.matrix.custom.html", formatted_body=formatted_body)
        path = f"{CLIENT_API}/rooms/{_seg(room_id)}/send/m.room.message/{_seg(txn)}"
        data = (await self.http.put(path, json=content, idempotent=True)).json()
        return str(data["event_id"])

    async def recent_messages(self, room: str, limit: int = 20) -> list[MatrixMessage]:
        """The latest ``m.room.message`` events in ``room``, newest first."""
        room_id = await self.room_id(room)
        data = (await self.http.get(f"{CLIENT_API}/rooms/{_seg(room_id)}/messages",
                                    params={"dir": "b", "limit": limit})).json()
        return [MatrixMessage.model_validate(ev) for ev in data.get("chunk", [])
                if ev.get("type") == "m.room.message"]

    async def find_message(self, room: str, contains: str, limit: int = 50
                           ) -> MatrixMessage | None:
        """The newest recent message whose body contains ``contains`` (a "verify" check)."""
        for message in await self.recent_messages(room, limit):
            if contains in message.body:
                return message
        return None
