"""Matrix's client-server API (v3), the calls the Kubo playbook and its manual steps make.

One account, ``@kubo-release:ipfs.io`` (token ``MATRIX_TOKEN``), in the rooms of the
world's ``matrix.rooms`` (id → alias, events, members). A room remembers who joined it
(``members``) and, for an account that left, how many events it had seen then
(``left``): as on Synapse, whoever left still reads the history up to their leave, but
cannot send, and is no longer among their ``joined_rooms``. Statuses, ``errcode``\\s and
messages are Synapse's (``tests/services/test_matrix_sandbox_parity.py`` asks both the
same questions).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from cockpit.sandbox.http import guarded, json_response
from cockpit.sandbox.world import Json

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

MATRIX_TOKEN = "sandbox-matrix-token"
MATRIX_USER = "@kubo-release:ipfs.io"
CLIENT = "/_matrix/client/v3"


def _now_ms() -> int:
    return int(time.time() * 1000)


def new_room(alias: str) -> Json:
    """A room the account has joined, with no messages yet (the seed's #ipfs-chatter)."""
    return {"alias": alias, "events": [], "members": [MATRIX_USER], "left": {}}


def _event(sender: str, body: str, txn: str) -> Json:
    eid = "$" + hashlib.sha256(f"{sender}{txn}{body}".encode()).hexdigest()[:43]
    return {"type": "m.room.message", "event_id": eid, "sender": sender,
            "origin_server_ts": _now_ms(), "content": {"msgtype": "m.text", "body": body},
            "unsigned": {"transaction_id": txn}}


def mirror(sb: Sandbox, room_id: str, text: str, txn: str) -> None:
    """A message the forum's bridge posts into ``room_id`` (an account of its own)."""
    room = sb.world.data["matrix"]["rooms"].get(room_id)
    if room is not None:
        room["events"].append(_event("@discourse-bot:ipfs.io", text, txn))


def _error(status: int, code: str, error: str) -> Response:
    return json_response({"errcode": code, "error": error}, status)


def _auth(request: Request) -> Response | None:
    given = request.headers.get("authorization", "")
    if not given:
        return _error(401, "M_MISSING_TOKEN", "Missing access token")
    if given != f"Bearer {MATRIX_TOKEN}":
        return _error(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.")
    return None


def _rooms(request: Request) -> dict[str, Json]:
    sb: Sandbox = request.app.state.sandbox
    rooms: dict[str, Json] = sb.world.data["matrix"]["rooms"]
    return rooms


def _joined(room: Json) -> bool:
    # A world written before rooms kept their members had the account in every room.
    return MATRIX_USER in room.get("members", [MATRIX_USER])


def _not_in_room(room_id: str, previews: bool = False) -> Response:
    tail = ", and room previews are disabled" if previews else ""
    return _error(403, "M_FORBIDDEN", f"User {MATRIX_USER} not in room {room_id}{tail}")


@guarded(_auth)
async def send(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    room_id = request.path_params["room"]
    room = _rooms(request).get(room_id)
    if room is None or not _joined(room):
        return _not_in_room(room_id)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _error(400, "M_NOT_JSON", "Content not JSON.")
    if not isinstance(body, dict):
        return _error(400, "M_BAD_JSON", "Content must be a JSON object.")
    txn = request.path_params["txn"]
    for ev in room["events"]:
        if ev["unsigned"].get("transaction_id") == txn:
            return json_response({"event_id": ev["event_id"]})
    event = _event(MATRIX_USER, str(body.get("body", "")), txn)
    event["content"] = {**body, "msgtype": body.get("msgtype", "m.text")}
    with sb.world.lock:
        room["events"].append(event)
    sb.world.save()
    return json_response({"event_id": event["event_id"]})


@guarded(_auth)
async def messages(request: Request) -> Response:
    room_id = request.path_params["room"]
    room = _rooms(request).get(room_id)
    if room is None:
        return _not_in_room(room_id, previews=True)
    seen = len(room["events"]) if _joined(room) else room.get("left", {}).get(MATRIX_USER)
    if seen is None:
        return _not_in_room(room_id, previews=True)
    limit = int(request.query_params.get("limit", "10"))
    events = list(room["events"][:seen])
    if request.query_params.get("dir", "b") == "b":
        events.reverse()
    return json_response({"chunk": events[:limit], "start": "t0", "end": f"t{len(events)}"})


async def alias(request: Request) -> Response:
    name = request.path_params["alias"]
    for rid, room in _rooms(request).items():
        if room["alias"] == name:
            return json_response({"room_id": rid, "servers": ["ipfs.io"]})
    return _error(404, "M_NOT_FOUND", f"Room alias {name} not found")


@guarded(_auth)
async def whoami(request: Request) -> Response:
    return json_response({"user_id": MATRIX_USER, "is_guest": False, "device_id": "SANDBOX"})


@guarded(_auth)
async def joined_rooms(request: Request) -> Response:
    """``GET /joined_rooms``: the ids of the rooms the account is a member of now."""
    return json_response({"joined_rooms": [rid for rid, room in _rooms(request).items()
                                           if _joined(room)]})


@guarded(_auth)
async def join(request: Request) -> Response:
    """``POST /join/{roomIdOrAlias}`` (idempotent); what Element's ``/join`` does."""
    sb: Sandbox = request.app.state.sandbox
    target = request.path_params["room"]
    rooms = _rooms(request)
    room_id = next((rid for rid, room in rooms.items() if room["alias"] == target), target)
    room = rooms.get(room_id)
    if room is None:
        if target.startswith("#"):
            return _error(404, "M_NOT_FOUND", f"Room alias {target} not found")
        return _error(404, "M_UNKNOWN", "Can't join remote room because no servers that "
                                        "are in the room have been provided.")
    with sb.world.lock:
        if not _joined(room):
            room.setdefault("members", []).append(MATRIX_USER)
            room.setdefault("left", {}).pop(MATRIX_USER, None)
    sb.world.save()
    return json_response({"room_id": room_id})


@guarded(_auth)
async def leave(request: Request) -> Response:
    """``POST /rooms/{roomId}/leave``: leaving twice is fine, a room never joined is not."""
    sb: Sandbox = request.app.state.sandbox
    room_id = request.path_params["room"]
    room = _rooms(request).get(room_id)
    if room is not None and _joined(room):
        with sb.world.lock:
            room["members"] = [m for m in room.get("members", [MATRIX_USER])
                               if m != MATRIX_USER]
            room.setdefault("left", {})[MATRIX_USER] = len(room["events"])
        sb.world.save()
    elif room is None or MATRIX_USER not in room.get("left", {}):
        return _error(403, "M_FORBIDDEN", f"{MATRIX_USER} not in room {room_id}.")
    return json_response({})


async def unrecognized(request: Request) -> Response:
    """What a homeserver answers for an endpoint it does not serve (the spec's 404)."""
    return _error(404, "M_UNRECOGNIZED", "Unrecognized request")


def routes() -> Mount:
    everything = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
    return Mount("/matrix", routes=[
        Route(CLIENT + "/rooms/{room}/send/m.room.message/{txn}", send, methods=["PUT"]),
        Route(CLIENT + "/rooms/{room}/messages", messages, methods=["GET"]),
        Route(CLIENT + "/rooms/{room}/leave", leave, methods=["POST"]),
        Route(CLIENT + "/directory/room/{alias}", alias, methods=["GET"]),
        Route(CLIENT + "/account/whoami", whoami, methods=["GET"]),
        Route(CLIENT + "/joined_rooms", joined_rooms, methods=["GET"]),
        Route(CLIENT + "/join/{room}", join, methods=["POST"]),
        Route("/_matrix/{rest:path}", unrecognized, methods=everything),
    ])
