"""Public files rendered once per change of what they show, kept in Redis, sent with an ETag.

An event's sign PDF takes ~110 ms of CPU to draw, and anyone may ask for it: drawn for every
request, a few dozen connections took the CPU the webhook needs. Drawn once for each version
of the sign (its content names the cache entry), every later request is a Redis read, or a
304 Not Modified for a browser that has it already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress

from flask import Response, request
from redis import Redis
from redis.exceptions import RedisError

KEEP_SECONDS = 24 * 3600  # a sign no one asks for again leaves the cache after a day


def cached(
    redis: Redis, name: str, content: object, render: Callable[[], bytes], mimetype: str
) -> Response:
    """``render()``'s bytes for this ``content``, drawn only if no process has drawn them yet."""
    etag = hashlib.sha256(f"{name}\0{content!r}".encode()).hexdigest()[:32]
    key = f"render:{etag}"
    try:
        body = redis.get(key)
    except RedisError:
        body = None
    if not isinstance(body, bytes):
        body = render()
        # Redis away: drawn again next time, and the page still works.
        with suppress(RedisError):
            redis.set(key, body, ex=KEEP_SECONDS)
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    # Public (it is what the poster shows), but checked each time: an edited event shows at once.
    response.headers["Cache-Control"] = "public, no-cache"
    response.make_conditional(request)  # a 304 without the body, when the browser has it
    return response
