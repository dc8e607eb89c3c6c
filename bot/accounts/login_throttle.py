"""Slow down password guessing for one account from one address, and never lock anyone out.

Attempts are counted per pair of account and client address: a colleague mistyping at the
same office, or the owner logging in from elsewhere, is never held back by someone else's
guesses. A pair's first ``FREE_ATTEMPTS`` come at once; each one after waits for the one
before, ``FIRST_WAIT`` seconds and then twice as long each time, up to ``LONGEST_WAIT``. A
right password clears the pair, and a pair left alone for ``FORGET_AFTER`` starts afresh.

The count is taken before the password is checked, in one Lua script on Redis's own clock, so
a burst of concurrent guesses gets exactly ``FREE_ATTEMPTS`` password checks, not more.
"""

from __future__ import annotations

import hashlib
import math

from redis import Redis

FREE_ATTEMPTS = 5
FIRST_WAIT = 15.0  # seconds
LONGEST_WAIT = 15 * 60.0
FORGET_AFTER = 15 * 60.0

# KEYS[1]: the pair. ARGV: free attempts, first wait, longest wait, forget after (ms).
# Answers 0 when this attempt may go ahead, or the milliseconds until the pair's next one.
_ATTEMPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'attempts', 'next')
local attempts = tonumber(stored[1] or 0)
local next_at = tonumber(stored[2] or 0)
if now < next_at then
  return next_at - now
end
attempts = attempts + 1
local wait = 0
local free = tonumber(ARGV[1])
if attempts >= free then
  wait = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ (attempts - free))
end
redis.call('HSET', KEYS[1], 'attempts', attempts, 'next', string.format('%.0f', now + wait))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + math.floor(wait))
return 0
"""


class LoginThrottle:
    """Password attempts per account and address, kept in Redis for every web process."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._attempt = redis.register_script(_ATTEMPT)

    def attempt(self, email: str, address: str) -> int:
        """Count an attempt; 0 if it may go ahead, else the seconds until the pair's next."""
        args = [FREE_ATTEMPTS, FIRST_WAIT * 1000, LONGEST_WAIT * 1000, FORGET_AFTER * 1000]
        wait_ms = int(self._attempt(keys=[_key(email, address)], args=args))
        return math.ceil(wait_ms / 1000)

    def succeeded(self, email: str, address: str) -> None:
        """The right password: the pair starts afresh."""
        self.redis.delete(_key(email, address))


def _key(email: str, address: str) -> str:
    # Hashed: the key holds no email address, and any length of input makes one short key.
    pair = hashlib.sha256(f"{email}\0{address}".encode()).hexdigest()
    return f"login-attempts:{pair}"
