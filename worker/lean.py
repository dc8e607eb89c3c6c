"""RQ's SimpleWorker, minus the Redis writes that repeat one it has just made.

Around every job RQ refreshes the worker's heartbeat three times (three commands, one round trip
each) and stores its state as idle twice. In a surge those round trips were a large part of
the job workers' time. Everything RQ keeps in Redis stays as it was, only not written again
while it is still fresh.
"""

from __future__ import annotations

import time

from redis.client import Pipeline
from rq.worker import SimpleWorker

# A full heartbeat this recent holds the worker's key for ``worker_ttl + 60`` seconds, longer
# than the longest wait for a job (``worker_ttl - 15``): sending it again changes nothing.
FRESH_SECONDS = 1.0


class LeanWorker(SimpleWorker):
    # The database holds every outcome: no log line per job about how long RQ keeps its copy.
    log_result_lifespan = False
    _full_heartbeat_at: float | None = None

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        """Keep the worker's key alive, in one round trip, unless a full refresh just did."""
        full = timeout is None or timeout >= self.worker_ttl + 60
        last = self._full_heartbeat_at
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
        elif full and last is not None and time.monotonic() - last < FRESH_SECONDS:
            return
        else:
            with self.connection.pipeline(transaction=False) as batch:
                super().heartbeat(timeout, pipeline=batch)
                batch.execute()
        # A job's shorter expiry replaced the full one, so the next refresh must go.
        self._full_heartbeat_at = time.monotonic() if full else None

    def set_state(self, state: str, pipeline: Pipeline | None = None) -> None:
        """Store the worker's state, unless that is the state it stored last."""
        if pipeline is None and state == self.get_state():
            return
        super().set_state(state, pipeline=pipeline)
