"""Discourse (discuss.ipfs.tech): the release announcement topic, and its pin.

Discourse authenticates API calls with ``Api-Key`` and ``Api-Username`` headers (the
key is a secret, registered with the redactor). Creating a topic is not idempotent and
Discourse happily accepts two topics with one title, so ``ensure_topic`` looks for the
exact title first and, after an ambiguous failure, looks again instead of re-posting.
Pinning is a state change (``PUT …/status.json``), safe to repeat.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cockpit.services.client import ServiceClient
from cockpit.services.http import AmbiguousWriteError, HttpClient


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DiscoursePost(_Model):
    """What ``POST /posts.json`` answers: the first post of the new topic."""

    id: int
    topic_id: int
    topic_slug: str = ""
    post_number: int = 1


class DiscourseTopic(_Model):
    id: int
    title: str
    slug: str = ""
    tags: list[str] = Field(default_factory=list)
    pinned: bool = False
    category_id: int | None = None


class DiscourseClient(ServiceClient):
    """A Discourse site (``https://discuss.ipfs.tech``) as one API user."""

    def __init__(self, base_url: str, api_key: str | None, username: str = "system",
                 **http: Any) -> None:
        http.setdefault("service", "discourse")
        headers = {"Api-Username": username, "Accept": "application/json",
                   **http.pop("headers", {})}
        self.http = HttpClient(base_url, token=api_key, auth_header="Api-Key",
                               auth_scheme=None, headers=headers, **http)

    def topic_url(self, topic: DiscourseTopic | DiscoursePost) -> str:
        """The public link to a topic (what the release notes and chat link to)."""
        if isinstance(topic, DiscoursePost):
            return f"{self.http.base_url}/t/{topic.topic_slug}/{topic.topic_id}"
        return f"{self.http.base_url}/t/{topic.slug}/{topic.id}"

    async def create_topic(self, title: str, raw: str, *, tags: list[str] | None = None,
                           category: int | None = None) -> DiscoursePost:
        body: dict[str, Any] = {"title": title, "raw": raw}
        if tags:
            body["tags"] = tags
        if category is not None:
            body["category"] = category
        return DiscoursePost.model_validate((await self.http.post("posts.json", json=body)
                                             ).json())

    async def get_topic(self, topic_id: int) -> DiscourseTopic | None:
        response = await self.http.get(f"t/{topic_id}.json", ok=(404,))
        if response.status == 404:
            return None
        data = response.json()
        tags = [t if isinstance(t, str) else t.get("name", "") for t in data.get("tags", [])]
        return DiscourseTopic.model_validate({**data, "tags": tags})

    async def search_topics(self, query: str) -> list[DiscourseTopic]:
        """Discourse's full-text search (``/search.json?q=…``); topics only."""
        data = (await self.http.get("search.json", params={"q": query})).json()
        return [DiscourseTopic.model_validate(t) for t in data.get("topics", [])]

    async def find_topic(self, title: str, tag: str | None = None) -> DiscourseTopic | None:
        """The oldest topic titled exactly ``title`` (search narrows, the title decides)."""
        words = " ".join(w for w in title.replace("!", " ").split() if ":" not in w)
        query = f"{words} tags:{tag}" if tag else words
        matches = [t for t in await self.search_topics(query) if t.title == title]
        return min(matches, key=lambda t: t.id) if matches else None

    async def latest_topics(self) -> list[DiscourseTopic]:
        data = (await self.http.get("latest.json")).json()
        return [DiscourseTopic.model_validate(t)
                for t in data.get("topic_list", {}).get("topics", [])]

    async def ensure_topic(self, title: str, raw: str, *, tags: list[str] | None = None,
                           category: int | None = None) -> tuple[DiscourseTopic, bool]:
        """(topic, created): find by exact title, else create; never post twice."""
        tag = tags[0] if tags else None
        found = await self.find_topic(title, tag)
        if found is not None:
            return found, False
        try:
            post = await self.create_topic(title, raw, tags=tags, category=category)
        except AmbiguousWriteError:
            found = await self.find_topic(title, tag)
            if found is None:
                raise
            return found, True
        topic = await self.get_topic(post.topic_id)
        if topic is None:
            topic = DiscourseTopic(id=post.topic_id, title=title, slug=post.topic_slug,
                                   tags=tags or [])
        return topic, True

    @property
    def username(self) -> str:
        """The API user every call acts as (the ``Api-Username`` header)."""
        return self.http.headers.get("Api-Username", "system")

    async def categories(self) -> list[dict[str, Any]] | None:
        """The site's categories as this user sees them (``GET /categories.json``; each has
        ``permission``: 1 create topics, 2 reply, 3 read), or None if the site does not
        list them.

        ``curl -s $SITE/categories.json -H "Api-Key: $KEY" -H "Api-Username: $USER"``"""
        response = await self.http.get("categories.json", ok=(404,))
        if response.status == 404:
            return None
        categories = response.json().get("category_list", {}).get("categories", [])
        return [c for c in categories if isinstance(c, dict)]

    async def user(self, username: str | None = None) -> dict[str, Any] | None:
        """A user's public record (``GET /u/{username}.json``; ``admin`` and ``moderator``
        say whether it is staff, who alone may pin globally), or None if there is none.

        ``curl -s $SITE/u/$USER.json -H "Api-Key: $KEY" -H "Api-Username: $USER"``"""
        name = username or self.username
        response = await self.http.get(f"u/{name}.json", ok=(404,))
        if response.status == 404:
            return None
        found = response.json().get("user")
        return found if isinstance(found, dict) else None

    async def pin(self, topic_id: int, *, globally: bool = False, until: str | None = None,
                  enabled: bool = True) -> None:
        """Pin (or unpin) a topic; ``until`` is an ISO date for a timed pin."""
        body: dict[str, Any] = {"status": "pinned_globally" if globally else "pinned",
                                "enabled": "true" if enabled else "false"}
        if until is not None:
            body["until"] = until
        await self.http.put(f"t/{topic_id}/status.json", json=body, idempotent=True)
