"""Free the scheduler locks a killed worker left behind, so a restarted worker schedules at once.

RQ's scheduler (it moves retries and scheduled broadcasts onto their queues when due) holds
a lock per queue for 61 seconds, refreshed every second. A worker killed with SIGKILL cannot
release it, and a worker started after it finds the lock taken and tries again only at its
next maintenance, ten minutes later: retries and scheduled broadcasts wait that long.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from redis import Redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock
from rq.utils import utcparse

# A scheduler beats every second: on another machine, this long without a beat means gone.
STALE_SECONDS = 10


def release_stale(redis: Redis, queue_names: list[str]) -> list[str]:
    """Release the locks held by schedulers that are gone; return the queues freed."""
    freed = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        owner = _text(redis.get(key))
        # Released only if still that owner's: a live scheduler may have just taken it.
        if owner and _gone(redis, owner) and release_lock(redis, key, owner):
            freed.append(name)
    return freed


def _gone(redis: Redis, owner: str) -> bool:
    stored = redis.hgetall(SCHEDULER_KEY_TEMPLATE % owner)
    facts = {_text(name): _text(value) for name, value in stored.items()}
    if not facts.get("last_heartbeat"):
        return True
    if facts.get("hostname") == socket.gethostname() and facts.get("pid", "").isdigit():
        # On this machine the process itself can be asked, without waiting for a beat to age.
        return not _running(int(facts["pid"]))
    age = datetime.now(UTC) - utcparse(facts["last_heartbeat"])
    return age.total_seconds() > STALE_SECONDS


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else value or ""


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    # A zombie (killed, not yet reaped by its parent) answers the signal but runs nothing.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return True  # no /proc: the signal's answer must do
