"""A real Synapse homeserver for the Matrix client's tests (started by conftest.py).

Synapse runs from its own venv, made by ``.ci/synapse.sh``, whose python is given in
``COCKPIT_SYNAPSE_PYTHON``; this module writes its config (sqlite, 127.0.0.1 on a free
port, no federation, ``trusted_key_servers: []``, registration only through the
shared-secret admin API, rate limits lifted) and registers users and rooms.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVER_NAME = "localhost"
SETUP_HINT = "run `eval \"$(bash .ci/synapse.sh)\"` to install it and export the variable"


@dataclass
class MatrixUser:
    user_id: str
    token: str


@dataclass
class Synapse:
    url: str
    shared_secret: str
    log: Path

    def register(self, name: str, admin: bool = False) -> MatrixUser:
        """Register a user through the shared-secret admin API (registration is off)."""
        nonce = httpx.get(f"{self.url}/_synapse/admin/v1/register").json()["nonce"]
        password = secrets.token_hex(8)
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        response = httpx.post(f"{self.url}/_synapse/admin/v1/register", json={
            "nonce": nonce, "username": name, "password": password, "admin": admin,
            "mac": mac.hexdigest()})
        response.raise_for_status()
        data = response.json()
        return MatrixUser(data["user_id"], data["access_token"])

    def create_room(self, user: MatrixUser, alias_name: str) -> str:
        response = httpx.post(
            f"{self.url}/_matrix/client/v3/createRoom",
            headers={"Authorization": f"Bearer {user.token}"},
            json={"room_alias_name": alias_name, "name": alias_name, "preset": "public_chat"})
        response.raise_for_status()
        return str(response.json()["room_id"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_yaml(directory: Path, port: int, shared_secret: str) -> str:
    log_config = directory / "log.yaml"
    log_config.write_text(f"""\
version: 1
formatters:
  precise: {{format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}
handlers:
  file: {{class: logging.FileHandler, formatter: precise, filename: {directory}/synapse.log}}
root: {{level: WARNING, handlers: [file]}}
disable_existing_loggers: false
""")
    unlimited = "{per_second: 1000, burst_count: 1000}"
    return f"""\
server_name: {SERVER_NAME}
pid_file: {directory}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args: {{database: {directory}/homeserver.db}}
log_config: {log_config}
media_store_path: {directory}/media
signing_key_path: {directory}/signing.key
trusted_key_servers: []
suppress_key_server_warning: true
report_stats: false
enable_registration: false
registration_shared_secret: {shared_secret}
macaroon_secret_key: {secrets.token_hex(16)}
form_secret: {secrets.token_hex(16)}
federation_domain_whitelist: []
url_preview_enabled: false
rc_message: {unlimited}
rc_registration: {unlimited}
rc_login: {{address: {unlimited}, account: {unlimited}, failed_attempts: {unlimited}}}
rc_joins: {{local: {unlimited}, remote: {unlimited}}}
"""
