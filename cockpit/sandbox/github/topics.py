"""A repository's topics: ``GET``/``PUT /repos/{o}/{r}/topics``.

GitHub's rules: a ``PUT`` replaces the whole set; names are saved lowercase; each starts
with a letter or digit, holds only those and hyphens, and is at most 50 characters; at
most 20 per repository. The repository object's ``topics`` is the same list.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from cockpit.sandbox.github.api import REPO, ApiRoute, Ctx
from cockpit.sandbox.http import ApiError, json_body, json_response

TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
MAX_TOPICS = 20
RULE = ("Topics must start with a lowercase letter or number, consist of 50 characters or "
        "less, and can include hyphens.")


async def get_topics(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    return json_response({"names": list(r.get("topics", []))})


async def put_topics(ctx: Ctx) -> Response:
    r, _ = ctx.repo()
    body = await json_body(ctx.request)
    names = body.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ApiError(422, "Invalid request.", ["names must be an array of strings"])
    wanted = list(dict.fromkeys(n.strip().lower() for n in names))
    bad = [n for n in wanted if not TOPIC.match(n)]
    if bad:
        raise ApiError(422, "Validation Failed", [f"{n} is not a valid topic. {RULE}"
                                                   for n in bad])
    if len(wanted) > MAX_TOPICS:
        raise ApiError(422, "Validation Failed",
                       [f"A repository cannot have more than {MAX_TOPICS} topics."])
    with ctx.sb.world.lock:
        r["topics"] = wanted
    ctx.sb.world.save()
    return json_response({"names": wanted})


ROUTES: list[ApiRoute] = [
    ("GET", REPO + "/topics", get_topics),
    ("PUT", REPO + "/topics", put_topics),
]
