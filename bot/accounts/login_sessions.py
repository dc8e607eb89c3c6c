"""Logins the server can end: each has an id, kept in Redis while it lasts.

The session cookie is signed, not stored, so on its own it stays good until it expires, even
after logging out: a copy taken before still works. So each login gets a random id, kept in
the cookie and in the account's set in Redis; a request counts as logged in only while its id
is in that set. Logging out takes the id out; logging out everywhere, a new password and
disabling the account empty the set. Should Redis lose its data, everyone logs in again.
"""

from __future__ import annotations

import secrets
import time

from redis import Redis

LIFETIME = 12 * 3600  # seconds; also the session cookie's (PERMANENT_SESSION_LIFETIME)


def _key(user_id: int) -> str:
    return f"logins:{user_id}"


def start(redis: Redis, user_id: int) -> str:
    """A new login's id, alive for ``LIFETIME`` seconds."""
    login_id = secrets.token_urlsafe(24)
    now = time.time()
    pipe = redis.pipeline()
    pipe.zremrangebyscore(_key(user_id), "-inf", now)  # the account's expired logins
    pipe.zadd(_key(user_id), {login_id: now + LIFETIME})
    pipe.expire(_key(user_id), LIFETIME)
    pipe.execute()
    return login_id


def alive(redis: Redis, user_id: int, login_id: str) -> bool:
    expires = redis.zscore(_key(user_id), login_id)
    return expires is not None and float(expires) > time.time()


def end(redis: Redis, user_id: int, login_id: str) -> None:
    redis.zrem(_key(user_id), login_id)


def end_all(redis: Redis, user_id: int) -> None:
    """End every login of the account, on every device."""
    redis.delete(_key(user_id))
