"""Read-only lookups that "verify" steps poll: a Docker image tag, an npm version, and
the versions listed on the distribution site (dist.ipfs.tech).

They only GET, so they are safe in read-only sessions and retried freely; ETags make
repeated polls cheap. Each answers a yes/no question and returns None / False for a
404, because "not published yet" is the normal state while a release is under way.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from cockpit.services.client import ServiceClient
from cockpit.services.http import HttpClient


class DockerTag(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    last_updated: str | None = None
    digest: str | None = None
    tag_status: str | None = None


class DockerHub(ServiceClient):
    """Docker Hub's repository API (``https://hub.docker.com``), anonymous."""

    def __init__(self, base_url: str = "https://hub.docker.com", **http: Any) -> None:
        http.setdefault("service", "docker")
        self.http = HttpClient(base_url, **http)

    async def get_tag(self, repo: str, tag: str) -> DockerTag | None:
        """``repo`` is ``namespace/name`` (``ipfs/kubo``)."""
        response = await self.http.get(f"v2/repositories/{repo}/tags/{tag}", ok=(404,))
        if response.status == 404:
            return None
        return DockerTag.model_validate(response.json())

    async def tag_exists(self, repo: str, tag: str) -> bool:
        return await self.get_tag(repo, tag) is not None


class Npm(ServiceClient):
    """The npm registry (``https://registry.npmjs.org``), anonymous."""

    def __init__(self, base_url: str = "https://registry.npmjs.org", **http: Any) -> None:
        http.setdefault("service", "npm")
        self.http = HttpClient(base_url, **http)

    async def packument(self, package: str) -> dict[str, Any] | None:
        """The registry document of ``package`` (``versions``, ``dist-tags``, ``time``)."""
        path = package.replace("/", "%2F") if package.startswith("@") else package
        response = await self.http.get(path, ok=(404,))
        if response.status == 404:
            return None
        data: dict[str, Any] = response.json()
        return data

    async def versions(self, package: str) -> list[str]:
        doc = await self.packument(package)
        return list((doc or {}).get("versions", {}))

    async def version_exists(self, package: str, version: str) -> bool:
        """npm versions have no ``v`` prefix; one is accepted and stripped."""
        return version.removeprefix("v") in await self.versions(package)

    async def dist_tags(self, package: str) -> dict[str, str]:
        doc = await self.packument(package)
        return dict((doc or {}).get("dist-tags", {}))


class DistSite(ServiceClient):
    """The distribution site (``https://dist.ipfs.tech``): ``/{dist}/versions`` lists one
    version per line, ``/{dist}/current`` the current one."""

    def __init__(self, base_url: str = "https://dist.ipfs.tech", **http: Any) -> None:
        http.setdefault("service", "dist")
        self.http = HttpClient(base_url, **http)

    async def versions(self, dist: str) -> list[str]:
        response = await self.http.get(f"{dist}/versions", ok=(404,))
        if response.status == 404:
            return []
        return [line.strip() for line in response.text.splitlines() if line.strip()]

    async def has_version(self, dist: str, version: str) -> bool:
        """``version`` as the site lists it (Kubo: ``v0.30.0``)."""
        return version in await self.versions(dist)

    async def current(self, dist: str) -> str | None:
        response = await self.http.get(f"{dist}/current", ok=(404,))
        return response.text.strip() or None if response.status == 200 else None
