"""Inbound texts that arrived while the database was away, kept in Redis until it is back.

Push is one RPUSH. Draining moves one text at a time to a processing list (LMOVE), hands it
to the caller and removes it only once the caller has stored it, so a drainer that dies
mid-way leaves the text to the next one. One drainer at a time keeps each phone's texts in order.

Each phone with texts in the spool is marked (``spooled:{phone}``, a count): its turn reads the
mark, and a newer text joins the spool behind the older ones instead of overtaking them, even
once the database is back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from redis import Redis
from redis.lock import Lock

from bot.inbound.texts import InboundText

# One hash tag, so LMOVE between the two lists works on a clustered Redis too.
QUEUE = "spool:{inbound}"
PROCESSING = "spool:{inbound}:processing"
MARK_SECONDS = 24 * 3600  # a mark a lost drain left behind only delays the phone's answers

# KEYS: the phone's mark. One text of the phone left the spool; no text left, no mark.
_DRAINED = """
local left = redis.call('DECR', KEYS[1])
if left <= 0 then redis.call('DEL', KEYS[1]) end
return left
"""


def spooled_key(phone: str) -> str:
    """The mark of a phone with texts in the spool, in the phone's hash slot (see phone_turns)."""
    return "spooled:{" + phone + "}"


class InboundSpool:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._drained = redis.register_script(_DRAINED)

    def push(self, text: InboundText) -> None:
        """Keep ``text`` until the database can take it, behind the phone's earlier ones."""
        data = asdict(text) | {"received_at": text.received_at.isoformat()}
        # Marked first: once the text is in the spool, no newer one may overtake it.
        mark = spooled_key(text.phone)
        self.redis.incr(mark)
        self.redis.expire(mark, MARK_SECONDS)
        self.redis.rpush(QUEUE, json.dumps(data))

    def __len__(self) -> int:
        return int(self.redis.llen(QUEUE)) + int(self.redis.llen(PROCESSING))

    def drain(self, handle: Callable[[InboundText], object]) -> int:
        """Hand every spooled text to ``handle``, oldest first; return how many were handled."""
        lock = Lock(self.redis, "lock:spool-drain", timeout=300, blocking_timeout=0)
        if not lock.acquire():
            return 0  # Another worker is draining; order needs a single drainer.
        handled = 0
        try:
            # A drainer that died left its text here: it goes first, as it came first.
            while self.redis.lmove(PROCESSING, QUEUE, "RIGHT", "LEFT") is not None:
                pass
            while (raw := self.redis.lmove(QUEUE, PROCESSING, "LEFT", "RIGHT")) is not None:
                text = _text(raw)
                handle(text)
                self.redis.lrem(PROCESSING, 1, raw)  # type: ignore[arg-type]  # bytes is fine
                self._drained(keys=[spooled_key(text.phone)])
                handled += 1
                lock.reacquire()
        finally:
            lock.release()
        return handled


def _text(raw: bytes | str) -> InboundText:
    data = json.loads(raw)
    data["received_at"] = datetime.fromisoformat(data["received_at"])
    return InboundText(**data)
