"""Announcements: the Discourse topic and its pin, Matrix, Reddit, and public pages.

Creating a topic or a post is not idempotent on those services, so each create is a
get-or-create by an exact key (the topic title, the link URL), and an ambiguous write
failure is left to propagate: the engine checks again, which finds the post if it
landed, instead of posting twice. All calls go through the session's HTTP clients, so
each is logged with its manual (curl) equivalent and every secret is redacted.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from cockpit.actions.base import (
    ActionKind,
    Params,
    Step,
    Verify,
    code_block,
    register,
    unless_found,
    write_file,
)
from cockpit.actions.later import later_releases, tag_repository
from cockpit.actions.preflight import how_to_set
from cockpit.errors import CannotFix
from cockpit.model import CheckResult, Reversibility
from cockpit.secrets import find_token
from cockpit.services.discourse import DiscourseClient, DiscourseTopic
from cockpit.services.matrix import CLIENT_API
from cockpit.services.reads import Read, ReleasesOf


def _require(service: str) -> None:
    if not find_token(service):
        raise CannotFix(f"no {service} token: {how_to_set(service)}")


async def _category_id(client: DiscourseClient, name: str) -> tuple[int | None, dict[str, Any]]:
    """(id, raw category) of a category by name, or (None, {}) if the site does not say."""
    for category in await client.categories() or []:
        if category.get("name") == name or category.get("slug") == name.lower():
            return int(category["id"]), category
    return None, {}


# -- Discourse -----------------------------------------------------------------------------

_AUTH = ("-H \"Api-Key: $COCKPIT_DISCOURSE_TOKEN\" "
         "-H \"Api-Username: ${COCKPIT_DISCOURSE_USERNAME:-system}\"")
"""The headers every Discourse call of an explanation sends, as the cockpit's client does
(the key's user: ``COCKPIT_DISCOURSE_USERNAME``, else ``system``)."""


def _search_words(title: str) -> str:
    """The search query ``DiscourseClient.find_topic`` sends for a title."""
    return " ".join(w for w in title.replace("!", " ").split() if ":" not in w)


def find_topic_cmd(url: str, title: str, var: str, value: str = ".id") -> str:
    """The shell command that sets ``$var`` to ``value`` (a jq filter over the topic) of the
    oldest topic titled exactly ``title``, as ``DiscourseClient.find_topic`` finds it, and
    fails when there is none: how an explanation names the topic its next command needs.
    ``value='"URL/t/\\(.slug)/\\(.id)"'`` gives the topic's link."""
    return (f"{var}=$(curl -fsS -G {url}/search.json --data-urlencode "
            f"{shlex.quote('q=' + _search_words(title))} | jq -r --arg t {shlex.quote(title)} "
            "'[.topics[] | select(.title == $t)] | min_by(.id) "
            f"// error(\"no topic titled \\($t)\") | {value}')")


def topic_url_cmd(url: str, title: str) -> str:
    """``find_topic_cmd`` for the topic's public link, into ``$discourse_topic_url``."""
    return find_topic_cmd(url, title, "discourse_topic_url", f'"{url}/t/\\(.slug)/\\(.id)"')

class TopicParams(Params):
    url: str
    """The public site (links, explanation); API calls go to COCKPIT_DISCOURSE_URL."""
    category: str
    title: str
    tags: list[str] = []
    body: str


@register
class DiscourseTopicKind(Step[TopicParams]):
    kind = "discourse.topic"
    reversibility = Reversibility.IRREVERSIBLE
    """Irreversible, not merely hard to reverse: as soon as the topic lands, Discourse
    mails it to the category's watchers and the bridges mirror it into Matrix, Discord and
    Slack. Deleting the topic takes back none of those copies, and it has been read."""
    summary = "Post a Discourse topic (get-or-create by exact title)"

    async def confirmation(self) -> tuple[str, str]:
        p = self.params
        return (f"Post \"{p.title}\" in {p.category} on {p.url}:\n\n{p.body}",
                self.ctx.action_id)

    def explain(self) -> str:
        p = self.params
        return (
            f"Posts the topic **{p.title}** in the {p.category} category of <{p.url}> with "
            f"the tags {', '.join(p.tags) or '(none)'}. The forum is where Kubo users learn "
            "about a release, and the kubo/go-ipfs tags make the forum mirror it to Matrix, "
            "Discord and Slack. A topic with exactly this title is looked up first, so a "
            "rerun never posts twice.\n\n"
            + code_block(
                f"existing=$(curl -fsS -G {p.url}/search.json --data-urlencode "
                f"{shlex.quote('q=' + _search_words(p.title))} | jq -r --arg t "
                f"{shlex.quote(p.title)} '.topics[] | select(.title == $t) | .id')",
                f"category=$(curl -fsS {p.url}/categories.json {_AUTH} | jq -e --arg c "
                f"{shlex.quote(p.category)} '.category_list.categories[] | "
                "select(.name == $c or .slug == ($c | ascii_downcase)) | .id')",
                write_file("topic.md", p.body),
                unless_found(
                    "existing",
                    f"jq -n --arg title {shlex.quote(p.title)} --argjson category \"$category\" "
                    f"--argjson tags {shlex.quote(json.dumps(list(p.tags)))} --rawfile raw "
                    "topic.md '{$title, $category, $tags, $raw}' | "
                    f"curl -fsS -X POST {p.url}/posts.json {_AUTH} "
                    "-H 'Content-Type: application/json' -d @-")))

    async def _find(self) -> DiscourseTopic | None:
        p = self.params
        return await self.ctx.discourse().find_topic(p.title, p.tags[0] if p.tags else None)

    async def check(self) -> CheckResult:
        found = await self._find()
        if found is None:
            return CheckResult.incomplete(f"no topic titled {self.params.title!r} yet")
        url = self.ctx.discourse().topic_url(found)
        self.ctx.remember("discourse_topic_url", url)
        return CheckResult.done(f"topic {found.title!r} exists (#{found.id})", url)

    async def apply(self) -> None:
        p = self.params
        _require("discourse")
        self.ctx.guard_write("post a Discourse topic")
        client = self.ctx.discourse()
        category, _ = await _category_id(client, p.category)
        topic, created = await client.ensure_topic(p.title, p.body, tags=list(p.tags) or None,
                                                   category=category)
        self.ctx.log(f"topic {topic.title!r} {'created' if created else 'already existed'}: "
                     f"{client.topic_url(topic)}")


class PinParams(Params):
    url: str
    """The public site (links, explanation); API calls go to COCKPIT_DISCOURSE_URL."""
    title: str
    """The topic's exact title."""
    globally: bool = False
    """Pin on top of every page of the forum (staff only), not only of its category."""
    until_days: int = 14
    """Days until Discourse unpins it by itself; 0: until it is unpinned (Kubo's next
    announcement unpins the previous one: ``discourse.unpin``)."""


async def _topic_state(action: ActionKind, topic_id: int) -> dict[str, Any]:
    response = await action.ctx.discourse().http.get(f"t/{topic_id}.json", ok=(404,))
    return response.json() if response.status == 200 else {}


@register
class DiscoursePin(Step[PinParams]):
    kind = "discourse.pin"
    summary = "Pin a Discourse topic found by its exact title"

    def explain(self) -> str:
        p = self.params
        where = "globally" if p.globally else "in its category"
        status = "pinned_globally" if p.globally else "pinned"
        until = f" -d until=$(date -u -d '+{p.until_days} days' +%F)" if p.until_days else ""
        span = (f"for {p.until_days} days" if p.until_days
                else "until the next announcement unpins it")
        return (f"Pins the topic **{p.title}** {where} {span}, so the announcement stays on "
                "top of the forum while people upgrade. Pinning again changes nothing."
                + (" Discourse lets only staff (admin or moderator) pin globally: preflight "
                   "checks the key's user may." if p.globally else "")
                + (" Once a later release is out, its announcement has the pin: this one "
                   "not being pinned any more is its turn ending, not a step undone."
                   if not p.until_days else "") + "\n\n"
                + code_block(find_topic_cmd(p.url, p.title, "topic"),
                             f"curl -fsS -X PUT \"{p.url}/t/$topic/status.json\" {_AUTH} "
                             f"-d status={status} -d enabled=true{until}"))

    def reads(self) -> list[Read]:
        return [ReleasesOf(tag_repository(self))]  # whether a later release took the pin

    async def check(self) -> CheckResult:
        p = self.params
        client = self.ctx.discourse()
        found = await client.find_topic(p.title)
        if found is None:
            return CheckResult.failed(f"no topic titled {p.title!r} to pin (post it first)")
        state = await _topic_state(self, found.id)
        key = "pinned_globally" if p.globally else "pinned"
        link = client.topic_url(found)
        if state.get(key):
            return CheckResult.done(f"topic #{found.id} is {key.replace('_', ' ')}", link)
        later = await later_releases(self, tag_repository(self))
        if later:
            # A later release's announcement takes the pin (Kubo's discourse.unpin of the
            # previous one): this release's turn on top is over, not undone.
            return CheckResult.done(f"topic #{found.id} is not {key.replace('_', ' ')} any "
                                    f"more: {later[0].tag} was released after", link)
        return CheckResult.incomplete(f"topic #{found.id} is not {key.replace('_', ' ')}", link)

    async def apply(self) -> None:
        p = self.params
        _require("discourse")
        self.ctx.guard_write("pin a Discourse topic")
        client = self.ctx.discourse()
        found = await client.find_topic(p.title)
        if found is None:
            raise CannotFix(f"no topic titled {p.title!r}: post it first")
        until = ((datetime.now(UTC) + timedelta(days=p.until_days)).date().isoformat()
                 if p.until_days else None)
        await client.pin(found.id, globally=p.globally, until=until)


class UnpinParams(Params):
    url: str
    category: str = ""
    title_prefix: str
    keep_title: str


@register
class DiscourseUnpin(Step[UnpinParams]):
    kind = "discourse.unpin"
    summary = "Unpin earlier topics whose title has a prefix, except the current one"

    def explain(self) -> str:
        p = self.params
        return (f"Unpins every pinned topic whose title starts with `{p.title_prefix}` "
                f"posted before **{p.keep_title}**: only the newest release announcement "
                "should stay on top. One posted after it (a later release's) is not a "
                "previous one and stays pinned.\n\n"
                + code_block(find_topic_cmd(p.url, p.keep_title, "keep"),
                             f"for id in $(curl -fsS {p.url}/latest.json | jq --arg p "
                             f"{shlex.quote(p.title_prefix)} --argjson keep \"$keep\" "
                             "'.topic_list.topics[] | "
                             "select(.pinned and (.title | startswith($p)) and .id < $keep)"
                             " | .id'); do",
                             *(f"  curl -fsS -X PUT \"{p.url}/t/$id/status.json\" {_AUTH} "
                               f"-d status={status} -d enabled=false"
                               for status in ("pinned", "pinned_globally")),
                             "done"))

    async def _stale(self) -> list[DiscourseTopic]:
        """The pinned announcements before this one: a topic posted after it (a later
        release's, whose own unpin left it on top) is not "previous", and stays pinned."""
        p = self.params
        client = self.ctx.discourse()
        # Side by side: neither needs the other's answer (a round trip less for a status).
        keep, latest = await asyncio.gather(client.find_topic(p.keep_title),
                                            client.latest_topics())
        return [t for t in latest
                if t.pinned and t.title.startswith(p.title_prefix) and t.title != p.keep_title
                and (keep is None or t.id < keep.id)]

    async def check(self) -> CheckResult:
        stale = await self._stale()
        if stale:
            names = ", ".join(f"#{t.id} {t.title!r}" for t in stale)
            return CheckResult.incomplete(f"still pinned: {names}")
        return CheckResult.done("no earlier announcement is pinned")

    async def apply(self) -> None:
        _require("discourse")
        self.ctx.guard_write("unpin Discourse topics")
        client = self.ctx.discourse()
        for topic in await self._stale():
            await client.pin(topic.id, enabled=False)
            await client.pin(topic.id, globally=True, enabled=False)


class CategoryParams(Params):
    url: str
    """The public site (links, explanation); API calls go to COCKPIT_DISCOURSE_URL."""
    category: str
    """The category the announcement is posted in, by name or slug."""
    tags: list[str] = []
    """The tags the topic carries (shown; Discourse checks them when posting)."""
    pin: Literal["none", "category", "globally"] = "none"
    """Also check that the key's user may pin the topic: in its category, or globally (on
    top of every page of the forum, which Discourse allows staff only)."""


@register
class CategoryWritable(Verify[CategoryParams]):
    kind = "discourse.category-writable"
    summary = "Check that the Discourse key can post in a category (and pin there or globally)"

    def explain(self) -> str:
        p = self.params
        pin = {"none": "",
               "category": " and that its user may pin the topic in that category (staff: "
                           "admin or moderator)",
               "globally": " and that its user may pin the topic **globally**, which "
                           "Discourse allows staff (admin or moderator) only"}[p.pin]
        commands = [f"curl -fsS {p.url}/categories.json -H \"Api-Key: $COCKPIT_DISCOURSE_TOKEN\" "
                    "-H \"Api-Username: ${COCKPIT_DISCOURSE_USERNAME:-system}\" | "
                    f"jq '.category_list.categories[] | select(.name==\"{p.category}\") "
                    "| .permission'   # 1 = can create topics"]
        if p.pin != "none":
            commands.append(f"curl -fsS {p.url}/u/${{COCKPIT_DISCOURSE_USERNAME:-system}}.json "
                            "-H \"Api-Key: $COCKPIT_DISCOURSE_TOKEN\" "
                            "-H \"Api-Username: ${COCKPIT_DISCOURSE_USERNAME:-system}\" | "
                            "jq '.user | {admin, moderator}'   # either true = can pin")
        return (f"Checks, without posting, that the Discourse API key may create topics in "
                f"**{p.category}** on <{p.url}> (tags: {', '.join(p.tags) or 'none'}){pin}, "
                "so the announcement does not fail on release day. Where the site does not "
                "say, the check says **unknown** and fails with what to check by hand: it "
                "never passes on a guess.\n\n" + code_block(*commands))

    async def check(self) -> CheckResult:
        p = self.params
        if not find_token("discourse"):
            return CheckResult.failed(f"no Discourse key: {how_to_set('discourse')}")
        client = self.ctx.discourse()
        categories = await client.categories()
        if categories is None:
            return CheckResult.failed(f"unknown: {p.url} does not list its categories, so "
                                      f"whether the key may post in {p.category} cannot be "
                                      "checked; " + self._by_hand())
        cat_id, category = await _category_id(client, p.category)
        if cat_id is None:
            return CheckResult.failed(f"no category {p.category!r} on {p.url}")
        permission = category.get("permission")
        if permission is None:
            return CheckResult.failed(f"unknown: {p.url} does not say what the key's user may "
                                      f"do in {p.category}; " + self._by_hand())
        if permission != 1:
            return CheckResult.failed(f"the key's user {client.username} cannot create topics "
                                      f"in {p.category}: ask a Discourse admin for access")
        posting = f"the key can post in {p.category} (#{cat_id})"
        if p.pin == "none":
            return CheckResult.done(posting)
        return await self._pin_right(client, posting)

    async def _pin_right(self, client: DiscourseClient, posting: str) -> CheckResult:
        p = self.params
        where = "globally" if p.pin == "globally" else f"in {p.category}"
        user = await client.user()
        if user is None:
            return CheckResult.failed(f"no Discourse user {client.username!r} (the key's "
                                      "COCKPIT_DISCOURSE_USERNAME): set the user the key "
                                      "belongs to")
        if "admin" not in user and "moderator" not in user:
            return CheckResult.failed(f"unknown: {posting}, but {p.url} does not say whether "
                                      f"{client.username} is staff, so pinning {where} cannot "
                                      "be checked; " + self._by_hand())
        if user.get("admin") or user.get("moderator"):
            role = "admin" if user.get("admin") else "moderator"
            return CheckResult.done(f"{posting} and pin {where} ({client.username} is {role})")
        if p.pin == "globally":
            return CheckResult.failed(f"{posting}, but {client.username} is neither admin nor "
                                      "moderator, and only staff may pin globally: ask a "
                                      "Discourse admin to make it a moderator")
        return CheckResult.failed(f"unknown: {posting}, but {client.username} is not staff; "
                                  f"it may pin {where} only as a category moderator, which "
                                  "the API does not show; " + self._by_hand())

    def _by_hand(self) -> str:
        return ("check by hand: sign in to the forum as the key's user and look for "
                f"\"New Topic\" in {self.params.category}"
                + ("" if self.params.pin == "none" else " and \"Pin Topic\" in a topic's "
                   "admin menu") + ", then skip this check")

    def fix(self) -> str:
        return (f"ask a Discourse admin to let the API user post in {self.params.category}"
                + ("" if self.params.pin == "none" else " and pin topics")
                + f", or {how_to_set('discourse')}")


# -- Matrix --------------------------------------------------------------------------------

_BEARER = "-H \"Authorization: Bearer $COCKPIT_MATRIX_TOKEN\""


def _room_id_cmd(base: str, room: str, for_path: bool = True) -> str:
    """The shell command that sets ``$room`` to the room's id, URL-encoded for a path
    unless ``for_path`` is false (an alias is resolved through the room directory, as
    ``MatrixClient.room_id`` does)."""
    if not room.startswith("#"):
        return f"room={shlex.quote(quote(room, safe='') if for_path else room)}"
    return (f"room=$(curl -fsS {_BEARER} \"{base}/{CLIENT_API}/directory/room/"
            f"{quote(room, safe='')}\" | jq -er '.room_id{' | @uri' if for_path else ''}')")


class RoomParams(Params):
    room: str


@register
class RoomJoined(Verify[RoomParams]):
    kind = "matrix.room-joined"
    summary = "Check that the Matrix account has joined a room"

    def explain(self) -> str:
        p = self.params
        base = self.ctx.settings.matrix_url
        return (f"Checks that the Matrix account has joined **{p.room}**, where the release "
                "announcement must show up: the room is among its joined rooms (reading "
                "proves nothing: an account that left still reads the history up to its "
                "leave).\n\n"
                + code_block(_room_id_cmd(base, p.room, for_path=False),
                             f"curl -fsS {_BEARER} \"{base}/{CLIENT_API}/joined_rooms\" | "
                             "jq -e --arg room \"$room\" '.joined_rooms | index($room)' "
                             "> /dev/null   # fails: not joined"))

    async def check(self) -> CheckResult:
        p = self.params
        if not find_token("matrix"):
            return CheckResult.failed(f"no Matrix token: {how_to_set('matrix')}")
        client = self.ctx.matrix()
        room_id = await client.room_id(p.room)
        joined = await client.http.get(f"{CLIENT_API}/joined_rooms")
        if room_id not in joined.json().get("joined_rooms", []):
            return CheckResult.failed(f"the Matrix account has not joined {p.room}")
        return CheckResult.done(f"joined {p.room} ({room_id})")

    def fix(self) -> str:
        return (f"join {self.params.room} with the release account (Element: "
                f"/join {self.params.room}), then retry")


class SeenParams(Params):
    room: str
    contains: str
    within_hours: float = 24


@register
class MessageSeen(Verify[SeenParams]):
    kind = "matrix.message-seen"
    summary = "Verify that a message containing a text reached a Matrix room"

    def explain(self) -> str:
        p = self.params
        base = self.ctx.settings.matrix_url
        return (f"Verifies that a message containing \"{p.contains}\" reached **{p.room}** "
                f"in the last {p.within_hours:g} hours: the forum bot mirrors the "
                "announcement there, and this confirms it did.\n\n"
                + code_block(_room_id_cmd(base, p.room),
                             f"curl -fsS {_BEARER} \"{base}/{CLIENT_API}/rooms/$room/"
                             f"messages?dir=b&limit=50\" | grep -F {shlex.quote(p.contains)}"))

    async def check(self) -> CheckResult:
        p = self.params
        if not find_token("matrix"):
            return CheckResult.failed(f"no Matrix token: {how_to_set('matrix')}")
        since_ms = (datetime.now(UTC) - timedelta(hours=p.within_hours)).timestamp() * 1000
        for message in await self.ctx.matrix().recent_messages(p.room, 50):
            if p.contains in message.body and message.origin_server_ts >= since_ms:
                return CheckResult.done(f"seen in {p.room} from {message.sender}")
        return CheckResult.incomplete(f"no message with {p.contains!r} in {p.room} in the "
                                      f"last {p.within_hours:g}h")

    def fix(self) -> str:
        p = self.params
        return (f"the announcement did not reach {p.room}: post it there by hand "
                f"(a message containing \"{p.contains}\" and the forum link), then retry")


# -- Reddit --------------------------------------------------------------------------------

class RedditParams(Params):
    subreddit: str
    title: str
    url: str
    flair: str = ""
    """Shown in the instructions; Reddit needs a per-subreddit flair id to set it."""


@register
class RedditPostKind(Step[RedditParams]):
    kind = "reddit.post"
    reversibility = Reversibility.IRREVERSIBLE
    """A post on a public subreddit is read, indexed and cross-posted within minutes; a
    deleted post stays as "[deleted]" under its title, with its comments."""
    summary = "Submit a link post to a subreddit (get-or-create by URL)"

    async def confirmation(self) -> tuple[str, str]:
        p = self.params
        return (f"Post <{p.url}> titled \"{p.title}\" to r/{p.subreddit}.", self.ctx.action_id)

    def explain(self) -> str:
        p = self.params
        base = self.ctx.settings.reddit_url
        flair = f" Then set the flair \"{p.flair}\" on it." if p.flair else ""
        return (f"Submits the link <{p.url}> titled **{p.title}** to r/{p.subreddit}, "
                "unless a post of that link is already among the subreddit's new posts, so "
                f"a rerun never posts twice.{flair}\n\n"
                + code_block(*self._commands(base)))

    def _commands(self, base: str) -> list[str]:
        """The new posts' links (the one to post among them: stop), then the submission,
        which fails on an HTTP error (``--fail-with-body``, Reddit's reason shown) and on
        the 200 Reddit answers a refusal with (its reasons in ``json.errors``)."""
        p = self.params
        auth = '-H "Authorization: Bearer $COCKPIT_REDDIT_TOKEN"'
        return [f"listed=$(curl -fsS {auth} '{base}/r/{p.subreddit}/new?limit=100' | jq -r "
                f"--arg u {shlex.quote(p.url)} '.data.children[].data | select(.url == $u) "
                "| .url')",
                unless_found("listed",
                             f"curl --fail-with-body -sS -X POST {auth} {base}/api/submit "
                             f"-d sr={p.subreddit} -d kind=link -d resubmit=false "
                             f"--data-urlencode {shlex.quote('title=' + p.title)} "
                             f"--data-urlencode {shlex.quote('url=' + p.url)} -d api_type=json "
                             "| jq -e '.json.errors == []'")
                + "   # a refusal is a 200 with json.errors"]

    async def check(self) -> CheckResult:
        p = self.params
        if not find_token("reddit"):
            return CheckResult.failed(f"no Reddit token: {how_to_set('reddit')}")
        found = await self.ctx.reddit().find_link(p.subreddit, p.url)
        if found is None:
            return CheckResult.incomplete(f"{p.url} is not posted to r/{p.subreddit} yet")
        web = self.ctx.settings.reddit_web_url.rstrip("/")
        link = f"{web}{found.permalink}" if found.permalink else None
        return CheckResult.done(f"posted to r/{p.subreddit} as {found.name}", link)

    async def apply(self) -> None:
        p = self.params
        self.ctx.guard_write("submit a Reddit post")
        post, created = await self.ctx.reddit().ensure_link(p.subreddit, p.title, p.url)
        self.ctx.log(f"r/{p.subreddit}: {post.name} {'submitted' if created else 'existed'}")


# -- public pages --------------------------------------------------------------------------

class PageParams(Params):
    url: str
    text: str


@register
class PageContains(Verify[PageParams]):
    kind = "web.page-contains"
    summary = "Verify that a public web page contains a text"

    def explain(self) -> str:
        p = self.params
        return (f"Verifies that <{p.url}> contains \"{p.text}\": what users see is the "
                "proof that a publication step really went out (caches and deploys lag, so "
                "this may need a retry a few minutes later).\n\n"
                + code_block(f"curl -fsSL '{p.url}' | grep -F '{p.text}'"))

    async def check(self) -> CheckResult:
        p = self.params
        http = self.ctx.session.http_client("web", "")
        response = await http.get(p.url, ok=(404, 410, 500, 502, 503, 504), auth=False)
        if response.status != 200:
            return CheckResult.incomplete(f"{p.url} answered {response.status}", p.url)
        if p.text in response.text:
            return CheckResult.done(f"{p.url} contains {p.text!r}", p.url)
        return CheckResult.incomplete(f"{p.url} does not contain {p.text!r} yet", p.url)

    def fix(self) -> str:
        p = self.params
        return (f"{p.url} does not show {p.text!r} yet: check that the publishing "
                "step finished (deploys and CDN caches can take minutes), then retry")
