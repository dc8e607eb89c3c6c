"""A phone's turn on Redis: its text budget, its lock and its conversation, one call each way.

Texts from one phone are handled one at a time. A turn begins with one script call that
counts the text against the phone's budget, takes the phone's lock and reads its open
conversation; it ends with one that saves the conversation and gives the lock back. Each
is a round trip instead of three, on the path every inbound text takes.

The budget: Twilio stops a conversation that gets 15 replies in 30 seconds, so the bot answers
at most ``TEXTS_PER_WINDOW`` texts per phone per window, well below that; texts over it are
stored, not answered. The lock holds a random token, so only the turn that took it releases it,
and it expires, so a process that died holding it blocks the phone for ``LOCK_SECONDS`` at most.
A text that waited that out is stored to answer later, and the phone marked: the next turn
answers the stored texts first, so the phone's texts still take effect in order. The turn also
reads whether the phone has texts in the spool (``bot.inbound.spool``), which a newer text must
not pass.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from redis import Redis

from bot.inbound.spool import spooled_key
from conversations import State

WINDOW_SECONDS = 30
TEXTS_PER_WINDOW = 12
LOCK_SECONDS = 30
LOCK_MS = LOCK_SECONDS * 1000
# For a busy lock, before the webhook stores the text to answer later: under Twilio's 15-second
# webhook timeout, which would otherwise drop the text with nobody having stored it.
WAIT_SECONDS = 10
RETRY_SECONDS = 0.1
DEFERRED_SECONDS = 24 * 3600  # the mark outlives any sweep that answers the stored texts

# KEYS: budget, lock, conversation, deferred mark, spooled mark. ARGV: token, lock ms, budget
# (0: not counted), window seconds, 1 if the text goes through whatever its count (a stop
# request). Returns {0} over budget, {1} lock busy, or the turn is ours:
# {2, conversation or '', 1 if deferred, 1 if spooled}.
_BEGIN = """
local budget = tonumber(ARGV[3])
if budget > 0 then
  local count = redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
  if count > budget and ARGV[5] ~= '1' then return {0} end
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
local conversation = redis.call('GET', KEYS[3]) or ''
return {2, conversation, redis.call('EXISTS', KEYS[4]), redis.call('EXISTS', KEYS[5])}
"""

# KEYS: lock, conversation. ARGV: token, 1 to save the conversation, its JSON ('' for none),
# its expiry in seconds. Returns 1 if the lock was still ours.
_END = """
if ARGV[2] == '1' then
  if ARGV[3] == '' then
    redis.call('DEL', KEYS[2])
  else
    redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
  end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

_OVER_BUDGET, _BUSY = 0, 1


class OverBudget(Exception):
    """The phone has used this window's budget of texts."""


@dataclass
class PhoneTurn:
    """One phone's lock, held, with its conversation as found and then as the texts left it."""

    phone: str
    token: str
    state: State | None
    moved: bool = False
    deferred: bool = False  # texts stored while the phone's turn was stuck wait to be answered
    spooled: bool = False  # texts spooled while the database was away wait to be answered

    def advance(self, state: State | None) -> None:
        """Note the conversation a committed text left, to be saved when the turn ends."""
        self.state, self.moved = state, True


class PhoneTurns:
    def __init__(self, redis: Redis, conversation_ttl: int) -> None:
        self.conversation_ttl = conversation_ttl
        self.redis = redis
        self._begin = redis.register_script(_BEGIN)
        self._end = redis.register_script(_END)

    def begin(
        self, phone: str, *, counted_at: float | None = None, exempt: bool = False
    ) -> PhoneTurn:
        """Take ``phone``'s turn, waiting while another holds it.

        With ``counted_at`` (a timestamp) the text counts against the phone's budget of that
        window, and is refused over it (``OverBudget``) unless ``exempt``. Raises
        ``TimeoutError`` when the lock stays busy for ``WAIT_SECONDS``.
        """
        token = secrets.token_hex(16)
        keys = [
            _budget_key(phone, counted_at),
            _lock_key(phone),
            _conversation_key(phone),
            _deferred_key(phone),
            spooled_key(phone),
        ]
        budget = 0 if counted_at is None else TEXTS_PER_WINDOW
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            args: list[str | int] = [token, LOCK_MS, budget, WINDOW_SECONDS, int(exempt)]
            found = self._begin(keys=keys, args=args)
            if found[0] == _OVER_BUDGET:
                raise OverBudget(phone)
            if found[0] != _BUSY:
                return PhoneTurn(
                    phone,
                    token,
                    _decode(found[1]),
                    deferred=bool(found[2]),
                    spooled=bool(found[3]),
                )
            if time.monotonic() >= deadline:
                raise TimeoutError(f"another text from {phone} is still being handled")
            budget = 0  # counted once: waiting for the lock is not another text
            time.sleep(RETRY_SECONDS)

    def defer(self, phone: str) -> None:
        """Mark ``phone``: a text of its was stored to answer later, to come before the next."""
        self.redis.set(_deferred_key(phone), 1, ex=DEFERRED_SECONDS)

    def caught_up(self, phone: str) -> None:
        """Clear the mark: no text of ``phone`` waits to be answered any more."""
        self.redis.delete(_deferred_key(phone))

    def end(self, turn: PhoneTurn) -> bool:
        """Save the conversation if a text moved it and release the lock if still ours.

        Returns False when the lock had expired meanwhile (another text may have taken it).
        """
        encoded = "" if turn.state is None else json.dumps(turn.state.to_dict())
        args: list[str | int] = [turn.token, int(turn.moved), encoded, self.conversation_ttl]
        keys = [_lock_key(turn.phone), _conversation_key(turn.phone)]
        return bool(self._end(keys=keys, args=args))


def _decode(raw: bytes) -> State | None:
    if not raw:
        return None
    try:
        return State.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError):
        # A state written by an older release: start the conversation afresh.
        return None


def _budget_key(phone: str, counted_at: float | None) -> str:
    return f"throttle:{_tag(phone)}:{int((counted_at or 0) // WINDOW_SECONDS)}"


def _lock_key(phone: str) -> str:
    return f"lock:phone:{_tag(phone)}"


def _conversation_key(phone: str) -> str:
    return f"conversation:{_tag(phone)}"


def _deferred_key(phone: str) -> str:
    return f"deferred:{_tag(phone)}"


def _tag(phone: str) -> str:
    # A Redis Cluster hash tag: a phone's keys share one slot, so one script may touch them all.
    return "{" + phone + "}"
