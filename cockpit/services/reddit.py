"""Reddit (r/ipfs): submit the release link, and list new posts to check it is there.

Reddit's OAuth API lives at ``https://oauth.reddit.com`` with a bearer token and a
descriptive User-Agent (Reddit throttles generic ones). ``/api/submit`` answers 200
even when it refuses, with ``json.errors``: those become ``RedditError``. A submission is
not idempotent; ``ensure_link`` looks for the URL among new posts before submitting.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from cockpit.services.client import ServiceClient
from cockpit.services.http import AmbiguousWriteError, HttpClient, ServiceError

USER_AGENT = "cockpit/0.1 (release cockpit; Kubo releases)"


class RedditError(ServiceError):
    """Reddit refused a submission (``json.errors``); the message is redacted."""


class RedditPost(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    title: str
    url: str = ""
    subreddit: str = ""
    permalink: str = ""
    author: str = ""
    created_utc: float = 0.0


class RedditSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    url: str


class RedditClient(ServiceClient):
    def __init__(self, base_url: str, token: str | None, **http: Any) -> None:
        http.setdefault("service", "reddit")
        headers = {"User-Agent": USER_AGENT, **http.pop("headers", {})}
        self.http = HttpClient(base_url, token=token, headers=headers, **http)

    async def me(self) -> str:
        """The account's name (checks the token)."""
        return str((await self.http.get("api/v1/me")).json()["name"])

    async def submit_link(self, subreddit: str, title: str, url: str) -> RedditSubmission:
        response = await self.http.post("api/submit", data={
            "sr": subreddit, "kind": "link", "title": title, "url": url, "api_type": "json",
            "resubmit": "false"})
        result = response.json().get("json", {})
        if result.get("errors"):
            raise RedditError(self.http.redact(
                f"reddit: submit to r/{subreddit} refused: {result['errors']}"))
        return RedditSubmission.model_validate(result["data"])

    async def new_posts(self, subreddit: str, limit: int = 25) -> list[RedditPost]:
        data = (await self.http.get(f"r/{subreddit}/new",
                                    params={"limit": limit, "raw_json": 1})).json()
        return [RedditPost.model_validate(child["data"])
                for child in data.get("data", {}).get("children", [])]

    async def find_link(self, subreddit: str, url: str, limit: int = 100) -> RedditPost | None:
        for post in await self.new_posts(subreddit, limit):
            if post.url == url:
                return post
        return None

    async def ensure_link(self, subreddit: str, title: str, url: str
                          ) -> tuple[RedditPost | RedditSubmission, bool]:
        """(post, created): submit ``url`` unless it is already among the new posts."""
        found = await self.find_link(subreddit, url)
        if found is not None:
            return found, False
        try:
            return await self.submit_link(subreddit, title, url), True
        except AmbiguousWriteError:
            found = await self.find_link(subreddit, url)
            if found is None:
                raise
            return found, True
