"""RQ jobs. Each takes a row ID, runs inside the app context, and is safe to run twice."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.broadcasts.audience import personalize
from bot.database import once_more_if_dropped
from bot.lib.quiet_hours import next_send_time, parse_window, zones_for
from bot.outbound.frequency_cap import COUNTED_KIND, went_this_month
from bot.outbound.frequency_cap import SKIP_REASON as FREQUENCY_CAP
from bot.outbound.senders import Outgoing, Sender, SendFailed, Sent
from bot.outbound.suppression import note_carrier_error, reason_to_skip
from bot.outbound.whatsapp import TemplateError, content_variables, first_link
from bot.services import Services, services
from conversations import CampaignScript
from conversations.parsing import first_name
from store.models import (
    Broadcast,
    Campaign,
    Message,
    Signature,
    Supporter,
    utcnow,
)
from store.statuses import Channel, Direction, MessageKind, MessageStatus, advance

log = logging.getLogger(__name__)

# An answer sent this soon after the supporter's own text is a reply, not a message the
# organization starts, so quiet hours do not hold it.
PROMPT_REPLY = timedelta(minutes=10)
WHATSAPP_SESSION = timedelta(hours=24)


def send_message(message_id: int) -> None:
    """Send a stored outbound message, once: claim it, check it may go, call the carrier."""
    svc = services()
    with svc.db.begin() as session:
        ready = claim(session, [message_id], svc.clock())
    for one in ready:
        outcome = transmit(svc.sender, one.outgoing)
        store_outcomes(svc, [(one.message_id, outcome)])
        if isinstance(outcome, SendFailed) and outcome.retryable:
            raise outcome  # RQ retries the job, or the recovery sweep requeues it.


# Sending is three steps, shared by send_message and a broadcast's slices (bot.broadcasts.jobs),
# so every text leaves by one path: claim (one transaction), transmit (no transaction open),
# record (one transaction). A broadcast runs them on many messages at once.


@dataclass(frozen=True)
class Ready:
    """A claimed message that may go now, and what to hand the carrier."""

    message_id: int
    outgoing: Outgoing


def claim(session: Session, message_ids: Sequence[int], now: datetime) -> list[Ready]:
    """Claim the pending ones of these messages and apply every rule to each, at this moment.

    Held and skipped messages are marked so in ``session``; the rest come back ready to go,
    already ``sending``. A broadcast's text is written for its recipient here.
    """
    # Only one run can move a row from pending to sending: that run sends it.
    messages = session.scalars(
        update(Message)
        .where(Message.id.in_(message_ids), Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1)
        .returning(Message)
    ).all()
    if not messages:
        return []
    supporters = {
        s.phone: s
        for s in session.scalars(
            select(Supporter).where(Supporter.phone.in_({m.phone for m in messages}))
        )
    }
    broadcast_ids = {m.broadcast_id for m in messages if m.broadcast_id is not None}
    templates: dict[int, str] = {}
    per_month: dict[int, int] = {}  # campaign id -> its messages_per_month
    went: Counter[tuple[str, int]] = Counter()
    if broadcast_ids:
        query = (
            select(Broadcast.id, Broadcast.body, Campaign.id.label("campaign_id"), Campaign.slug)
            .join(Campaign, Campaign.id == Broadcast.campaign_id)
            .where(Broadcast.id.in_(broadcast_ids))
        )
        for row in session.execute(query):
            templates[row.id] = row.body
            campaign = services().catalog.by_slug(row.slug)
            if campaign is not None:
                per_month[row.campaign_id] = campaign.messages_per_month
        counted = [m for m in messages if m.kind == COUNTED_KIND]
        went = went_this_month(session, counted, now, [m.id for m in messages])
    callback = f"{services().settings.public_base_url}/sms/status?message_id="
    ready = []
    for message in sorted(messages, key=lambda m: m.id):
        supporter = supporters.get(message.phone)
        text = templates.get(message.broadcast_id or 0, message.body)
        decision = _may_send(session, message, now, supporter, text)
        if isinstance(decision, Go) and message.kind == COUNTED_KIND:
            decision = _within_cap(message, went, per_month, decision)
        if isinstance(decision, Hold):
            message.status, message.send_after = MessageStatus.HELD, decision.until
            continue
        if isinstance(decision, Skip):
            message.status, message.skip_reason = MessageStatus.SKIPPED, decision.reason
            continue
        template = templates.get(message.broadcast_id) if message.broadcast_id else None
        if template is not None and not message.body:
            # Written at the moment it goes, so the row holds the very text the person got.
            message.body = personalize(
                template,
                supporter.name if supporter else None,
                supporter.city if supporter else None,
            )
        outgoing = Outgoing(
            to=message.phone,
            body=message.body,
            channel=message.channel,
            status_callback=f"{callback}{message.id}",
            content_sid=decision.content_sid,
            content_variables=decision.content_variables,
        )
        ready.append(Ready(message.id, outgoing))
    return ready


def release(session: Session, message_ids: Sequence[int]) -> None:
    """Give claimed messages back, unsent, for a later run: as if never claimed."""
    session.execute(
        update(Message)
        .where(
            Message.id.in_(message_ids),
            Message.status == MessageStatus.SENDING,
            Message.sid.is_(None),
        )
        .values(status=MessageStatus.PENDING, attempts=Message.attempts - 1)
    )


def store_outcomes(
    svc: Services, outcomes: Sequence[tuple[int, Sent | SendFailed]], unsent: Sequence[int] = ()
) -> None:
    """Record what the carrier said (and give back ``unsent`` claims) in one transaction.

    Once more on a fresh connection if the database dropped this one while the texts were on
    their way: a text Twilio took but not stored as sent would be sent again by the sweep.
    """

    def in_one_transaction() -> None:
        with svc.db.begin() as session:
            if outcomes:
                record(session, outcomes, svc.clock())
            if unsent:
                release(session, unsent)

    once_more_if_dropped(in_one_transaction)


def transmit(sender: Sender, outgoing: Outgoing) -> Sent | SendFailed:
    """Hand one text to the carrier; the answer, or its refusal. Hold no transaction open."""
    try:
        return sender.send(outgoing)
    except SendFailed as failure:
        return failure


def record(
    session: Session, outcomes: Sequence[tuple[int, Sent | SendFailed]], now: datetime
) -> None:
    """Store what the carrier said about each transmitted message."""
    ids = [message_id for message_id, _ in outcomes]
    # Locked, so a status callback landing meanwhile waits and then moves it forward.
    locked = select(Message.id, Message.status).where(Message.id.in_(ids)).with_for_update()
    current = {row.id: row.status for row in session.execute(locked)}
    # Taken: one statement for them all (a broadcast records hundreds at once).
    stored_at = utcnow()
    taken = [
        {"id": i, "sid": o.sid, "status": advance(current[i], o.status), "updated_at": stored_at}
        for i, o in outcomes
        if isinstance(o, Sent)
    ]
    if taken:
        session.execute(update(Message), taken)
    refused = {i: o for i, o in outcomes if isinstance(o, SendFailed)}
    if not refused:
        return
    for row in session.scalars(select(Message).where(Message.id.in_(refused))):
        failure = refused[row.id]
        if failure.retryable:
            row.status = MessageStatus.PENDING  # a later run sends it
            log.info("message %s waits: %s", row.id, failure)
        else:
            row.status, row.error_code = MessageStatus.FAILED, failure.code
            if failure.code is not None:
                note_carrier_error(session, row, failure.code, now)
            log.warning("message %s failed for good: %s", row.id, failure)


@dataclass(frozen=True)
class Go:
    # Set when only a WhatsApp template may go: its Content SID and values.
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


@dataclass(frozen=True)
class Hold:
    until: datetime


@dataclass(frozen=True)
class Skip:
    reason: str


def _may_send(
    session: Session, message: Message, now: datetime, supporter: Supporter | None, text: str
) -> Go | Hold | Skip:
    """Apply, at the moment of sending, every rule about who may be texted and when.

    ``text``: the message's words (a broadcast's, before they are written for the person).
    """
    svc = services()
    reason = reason_to_skip(supporter, message)
    if reason is not None:
        return Skip(reason)
    prompt = message.in_reply_at is not None and now - message.in_reply_at <= PROMPT_REPLY
    # A late opt-out confirmation goes at once: it is owed promptly, and asks nothing more.
    if not prompt and message.kind != MessageKind.OPT_OUT_CONFIRMATION:
        zones = zones_for(supporter.time_zone if supporter else None, message.phone)
        opens = next_send_time(now, zones, parse_window(svc.settings.send_window))
        if opens is not None:
            return Hold(opens)
    if message.channel == Channel.WHATSAPP and not _in_whatsapp_session(session, message, now):
        campaign = _campaign_file(session, message.campaign_id)
        template = campaign.whatsapp_templates.get(message.kind or "") if campaign else None
        if campaign is None or template is None:
            return Skip("whatsapp_window")
        values = _template_values(session, message, supporter, campaign, text)
        try:
            return Go(template.content_sid, content_variables(template, values))
        except TemplateError:
            return Skip("whatsapp_template")
    return Go()


def _template_values(
    session: Session,
    message: Message,
    supporter: Supporter | None,
    campaign: CampaignScript,
    text: str,
) -> dict[str, str]:
    """Every value a WhatsApp template of this message's kind may ask for."""
    values = {
        "first_name": first_name(supporter.name or "") if supporter else "",
        "city": (supporter.city or "") if supporter else "",
        "keyword": campaign.keyword_in(supporter.language if supporter else "en"),
        "link": first_link(text),
    }
    if message.kind == MessageKind.CONFIRMATION:
        number = session.scalar(
            select(Signature.number).where(Signature.confirmation_id == message.id)
        )
        values["number"] = "" if number is None else f"{number:,}"
    return values


def _within_cap(
    message: Message,
    went: Counter[tuple[str, int]],
    per_month: dict[int, int],
    decision: Go,
) -> Go | Skip:
    """Skip a broadcast text past its campaign's messages_per_month; count it if it goes."""
    if message.campaign_id is None or message.campaign_id not in per_month:
        return decision
    key = (message.phone, message.campaign_id)
    if went[key] >= per_month[message.campaign_id]:
        return Skip(FREQUENCY_CAP)
    went[key] += 1  # a second text of the batch to the same phone counts this one
    return decision


def _in_whatsapp_session(session: Session, message: Message, now: datetime) -> bool:
    # WhatsApp lets a business write freely for 24 hours after the person last wrote.
    last = session.scalar(
        select(func.max(Message.created_at)).where(
            Message.phone == message.phone,
            Message.direction == Direction.IN,
            Message.channel == Channel.WHATSAPP,
        )
    )
    if last is None:
        return False
    return now - last < WHATSAPP_SESSION


def _campaign_file(session: Session, campaign_id: int | None) -> CampaignScript | None:
    if campaign_id is None:
        return None
    slug = session.scalar(select(Campaign.slug).where(Campaign.id == campaign_id))
    return services().catalog.by_slug(slug) if slug else None
