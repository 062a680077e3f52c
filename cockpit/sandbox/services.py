"""The announcement services and registries, each under its own URL prefix.

Only the calls the Kubo playbook makes, shaped after each service's published
API (Discourse's and Discord's OpenAPI descriptions, Reddit's client API (Matrix's is
``matrix.py``), Docker Hub, the npm registry, dist.ipfs.tech). Their state lives
in the world document so tests can assert "exactly one post". Creating a
Discourse topic tagged ``kubo`` is mirrored to Discord and Matrix #ipfs-chatter,
as the real forum's integrations do, so "verify it was mirrored" is causal.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from cockpit.sandbox import blog, crates, matrix, pypi
from cockpit.sandbox.github import graphql as github_graphql
from cockpit.sandbox.http import guarded, json_response
from cockpit.sandbox.seed import CHATTER_ROOM
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

DISCOURSE_KEY = "sandbox-discourse-key"
DISCORD_TOKEN = "sandbox-discord-webhook-token"
"""The webhook token in the URL: distinctive, because the cockpit redacts it everywhere
(as plain "sandbox" it masked the word in every log line)."""
REDDIT_TOKEN = "sandbox-reddit-token"
NPM_TOKEN = "sandbox-npm-token"
"""The npm registry's publish token: what ``//HOST/npm/:_authToken`` in an ``.npmrc`` gives
``npm dist-tag add/rm`` (reads need none, as on the public registry)."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _snowflake() -> str:
    """Discord ids: milliseconds since the Discord epoch, shifted."""
    return str((_now_ms() - 1420070400000) << 22 | (time.perf_counter_ns() & 0x3FFFFF))


async def _form_or_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    parsed = parse_qs(raw.decode(errors="replace"))
    out: dict[str, Any] = {}
    for k, v in parsed.items():
        key = k.removesuffix("[]")
        out[key] = v if k.endswith("[]") else v[-1]
    return out


# -- Discourse ---------------------------------------------------------------------

def _discourse_auth(request: Request) -> Response | None:
    if request.headers.get("api-key") != DISCOURSE_KEY:
        return json_response({"errors": ["You are not permitted to view the requested "
                                         "resource. The API username or key is invalid."],
                              "error_type": "invalid_access"}, 403)
    return None


def _discourse_user(sb: Sandbox, request: Request) -> Json | None:
    """The seeded forum user the request acts as (``Api-Username``), or None."""
    users: Json = sb.world.data["discourse"].get("users", {})
    return users.get(request.headers.get("api-username", "system"))


@guarded(_discourse_auth)
async def discourse_session(request: Request) -> Response:
    """``GET /session/current.json``: whom the API key acts as (``Api-Username``); a name
    the forum does not know is refused like a bad key, as Discourse does."""
    sb: Sandbox = request.app.state.sandbox
    user = _discourse_user(sb, request)
    if user is None:
        return json_response({"errors": ["You are not permitted to view the requested "
                                         "resource. The API username or key is invalid."],
                              "error_type": "invalid_access"}, 403)
    name = request.headers.get("api-username", "system")
    return json_response({"current_user": {
        "id": user["id"], "username": name, "name": user.get("name", name),
        "avatar_template": "/letter_avatar_proxy/v4/letter/r/{size}.png",
        "admin": bool(user.get("admin")), "moderator": bool(user.get("moderator")),
        "trust_level": user.get("trust_level", 1)}})


def _staff(user: Json | None) -> bool:
    """Admins and moderators: the only users Discourse lets pin a topic globally (and, but
    for category moderators, in a category)."""
    return bool(user and (user.get("admin") or user.get("moderator")))


def _refused() -> Response:
    return json_response({"errors": ["You are not permitted to view the requested resource."],
                          "error_type": "invalid_access"}, 403)


@guarded(_discourse_auth)
async def discourse_categories(request: Request) -> Response:
    """``GET /categories.json`` as the API user sees it: ``permission`` 1 (create topics)
    everywhere but in a staff-only category (3, read), unless the user is staff."""
    sb: Sandbox = request.app.state.sandbox
    staff = _staff(_discourse_user(sb, request))
    categories = [
        {"id": c["id"], "name": c["name"], "slug": c["slug"], "color": "0088CC",
         "text_color": "FFFFFF", "description": c.get("description", ""),
         "topic_count": sum(1 for t in sb.world.data["discourse"]["topics"]
                            if t["category"] == c["id"]),
         "post_count": 0, "position": i, "read_restricted": False,
         "permission": 1 if staff or not c.get("staff_only") else 3}
        for i, c in enumerate(sb.world.data["discourse"].get("categories", []))]
    return json_response({"category_list": {"can_create_category": staff,
                                            "can_create_topic": True,
                                            "categories": categories}})


async def discourse_user(request: Request) -> Response:
    """``GET /u/{username}.json``: the public profile, with ``admin`` and ``moderator``."""
    sb: Sandbox = request.app.state.sandbox
    name = request.path_params["username"]
    user = sb.world.data["discourse"].get("users", {}).get(name)
    if user is None:
        return json_response({"errors": ["The requested URL or resource could not be found."],
                              "error_type": "not_found"}, 404)
    return json_response({"user_badges": [], "user": {
        "id": user["id"], "username": name, "name": user.get("name", name),
        "avatar_template": "/letter_avatar_proxy/v4/letter/r/{size}.png",
        "trust_level": user.get("trust_level", 1), "admin": bool(user.get("admin")),
        "moderator": bool(user.get("moderator")), "created_at": "2020-01-01T00:00:00Z"}})


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "topic"


def _post_json(sb: Sandbox, p: Json, topic: Json) -> Json:
    return {
        "id": p["id"], "name": p["username"], "username": p["username"],
        "avatar_template": "/letter_avatar_proxy/v4/letter/r/{size}.png",
        "created_at": p["created_at"], "raw": p["raw"], "cooked": f"<p>{p['raw']}</p>",
        "post_number": p["post_number"], "post_type": 1, "updated_at": p["created_at"],
        "reply_count": 0, "reply_to_post_number": None, "quote_count": 0,
        "incoming_link_count": 0, "reads": 1, "readers_count": 0, "score": 0,
        "yours": True, "topic_id": topic["id"], "topic_slug": topic["slug"],
        "display_username": p["username"], "primary_group_name": None,
        "flair_name": None, "flair_url": None, "flair_bg_color": None,
        "flair_color": None, "version": 1, "can_edit": True, "can_delete": True,
        "can_recover": False, "can_wiki": True, "user_title": None, "bookmarked": False,
        "actions_summary": [], "moderator": False, "admin": True, "staff": True,
        "user_id": 1, "draft_sequence": 0, "hidden": False, "trust_level": 4,
        "deleted_at": None, "user_deleted": False, "edit_reason": None,
        "can_view_edit_history": True, "wiki": False, "reviewable_id": None,
        "reviewable_score_count": 0, "reviewable_score_pending_count": 0,
    }


def _topic_json(sb: Sandbox, t: Json) -> Json:
    d = sb.world.data["discourse"]
    posts = [p for p in d["posts"] if p["topic_id"] == t["id"]]
    return {
        "id": t["id"], "title": t["title"], "fancy_title": t["title"], "slug": t["slug"],
        "posts_count": len(posts), "created_at": t["created_at"],
        "last_posted_at": t["created_at"], "views": 1, "reply_count": 0,
        "like_count": 0, "visible": True, "closed": False, "archived": False,
        "pinned": t["pinned"], "pinned_globally": t.get("pinned_globally", False),
        "pinned_at": t.get("pinned_at"), "pinned_until": t.get("pinned_until"),
        "category_id": t["category"], "tags": t["tags"], "archetype": "regular",
        "user_id": 1, "highest_post_number": len(posts),
        "post_stream": {"posts": [_post_json(sb, p, t) for p in posts],
                        "stream": [p["id"] for p in posts]},
        "details": {"can_edit": True, "created_by": {"id": 1, "username": t["username"]}},
    }


def _mirror(sb: Sandbox, text: str) -> None:
    data = sb.world.data
    data["discord"]["messages"].append(_discord_message(sb, text, "Discourse"))
    matrix.mirror(sb, CHATTER_ROOM, text, f"mirror{_now_ms()}")


@guarded(_discourse_auth)
async def discourse_create(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    body = await _form_or_json(request)
    raw = str(body.get("raw", ""))
    username = request.headers.get("api-username", "system")
    d = sb.world.data["discourse"]
    topic: Json | None
    with sb.world.lock:
        if "topic_id" not in body:
            title = str(body.get("title", ""))
            if len(title) < 5 or len(raw) < 10:
                return json_response({"action": "create_post", "errors": [
                    "Title is too short" if len(title) < 5 else "Body is too short"]}, 422)
            tags = body.get("tags") or []
            tags = [tags] if isinstance(tags, str) else [str(t) for t in tags]
            d["next_id"] += 1
            topic = {"id": d["next_id"], "title": title, "slug": _slug(title),
                     "category": int(body.get("category") or 1), "tags": tags,
                     "pinned": False, "created_at": now_iso(), "username": username}
            d["topics"].append(topic)
            number = 1
        else:
            topic = _find_topic(sb, int(body["topic_id"]))
            if topic is None:
                return json_response({"errors": ["The requested URL or resource could not "
                                                 "be found."], "error_type": "not_found"}, 404)
            number = 1 + sum(1 for p in d["posts"] if p["topic_id"] == topic["id"])
        d["next_id"] += 1
        post = {"id": d["next_id"], "topic_id": topic["id"], "post_number": number,
                "raw": raw, "username": username, "created_at": now_iso()}
        d["posts"].append(post)
        if number == 1 and {"kubo", "go-ipfs"} & set(topic["tags"]):
            url = f"{sb.base_url}/discourse/t/{topic['slug']}/{topic['id']}"
            _mirror(sb, f"{topic['title']} {url}")
    sb.world.save()
    return json_response(_post_json(sb, post, topic))


def _find_topic(sb: Sandbox, tid: int) -> Json | None:
    for t in sb.world.data["discourse"]["topics"]:
        if t["id"] == tid:
            return t  # type: ignore[no-any-return]
    return None


async def discourse_topic(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    t = _find_topic(sb, int(request.path_params["id"]))
    if t is None:
        return json_response({"errors": ["The requested URL or resource could not be found."],
                              "error_type": "not_found"}, 404)
    return json_response(_topic_json(sb, t))


@guarded(_discourse_auth)
async def discourse_status(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    body = await _form_or_json(request)
    t = _find_topic(sb, int(request.path_params["id"]))
    if t is None:
        return json_response({"errors": ["not found"], "error_type": "not_found"}, 404)
    status = body.get("status")
    enabled = str(body.get("enabled", "true")).lower() == "true"
    if status not in ("closed", "pinned", "pinned_globally", "archived", "visible"):
        return json_response({"errors": ["invalid status"], "error_type": "invalid_parameters"},
                             400)
    if status in ("pinned", "pinned_globally") and not _staff(_discourse_user(sb, request)):
        return _refused()
    with sb.world.lock:
        if status in ("pinned", "pinned_globally"):
            # Discourse keeps one pin per topic: pinned_at, and whether it is global.
            t["pinned"] = enabled
            t["pinned_globally"] = enabled and status == "pinned_globally"
            t["pinned_at"] = now_iso() if enabled else None
            t["pinned_until"] = body.get("until") if enabled else None
        else:
            t[status] = enabled
    sb.world.save()
    return json_response({"success": "OK", "topic_status_update": None})


def _topic_list_item(t: Json) -> Json:
    return {"id": t["id"], "title": t["title"], "fancy_title": t["title"], "slug": t["slug"],
            "posts_count": 1, "created_at": t["created_at"], "pinned": t["pinned"],
            "visible": True, "closed": False, "archived": False, "tags": t["tags"],
            "category_id": t["category"]}


async def discourse_search(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    q = request.query_params.get("q", "")
    words = [w.lower() for w in q.split() if ":" not in w and not w.startswith("#")]
    tags = [w[5:] for w in q.split() if w.startswith("tags:")]
    d = sb.world.data["discourse"]
    topics = [t for t in d["topics"]
              if all(w in t["title"].lower() for w in words)
              and all(tag in t["tags"] for tag in tags)]
    ids = {t["id"] for t in topics}
    posts = [{"id": p["id"], "topic_id": p["topic_id"], "post_number": p["post_number"],
              "username": p["username"], "created_at": p["created_at"],
              "blurb": p["raw"][:200]} for p in d["posts"] if p["topic_id"] in ids
             and p["post_number"] == 1]
    return json_response({
        "posts": posts, "topics": [_topic_list_item(t) for t in topics], "users": [],
        "categories": [], "tags": [], "groups": [],
        "grouped_search_result": {"more_posts": None, "more_users": None,
                                  "more_categories": None, "term": q,
                                  "search_log_id": 1, "more_full_page_results": None,
                                  "can_create_topic": True, "error": None,
                                  "post_ids": [p["id"] for p in posts], "user_ids": [],
                                  "category_ids": [], "tag_ids": [], "group_ids": []},
    })


async def discourse_latest(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    topics = sorted(sb.world.data["discourse"]["topics"], key=lambda t: t["id"], reverse=True)
    return json_response({"users": [], "primary_groups": [], "topic_list": {
        "can_create_topic": True, "per_page": 30,
        "topics": [_topic_list_item(t) for t in topics]}})


# -- Discord -----------------------------------------------------------------------------

def _discord_message(sb: Sandbox, content: str, username: str | None) -> Json:
    webhook = str(sb.world.data["discord"].get("webhook_id", "1000"))
    return {
        "id": _snowflake(), "type": 0, "content": content, "channel_id": "2000",
        "author": {"id": webhook, "username": username or "Kubo releases", "avatar": None,
                   "discriminator": "0000", "public_flags": 0, "flags": 0, "bot": True,
                   "global_name": None},
        "attachments": [], "embeds": [], "mentions": [], "mention_roles": [],
        "pinned": False, "mention_everyone": False, "tts": False,
        "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None,
        "flags": 0, "components": [], "webhook_id": webhook,
    }


def _discord_auth(request: Request) -> Response | None:
    if request.path_params.get("token") != DISCORD_TOKEN:
        return json_response({"message": "Invalid Webhook Token", "code": 50027}, 401)
    return None


@guarded(_discord_auth)
async def discord_execute(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    body = await _form_or_json(request)
    content = str(body.get("content") or "")
    if not content and not body.get("embeds"):
        return json_response({"message": "Cannot send an empty message", "code": 50006}, 400)
    msg = _discord_message(sb, content, body.get("username"))
    msg["embeds"] = body.get("embeds") or []
    with sb.world.lock:
        sb.world.data["discord"]["messages"].append(msg)
    sb.world.save()
    if request.query_params.get("wait", "false").lower() == "true":
        return json_response(msg)
    return Response(status_code=204)


@guarded(_discord_auth)
async def discord_get_message(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    for m in sb.world.data["discord"]["messages"]:
        if m["id"] == request.path_params["message_id"]:
            return json_response(m)
    return json_response({"message": "Unknown Message", "code": 10008}, 404)


async def discord_channel_messages(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    limit = int(request.query_params.get("limit", "50"))
    msgs = list(reversed(sb.world.data["discord"]["messages"]))[:limit]
    return json_response(msgs)


# -- Reddit ------------------------------------------------------------------------------

def _reddit_auth(request: Request) -> Response | None:
    if request.headers.get("authorization", "") != f"Bearer {REDDIT_TOKEN}":
        return json_response({"message": "Unauthorized", "error": 401}, 401)
    return None


@guarded(_reddit_auth)
async def reddit_submit(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    body = await _form_or_json(request)
    title, url, sr = str(body.get("title", "")), str(body.get("url", "")), str(body.get("sr", ""))
    kind = str(body.get("kind", "link"))
    errors = []
    if not title:
        errors.append(["NO_TEXT", "we need something here", "title"])
    if kind == "link" and not url:
        errors.append(["NO_URL", "a url is required", "url"])
    if not sr:
        errors.append(["SUBREDDIT_REQUIRED", "you must specify a subreddit", "sr"])
    if errors:
        return json_response({"json": {"errors": errors}})
    with sb.world.lock:
        posts = sb.world.data["reddit"]["posts"]
        pid = format(len(posts) + 46656, "x")
        post = {"id": pid, "name": f"t3_{pid}", "title": title, "url": url, "subreddit": sr,
                "kind": kind, "selftext": str(body.get("text", "")),
                "author": "kubo-release-bot", "created_utc": time.time(),
                "permalink": f"/r/{sr}/comments/{pid}/{_slug(title)}/"}
        posts.append(post)
    sb.world.save()
    return json_response({"json": {"errors": [], "data": {
        "url": f"{sb.base_url}/reddit{post['permalink']}", "drafts_count": 0,
        "id": pid, "name": post["name"]}}})


async def reddit_listing(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    sr = request.path_params["sr"]
    posts = [p for p in reversed(sb.world.data["reddit"]["posts"]) if p["subreddit"] == sr]
    return json_response({"kind": "Listing", "data": {
        "after": None, "before": None, "dist": len(posts), "modhash": "",
        "children": [{"kind": "t3", "data": dict(p, subreddit_name_prefixed=f"r/{sr}")}
                     for p in posts]}})


@guarded(_reddit_auth)
async def reddit_me(request: Request) -> Response:
    return json_response({"name": "kubo-release-bot", "id": "sandbox1"})


# -- registries -----------------------------------------------------------------------------

def _docker_digest(sb: Sandbox, repo: str, tag: str) -> str:
    """A tag's image digest: moving tags (latest, release) share their version's digest."""
    image = sb.world.data.get("docker_images", {}).get(repo, {}).get(tag, tag)
    return "sha256:" + hashlib.sha256(f"{repo}:{image}".encode()).hexdigest()


async def docker_tag(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    repo = f"{request.path_params['ns']}/{request.path_params['repo']}"
    tag = request.path_params["tag"]
    pushed = sb.world.data["docker"].get(repo, {}).get(tag)
    if pushed is None:
        return json_response({"message": f"httperror 404: tag '{tag}' not found",
                              "errinfo": {"namespace": request.path_params["ns"],
                                          "repository": request.path_params["repo"],
                                          "tag": tag}}, 404)
    digest = _docker_digest(sb, repo, tag)
    return json_response({
        "name": tag, "last_updated": pushed, "tag_status": "active", "full_size": 42_000_000,
        "id": int(digest[7:15], 16), "repository": 1, "v2": True, "digest": digest,
        "images": [{"architecture": a, "os": "linux", "digest": digest, "size": 42_000_000,
                    "status": "active"} for a in ("amd64", "arm64")],
    })


async def docker_tags(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    repo = f"{request.path_params['ns']}/{request.path_params['repo']}"
    tags = sb.world.data["docker"].get(repo, {})
    return json_response({"count": len(tags), "next": None, "previous": None, "results": [
        {"name": t, "last_updated": d, "tag_status": "active"} for t, d in tags.items()]})


async def docker_manifest(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    repo = f"{request.path_params['ns']}/{request.path_params['repo']}"
    tag = request.path_params["tag"]
    if tag not in sb.world.data["docker"].get(repo, {}):
        return json_response({"errors": [{"code": "MANIFEST_UNKNOWN",
                                          "message": "manifest unknown", "detail": tag}]}, 404)
    digest = _docker_digest(sb, repo, tag)
    return json_response({"schemaVersion": 2, "mediaType":
                          "application/vnd.oci.image.index.v1+json", "manifests": []},
                         headers={"docker-content-digest": digest})


def _npm_versions(sb: Sandbox, pkg: str, request: Request) -> Json | None:
    npm: Json | None = sb.world.data["npm"].get(pkg)
    return npm


async def npm_packument(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    pkg = request.path_params["package"]
    npm = _npm_versions(sb, pkg, request)
    if npm is None:
        return json_response({"error": "Not found"}, 404)
    base = f"{sb.base_url}/npm/{pkg}/-"
    versions = {v: {"name": pkg, "version": v, "dist": {
        "tarball": f"{base}/{pkg}-{v}.tgz",
        "shasum": hashlib.sha1(f"{pkg}{v}".encode()).hexdigest()}}
        for v in npm["versions"]}
    times = dict(npm["versions"])
    if times:
        times["created"] = min(times.values())
        times["modified"] = max(times.values())
    return json_response({"_id": pkg, "name": pkg, "dist-tags": npm["dist-tags"],
                          "versions": versions, "time": times})


async def npm_version(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    pkg, version = request.path_params["package"], request.path_params["version"]
    npm = _npm_versions(sb, pkg, request)
    if npm is None:
        return json_response({"error": "Not found"}, 404)
    version = npm["dist-tags"].get(version, version)
    if version not in npm["versions"]:
        return json_response(f"version not found: {version}", 404)
    return json_response({"name": pkg, "version": version, "dist": {
        "tarball": f"{sb.base_url}/npm/{pkg}/-/{pkg}-{version}.tgz"}})


def _npm_auth(request: Request) -> Response | None:
    if request.headers.get("authorization", "") != f"Bearer {NPM_TOKEN}":
        return json_response({"error": "You must be logged in to change dist-tags."}, 401,
                             headers={"www-authenticate": 'Bearer realm="npm"'})
    return None


def _npm_package(request: Request) -> tuple[Sandbox, str, Json | None]:
    sb: Sandbox = request.app.state.sandbox
    pkg = request.path_params["package"]
    return sb, pkg, sb.world.data["npm"].get(pkg)


async def npm_dist_tags(request: Request) -> Response:
    """``GET /-/package/{pkg}/dist-tags``: the tag → version map (``npm dist-tag ls``, and
    what ``add``/``rm`` read first)."""
    _, _, npm = _npm_package(request)
    if npm is None:
        return json_response({"error": "Not found"}, 404)
    return json_response(npm["dist-tags"])


@guarded(_npm_auth)
async def npm_dist_tag_put(request: Request) -> Response:
    """``PUT /-/package/{pkg}/dist-tags/{tag}``, the body a JSON string (the version), as
    ``npm dist-tag add`` sends it. A tag points only at a published version: the registry
    refuses others ("tag points to invalid version", 403), and npm does not check first."""
    sb, _, npm = _npm_package(request)
    if npm is None:
        return json_response({"error": "Not found"}, 404)
    try:
        version = json.loads(await request.body() or b"null")
    except ValueError:
        version = None
    if not isinstance(version, str) or not version:
        return json_response({"error": "the body must be the version, as a JSON string"}, 400)
    if version not in npm["versions"]:
        return json_response({"error": "forbidden",
                              "reason": f"tag points to invalid version: {version}"}, 403)
    with sb.world.lock:
        npm["dist-tags"][request.path_params["tag"]] = version
    sb.world.save()
    return json_response({"ok": "package tagged"}, 201)


@guarded(_npm_auth)
async def npm_dist_tag_delete(request: Request) -> Response:
    """``DELETE /-/package/{pkg}/dist-tags/{tag}`` (``npm dist-tag rm``). ``latest`` cannot
    be removed: the public registry answers 400 (npm/cli#8490); move it with ``add``."""
    sb, _, npm = _npm_package(request)
    tag = request.path_params["tag"]
    if npm is None or tag not in npm["dist-tags"]:
        return json_response({"error": "Not found"}, 404)
    if tag == "latest":
        return json_response({"error": "the latest dist-tag cannot be removed; point it "
                                       "at another version with npm dist-tag add"}, 400)
    with sb.world.lock:
        del npm["dist-tags"][tag]
    sb.world.save()
    return json_response({"ok": "tag removed"}, 201)


async def dist_versions(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    versions = sb.world.data["dist"].get(request.path_params["dist"])
    if versions is None:
        return PlainTextResponse("404 page not found\n", 404)
    return PlainTextResponse("\n".join(versions) + "\n")


async def dist_current(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    versions = sb.world.data["dist"].get(request.path_params["dist"])
    if not versions:
        return PlainTextResponse("404 page not found\n", 404)
    finals = [v for v in versions if "-" not in v]
    return PlainTextResponse((finals or versions)[-1] + "\n")


async def dist_manifest(request: Request) -> Response:
    """``/{dist}/{version}/dist.json``: the build manifest, once the version is listed."""
    sb: Sandbox = request.app.state.sandbox
    dist, version = request.path_params["dist"], request.path_params["version"]
    if version not in sb.world.data["dist"].get(dist, []):
        return PlainTextResponse("404 page not found\n", 404)
    platforms = {
        f"{os_name}": {"archs": {arch: {"link": f"/{dist}_{version}_{os_name}-{arch}.tar.gz"}
                                 for arch in ("amd64", "arm64")}}
        for os_name in ("linux", "darwin", "windows")
    }
    return json_response({"id": dist, "version": version, "releaseLink": f"/{dist}/{version}",
                          "platforms": platforms})


async def job_log_blob(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    log = sb.sim.job_log(int(request.path_params["job_id"]))
    if log is None:
        return PlainTextResponse("BlobNotFound", 404)
    return PlainTextResponse(log)


def routes() -> list[BaseRoute]:
    return [
        Mount("/discourse", routes=[
            Route("/posts.json", discourse_create, methods=["POST"]),
            Route("/t/{id:int}.json", discourse_topic, methods=["GET"]),
            Route("/t/{slug}/{id:int}.json", discourse_topic, methods=["GET"]),
            Route("/t/{id:int}/status.json", discourse_status, methods=["PUT"]),
            Route("/categories.json", discourse_categories, methods=["GET"]),
            Route("/u/{username}.json", discourse_user, methods=["GET"]),
            Route("/session/current.json", discourse_session, methods=["GET"]),
            Route("/search.json", discourse_search, methods=["GET"]),
            Route("/latest.json", discourse_latest, methods=["GET"]),
        ]),
        Mount("/discord", routes=[
            Route("/api/webhooks/{webhook_id}/{token}", discord_execute, methods=["POST"]),
            Route("/api/webhooks/{webhook_id}/{token}/messages/{message_id}",
                  discord_get_message, methods=["GET"]),
            Route("/api/channels/{channel_id}/messages", discord_channel_messages,
                  methods=["GET"]),
        ]),
        Mount("/reddit", routes=[
            Route("/api/submit", reddit_submit, methods=["POST"]),
            Route("/api/v1/me", reddit_me, methods=["GET"]),
            Route("/r/{sr}/new.json", reddit_listing, methods=["GET"]),
            Route("/r/{sr}/new", reddit_listing, methods=["GET"]),
        ]),
        matrix.routes(),
        Mount("/docker", routes=[
            Route("/v2/repositories/{ns}/{repo}/tags/{tag}", docker_tag, methods=["GET"]),
            Route("/v2/repositories/{ns}/{repo}/tags", docker_tags, methods=["GET"]),
            Route("/v2/{ns}/{repo}/manifests/{tag}", docker_manifest, methods=["GET", "HEAD"]),
        ]),
        Mount("/npm", routes=[
            Route("/-/package/{package:path}/dist-tags", npm_dist_tags, methods=["GET"]),
            Route("/-/package/{package:path}/dist-tags/{tag}", npm_dist_tag_put,
                  methods=["PUT"]),
            Route("/-/package/{package:path}/dist-tags/{tag}", npm_dist_tag_delete,
                  methods=["DELETE"]),
            Route("/{package}", npm_packument, methods=["GET"]),
            Route("/{package}/{version}", npm_version, methods=["GET"]),
        ]),
        Mount("/dist", routes=[
            Route("/{dist}/versions", dist_versions, methods=["GET"]),
            Route("/{dist}/current", dist_current, methods=["GET"]),
            Route("/{dist}/{version}/dist.json", dist_manifest, methods=["GET"]),
        ]),
        Route("/_blobs/actions-logs/{job_id:int}.txt", job_log_blob, methods=["GET"]),
        *github_graphql.routes(),  # GitHub's GraphQL, at GitHub Enterprise's /api/graphql
        *blog.routes(),  # the blog's release-notes page, as its last deploy built it
        *pypi.routes(),  # the Python Package Index under /pypi
        *crates.routes(),  # crates.io under /crates
    ]
