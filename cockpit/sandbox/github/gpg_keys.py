"""An account's GPG keys as GitHub keeps them: ``/user/gpg_keys``, ``/users/{username}/gpg_keys``.

GitHub marks a signed tag or commit *Verified* only with a key registered on the signer's
account, so the cockpit's preflight and its tag reviewer ask here whether the driver's key
is registered. An armored public key is read with ``gpg --with-colons --import-options
show-only --import`` in a throwaway GnuPG home (nothing is imported anywhere, and no
OpenPGP is parsed by hand); the world keeps, per login, what GitHub's response carries.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from datetime import UTC, datetime

from starlette.responses import Response

from cockpit.sandbox.github.api import ApiRoute, Ctx, paginate
from cockpit.sandbox.http import ApiError, json_body, json_response, need
from cockpit.sandbox.world import Json, World, now_iso


def _listing(armored: str) -> str:
    """gpg's machine-readable listing of the keys in ``armored`` (empty if none)."""
    with tempfile.TemporaryDirectory(prefix="sandbox-gpg-") as home:
        result = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--with-colons",
             "--import-options", "show-only", "--import"],
            input=armored, capture_output=True, text=True, check=False, timeout=30)
    return result.stdout if result.returncode == 0 else ""


def _when(epoch: str) -> str | None:
    if not epoch:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _caps(field: str) -> Json:
    """The key's own capabilities (gpg's lower-case letters; upper case is the whole key)."""
    return {"can_sign": "s" in field, "can_certify": "c" in field,
            "can_encrypt_comms": "e" in field, "can_encrypt_storage": "e" in field}


def _body(armored: str) -> str:
    """The key's base64 without the armor (what GitHub returns as ``public_key``)."""
    lines = [line.strip() for line in armored.strip().splitlines()]
    inner = [line for line in lines[1:-1] if line and ":" not in line]
    return "".join(line for line in inner if not line.startswith("="))


def parse_armored(armored: str) -> Json | None:
    """The primary key of ``armored`` with its subkeys and emails, or None if gpg finds
    no public key in it."""
    key: Json | None = None
    current: Json | None = None
    for line in _listing(armored).splitlines():
        f = line.split(":")
        if f[0] == "pub" and key is None:
            key = current = {"key_id": f[4], "created_at": _when(f[5]),
                             "expires_at": _when(f[6]), "revoked": f[1] == "r",
                             **_caps(f[11]), "emails": [], "subkeys": [], "fingerprint": ""}
        elif f[0] == "sub" and key is not None:
            current = {"key_id": f[4], "created_at": _when(f[5]), "expires_at": _when(f[6]),
                       "revoked": f[1] == "r", **_caps(f[11]), "fingerprint": ""}
            key["subkeys"].append(current)
        elif f[0] == "fpr" and current is not None and not current["fingerprint"]:
            current["fingerprint"] = f[9]
        elif f[0] == "uid" and key is not None and "<" in f[9]:
            key["emails"].append(f[9].rsplit("<", 1)[1].rstrip(">"))
    return key


def register_key(world: World, login: str, armored: str, name: str | None = None) -> Json:
    """Add ``armored`` to ``login``'s keys (the caller saves the world); GitHub's 422 when
    it is not a public key or is registered already."""
    parsed = parse_armored(armored)
    if parsed is None:
        raise ApiError(422, "Validation Failed", [{"resource": "GpgKey", "code": "custom",
                                                   "field": "key_id",
                                                   "message": "We got an error doing that."}])
    with world.lock:
        keys: list[Json] = world.data.setdefault("gpg_keys", {}).setdefault(login, [])
        if any(k["key_id"] == parsed["key_id"] for k in keys):
            raise ApiError(422, "Validation Failed", [{"resource": "GpgKey",
                                                       "code": "custom", "field": "key_id",
                                                       "message": "key_id already exists"}])
        key = {**parsed, "id": world.new_id(), "name": name, "raw_key": armored.strip(),
               "public_key": _body(armored), "registered_at": now_iso()}
        keys.append(key)
    return key


def shape(key: Json, verified: set[str]) -> Json:
    """GitHub's ``gpg-key`` for a stored key (emails are verified when the account's are)."""
    emails = [{"email": e, "verified": e in verified} for e in key["emails"]]
    common = {"primary_key_id": None, "public_key": key["public_key"],
              "can_sign": key["can_sign"], "can_encrypt_comms": key["can_encrypt_comms"],
              "can_encrypt_storage": key["can_encrypt_storage"],
              "can_certify": key["can_certify"], "created_at": key["created_at"],
              "expires_at": key["expires_at"], "revoked": key["revoked"]}
    subkeys = [{**common, "id": key["id"] * 100 + i, "primary_key_id": key["id"],
                "key_id": sub["key_id"], "emails": [], "subkeys": [], "raw_key": None,
                "can_sign": sub["can_sign"], "can_certify": sub["can_certify"],
                "can_encrypt_comms": sub["can_encrypt_comms"],
                "can_encrypt_storage": sub["can_encrypt_storage"],
                "created_at": sub["created_at"], "expires_at": sub["expires_at"],
                "revoked": sub["revoked"]}
               for i, sub in enumerate(key["subkeys"], 1)]
    return {**common, "id": key["id"], "name": key["name"], "key_id": key["key_id"],
            "raw_key": key["raw_key"], "emails": emails, "subkeys": subkeys}


def _keys_of(ctx: Ctx, login: str) -> Response:
    with ctx.sb.world.lock:
        keys = list(ctx.sb.world.data.get("gpg_keys", {}).get(login, []))
    verified = {f"{login}@example.org"}  # the address ``/user`` reports
    return paginate(ctx, [shape(k, verified) for k in keys])


async def list_mine(ctx: Ctx) -> Response:
    if ctx.login is None:
        raise ApiError(401, "Requires authentication")
    return _keys_of(ctx, ctx.login)


async def list_for_user(ctx: Ctx) -> Response:
    login = str(ctx.p["username"])
    if login not in ctx.sb.world.data["users"]:
        raise ApiError(404, "Not Found")
    return _keys_of(ctx, login)


async def create(ctx: Ctx) -> Response:
    body = await json_body(ctx.request)
    need(body, "armored_public_key")
    armored = str(body["armored_public_key"])
    key = await asyncio.to_thread(register_key, ctx.sb.world, ctx.actor(), armored,
                                  body.get("name"))
    ctx.sb.world.save()
    return json_response(shape(key, {f"{ctx.actor()}@example.org"}), 201)


ROUTES: list[ApiRoute] = [
    ("GET", "/user/gpg_keys", list_mine),
    ("POST", "/user/gpg_keys", create),
    ("GET", "/users/{username}/gpg_keys", list_for_user),
]
