"""A sender's pace (TWILIO_MPS, in segments a second), kept by every worker together in Redis.

It is GCRA, the leaky bucket written as one number: the sender's "theoretical arrival time"
(TAT), the moment its sends so far would have finished at exactly the allowed pace. A send of
``cost`` segments reserves the slot starting at max(TAT, now) and pushes TAT on by
``cost / rate`` seconds; it goes when its slot comes, so sends are spaced exactly, with no
burst ahead of the pace. The Lua script runs atomically on Redis's own clock, so ten workers
on ten machines share one pace and no clock skew between them matters. A slot is reserved
only when it is at most ``max_wait`` away, so nobody holds a reservation far into the future.

A carrier's 429 ("too many requests") holds every sender's thread for the seconds asked, by
setting the same key's ``hold`` field: a worker that did not see the 429 waits too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis import Redis

MICROS = 1_000_000
# Reserve a slot only this far ahead; a later slot is polled for instead.
MAX_WAIT = 0.5
# Slots are exact, but a thread starts its send a little after its slot (it wakes, the request
# is built), so a late send can share a one-second window with ones on time: such a window may
# hold up to this many seconds' worth of sends over the rate. The pace over a minute is exact.
BURST_SECONDS = 0.1

# ARGV: interval, max_wait (microseconds), then the cost of each send in turn. Slots go
# in order while each opens within max_wait; the answer is {slots taken, the wait for the
# first send not given one (-1: none), the wait of each slot taken}.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[1], 'tat', 'hold')
local tat = tonumber(stored[1] or 0)
local hold = tonumber(stored[2] or 0)
local waits = {}
local refused = -1
for i = 3, #ARGV do
  local start = math.max(tat, now)
  local wait = math.max(start, hold) - now
  if wait > max_wait then
    refused = wait
    break
  end
  tat = math.max(start, now + wait) + tonumber(ARGV[i]) * interval
  waits[#waits + 1] = wait
end
if #waits > 0 then
  -- %.0f: Lua's default number format keeps 14 digits, too few for microseconds
  redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
  redis.call('PEXPIRE', KEYS[1], math.floor((tat - now) / 1000) + 60000)
end
return {#waits, refused, unpack(waits)}
"""

_HOLD = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local hold = now + tonumber(ARGV[1])
if hold > tonumber(redis.call('HGET', KEYS[1], 'hold') or 0) then
  redis.call('HSET', KEYS[1], 'hold', string.format('%.0f', hold))
end
if redis.call('PTTL', KEYS[1]) < math.floor(tonumber(ARGV[1]) / 1000) + 60000 then
  redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[1]) / 1000) + 60000)
end
return hold
"""


@dataclass(frozen=True)
class Reservation:
    """The script's answer: whether a slot was taken, and how long until it (or the next) opens."""

    reserved: bool
    wait: float  # seconds


class RateLimit:
    """The pace of one sender, shared through Redis by every thread of every worker."""

    def __init__(self, redis: Redis, sender: str, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError(f"a rate must be above zero, not {per_second}")
        self.redis = redis
        self.key = f"rate:{sender}"
        self.per_second = per_second
        self._interval = MICROS / per_second
        self._reserve = redis.register_script(_RESERVE)
        self._hold = redis.register_script(_HOLD)

    def reserve(self, cost: int, max_wait: float = MAX_WAIT) -> Reservation:
        """Take the next slot for ``cost`` segments if it opens within ``max_wait`` seconds."""
        waits, refused = self.reserve_many([cost], max_wait)
        return Reservation(True, waits[0]) if waits else Reservation(False, refused)

    def reserve_many(
        self, costs: Sequence[int], max_wait: float = MAX_WAIT
    ) -> tuple[list[float], float]:
        """Take slots for sends of these costs, in order, while each opens within ``max_wait``.

        Returns the wait (seconds) of each slot taken, and how long until the first send left
        without one could have its slot (0 when every send got one). One call to Redis.
        """
        args = [self._interval, max(0.0, max_wait) * MICROS]
        answer = self._reserve(keys=[self.key], args=[*args, *(max(c, 1) for c in costs)])
        taken, refused = int(answer[0]), int(answer[1])
        waits = [int(wait) / MICROS for wait in answer[2 : 2 + taken]]
        return waits, max(refused, 0) / MICROS

    def acquire(self, cost: int, deadline: float) -> bool:
        """Wait until ``cost`` segments may go and say True; False if not before ``deadline``.

        ``deadline`` is a ``time.monotonic()`` reading. No slot is taken past it, so a caller
        that gets False has used none of the sender's pace.
        """
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            answer = self.reserve(cost, max_wait=min(MAX_WAIT, left))
            if answer.reserved:
                time.sleep(answer.wait)
                return True
            if answer.wait >= left:
                return False
            # Come back when the slot is near; the jitter keeps waiting threads from colliding.
            nap = answer.wait - MAX_WAIT + random.uniform(0, 0.01)
            time.sleep(min(max(nap, 0.001), left))

    def hold(self, seconds: float) -> None:
        """Stop every send through this pace for ``seconds``: the carrier asked us to slow down."""
        self._hold(keys=[self.key], args=(max(seconds, 0.0) * MICROS,))
