"""Discourse, Discord, Reddit, sandbox Matrix and the read-only lookups, against the
sandbox's implementations of those services (real loopback HTTP)."""

from __future__ import annotations

import pytest

from cockpit.context import ReadOnlyViolation
from cockpit.sandbox.testing import SandboxHandle
from cockpit.secrets import Redactor
from cockpit.services.discord import DiscordWebhook
from cockpit.services.discourse import DiscourseClient
from cockpit.services.http import AmbiguousWriteError, HttpError, RequestRecord, RetryPolicy
from cockpit.services.lookups import DistSite, DockerHub, Npm
from cockpit.services.matrix import MatrixClient
from cockpit.services.reddit import RedditClient, RedditError

TITLE = "Kubo v0.30.0 is out!"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)

@pytest.fixture
def env(module_sandbox: SandboxHandle) -> dict[str, str]:
    module_sandbox.set_faults("")
    return module_sandbox.env


async def test_discourse_topic_pin_and_mirror(env: dict[str, str],
                                              module_sandbox: SandboxHandle) -> None:
    records: list[RequestRecord] = []
    key = env["COCKPIT_DISCOURSE_TOKEN"]
    async with DiscourseClient(env["COCKPIT_DISCOURSE_URL"], key,
                               on_request=records.append, retry=FAST) as discourse:
        topic, created = await discourse.ensure_topic(
            TITLE, "## Kubo v0.30.0\n\nRelease notes: ...", tags=["kubo", "go-ipfs"])
        again, created_again = await discourse.ensure_topic(TITLE, "ignored", tags=["kubo"])
        assert created and not created_again and again.id == topic.id
        await discourse.pin(topic.id)
        pinned = await discourse.get_topic(topic.id)
        assert pinned is not None and pinned.pinned and set(pinned.tags) == {"kubo", "go-ipfs"}
        assert discourse.topic_url(topic).endswith(f"/t/{topic.slug}/{topic.id}")
        assert await discourse.get_topic(999_999) is None
        assert (await discourse.latest_topics())[0].id == topic.id
    manual = " ".join(r.manual for r in records)
    assert "Api-Key: ***" in manual and key not in manual and "Api-Username: system" in manual
    # The sandbox mirrors kubo-tagged topics to Matrix, like the real forum's bridge.
    async with MatrixClient(env["COCKPIT_MATRIX_URL"], env["COCKPIT_MATRIX_TOKEN"]) as matrix:
        mirrored = await matrix.find_message("#ipfs-chatter:ipfs.io", TITLE)
        assert mirrored is not None
        event = await matrix.send_message("#ipfs-chatter:ipfs.io", "hello", txn_id="t1")
        assert event == await matrix.send_message("#ipfs-chatter:ipfs.io", "hello",
                                                  txn_id="t1")


async def test_discourse_bad_key(env: dict[str, str]) -> None:
    async with DiscourseClient(env["COCKPIT_DISCOURSE_URL"], "wrong-key-1234") as discourse:
        with pytest.raises(HttpError) as err:
            await discourse.create_topic("A title here", "a long enough body")
    assert err.value.status == 403 and "COCKPIT_DISCOURSE_TOKEN" in err.value.hint
    assert "wrong-key-1234" not in str(err.value)


async def test_discord_webhook_post_and_read_back(env: dict[str, str]) -> None:
    url = env["COCKPIT_DISCORD_WEBHOOK_URL"]
    token = url.rsplit("/", 1)[1]
    records: list[RequestRecord] = []
    redact = Redactor()
    async with DiscordWebhook(url, redact=redact, on_request=records.append) as hook:
        message = await hook.execute(TITLE, username="Kubo releases")
        assert message.content == TITLE and message.id
        fetched = await hook.get_message(message.id)
        assert fetched is not None and fetched.id == message.id
        assert await hook.get_message("1") is None
    assert records and all(token not in r.url + r.manual for r in records)
    assert records[0].manual.startswith("curl -X POST") and "wait=true" in records[0].manual
    assert redact(url) == "***"


async def test_discord_post_is_not_retried_after_a_drop(env: dict[str, str],
                                                        module_sandbox: SandboxHandle) -> None:
    module_sandbox.set_faults("drop:req=1")
    async with DiscordWebhook(env["COCKPIT_DISCORD_WEBHOOK_URL"], retry=FAST) as hook:
        with pytest.raises(AmbiguousWriteError):
            await hook.execute("only once")
    assert len(module_sandbox.requests(service="discord", mutating=True)) >= 1
    assert sum(1 for r in module_sandbox.requests(service="discord", mutating=True)
               if r.get("fault") == "drop") == 1


async def test_reddit_submit_and_list(env: dict[str, str]) -> None:
    async with RedditClient(env["COCKPIT_REDDIT_URL"], env["COCKPIT_REDDIT_TOKEN"]) as reddit:
        assert await reddit.me()
        link = "https://github.com/ipfs/kubo/releases/tag/v0.30.0"
        post, created = await reddit.ensure_link("ipfs", TITLE, link)
        again, created_again = await reddit.ensure_link("ipfs", TITLE, link)
        assert created and not created_again and again.name == post.name
        assert [p.url for p in await reddit.new_posts("ipfs")] == [link]
        with pytest.raises(RedditError):
            await reddit.submit_link("", TITLE, link)


async def test_lookups(env: dict[str, str]) -> None:
    async with DockerHub(env["COCKPIT_DOCKER_REGISTRY_URL"]) as hub:
        assert await hub.tag_exists("ipfs/kubo", "v0.29.0")
        assert not await hub.tag_exists("ipfs/kubo", "v0.30.0")
    async with Npm(env["COCKPIT_NPM_REGISTRY_URL"]) as npm:
        assert await npm.version_exists("kubo", "v0.29.0")
        assert not await npm.version_exists("kubo", "0.30.0")
        assert (await npm.dist_tags("kubo"))["latest"] == "0.29.0"
        assert await npm.packument("no-such-package") is None
    records: list[RequestRecord] = []
    async with DistSite(env["COCKPIT_DIST_URL"], on_request=records.append) as dist:
        assert await dist.has_version("kubo", "v0.29.0")
        assert not await dist.has_version("kubo", "v0.30.0")
        assert await dist.current("kubo") == "v0.29.0"
        assert await dist.versions("nope") == []
        await dist.versions("kubo")
    assert records[-1].manual.startswith("curl ") and "/kubo/versions" in records[-1].manual


async def test_announcements_refused_in_read_only(env: dict[str, str],
                                                  module_sandbox: SandboxHandle) -> None:
    module_sandbox.clear_requests()
    async with DiscourseClient(env["COCKPIT_DISCOURSE_URL"], "k" * 8, read_only=True) as d:
        with pytest.raises(ReadOnlyViolation):
            await d.pin(1)
    async with DiscordWebhook(env["COCKPIT_DISCORD_WEBHOOK_URL"], read_only=True) as hook:
        with pytest.raises(ReadOnlyViolation):
            await hook.execute("nope")
    async with RedditClient(env["COCKPIT_REDDIT_URL"], "t" * 8, read_only=True) as reddit:
        with pytest.raises(ReadOnlyViolation):
            await reddit.submit_link("ipfs", "t", "https://example.org")
    assert module_sandbox.requests(mutating=True) == []


async def test_clients_wrap_a_shared_http_client(env: dict[str, str]) -> None:
    from cockpit.services.http import HttpClient

    redact = Redactor()
    url = env["COCKPIT_DISCORD_WEBHOOK_URL"]
    async with HttpClient(url, service="discord", redact=redact) as http:
        hook = DiscordWebhook.from_http(http)
        assert (await hook.execute("shared")).content == "shared"
    assert redact(url) == "***"
    async with HttpClient(env["COCKPIT_DIST_URL"], service="dist") as http:
        assert await DistSite.from_http(http).has_version("kubo", "v0.29.0")
    async with HttpClient(env["COCKPIT_NPM_REGISTRY_URL"], service="npm") as http:
        assert await Npm.from_http(http).version_exists("kubo", "0.29.0")
    async with HttpClient(env["COCKPIT_DOCKER_REGISTRY_URL"], service="docker") as http:
        assert await DockerHub.from_http(http).tag_exists("ipfs/kubo", "latest")
    async with HttpClient(env["COCKPIT_REDDIT_URL"], service="reddit",
                          token=env["COCKPIT_REDDIT_TOKEN"]) as http:
        assert await RedditClient.from_http(http).me()
    async with HttpClient(env["COCKPIT_DISCOURSE_URL"], service="discourse",
                          token=env["COCKPIT_DISCOURSE_TOKEN"], auth_header="Api-Key",
                          auth_scheme=None) as http:
        assert isinstance(await DiscourseClient.from_http(http).latest_topics(), list)
