"""A per-phone budget of texts, so one phone's flood cannot slow others or loop replies.

Twilio stops a conversation that gets 15 replies in 30 seconds; the bot answers at most
``TEXTS_PER_WINDOW`` texts per phone per window, well below that. Texts over the budget are
stored, not answered.
"""

from __future__ import annotations

import time

from redis import Redis

WINDOW_SECONDS = 30
TEXTS_PER_WINDOW = 12


class PhoneThrottle:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def allow(self, phone: str, now: float | None = None) -> bool:
        """Count a text from ``phone``; False once it is over this window's budget."""
        window = int((time.time() if now is None else now) // WINDOW_SECONDS)
        key = f"throttle:{phone}:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
        return int(count) <= TEXTS_PER_WINDOW
