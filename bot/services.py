"""The parts the bot talks to, built once per app from its settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import fakeredis
from flask import Flask, current_app
from redis import Redis
from redis.lock import Lock
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session, sessionmaker

from bot.campaigns import load_catalog
from bot.config import Settings
from bot.conversation_state import ConversationStates
from bot.database import make_engine, make_sessions
from bot.places import ZipCodes
from bot.senders import Sender, make_sender
from conversations import Catalog

# Replies and confirmations go first; later bulk work must never delay them.
REPLIES_QUEUE = "replies"
QUEUES = (REPLIES_QUEUE,)
# Twilio or the database may be briefly away: retry a job at growing intervals.
JOB_RETRY = Retry(max=5, interval=[2, 10, 30, 60, 300])
_OVER = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


@dataclass
class Services:
    settings: Settings
    db: sessionmaker[Session]
    redis: Redis
    queues: dict[str, Queue]
    sender: Sender
    catalog: Catalog
    places: ZipCodes
    conversations: ConversationStates

    def enqueue(self, function: Any, *args: Any, job_id: str) -> None:
        """Queue a job, unless the same job is already waiting or running."""
        queue = self.queues[REPLIES_QUEUE]
        try:
            queue.enqueue(function, *args, job_id=job_id, retry=JOB_RETRY, unique=True)
        except DuplicateJobError:
            job = Job.fetch(job_id, connection=self.redis)
            if job.get_status(refresh=False) not in _OVER:
                return
            # A finished or failed run of it is still on record: the work came back, so go again.
            job.delete()
            queue.enqueue(function, *args, job_id=job_id, retry=JOB_RETRY, unique=True)

    @contextmanager
    def phone_lock(self, phone: str) -> Iterator[None]:
        """Handle one text per phone at a time, so two quick texts cannot race."""
        lock = Lock(self.redis, f"lock:phone:{phone}", timeout=30, blocking_timeout=20)
        if not lock.acquire():
            raise TimeoutError(f"another text from {phone} is still being handled")
        try:
            yield
        finally:
            lock.release()


def init_app(app: Flask, settings: Settings) -> None:
    redis: Redis = (
        fakeredis.FakeRedis() if settings.embedded_redis else Redis.from_url(settings.redis_url)
    )
    # With the in-process Redis there is no worker: jobs run as they are queued.
    queues = {
        name: Queue(name, connection=redis, is_async=not settings.embedded_redis) for name in QUEUES
    }
    app.extensions["petition_bot"] = Services(
        settings=settings,
        db=make_sessions(make_engine(settings.database_url)),
        redis=redis,
        queues=queues,
        sender=make_sender(settings),
        catalog=load_catalog(settings.campaigns_dir),
        places=ZipCodes(),
        conversations=ConversationStates(redis, settings.conversation_ttl),
    )


def services() -> Services:
    """The current app's services (inside an app context: a request, a job, a command)."""
    return current_app.extensions["petition_bot"]  # type: ignore[no-any-return]
