"""Each phone's open conversation, kept in Redis with an expiry."""

from __future__ import annotations

import json

from redis import Redis

from conversations import State


class ConversationStates:
    """Load and save ``State`` per phone; an expired or missing key is no conversation."""

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    def load(self, phone: str) -> State | None:
        raw = self.redis.get(_key(phone))
        if raw is None:
            return None
        try:
            return State.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            # A state written by an older release: start the conversation afresh.
            return None

    def save(self, phone: str, state: State | None) -> None:
        if state is None:
            self.redis.delete(_key(phone))
        else:
            self.redis.set(_key(phone), json.dumps(state.to_dict()), ex=self.ttl_seconds)


def _key(phone: str) -> str:
    return f"conversation:{phone}"
