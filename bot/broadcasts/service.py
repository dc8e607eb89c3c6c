"""Broadcasts, as organizers use them: preview, create, start, pause, resume, cancel, report.

The terminal (``bot.broadcasts.cli``) and the dashboard call these; the sending itself is the
worker's (``bot.broadcasts.jobs``). A broadcast moves

    draft -> scheduled -> planning -> sending <-> paused -> done;  or -> canceled

and its texts are ``messages`` rows (kind ``broadcast``), so its figures are counts of them.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.broadcasts.audience import (
    Audience,
    AudienceError,
    check_template,
    count,
    in_quiet_hours,
    personalize,
    sample,
)
from bot.broadcasts.jobs import PLAN_TIMEOUT, plan_broadcast, send_broadcast_slice
from bot.lib.phones import e164
from bot.lib.quiet_hours import parse_window
from bot.lib.segments import Segments, measure
from bot.outbound.frequency_cap import campaign_cap
from bot.outbound.jobs import send_message
from bot.outbound.senders import SendFailed
from bot.services import BROADCASTS_QUEUE, Services
from conversations.parsing import normalize_word
from store.models import CAMPAIGNS, MESSAGES, Broadcast, Campaign, Message, Supporter, iso_utc
from store.records import campaign_row
from store.statuses import BroadcastStatus, Channel, Direction, MessageKind, MessageStatus

BODY_LIMIT = 1600  # Twilio's limit on a message body
REPLY_WINDOW = timedelta(hours=72)  # a text this soon after a broadcast answers it
# Statuses a message passes once the carrier has taken it, and where its figures count.
SENT = (
    MessageStatus.ACCEPTED,
    MessageStatus.SCHEDULED,
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.READ,
)
DELIVERED = (MessageStatus.DELIVERED, MessageStatus.READ)
FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
WAITING = (MessageStatus.PENDING, MessageStatus.SENDING)


class BroadcastError(ValueError):
    """The broadcast cannot be made or moved so; the text says why, for the organizer."""


@dataclass(frozen=True)
class Preview:
    """What a broadcast would do, before anything is sent: who gets it, who not, what it costs."""

    campaign: str
    audience: Audience
    body: str
    receiving: int
    excluded: dict[str, int]  # reason -> signers left out: opted_out, undeliverable:…, no_consent
    segments: Segments  # for the longest name and city in the audience
    price_per_segment: float
    quiet: int = 0  # of those receiving it, how many are in quiet hours now: theirs wait

    @property
    def matched(self) -> int:
        return self.receiving + sum(self.excluded.values())

    @property
    def cost(self) -> float:
        """Estimated USD: every recipient's message at the longest one's segment count."""
        return self.receiving * self.segments.count * self.price_per_segment


@dataclass(frozen=True)
class Answer:
    """One text a recipient sent back to the broadcast."""

    phone: str
    body: str
    at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class Report:
    """A broadcast's figures: where its texts stand, and what came back."""

    id: int
    campaign: str
    body: str
    audience: Audience
    status: str
    send_at: str | None
    started_at: str | None
    finished_at: str | None
    planned: int  # messages rows: everyone the audience matched
    waiting: int  # not yet handled
    sent: int  # taken by the carrier
    delivered: int
    failed: int
    held: int  # for quiet hours in the recipient's time zone
    canceled: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    replies: int = 0
    tally: list[tuple[str, int]] = field(default_factory=list)  # answer -> count, most first
    latest_replies: list[Answer] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Messages the worker is done with: sent, failed, skipped or canceled. Held ones are
        not: they still wait for their window."""
        return self.planned - self.waiting - self.held

    @property
    def finished(self) -> bool:
        return self.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELED)


@dataclass(frozen=True)
class TestSend:
    """What became of a test text: sent (with its SID), held until a time, or skipped, why."""

    message_id: int
    to: str
    body: str
    status: str
    sid: str | None
    skip_reason: str | None
    send_after: str | None
    error_code: int | None = None  # Twilio's, when it refused the text


def preview(svc: Services, campaign: str, audience: Audience, body: str) -> Preview:
    """Count the audience and price the message; nothing is stored or sent."""
    _check_body(body)
    with svc.db() as session:
        campaign_id = _campaign_id(svc, session, campaign)
        cap = campaign_cap(session, svc.catalog, campaign_id, svc.clock())
        found = count(session, campaign_id, audience, cap)
        window = parse_window(svc.settings.send_window)
        quiet = in_quiet_hours(session, campaign_id, audience, svc.clock(), window)
    longest = sample(body, found.longest_first_name, found.longest_city)
    return Preview(
        campaign=campaign,
        audience=audience,
        body=body,
        receiving=found.receiving,
        excluded=found.excluded,
        segments=measure(longest),
        price_per_segment=svc.settings.price_per_segment,
        quiet=quiet,
    )


def create(
    svc: Services,
    campaign: str,
    audience: Audience,
    body: str,
    send_at: datetime | None = None,
    created_by: int | None = None,
) -> int:
    """Store a draft broadcast and return its id; ``start`` sends or schedules it."""
    _check_body(body)
    if send_at is not None and send_at.tzinfo is None:
        raise BroadcastError("give the send time with its time zone, e.g. 2026-05-01T18:00-04:00")
    with svc.db.begin() as session:
        broadcast = Broadcast(
            campaign_id=_campaign_id(svc, session, campaign),
            created_by=created_by,
            body=body,
            audience=audience.to_json(),
            status=BroadcastStatus.DRAFT,
            send_at=send_at,
        )
        session.add(broadcast)
        session.flush()
        return broadcast.id


def start(svc: Services, broadcast_id: int) -> str:
    """Send a draft now, or schedule it for its ``send_at``; return its new status."""
    now = svc.clock()
    with svc.db.begin() as session:
        broadcast = _get(session, broadcast_id, lock=True)
        if broadcast.status != BroadcastStatus.DRAFT:
            raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status}, not a draft")
        send_at = broadcast.send_at
        later = _later(send_at, now)
        broadcast.status = BroadcastStatus.SCHEDULED if later else BroadcastStatus.PLANNING
    if later:
        _plan_at(svc, broadcast_id, send_at)
    else:
        svc.enqueue(plan_broadcast, broadcast_id, BROADCASTS_QUEUE, timeout=PLAN_TIMEOUT)
    return BroadcastStatus.SCHEDULED if later else BroadcastStatus.PLANNING


def _plan_at(svc: Services, broadcast_id: int, moment: datetime | None) -> None:
    # RQ's scheduler (in every worker) starts it on time; the recovery sweep, should Redis lose
    # the job, within RECOVERY_INTERVAL of it.
    if moment is not None and not svc.settings.embedded_redis:
        svc.queues[BROADCASTS_QUEUE].enqueue_at(
            _whole_second_after(moment),
            plan_broadcast,
            broadcast_id,
            job_timeout=PLAN_TIMEOUT,
            result_ttl=0,
        )


def _whole_second_after(moment: datetime) -> datetime:
    """``moment``, or the whole second after it: RQ's scheduler counts whole seconds.

    It drops the fraction, so the job could run up to a second early, find the broadcast not
    yet due and do nothing, leaving it to the sweep, up to RECOVERY_INTERVAL late.
    """
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def pause(svc: Services, broadcast_id: int) -> str:
    """Stop sending after the texts already on their way; ``resume`` carries on."""
    return _move(
        svc,
        broadcast_id,
        (BroadcastStatus.SCHEDULED, BroadcastStatus.PLANNING, BroadcastStatus.SENDING),
        BroadcastStatus.PAUSED,
    )


def resume(svc: Services, broadcast_id: int) -> str:
    """Carry on sending a paused broadcast from where it stopped."""
    with svc.db.begin() as session:
        broadcast = _get(session, broadcast_id, lock=True)
        if broadcast.status != BroadcastStatus.PAUSED:
            raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status}, not paused")
        # Paused before its plan ran: plan it now (or at its time), else send what is left.
        send_at = broadcast.send_at
        if broadcast.started_at is None:
            later = _later(send_at, svc.clock())
            broadcast.status = BroadcastStatus.SCHEDULED if later else BroadcastStatus.PLANNING
        else:
            broadcast.status = BroadcastStatus.SENDING
        status = broadcast.status
    if status == BroadcastStatus.PLANNING:
        svc.enqueue(plan_broadcast, broadcast_id, BROADCASTS_QUEUE, timeout=PLAN_TIMEOUT)
    elif status == BroadcastStatus.SCHEDULED:
        _plan_at(svc, broadcast_id, send_at)
    elif status == BroadcastStatus.SENDING:
        svc.enqueue(send_broadcast_slice, broadcast_id, BROADCASTS_QUEUE)
    return status


def cancel(svc: Services, broadcast_id: int) -> str:
    """Send nothing more; texts already with the carrier still arrive."""
    status = _move(
        svc,
        broadcast_id,
        (
            BroadcastStatus.DRAFT,
            BroadcastStatus.SCHEDULED,
            BroadcastStatus.PLANNING,
            BroadcastStatus.SENDING,
            BroadcastStatus.PAUSED,
        ),
        BroadcastStatus.CANCELED,
    )
    # A slice marks the unsent rows canceled, in batches, off this request.
    svc.enqueue(send_broadcast_slice, broadcast_id, BROADCASTS_QUEUE)
    return status


def report(svc: Services, broadcast_id: int, latest: int = 20) -> Report:
    """The broadcast's figures now, its replies' tally and the latest replies."""
    with svc.db() as session:
        broadcast = _get(session, broadcast_id)
        slug = session.scalar(select(Campaign.slug).where(Campaign.id == broadcast.campaign_id))
        rows = session.execute(
            select(Message.status, Message.skip_reason, func.count())
            .where(Message.broadcast_id == broadcast_id, Message.direction == Direction.OUT)
            .group_by(Message.status, Message.skip_reason)
        ).all()
        answer = func.lower(func.trim(Message.body))
        answers = session.execute(
            select(answer, func.count())
            .where(Message.broadcast_id == broadcast_id, Message.direction == Direction.IN)
            .group_by(answer)
            .order_by(func.count().desc())
            .limit(200)
        ).all()
        recent = session.execute(
            select(Message.phone, Message.body, Message.created_at)
            .where(Message.broadcast_id == broadcast_id, Message.direction == Direction.IN)
            .order_by(Message.id.desc())
            .limit(latest)
        ).all()
    by_status: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for status, reason, n in rows:
        by_status[status] += n
        if status == MessageStatus.SKIPPED:
            skipped[reason or "unknown"] += n
    tally: Counter[str] = Counter()
    for text, n in answers:
        tally[normalize_word(text or "") or "(empty)"] += n

    def total(statuses: tuple[str, ...]) -> int:
        return sum(by_status[s] for s in statuses)

    return Report(
        id=broadcast.id,
        campaign=slug or "",
        body=broadcast.body,
        audience=Audience.from_json(broadcast.audience),
        status=broadcast.status,
        send_at=_iso(broadcast.send_at),
        started_at=_iso(broadcast.started_at),
        finished_at=_iso(broadcast.finished_at),
        planned=sum(by_status.values()),
        waiting=total(WAITING),
        sent=total(SENT),
        delivered=total(DELIVERED),
        failed=total(FAILED),
        held=by_status[MessageStatus.HELD],
        canceled=by_status[MessageStatus.CANCELED],
        skipped=dict(skipped.most_common()),
        replies=sum(tally.values()),
        tally=tally.most_common(10),
        latest_replies=[Answer(p, b, iso_utc(at)) for p, b, at in recent],
    )


def send_test(svc: Services, campaign: str, body: str, to: str) -> TestSend:
    """Text ``body`` to one phone now, written for that person if we know them, by the same
    path and rules as any send: an opted-out phone is skipped, quiet hours hold it."""
    _check_body(body)
    phone = e164(to)
    if phone is None:
        raise BroadcastError(f"{to!r} is not a phone number")
    with svc.db.begin() as session:
        campaign_id = _campaign_id(svc, session, campaign)
        supporter = session.scalar(select(Supporter).where(Supporter.phone == phone))
        name, city = (supporter.name, supporter.city) if supporter else (None, None)
        message = Message(
            direction=Direction.OUT,
            phone=phone,
            channel=Channel.SMS,
            body=personalize(body, name, city),
            status=MessageStatus.PENDING,
            kind=MessageKind.BROADCAST_TEST,
            campaign_id=campaign_id,
        )
        session.add(message)
        session.flush()
        message_id = message.id
    # Twilio's trouble leaves the row pending again, and the recovery sweep retries it.
    with suppress(SendFailed):
        send_message(message_id)
    with svc.db() as session:
        sent = session.get_one(Message, message_id)
        return TestSend(
            message_id=message_id,
            to=phone,
            body=sent.body,
            status=sent.status,
            sid=sent.sid,
            skip_reason=sent.skip_reason,
            send_after=_iso(sent.send_after),
            error_code=sent.error_code,
        )


# Built once: the webhook runs it for every text that opens no conversation.
_RECENT_BROADCAST = (
    select(MESSAGES.c.broadcast_id, CAMPAIGNS.c.slug)
    .join(CAMPAIGNS, CAMPAIGNS.c.id == MESSAGES.c.campaign_id)
    .where(
        MESSAGES.c.phone == bindparam("phone"),
        MESSAGES.c.direction == Direction.OUT,
        MESSAGES.c.broadcast_id.is_not(None),
        MESSAGES.c.sid.is_not(None),
        MESSAGES.c.status.not_in(FAILED),
        MESSAGES.c.updated_at >= bindparam("since"),
    )
    .order_by(MESSAGES.c.id.desc())
    .limit(1)
)


def recent_broadcast(session: Session, phone: str, now: datetime) -> tuple[int, str] | None:
    """The broadcast (id, campaign slug) that last reached ``phone`` within the reply window."""
    since = now - REPLY_WINDOW
    reached = session.execute(_RECENT_BROADCAST, {"phone": phone, "since": since}).first()
    if reached is None or reached.broadcast_id is None:
        return None
    return reached.broadcast_id, reached.slug


def listing(svc: Services, limit: int = 50) -> list[tuple[int, str, str, str]]:
    """The latest broadcasts: id, campaign slug, status, and the start of the text."""
    with svc.db() as session:
        rows = session.execute(
            select(Broadcast.id, Campaign.slug, Broadcast.status, Broadcast.body)
            .join(Campaign, Campaign.id == Broadcast.campaign_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        ).all()
    return [(i, slug, status, body[:60]) for i, slug, status, body in rows]


def _move(svc: Services, broadcast_id: int, allowed: tuple[str, ...], to: str) -> str:
    with svc.db.begin() as session:
        moved = session.scalar(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(allowed))
            .values(status=to)
            .returning(Broadcast.status)
        )
        if moved is None:
            now = _get(session, broadcast_id).status
            raise BroadcastError(f"broadcast {broadcast_id} is {now}: it cannot be {to}")
    return to


def _get(session: Session, broadcast_id: int, lock: bool = False) -> Broadcast:
    query = select(Broadcast).where(Broadcast.id == broadcast_id)
    broadcast = session.scalar(query.with_for_update() if lock else query)
    if broadcast is None:
        raise BroadcastError(f"there is no broadcast {broadcast_id}")
    return broadcast


def _campaign_id(svc: Services, session: Session, slug: str) -> int:
    campaign = svc.catalog.by_slug(slug)
    if campaign is None:
        raise BroadcastError(f"there is no campaign {slug!r}")
    found = session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    return found if found is not None else campaign_row(session, campaign).id


def _check_body(body: str) -> None:
    try:
        check_template(body)
    except AudienceError as error:
        raise BroadcastError(str(error)) from None
    if len(body) > BODY_LIMIT:
        raise BroadcastError(f"the message is {len(body)} characters; the limit is {BODY_LIMIT}")


def _later(send_at: datetime | None, now: datetime) -> bool:
    """Whether a broadcast set to go at ``send_at`` is still to wait for it."""
    return send_at is not None and send_at > now


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)
