"""Git smart HTTP: the real ``git http-backend`` CGI behind an ASGI endpoint.

Running git's own backend (rather than reimplementing the protocol) means
clone, fetch and push behave exactly as against a real server, including
protocol v2 and gzip-compressed request bodies (the backend inflates them
itself when told ``HTTP_CONTENT_ENCODING``). Bodies are streamed both ways.

Auth mirrors GitHub: anyone may fetch a public repository; pushing
(``git-receive-pack``) needs a write token, as ``Authorization: Bearer`` (what
the cockpit's git wrapper sends through ``http.extraHeader``) or Basic with the
token as password. After a push, the ref changes go to the workflow simulator
(a tag push starts "Publish docker image", a push to a PR branch re-runs checks).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from cockpit.sandbox.world import may_write

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

GIT_PATH = re.compile(r"^/(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)(?:\.git)?"
                      r"(?P<rest>/(?:info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.*))$")


def match(path: str) -> re.Match[str] | None:
    return GIT_PATH.match(path)


def _token(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    kind, _, value = auth.partition(" ")
    if kind.lower() in ("bearer", "token"):
        return value.strip()
    if kind.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return ""
        return password or user
    return None


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]
                 | None = None) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


async def serve(sb: Sandbox, scope: Scope, receive: Receive, send: Send) -> int:
    """Serve one git request; returns the HTTP status (for the request log)."""
    m = match(scope["path"])
    assert m is not None
    full = f"{m['owner']}/{m['name']}"
    if full not in sb.repos:
        await _plain(send, 404, "Repository not found.")
        return 404
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    query = scope.get("query_string", b"").decode()
    pushing = m["rest"] == "/git-receive-pack" or "service=git-receive-pack" in query
    token = _token(headers)
    scope_name = None
    if token is not None:
        info = sb.world.data["tokens"].get(token)
        if info is None:
            await _plain(send, 401, "Invalid username or token.",
                         [(b"www-authenticate", b'Basic realm="GitHub"')])
            return 401
        scope_name = info["scope"]
        if pushing and scope_name == "write" and not may_write(info, full):
            await _plain(send, 403, f"Permission to push to {full} denied to this token.")
            return 403
    # A private repository (created with ``private: true``): anonymous git is asked for
    # credentials, an account without access is told it does not exist, as on GitHub.
    reader = sb.world.data["tokens"][token]["login"] if token is not None else None
    if not sb.world.may_read(reader, full):
        if token is None:
            await _plain(send, 401, "Authentication required.",
                         [(b"www-authenticate", b'Basic realm="GitHub"')])
            return 401
        await _plain(send, 404, "Repository not found.")
        return 404
    if pushing:
        if token is None:
            await _plain(send, 401, "Authentication required to push.",
                         [(b"www-authenticate", b'Basic realm="GitHub"')])
            return 401
        if scope_name != "write":
            await _plain(send, 403, "Permission to push denied: read-only token.")
            return 403

    git = sb.repos[full]
    before = git.refs() if m["rest"] == "/git-receive-pack" else None
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(sb.data_dir / "repos"),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{full}.git{m['rest']}",
        "QUERY_STRING": query,
        "REQUEST_METHOD": scope["method"],
        "CONTENT_TYPE": headers.get("content-type", ""),
        "REMOTE_USER": "sandbox" if token else "",
        "REMOTE_ADDR": (scope.get("client") or ("127.0.0.1", 0))[0],
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(sb.data_dir),
    }
    if "content-length" in headers:
        env["CONTENT_LENGTH"] = headers["content-length"]
    if "content-encoding" in headers:
        env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
    if "git-protocol" in headers:
        env["GIT_PROTOCOL"] = headers["git-protocol"]

    proc = await asyncio.create_subprocess_exec(
        "git", "http-backend", env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdin and proc.stdout

    async def feed() -> None:
        assert proc.stdin
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                if chunk:
                    proc.stdin.write(chunk)
                    await proc.stdin.drain()
                if not message.get("more_body", False):
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.close()

    feeder = asyncio.create_task(feed())
    raw = b""
    while b"\r\n\r\n" not in raw and b"\n\n" not in raw:
        chunk = await proc.stdout.read(65536)
        if not chunk:
            break
        raw += chunk
    sep = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
    head, _, rest = raw.partition(sep)
    status = 200
    out_headers: list[tuple[bytes, bytes]] = []
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            out_headers.append((key.strip().lower().encode(), value.strip().encode()))
    await send({"type": "http.response.start", "status": status, "headers": out_headers})
    if rest:
        await send({"type": "http.response.body", "body": rest, "more_body": True})
    while True:
        chunk = await proc.stdout.read(65536)
        if not chunk:
            break
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
    await feeder
    await proc.wait()

    if before is not None:
        after = git.refs()
        updates: list[tuple[str, str | None, str | None]] = [
            (ref, before.get(ref), sha) for ref, sha in after.items() if before.get(ref) != sha]
        updates += [(ref, old, None) for ref, old in before.items() if ref not in after]
        if updates:
            sb.sim.on_push(full, updates)
    return status
