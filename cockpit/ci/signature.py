"""GitHub's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``.

Anyone who can reach the receiver can post to it; only someone who knows the webhook secret
can sign. The HMAC covers the raw bytes as sent (not re-serialised JSON), and the comparison
is constant-time (``hmac.compare_digest``), so timing says nothing about how much of a forged
signature matched. Pure functions: the receiver, the sandbox's webhook sender and the tests
share them.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(secret: str | bytes, body: bytes) -> str:
    """The header value GitHub sends for ``body`` signed with ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret``.

    A missing header, another algorithm (``sha1=…``) or anything that is not 64 hex digits
    is simply False: the caller answers 401 either way and says nothing more."""
    if not header or not header.startswith(PREFIX):
        return False
    given = header[len(PREFIX):].strip().lower()
    if len(given) != 64:
        return False
    expected = sign(secret, body)[len(PREFIX):]
    # compare_digest on ASCII str is constant-time; a non-ASCII header raises TypeError.
    try:
        return hmac.compare_digest(expected, given)
    except TypeError:
        return False
