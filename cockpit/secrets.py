"""Tokens: looked up in the environment (and, once ``cockpit login`` exists, the keyring).

Every token that is found is also registered with the ``Redactor`` so that it
can never reach a log line, an event, the journal or an error message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

TOKEN_ENV = {
    "github": ("COCKPIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"),
    "matrix": ("COCKPIT_MATRIX_TOKEN",),
    "discourse": ("COCKPIT_DISCOURSE_TOKEN",),
    "discord": ("COCKPIT_DISCORD_WEBHOOK",),
    "reddit": ("COCKPIT_REDDIT_TOKEN",),
}


@dataclass
class Redactor:
    """Replaces every known secret with ``***`` in any text that leaves the process."""

    secrets: set[str] = field(default_factory=set)
    _pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets.add(secret)
            ordered = sorted(self.secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub("***", text)


def token_from_env(service: str) -> str | None:
    for name in TOKEN_ENV.get(service, ()):
        value = os.environ.get(name)
        if value:
            return value
    return None
