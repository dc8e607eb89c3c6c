"""The parts the bot talks to, built once per app from its settings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import fakeredis
from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session, sessionmaker

from bot.campaigns.catalog import CatalogSource
from bot.config import Settings
from bot.database import make_engine, make_sessions
from bot.in_process import InProcessQueue
from bot.inbound.phone_turns import PhoneTurn, PhoneTurns
from bot.inbound.spool import InboundSpool
from bot.lib.places import ZipCodes
from bot.outbound.senders import Sender, make_sender
from conversations import CampaignScript, Catalog
from conversations.revocation import revocation
from store.models import utcnow
from store.records import campaign_row

# Replies and confirmations go first; bulk work must never delay them. A worker listens to
# the queues in this order, so a broadcast's next slice waits while any reply is queued.
REPLIES_QUEUE = "replies"
BROADCASTS_QUEUE = "broadcasts"
# Webhooks and Action Network: a receiver that is slow or down waits behind every text.
INTEGRATIONS_QUEUE = "integrations"
QUEUES = (REPLIES_QUEUE, BROADCASTS_QUEUE, INTEGRATIONS_QUEUE)
# Twilio or the database may be briefly away: retry a job at growing intervals.
JOB_RETRY = Retry(max=5, interval=[2, 10, 30, 60, 300])
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
EXTENSION = "petition_bot"  # the services' key in a Flask app's extensions
log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: sessionmaker[Session]
    redis: Redis
    queues: dict[str, Queue]
    sender: Sender
    catalogs: CatalogSource
    places: ZipCodes
    turns: PhoneTurns
    spool: InboundSpool
    clock: Callable[[], datetime] = utcnow  # tests set the time here
    _campaign_ids: dict[str, int] = field(default_factory=dict, repr=False)

    def campaign_id(self, session: Session, campaign: CampaignScript) -> int:
        """The database id of a campaign, looked up once per process: ids never change."""
        found = self._campaign_ids.get(campaign.slug)
        if found is None:
            found = campaign_row(session, campaign).id
            self._campaign_ids[campaign.slug] = found
        return found

    @property
    def catalog(self) -> Catalog:
        """The campaigns as they stand now: files, overlaid with dashboard edits."""
        return self.catalogs.current()

    def enqueue(
        self,
        function: Callable[[int], None],
        row_id: int,
        queue_name: str = REPLIES_QUEUE,
        timeout: int | None = None,
    ) -> Job | None:
        """Queue ``function(row_id)``, unless that same job is already waiting or running.

        Returns the job queued, or None when that job was already coming. On the embedded
        default the job has run by the time this returns, and its status says how it went.
        """
        queue = self.queues[queue_name]
        job_id = f"{function.__name__}-{row_id}"
        args = (row_id,)
        options = {
            "job_id": job_id,
            "retry": JOB_RETRY,
            "unique": True,
            # The database holds every outcome, so a result lives a second. Not 0: RQ deletes a
            # job with none by reading its status and executions back, 7 round trips a job.
            "result_ttl": 1,
            "job_timeout": timeout or self.settings.job_timeout,
        }
        try:
            return queue.enqueue(function, *args, **options)
        except DuplicateJobError:
            pass
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            job = None  # It expired meanwhile.
        if job is not None:
            if self._still_coming(job):
                return None
            # Finished, failed, or started by a worker that died: the work came back, go again.
            job.delete()
        return queue.enqueue(function, *args, **options)

    def _still_coming(self, job: Job) -> bool:
        status = job.get_status(refresh=False)
        if status == JobStatus.STARTED:
            # No job outlives its timeout, so one that started longer ago lost its worker.
            started = job.started_at or datetime.now(UTC)
            timeout = job.timeout or self.settings.job_timeout
            return datetime.now(UTC) - started < timedelta(seconds=timeout)
        return status in _WAITING

    @contextmanager
    def phone_turn(self, phone: str, *, counted: str | None = None) -> Iterator[PhoneTurn]:
        """Handle one text per phone at a time, so two quick texts cannot race.

        A text's ``counted`` body counts against the phone's budget (``OverBudget`` past it,
        unless it asks to stop). The conversation a committed text moved is saved as the turn
        ends, even when a later step fails.
        """
        counted_at = None if counted is None else self.clock().timestamp()
        exempt = counted is not None and revocation(counted) is not None
        turn = self.turns.begin(phone, counted_at=counted_at, exempt=exempt)
        try:
            yield turn
        finally:
            if not self.turns.end(turn):
                log.warning("the lock on %s expired while its text was handled", phone)


def build_services(settings: Settings) -> Services:
    """Connect to everything the bot talks to, as ``settings`` say; no app needed."""
    redis: Redis = (
        fakeredis.FakeRedis() if settings.embedded_redis else Redis.from_url(settings.redis_url)
    )
    # With the in-process Redis there is no worker: jobs run as they are queued.
    queues = {
        name: InProcessQueue(name, connection=redis, is_async=False)
        if settings.embedded_redis
        else Queue(name, connection=redis)
        for name in QUEUES
    }
    db = make_sessions(make_engine(settings.database_url))
    return Services(
        settings=settings,
        db=db,
        redis=redis,
        queues=queues,
        sender=make_sender(settings),
        catalogs=CatalogSource(settings.campaigns_dir, db, settings.public_base_url),
        places=ZipCodes(),
        turns=PhoneTurns(redis, settings.conversation_ttl),
        spool=InboundSpool(redis),
    )


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = build_services(settings)


def jobs_app(svc: Services) -> Flask:
    """A bare app whose context lets jobs find ``svc``: no views, CSRF or login (the worker)."""
    app = Flask(__name__)
    app.extensions[EXTENSION] = svc
    return app


def services() -> Services:
    """The current app's services (inside an app context: a request, a job, a command)."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]
