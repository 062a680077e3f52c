"""The Python Package Index's JSON API (``https://pypi.org/pypi/{name}/{version}/json``),
read-only and anonymous.

Why a client of its own: a "release is on PyPI" check must read what PyPI documents
(``info.version``, ``info.yanked``, each file's ``packagetype`` and digests), and keep only
those fields, like every other service client; the sandbox serves the same API under
``/pypi`` (``cockpit.sandbox.pypi``). Versions are looked up in PEP 440's normalized
form (``1.2.0-rc1`` → ``1.2.0rc1``), which is how PyPI stores them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from packaging.utils import canonicalize_name
from pydantic import BaseModel, ConfigDict, Field

from cockpit.services.client import ServiceClient
from cockpit.services.http import HttpClient


class PyPIFile(BaseModel):
    """One distribution file of a release."""

    model_config = ConfigDict(extra="ignore")

    filename: str
    packagetype: str
    """``sdist`` or ``bdist_wheel`` (also ``bdist_egg``… on old releases)."""
    url: str = ""
    size: int = 0
    digests: dict[str, str] = Field(default_factory=dict)
    yanked: bool = False

    @property
    def kind(self) -> str:
        """``sdist``, ``wheel``, or PyPI's packagetype for anything else."""
        return "wheel" if self.packagetype == "bdist_wheel" else self.packagetype


class PyPIInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    version: str
    yanked: bool = False
    yanked_reason: str | None = None
    release_url: str | None = None


class PyPIRelease(BaseModel):
    """``/pypi/{name}/{version}/json`` (``urls`` are this version's files); for the
    project's document, ``info.version`` is the latest release and ``releases`` lists all."""

    model_config = ConfigDict(extra="ignore")

    info: PyPIInfo
    urls: list[PyPIFile] = Field(default_factory=list)
    releases: dict[str, list[PyPIFile]] | None = None


class PyPI(ServiceClient):
    """PyPI (``https://pypi.org``, or the sandbox's ``{base}/pypi``), anonymous."""

    def __init__(self, base_url: str = "https://pypi.org", **http: Any) -> None:
        http.setdefault("service", "pypi")
        self.http = HttpClient(base_url, **http)

    async def release(self, name: str, version: str) -> PyPIRelease | None:
        """One version's document, or None when PyPI has no such project or version."""
        path = f"pypi/{quote(canonicalize_name(name))}/{quote(version)}/json"
        response = await self.http.get(path, ok=(404,))
        if response.status == 404:
            return None
        return PyPIRelease.model_validate(response.json())

    async def project(self, name: str) -> PyPIRelease | None:
        """The project's document (the latest version's info, every release), or None."""
        response = await self.http.get(f"pypi/{quote(canonicalize_name(name))}/json",
                                       ok=(404,))
        if response.status == 404:
            return None
        return PyPIRelease.model_validate(response.json())
