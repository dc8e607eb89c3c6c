"""Take one inbound text through the conversation: store it, step the engine, apply effects.

The webhook, the phone simulator and the terminal chat all come through here.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.broadcasts.service import recent_broadcast
from bot.campaigns.signing import record_signature
from bot.database import once_more_if_dropped
from bot.field.events import event_keyword
from bot.field.signups import PHONES, confirm_signup, end_signup, pending_signup, sign_up_by_text
from bot.field.volunteers import volunteer_facts
from bot.inbound.phone_turns import OverBudget, PhoneTurn
from bot.inbound.texts import InboundText, OutboundReply
from bot.integrations import outbox, payloads
from bot.outbound.jobs import send_message
from bot.services import Services
from conversations import (
    BroadcastReply,
    Catalog,
    EndSignup,
    Inbound,
    Progress,
    RecordOptIn,
    RecordOptOut,
    RecordSignature,
    RememberLanguage,
    Reply,
    SignUp,
    State,
    Turn,
    World,
    step,
)
from conversations.parsing import is_add, normalize_word
from conversations.revocation import revocation
from store.models import MESSAGES, ConsentEvent, Message
from store.records import (
    insert_ignoring_duplicates,
    reach,
    save_profile,
    supporter_facts,
    supporter_row,
)
from store.statuses import ConsentKind, Direction, MessageKind, MessageStatus

log = logging.getLogger(__name__)
# One INSERT for a turn's replies, built once, with the ids returned in order: the ORM's unit
# of work and building the statement anew cost more than PostgreSQL's part.
INSERT_REPLIES = insert(MESSAGES).returning(MESSAGES.c.id, sort_by_parameter_order=True)
# The kinds of a turn's replies: TwiML carries them when the text is answered at once.
REPLY_KINDS = (MessageKind.REPLY, MessageKind.OPT_OUT_CONFIRMATION)


def receive(services: Services, text: InboundText) -> list[OutboundReply]:
    """Handle one inbound text exactly once; return the replies to send back at once.

    With the database away the text is spooled in Redis; with Redis away, or the phone's
    previous text stuck for ``WAIT_SECONDS`` (a process died holding its lock), it is stored
    unprocessed. Either way nothing is lost: the worker takes it up when it can, and then its
    replies go out by the REST API instead (``answer_later``, ``answer_stored``).
    """
    try:
        with services.phone_turn(text.phone, counted=text.body) as held:
            if held.spooled:
                # Its earlier texts wait in the spool (the database was away): this one joins
                # them, so the phone's texts take effect in the order they came.
                services.spool.push(text)
                return []
            if held.deferred:
                # Texts stored while the phone's turn was stuck came first: answered first.
                _answer_unprocessed(services, held)
                services.turns.caught_up(text.phone)
            applied = _converse(services, held, text, reply_now=True)
        if applied is None:
            return _replies_not_taken(services, text)
        _enqueue_jobs(services, applied)
    except OverBudget:
        _store_aside(services, text, status=MessageStatus.THROTTLED)
        return []
    except TimeoutError:
        log.warning(
            "the previous text from %s is stuck: storing this one to answer later", text.phone
        )
        _store_aside(services, text, status=MessageStatus.UNPROCESSED)
        # Without the mark the sweep still answers it, only maybe after the phone's next text.
        with suppress(RedisError):
            services.turns.defer(text.phone)
        return []
    except RedisError:
        log.warning("Redis is away: storing the text from %s to answer later", text.phone)
        _store_aside(services, text, status=MessageStatus.UNPROCESSED)
        return []
    except OperationalError:
        log.warning("the database is away: spooling the text from %s", text.phone)
        services.spool.push(text)
        return []
    return applied.replies


def _replies_not_taken(services: Services, text: InboundText) -> list[OutboundReply]:
    """The replies to a text handled before that Twilio never took: to answer its retry with.

    Twilio delivers a text again only when it did not get our answer (a timeout, a dropped
    connection), so the turn must not run twice, but its replies must still reach the person.
    Twilio took the ones it reported on (their SID is stored); the rest go in this answer,
    under their own rows, so one status callback settles each whichever answer carried it.
    """
    handled_at = (
        select(MESSAGES.c.created_at)
        .where(MESSAGES.c.sid == text.sid, MESSAGES.c.direction == Direction.IN)
        .scalar_subquery()
    )
    with services.db() as session:
        rows = session.execute(
            select(MESSAGES.c.id, MESSAGES.c.body)
            .where(
                MESSAGES.c.phone == text.phone,
                MESSAGES.c.direction == Direction.OUT,
                MESSAGES.c.kind.in_(REPLY_KINDS),
                MESSAGES.c.status == MessageStatus.SENDING,
                MESSAGES.c.sid.is_(None),
                MESSAGES.c.in_reply_at == handled_at,
            )
            .order_by(MESSAGES.c.id)
        ).all()
    return [OutboundReply(row.id, row.body) for row in rows]


def answer_later(services: Services, text: InboundText) -> None:
    """Handle a text that could not be answered when it came, replying by the REST API."""
    with services.phone_turn(text.phone) as held:
        if held.deferred:
            # Texts stored behind a stuck turn before this one came: answered first.
            _answer_unprocessed(services, held, received_by=text.received_at)
        applied = _converse(services, held, text, reply_now=False)
    if applied is not None:
        _enqueue_jobs(services, applied)


def answer_stored(services: Services, message_id: int) -> None:
    """Handle the texts stored unprocessed (Redis away, a stuck turn) up to this one, in order."""
    with services.db() as session:
        phone = session.get_one(Message, message_id).phone
    with services.phone_turn(phone) as held:
        _answer_unprocessed(services, held, up_to=message_id)


def _answer_unprocessed(
    services: Services,
    held: PhoneTurn,
    up_to: int | None = None,
    received_by: datetime | None = None,
) -> None:
    """Answer the phone's unprocessed texts (up to ``up_to``, or those received by
    ``received_by``), oldest first, by the REST API."""
    while True:
        with services.db.begin() as session:
            waiting = select(func.min(Message.id)).where(
                Message.phone == held.phone, Message.status == MessageStatus.UNPROCESSED
            )
            if up_to is not None:
                waiting = waiting.where(Message.id <= up_to)
            if received_by is not None:
                waiting = waiting.where(Message.created_at <= received_by)
            # Claimed row by row: a text another run took is not handled twice.
            message = session.scalar(
                update(Message)
                .where(
                    Message.id == waiting.scalar_subquery(),
                    Message.status == MessageStatus.UNPROCESSED,
                )
                .values(status=MessageStatus.RECEIVED)
                .returning(Message)
            )
            if message is None:
                return
            text = InboundText(
                phone=message.phone,
                body=message.body,
                sid=message.sid or "",
                channel=message.channel,
                received_at=message.created_at,
            )
            turn, applied = _step(session, services, held.state, text, reply_now=False)
        held.advance(turn.state)
        _enqueue_jobs(services, applied)


def _converse(
    services: Services, held: PhoneTurn, text: InboundText, *, reply_now: bool
) -> Applied | None:
    """Store ``text`` and apply its turn in one transaction; None for a text already stored."""

    def in_one_transaction() -> tuple[Turn, Applied] | None:
        with services.db.begin() as session:
            if not _store_inbound(session, text, status=MessageStatus.RECEIVED):
                return None
            return _step(session, services, held.state, text, reply_now=reply_now)

    done = once_more_if_dropped(in_one_transaction)
    if done is None:
        return None
    turn, applied = done
    held.advance(turn.state)
    return applied


@dataclass
class Applied:
    """The rows a turn's effects wrote, for the work that must wait for the commit."""

    replies: list[OutboundReply] = field(default_factory=list)
    consents: list[ConsentEvent] = field(default_factory=list)
    reply_now: bool = True
    sends: list[Message] = field(default_factory=list)  # texts to others: sign-up requests


def _step(
    session: Session,
    services: Services,
    state: State | None,
    text: InboundText,
    *,
    reply_now: bool,
) -> tuple[Turn, Applied]:
    catalog = services.catalog
    word = normalize_word(text.body)
    # Only a text with no conversation open may answer a broadcast: spare the rest the look-up.
    answered = (
        None if state is not None else recent_broadcast(session, text.phone, text.received_at)
    )
    world = World(
        catalog,
        supporter_facts(session, text.phone, text.received_at),
        services.places,
        carrier_answers_keywords=services.settings.stop_replies_by == "twilio",
        phones=PHONES,
        # A campaign's keyword wins over any event's: spare it the look-up.
        event=None if catalog.by_keyword(word) is not None else event_keyword(session, word),
        # Only an ADD reads it: spare every other text the look-up.
        volunteer=volunteer_facts(session, text.phone) if is_add(text.body) else None,
        pending_signup=(
            pending_signup(session, text.phone, text.received_at)
            if _may_answer_a_signup(catalog, state, text)
            else None
        ),
        recent_broadcast=None if answered is None else answered[1],
    )
    inbound = Inbound(text.body, text.channel, text.carrier_keyword)
    turn = step(state, inbound, world)
    applied = _apply(session, services, text, turn, Applied(reply_now=reply_now), answered)
    return turn, applied


def _may_answer_a_signup(catalog: Catalog, state: State | None, text: InboundText) -> bool:
    # The engine reads a sign-up awaiting YES with no conversation open (or one whose campaign
    # closed), and ends it on a stop request: spare texts mid-conversation the look-up.
    if state is None or text.carrier_keyword == "STOP" or revocation(text.body):
        return True
    campaign = catalog.by_slug(state.campaign)
    return campaign is None or not campaign.active


def _enqueue_jobs(services: Services, applied: Applied) -> None:
    # Jobs go out only after the commit, so a worker always finds what it is asked about.
    for consent in applied.consents:
        services.enqueue(record_signature, consent.id)
    if not applied.reply_now:
        for reply in applied.replies:
            services.enqueue(send_message, reply.message_id)
    for message in applied.sends:
        services.enqueue(send_message, message.id)


def _store_aside(services: Services, text: InboundText, *, status: str) -> None:
    """Keep a text we will not answer now; with the database away too, spool it."""
    try:
        with services.db.begin() as session:
            _store_inbound(session, text, status=status)
    except OperationalError:
        services.spool.push(text)


def _store_inbound(session: Session, text: InboundText, *, status: str) -> bool:
    # One statement, no savepoint: the unique MessageSid decides whether this is a retry.
    return insert_ignoring_duplicates(
        session,
        Message,
        {
            "sid": text.sid,
            "direction": Direction.IN,
            "phone": text.phone,
            "channel": text.channel,
            "body": text.body,
            "status": status,
            "kind": None,
            "attempts": 0,
            "created_at": text.received_at,
            "updated_at": text.received_at,
        },
    )


def _apply(
    session: Session,
    services: Services,
    text: InboundText,
    turn: Turn,
    applied: Applied,
    answered: tuple[int, str] | None,
) -> Applied:
    replies: list[Reply] = []
    for effect in turn.effects:
        if isinstance(effect, Reply):
            replies.append(effect)
        elif isinstance(effect, RecordSignature):
            consent = _consent(session, services, text, effect)
            applied.consents.append(consent)
            if effect.signup is not None:
                confirm_signup(session, effect.signup, consent)
        elif isinstance(effect, SignUp):
            added, answer = sign_up_by_text(session, services.catalog, effect, text.received_at)
            replies.append(Reply(answer))
            if added.message is not None:
                applied.sends.append(added.message)
        elif isinstance(effect, EndSignup):
            end_signup(session, effect.signup, effect.status, text.received_at)
        elif isinstance(effect, RecordOptOut | RecordOptIn):
            _opt(session, text, effect)
        elif isinstance(effect, RememberLanguage):
            supporter_row(session, text.phone).language = effect.language
        elif isinstance(effect, Progress):
            campaign = services.catalog.by_slug(effect.campaign)
            assert campaign is not None
            reach(session, services.campaign_id(session, campaign), text.phone, effect.step)
        elif isinstance(effect, BroadcastReply):
            _file_broadcast_reply(session, text, effect, answered)
    session.add_all(applied.consents)  # flushed by the commit, which gives them their ids
    applied.replies = _store_replies(session, text, replies, now=applied.reply_now)
    return applied


def _file_broadcast_reply(
    session: Session, text: InboundText, effect: BroadcastReply, answered: tuple[int, str] | None
) -> None:
    # The stored inbound text names the broadcast it answers (the one the turn's world named):
    # its report counts and lists it.
    if answered is None or answered[1] != effect.campaign:
        return
    session.execute(
        update(Message)
        .where(Message.sid == text.sid, Message.direction == Direction.IN)
        .values(broadcast_id=answered[0])
    )
    payload = payloads.broadcast_reply(
        answered[0], effect.campaign, text.phone, text.body, text.received_at
    )
    outbox.record(session, outbox.BROADCAST_REPLY, payload, text.received_at)


def _opt(session: Session, text: InboundText, effect: RecordOptOut | RecordOptIn) -> None:
    supporter = supporter_row(session, text.phone)
    now = text.received_at
    stopping = isinstance(effect, RecordOptOut)
    # A stop from a phone opted out already is recorded, but the opt-out keeps its start: the
    # confirmation that went with it is the one (bot.outbound.suppression.confirms_opt_out).
    changed = (supporter.opted_out_at is None) == stopping
    if not stopping:
        supporter.opted_out_at = None
    elif changed:
        supporter.opted_out_at = now
    supporter.language = effect.language
    if isinstance(effect, RecordOptOut) and effect.reassigned:
        supporter.reassigned_at = now
    session.flush()
    session.add(
        ConsentEvent(
            supporter_id=supporter.id,
            phone=text.phone,
            kind=ConsentKind.OPT_OUT if stopping else ConsentKind.OPT_BACK_IN,
            channel=text.channel,
            supporter_text=text.body,
            message_sid=text.sid,
            created_at=now,
        )
    )
    if changed:  # other tools hear of a change, not of each repeated STOP
        kind = outbox.SUPPORTER_OPTED_OUT if stopping else outbox.SUPPORTER_OPTED_IN
        outbox.record(session, kind, payloads.opt(text.phone, now, text.channel, "keyword"), now)


def _store_replies(
    session: Session, text: InboundText, replies: list[Reply], *, now: bool
) -> list[OutboundReply]:
    # Twilio carries a TwiML reply: stored as sending until its status callback names its SID.
    # A late one goes by the REST API, pending like any other send.
    if not replies:
        return []
    rows = [
        {
            "direction": Direction.OUT,
            "phone": text.phone,
            "channel": text.channel,
            "body": reply.text,
            "status": MessageStatus.SENDING if now else MessageStatus.PENDING,
            "kind": MessageKind(reply.kind),
            "in_reply_at": text.received_at,
        }
        for reply in replies
    ]
    ids = session.execute(INSERT_REPLIES, rows).scalars().all()
    return [OutboundReply(id, reply.text) for id, reply in zip(ids, replies, strict=True)]


def _consent(
    session: Session, services: Services, text: InboundText, effect: RecordSignature
) -> ConsentEvent:
    # The durable record of the YES: the signature job, or the recovery sweep, works from it.
    campaign = services.catalog.by_slug(effect.campaign)
    assert campaign is not None
    supporter_id = save_profile(session, text.phone, effect.name, effect.place, effect.language)
    return ConsentEvent(
        supporter_id=supporter_id,
        phone=text.phone,
        campaign_id=services.campaign_id(session, campaign),
        kind=ConsentKind.OPT_IN,
        channel=text.channel,
        disclosure=effect.disclosure,
        supporter_text=text.body,
        message_sid=text.sid,
        created_at=text.received_at,
        source=effect.source,
    )
