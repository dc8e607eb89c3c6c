"""Take one inbound text through the conversation: store it, step the engine, apply effects.

The webhook, the phone simulator and the terminal chat all come through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.services import Services
from conversations import (
    Inbound,
    RecordOptIn,
    RecordOptOut,
    RecordSignature,
    RememberLanguage,
    Reply,
    Turn,
    World,
    step,
)
from store.models import ConsentEvent, Message
from store.records import campaign_row, save_profile, supporter_facts, supporter_row
from worker.jobs import record_signature


@dataclass(frozen=True)
class InboundText:
    """A text as the carrier delivered it: who sent it, on what channel, and its SID."""

    phone: str  # E.164
    body: str
    sid: str
    channel: str = "sms"
    carrier_keyword: str | None = None  # Twilio's OptOutType: STOP, START or HELP


@dataclass(frozen=True)
class OutboundReply:
    """A reply to send back at once; ``message_id`` is its stored row."""

    message_id: int
    body: str


def receive(services: Services, text: InboundText) -> list[OutboundReply]:
    """Handle one inbound text exactly once and return the replies to send back."""
    with services.phone_lock(text.phone):
        with services.db.begin() as session:
            if not _store_inbound(session, text):
                return []  # A delivery we already handled: Twilio retried.
            world = World(
                services.catalog,
                supporter_facts(session, text.phone),
                services.places,
                carrier_answers_keywords=services.settings.stop_replies_by == "twilio",
            )
            inbound = Inbound(text.body, text.channel, text.carrier_keyword)
            turn = step(services.conversations.load(text.phone), inbound, world)
            replies, consents = _apply(session, services, text, turn)
        services.conversations.save(text.phone, turn.state)
    # Jobs go out only after the commit, so a worker always finds what it is asked about.
    for consent in consents:
        services.enqueue(record_signature, consent.id)
    return [OutboundReply(m.id, m.body) for m in replies]


def _store_inbound(session: Session, text: InboundText) -> bool:
    message = Message(
        sid=text.sid,
        direction="in",
        phone=text.phone,
        channel=text.channel,
        body=text.body,
        status="received",
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return False
    return True


def _apply(
    session: Session, services: Services, text: InboundText, turn: Turn
) -> tuple[list[Message], list[ConsentEvent]]:
    replies: list[Message] = []
    consents: list[ConsentEvent] = []
    for effect in turn.effects:
        if isinstance(effect, Reply):
            replies.append(_reply(text, effect))
        elif isinstance(effect, RecordSignature):
            consents.append(_consent(session, services, text, effect))
        elif isinstance(effect, RecordOptOut | RecordOptIn):
            _opt(session, services, text, effect)
        elif isinstance(effect, RememberLanguage):
            supporter_row(session, text.phone).language = effect.language
    session.add_all(replies)
    session.add_all(consents)
    session.flush()
    return replies, consents


def _opt(
    session: Session, services: Services, text: InboundText, effect: RecordOptOut | RecordOptIn
) -> None:
    supporter = supporter_row(session, text.phone)
    now = services.clock()
    stopping = isinstance(effect, RecordOptOut)
    supporter.opted_out_at = now if stopping else None
    supporter.language = effect.language
    session.flush()
    session.add(
        ConsentEvent(
            supporter_id=supporter.id,
            phone=text.phone,
            kind="opt_out" if stopping else "opt_back_in",
            channel=text.channel,
            supporter_text=text.body,
            message_sid=text.sid,
            created_at=now,
        )
    )


def _reply(text: InboundText, reply: Reply) -> Message:
    # Twilio carries a TwiML reply: stored as sending until its status callback names its SID.
    return Message(
        direction="out",
        phone=text.phone,
        channel=text.channel,
        body=reply.text,
        status="sending",
        kind="reply",
    )


def _consent(
    session: Session, services: Services, text: InboundText, effect: RecordSignature
) -> ConsentEvent:
    # The durable record of the YES: the signature job, or the recovery sweep, works from it.
    campaign = services.catalog.by_slug(effect.campaign)
    assert campaign is not None
    supporter = save_profile(session, text.phone, effect.name, effect.place, effect.language)
    session.flush()
    return ConsentEvent(
        supporter_id=supporter.id,
        phone=text.phone,
        campaign_id=campaign_row(session, campaign).id,
        kind="opt_in",
        channel=text.channel,
        disclosure=effect.disclosure,
        supporter_text=text.body,
        message_sid=text.sid,
        created_at=services.clock(),
    )
