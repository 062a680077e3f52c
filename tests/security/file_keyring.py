"""A keyring backend for tests only: a JSON file named by ``COCKPIT_TEST_KEYRING_FILE``.

It stands in for the system keyring so that ``cockpit login`` in one process and a
``cockpit`` in the next see the same entries. It is plaintext, which is exactly why it
lives under ``tests/`` and never in the product: the cockpit itself stores tokens only
through a real keyring backend. Select it with
``PYTHON_KEYRING_BACKEND=tests.security.file_keyring.FileKeyring``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from jaraco.classes.properties import classproperty
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

FILE_VARIABLE = "COCKPIT_TEST_KEYRING_FILE"
SELECT = {"PYTHON_KEYRING_BACKEND": "tests.security.file_keyring.FileKeyring"}


class FileKeyring(KeyringBackend):
    """(service, username) → password in one JSON file; viable only when the file is named."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    @classproperty
    def priority(cls) -> float:
        """Viable only when a test named the file: keyring's auto-detection asks every
        registered backend, and must never pick this one by accident."""
        cls._path()
        return 1

    @classmethod
    def _path(cls) -> Path:
        name = os.environ.get(FILE_VARIABLE)
        if not name:
            raise RuntimeError(f"{FILE_VARIABLE} is not set")
        return Path(name)

    def _load(self) -> dict[str, dict[str, str]]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        self._path().write_text(json.dumps(data, indent=1))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(f"no {service}/{username}")
        del data[service][username]
        self._save(data)
