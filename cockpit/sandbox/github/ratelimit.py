"""GitHub's rate limits, enforced: the primary limit per token and the secondary limit on
bursts of writes.

The primary limit is a budget of requests per hour per token (GitHub: 5,000; 60 per IP
address without one; ``SandboxOptions.rate_limit`` / ``cockpit sandbox --rate-limit``
changes the token budget): every answer carries truthful ``x-ratelimit-*`` headers, a
request past the budget gets GitHub's 403 ``API rate limit exceeded`` with the reset time,
and a conditional request answered 304 costs nothing (so it is served even at 0). The
secondary limit refuses content-creating requests (writes) that come too fast:
more than ``SandboxOptions.secondary_writes`` in a minute from one token gets GitHub's 403
``You have exceeded a secondary rate limit`` with ``retry-after``.

State lives on the ``Sandbox`` (``rate_used``, ``rate_reset``, ``write_times``), so tests
can look at it or spend a budget directly.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cockpit.sandbox.http import ApiError

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

ANONYMOUS_LIMIT = 60
WINDOW_SECONDS = 3600
BURST_SECONDS = 60.0
PRIMARY_DOCS = ("https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                "#about-primary-rate-limits")
SECONDARY_DOCS = ("https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                  "#about-secondary-rate-limits")


def limit_of(sb: Sandbox, who: str) -> int:
    return ANONYMOUS_LIMIT if who.startswith("anon:") else sb.options.rate_limit


def _window(sb: Sandbox) -> None:
    now = int(time.time())
    if now >= sb.rate_reset:
        sb.rate_used.clear()
        sb.rate_reset = now + WINDOW_SECONDS


def exhausted(sb: Sandbox, who: str) -> bool:
    """Whether ``who`` has spent this hour's budget."""
    _window(sb)
    return sb.rate_used.get(who, 0) >= limit_of(sb, who)


def headers(sb: Sandbox, who: str, count: bool) -> dict[str, str]:
    """The ``x-ratelimit-*`` headers after this request (counted unless ``count`` is
    False: a 304, ``/rate_limit`` itself, or a request refused for the limit)."""
    _window(sb)
    limit = limit_of(sb, who)
    if count and sb.rate_used.get(who, 0) < limit:
        sb.rate_used[who] = sb.rate_used.get(who, 0) + 1
    used = sb.rate_used.get(who, 0)
    return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(max(0, limit - used)),
            "x-ratelimit-reset": str(sb.rate_reset), "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core"}


def primary_refusal(sb: Sandbox, who: str) -> ApiError:
    """GitHub's answer once the budget is spent (the headers say when it resets)."""
    if who.startswith("anon:"):
        message = (f"API rate limit exceeded for {who.removeprefix('anon:')}. (But here's "
                   "the good news: Authenticated requests get a higher rate limit. Check out "
                   "the documentation for more details.)")
    else:
        user = sb.world.data["users"].get(who, {})
        message = f"API rate limit exceeded for user ID {user.get('id', 0)}."
    error = ApiError(403, message, headers=headers(sb, who, count=False))
    error.documentation_url = PRIMARY_DOCS
    return error


def is_content_creating(method: str, path: str) -> bool:
    """Writes count towards the secondary limit (GraphQL queries are POSTs but read)."""
    return method != "GET" and not path.endswith("/graphql")


def secondary_refusal(sb: Sandbox, who: str) -> ApiError | None:
    """Record one write by ``who``; the 403 GitHub sends when they come too fast."""
    now = time.monotonic()
    recent = [t for t in sb.write_times.get(who, []) if now - t < BURST_SECONDS]
    if len(recent) >= sb.options.secondary_writes:
        sb.write_times[who] = recent
        retry = max(1, int(BURST_SECONDS - (now - recent[0])) + 1)
        error = ApiError(403, "You have exceeded a secondary rate limit. Please wait a few "
                              "minutes before you try again.",
                         headers={"retry-after": str(retry)})
        error.documentation_url = SECONDARY_DOCS
        return error
    sb.write_times[who] = [*recent, now]
    return None
