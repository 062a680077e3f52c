"""What every service client is around its ``HttpClient``: built from a shared one, and
an async context manager that closes it.

Why one base: the GitHub, Discourse, Discord, Reddit, Matrix clients and the read-only
lookups each wrote the same ``from_http`` / ``__aenter__`` / ``__aexit__`` again. A client
subclasses ``ServiceClient``, builds ``self.http`` in its ``__init__`` (from a base URL and
credentials) and adds only the calls of its service; the session hands it its shared
``HttpClient`` through ``from_http``.
"""

from __future__ import annotations

from typing import Self

from cockpit.services.http import HttpClient


class ServiceClient:
    """A client of one service over one ``HttpClient``."""

    http: HttpClient

    @classmethod
    def from_http(cls, http: HttpClient) -> Self:
        """Wrap an already configured ``HttpClient`` (the session's shared one)."""
        self = cls.__new__(cls)
        self.http = http
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()
