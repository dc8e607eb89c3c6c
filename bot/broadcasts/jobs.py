"""A broadcast's jobs: plan it in SQL, then send it a bounded slice at a time.

``plan_broadcast`` writes one ``messages`` row per signer the audience keeps, in the database
(``INSERT … SELECT`` by ranges of signatures, in one transaction): pending for those who may get
it, skipped with the reason for the rest. No recipient passes through Python, so a million cost
the worker no memory.

``send_broadcast_slice`` sends for at most ``slice_seconds`` and then queues the next slice, so a
broadcast that runs for hours never holds a worker: between slices, and as soon as a reply is
waiting, the worker takes the ``replies`` queue first. Each slice walks the pending rows by id
in small pages, each claimed in its own short transaction (``pending -> sending``, the claim
every send makes, see ``bot.outbound.jobs.claim``), takes a slot for each from the sender's
shared pace (``bot.outbound.pacing``) and hands it to a pool of threads, which wait for the slot
and call Twilio.
A worker that dies mid-slice leaves rows ``sending``; the recovery sweep returns them to
``pending`` and queues a slice.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import Any, cast

from redis.exceptions import LockError, RedisError
from redis.lock import Lock
from sqlalchemy import (
    CursorResult,
    Result,
    Select,
    String,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.broadcasts.audience import Audience, channel, exclusion, signers
from bot.integrations import outbox, payloads
from bot.lib.segments import measure
from bot.outbound.frequency_cap import campaign_cap
from bot.outbound.jobs import Ready, claim, store_outcomes, transmit
from bot.outbound.pacing import MAX_WAIT, RateLimit
from bot.outbound.senders import SEND_TIMEOUT_SECONDS, SendFailed, Sent
from bot.services import BROADCASTS_QUEUE, REPLIES_QUEUE, Services, services
from store.models import MESSAGES, Broadcast, Campaign, Message, Signature, Supporter
from store.statuses import BroadcastStatus, Channel, Direction, MessageKind, MessageStatus
from store.types import UTCDateTime

log = logging.getLogger(__name__)

PLAN_TIMEOUT = 3600  # seconds: a million rows take well under a minute; a slow disk, longer
PLAN_BATCH = 100_000  # signature ids planned by one statement
PAGE = 200  # messages claimed in one transaction
RECORD_EVERY = 0.25  # seconds between storing the carrier's answers, in one transaction each
CANCEL_BATCH = 5000  # leftover rows of a canceled broadcast marked per transaction
DUE_BATCH = 5000  # held rows whose window opened, returned to pending per transaction
MAX_ATTEMPTS = 10  # a text the carrier kept refusing for its own trouble: given up
HOLD_AFTER_TROUBLE = 1.0  # seconds every worker waits after a 429, a 5xx or a lost connection
OPEN = (
    MessageStatus.PENDING,
    MessageStatus.SENDING,
    MessageStatus.HELD,
)  # a broadcast with rows in these is not done


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def slice_seconds(job_timeout: int) -> float:
    """How long one slice sends: short enough to end, with its last sends, inside its timeout."""
    return float(max(1, min(10, job_timeout // 3)))


def plan_broadcast(broadcast_id: int) -> None:
    """Write the broadcast's messages (planning, or scheduled and due -> sending), then queue
    its first slice."""
    svc = services()
    now = svc.clock()
    with svc.db.begin() as session:
        # The claim takes the row's lock: a second run waits, then finds it planned.
        due = (Broadcast.status == BroadcastStatus.SCHEDULED) & (Broadcast.send_at <= now)
        broadcast = session.scalar(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id, (Broadcast.status == BroadcastStatus.PLANNING) | due
            )
            .values(status=BroadcastStatus.SENDING, started_at=now)
            .returning(Broadcast)
        )
        if broadcast is None:
            return
        reason = exclusion(campaign_cap(session, svc.catalog, broadcast.campaign_id, now))
        rows = signers(broadcast.campaign_id, Audience.from_json(broadcast.audience)).add_columns(
            literal(Direction.OUT, String),
            Supporter.phone,
            channel(),
            literal(""),  # written for each recipient as it goes (bot.outbound.jobs.claim)
            case(
                (reason.is_(None), literal(MessageStatus.PENDING, String)),
                else_=literal(MessageStatus.SKIPPED, String),
            ),
            literal(MessageKind.BROADCAST, String),
            reason,
            literal(broadcast.campaign_id),
            literal(broadcast.id),
            literal(0),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        columns = (
            "direction",
            "phone",
            "channel",
            "body",
            "status",
            "kind",
            "skip_reason",
            "campaign_id",
            "broadcast_id",
            "attempts",
            "created_at",
            "updated_at",
        )
        first, last = session.execute(
            select(func.min(Signature.id), func.max(Signature.id)).where(
                Signature.campaign_id == broadcast.campaign_id
            )
        ).one()
        planned = 0
        # By ranges of signature ids, in one transaction: PostgreSQL keeps each inserted row's
        # foreign-key check in memory until its statement ends, so one statement for a
        # million rows would take memory in proportion; a range's worth stays small.
        for low in range((first or 1) - 1, last or 0, PLAN_BATCH):
            batch = rows.where(Signature.id > low, Signature.id <= low + PLAN_BATCH)
            plan = insert(MESSAGES).from_select(columns, batch)
            planned += _rowcount(session.execute(plan.execution_options(preserve_rowcount=True)))
    log.info("broadcast %s planned: %s messages", broadcast_id, planned)
    svc.enqueue(send_broadcast_slice, broadcast_id, BROADCASTS_QUEUE)


def send_broadcast_slice(broadcast_id: int) -> None:
    """Send the broadcast's next texts for one bounded slice, then queue the next slice."""
    svc = services()
    seconds = slice_seconds(svc.settings.job_timeout)
    # One slice of a broadcast at a time; another that starts meanwhile leaves it the work.
    lease = Lock(
        svc.redis,
        f"lock:broadcast:{broadcast_id}",
        timeout=seconds + SEND_TIMEOUT_SECONDS + 10,
        blocking=False,
    )
    if not lease.acquire():
        return
    try:
        more = Slice(svc, broadcast_id, time.monotonic() + seconds).run()
    finally:
        try:
            lease.release()
        except LockError:
            log.warning("broadcast %s: a slice outlived its lease", broadcast_id)
    if more:
        svc.queues[BROADCASTS_QUEUE].enqueue(
            send_broadcast_slice,
            broadcast_id,
            # The worker logs job ids, not what they run: name it, and the log says whose it is.
            job_id=f"send_broadcast_slice-{broadcast_id}-{secrets.token_hex(4)}",
            job_timeout=svc.settings.job_timeout,
            result_ttl=0,
            failure_ttl=24 * 3600,
        )


_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _threads(size: int) -> ThreadPoolExecutor:
    """The worker's pool of sending threads, made once and kept between slices."""
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool, _pool_size = ThreadPoolExecutor(size, thread_name_prefix="broadcast"), size
    return _pool


def sender_name(svc: Services, channel_name: str) -> str:
    """Whose pace a text on this channel takes: the Messaging Service, or the number."""
    settings = svc.settings
    if settings.twilio_messaging_service_sid:
        return settings.twilio_messaging_service_sid
    if channel_name == Channel.WHATSAPP:
        return "whatsapp:" + (settings.twilio_whatsapp_number or settings.twilio_phone_number)
    return settings.twilio_phone_number or "console"


Outcome = Sent | SendFailed | None  # None: not sent (no slot before the slice's end, or paused)


def _send(svc: Services, ready: Ready, at: float, broadcast_id: int) -> Sent | SendFailed | None:
    """In a pool thread: wait for the slot the slice reserved, then hand the text over, unless
    the broadcast was paused or canceled meanwhile."""
    delay = at - time.monotonic()
    if delay > 0:  # even sleep(0) gives the interpreter away to another thread
        time.sleep(delay)
    # Read just before each text leaves (one primary-key read): once an organizer's Pause is
    # acknowledged, no text of the broadcast starts on its way.
    if not still_sending(svc, broadcast_id):
        return None
    return transmit(svc.sender, ready.outgoing)


def still_sending(svc: Services, broadcast_id: int) -> bool:
    """Whether the broadcast may send now: neither paused nor canceled."""
    with svc.db() as session:
        return session.scalar(_status_of(broadcast_id)) == BroadcastStatus.SENDING


def _status_of(broadcast_id: int) -> Select[str]:
    return select(Broadcast.status).where(Broadcast.id == broadcast_id)


@dataclass
class Slice:
    """One slice of one broadcast: claim pages, pace them, keep the threads busy, store answers.

    The slice's own thread takes each text's slot from the sender's shared pace and hands the
    text to a pool thread, which waits for the slot and calls the carrier. So one thread per
    worker talks to the pace, and a text waiting for its slot is never more than ``MAX_WAIT``
    from going: a slice ending early (a reply waiting) ends within it.
    """

    svc: Services
    broadcast_id: int
    deadline: float  # time.monotonic()
    cursor: int = 0  # the last id claimed; pages go up from here
    backlog: deque[Ready] = field(default_factory=deque)  # claimed, not yet given a slot
    in_flight: dict[Future[Outcome], tuple[Ready, RateLimit]] = field(default_factory=dict)
    answers: list[tuple[Ready, Outcome]] = field(default_factory=list)
    limits: dict[str, RateLimit] = field(default_factory=dict)
    # Finished sends, as each finishes: no scan of every send in flight to find them.
    done: SimpleQueue[Future[Outcome]] = field(default_factory=SimpleQueue)
    exhausted: bool = False
    stopped: bool = False  # paused, canceled or finished meanwhile

    def run(self) -> bool:
        """Send until the slice ends; say whether another slice should follow."""
        status = self._status()
        if status == BroadcastStatus.CANCELED:
            return self._cancel_leftovers()
        if status != BroadcastStatus.SENDING:
            return False
        self._release_due_held()
        pool = _threads(self.svc.settings.broadcast_concurrency)
        last_record = time.monotonic()
        try:
            while True:
                ending = self._ending()
                if not ending and len(self.backlog) < PAGE:
                    self.backlog.extend(self._claim_page())
                nap = 0.05 if ending else self._pace(pool)
                if ending:
                    # Claimed but given no slot: back to pending for the next slice.
                    self.answers.extend((ready, None) for ready in self.backlog)
                    self.backlog.clear()
                    if not self.in_flight:
                        break
                if self.in_flight:
                    self._collect_done(nap)
                elif nap:
                    time.sleep(nap)
                if time.monotonic() - last_record >= RECORD_EVERY or not self.in_flight:
                    self._record()
                    last_record = time.monotonic()
        finally:
            # Whatever went wrong here, the carrier's answers so far must be stored.
            for task in list(self.in_flight):
                self._collect(task)
            self.answers.extend((ready, None) for ready in self.backlog)
            self.backlog.clear()
            self._record()
        if self.stopped:
            return self._status() == BroadcastStatus.CANCELED
        if self.exhausted:
            # Held rows wait for their window; the recovery sweep queues a slice for them.
            return not self._finish_if_done() and self._pending_left()
        return True

    def _pace(self, pool: ThreadPoolExecutor) -> float:
        """Give slots to the backlog while the pace allows; return how long to wait for more."""
        room = 2 * self.svc.settings.broadcast_concurrency - len(self.in_flight)
        while self.backlog and room > 0:
            # The next run of texts on one channel, slotted by one call to Redis.
            channel_name = self.backlog[0].outgoing.channel
            batch: list[Ready] = []
            for ready in self.backlog:
                if ready.outgoing.channel != channel_name or len(batch) == room:
                    break
                batch.append(ready)
            limit = self._limit(channel_name)
            costs = [measure(ready.outgoing.body).count for ready in batch]
            # Slots count from the moment of asking: a reply read late must not move them on.
            asked = time.monotonic()
            try:
                waits, refused = limit.reserve_many(costs, min(MAX_WAIT, self.deadline - asked))
            except RedisError:
                log.warning("broadcast %s: no pace without Redis", self.broadcast_id)
                self.deadline = time.monotonic()
                return 0.05
            for delay in waits:
                ready = self.backlog.popleft()
                task = pool.submit(_send, self.svc, ready, asked + delay, self.broadcast_id)
                self.in_flight[task] = (ready, limit)
                task.add_done_callback(self.done.put)
            room -= len(waits)
            if len(waits) < len(batch):
                return min(max(refused - MAX_WAIT, 0.001), 0.25)
        return 0.05 if self.backlog or self.in_flight else 0.0

    def _limit(self, channel_name: str) -> RateLimit:
        name = sender_name(self.svc, channel_name)
        if name not in self.limits:
            self.limits[name] = RateLimit(self.svc.redis, name, self.svc.settings.twilio_mps)
        return self.limits[name]

    def _collect_done(self, timeout: float) -> None:
        """Store the answers of the sends that finished, waiting up to ``timeout`` for one."""
        try:
            self._collect(self.done.get(timeout=timeout))
            while True:
                self._collect(self.done.get_nowait())
        except Empty:
            return

    def _collect(self, task: Future[Outcome]) -> None:
        if task not in self.in_flight:
            return  # collected already, by the final sweep of a slice
        ready, limit = self.in_flight.pop(task)
        try:
            outcome = task.result()
        except Exception:
            # Sent or not, nobody knows: it stays "sending" and the recovery sweep decides.
            log.exception("broadcast %s: sending message %s", self.broadcast_id, ready.message_id)
            return
        if outcome is None:
            self.stopped = True  # paused or canceled: the rest go back unsent
        elif isinstance(outcome, SendFailed) and outcome.retryable:
            # Too many requests, or Twilio (or the way to it) in trouble: every worker waits.
            limit.hold(HOLD_AFTER_TROUBLE)
        self.answers.append((ready, outcome))

    def _ending(self) -> bool:
        if self.stopped or time.monotonic() >= self.deadline:
            return True
        if self.exhausted:
            return not self.backlog
        # A supporter's reply is waiting: end the slice, the worker takes it first.
        if self.svc.queues[REPLIES_QUEUE].count:
            self.deadline = time.monotonic()
            return True
        return False

    def _claim_page(self) -> list[Ready]:
        if self.exhausted:
            return []
        left = self.deadline - time.monotonic()
        # Claim no more than the sender's pace can take before the slice ends.
        waiting = len(self.in_flight) + len(self.backlog)
        size = min(PAGE, max(1, math.ceil(self.svc.settings.twilio_mps * left)) - waiting)
        if size <= 0:
            return []
        with self.svc.db.begin() as session:
            if self._status(session) != BroadcastStatus.SENDING:
                self.stopped = True
                return []
            page = session.execute(
                select(Message.id, Message.attempts)
                .where(
                    Message.broadcast_id == self.broadcast_id,
                    Message.status == MessageStatus.PENDING,
                    Message.id > self.cursor,
                )
                .order_by(Message.id)
                .limit(size)
                # No row lock here: the claim below takes each row only if it is still pending,
                # so a row another slice took meanwhile is simply not returned.
            ).all()
            if not page:
                self.exhausted = True
                return []
            self.cursor = page[-1].id
            spent = [row.id for row in page if row.attempts >= MAX_ATTEMPTS]
            if spent:
                session.execute(
                    update(Message)
                    .where(Message.id.in_(spent))
                    .values(status=MessageStatus.FAILED, skip_reason="too_many_attempts")
                )
            return claim(
                session, [row.id for row in page if row.attempts < MAX_ATTEMPTS], self.svc.clock()
            )

    def _record(self) -> None:
        if not self.answers:
            return
        answers, self.answers = self.answers, []
        outcomes = [(ready.message_id, o) for ready, o in answers if o is not None]
        unsent = [ready.message_id for ready, o in answers if o is None]
        retry = [i for i, o in outcomes if isinstance(o, SendFailed) and o.retryable]
        store_outcomes(self.svc, outcomes, unsent)
        if retry:
            # Back to pending behind the cursor: the next page starts there again.
            self.cursor = min(self.cursor, min(retry) - 1)
            self.exhausted = False

    def _status(self, session: Session | None = None) -> str | None:
        query = _status_of(self.broadcast_id)
        if session is not None:
            return session.scalar(query)
        with self.svc.db() as own:
            return own.scalar(query)

    def _release_due_held(self) -> None:
        """Return to pending a batch of held rows whose recipients' window has opened."""
        with self.svc.db.begin() as session:
            due = (
                select(Message.id)
                .where(
                    Message.broadcast_id == self.broadcast_id,
                    Message.status == MessageStatus.HELD,
                    Message.send_after <= self.svc.clock(),
                )
                .limit(DUE_BATCH)
                .scalar_subquery()
            )
            session.execute(
                update(Message)
                .where(Message.id.in_(due), Message.status == MessageStatus.HELD)
                .values(status=MessageStatus.PENDING)
            )

    def _pending_left(self) -> bool:
        with self.svc.db() as session:
            return bool(
                session.scalar(
                    select(
                        exists().where(
                            Message.broadcast_id == self.broadcast_id,
                            Message.status == MessageStatus.PENDING,
                        )
                    )
                )
            )

    def _finish_if_done(self) -> bool:
        """Mark the broadcast done when no text of it is left to send; say whether it was."""
        with self.svc.db.begin() as session:
            left = session.scalar(
                select(
                    exists().where(
                        Message.broadcast_id == self.broadcast_id, Message.status.in_(OPEN)
                    )
                )
            )
            if left:
                return False
            finished = session.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == self.broadcast_id, Broadcast.status == BroadcastStatus.SENDING
                )
                .values(status=BroadcastStatus.DONE, finished_at=self.svc.clock())
                .returning(Broadcast)
            ).scalar()
            if finished is not None:
                _announce_finish(session, finished)
        return True

    def _cancel_leftovers(self) -> bool:
        """Mark a batch of a canceled broadcast's unsent rows canceled; say if more are left."""
        ids = (
            select(Message.id)
            .where(
                Message.broadcast_id == self.broadcast_id,
                Message.status.in_((MessageStatus.PENDING, MessageStatus.HELD)),
            )
            .limit(CANCEL_BATCH)
            .scalar_subquery()
        )
        while time.monotonic() < self.deadline:
            with self.svc.db.begin() as session:
                marked = _rowcount(
                    session.execute(
                        update(Message)
                        .where(
                            Message.id.in_(ids),
                            Message.status.in_((MessageStatus.PENDING, MessageStatus.HELD)),
                        )
                        .values(status=MessageStatus.CANCELED)
                    )
                )
                if not marked:
                    finished = session.execute(
                        update(Broadcast)
                        .where(Broadcast.id == self.broadcast_id, Broadcast.finished_at.is_(None))
                        .values(finished_at=self.svc.clock())
                        .returning(Broadcast)
                    ).scalar()
                    if finished is not None:
                        _announce_finish(session, finished)
                    return False
        return True


def _announce_finish(session: Session, broadcast: Broadcast) -> None:
    """Tell other tools, in the transaction that finished it, that a broadcast is over."""
    assert broadcast.finished_at is not None
    slug = session.scalar(select(Campaign.slug).where(Campaign.id == broadcast.campaign_id))
    payload = payloads.broadcast_finished(
        broadcast.id, slug or "", broadcast.status, broadcast.started_at, broadcast.finished_at
    )
    outbox.record(session, outbox.BROADCAST_FINISHED, payload, broadcast.finished_at)
