"""Discord, through a channel webhook: post the announcement, read it back by id.

A webhook URL is itself the credential (``…/api/webhooks/{id}/{token}``): its token is
registered with the redactor so it never appears in a log line or a manual equivalent.
Webhooks cannot list a channel's messages; with ``?wait=true`` the post returns the
message, whose id is enough to check it later. Executing a webhook is not idempotent:
a failure after sending raises ``AmbiguousWriteError`` and is never retried blindly.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from cockpit.services.client import ServiceClient
from cockpit.services.http import HttpClient


class DiscordMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    channel_id: str = ""
    content: str = ""
    timestamp: str = ""
    webhook_id: str | None = None
    embeds: list[dict[str, Any]] = Field(default_factory=list)


class DiscordWebhook(ServiceClient):
    """One webhook (``https://discord.com/api/webhooks/{id}/{token}``)."""

    def __init__(self, webhook_url: str, **http: Any) -> None:
        http.setdefault("service", "discord")
        url = webhook_url.rstrip("/")
        self.webhook_id, _, token = url.rpartition("/webhooks/")[2].partition("/")
        redact = http.get("redact")
        http["token"] = None
        self.http = HttpClient(url, **http)
        if redact is None:
            redact = self.http.redact
        redact.add(token)
        redact.add(url)

    @classmethod
    def from_http(cls, http: HttpClient) -> Self:
        """Wrap an ``HttpClient`` whose base URL is the webhook URL (token redacted here)."""
        self = super().from_http(http)
        self.webhook_id, _, token = http.base_url.rpartition("/webhooks/")[2].partition("/")
        http.redact.add(token)
        http.redact.add(http.base_url)
        return self

    async def execute(self, content: str, *, username: str | None = None,
                      embeds: list[dict[str, Any]] | None = None) -> DiscordMessage:
        """Post a message and return it (``?wait=true``)."""
        body: dict[str, Any] = {"content": content}
        if username:
            body["username"] = username
        if embeds:
            body["embeds"] = embeds
        response = await self.http.post("", params={"wait": "true"}, json=body)
        return DiscordMessage.model_validate(response.json())

    async def get_message(self, message_id: str) -> DiscordMessage | None:
        """A message this webhook posted, or None if it is gone."""
        response = await self.http.get(f"messages/{message_id}", ok=(404,))
        if response.status == 404:
            return None
        return DiscordMessage.model_validate(response.json())
