"""The durable record: supporters, campaigns, signatures, messages and consent events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.statuses import BroadcastStatus, Channel, DeliveryStatus, SignupStatus
from store.types import UTCDateTime

# SQLite has no BIGINT autoincrement, PostgreSQL wants one for tables that grow without bound.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """Write a stored time as ISO 8601 UTC, e.g. ``2026-11-26T07:18:00Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Base(DeclarativeBase):
    # Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Supporter(Base):
    __tablename__ = "supporters"
    # The dashboard's opt-out rate: opted-out people are few, so it starts from them.
    __table_args__ = (
        Index(
            "ix_supporters_id_opted_out",
            "id",
            postgresql_where=text("opted_out_at IS NOT NULL"),
            sqlite_where=text("opted_out_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)  # E.164
    name: Mapped[str | None] = mapped_column(String(100))
    zip_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Someone texted "wrong number": the phone changed hands, and the name and ZIP above are
    # the last owner's (kept for the signatures they gave), never used to greet the new one.
    # Cleared when the new owner gives their own.
    reassigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Texts cannot reach this phone (landline, invalid, unreachable); WhatsApp may still.
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Campaign(Base):
    """A petition's row: its identity, its counter, and its words once edited in the dashboard."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text)
    keyword: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    # Incremented under the row lock as each signature is stored: it numbers signers exactly.
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The campaign as organizers saved it in the dashboard (campaign-file data, as JSON); it
    # wins over the file of the same slug. Empty: the file is the campaign.
    definition: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConsentEvent(Base):
    """An append-only record of what a person agreed to, or withdrew, and when."""

    __tablename__ = "consent_events"
    # The recovery sweep's look-up of recent opt-ins.
    __table_args__ = (
        Index("ix_consent_events_kind_created_at", "kind", "created_at"),
        Index("ix_consent_events_phone_id", "phone", "id"),  # one person's history
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("supporters.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    # opt_in, opt_out, opt_back_in, carrier_opt_out (Twilio said 21610), and signup_request:
    # someone else entered the phone (a volunteer, a paper sheet) and the bot asked it to confirm.
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    disclosure: Mapped[str | None] = mapped_column(Text)  # the exact text shown
    supporter_text: Mapped[str | None] = mapped_column(Text)  # their words, e.g. "stop texting me"
    message_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where an opt-in came from when not the channel: an event's slug (its keyword, or a
    # volunteer's sign-up there). The signature's source is copied from it.
    source: Mapped[str | None] = mapped_column(String(100))
    # Who entered the phone, for a signup_request: how, and the volunteer or account, in words.
    entered_by: Mapped[str | None] = mapped_column(String(300))


# PostgreSQL refuses it too (a trigger, migration 0015): this catches it earlier, in any database.
@event.listens_for(ConsentEvent, "before_update")
@event.listens_for(ConsentEvent, "before_delete")
def _consent_is_append_only(_mapper: object, _connection: object, target: ConsentEvent) -> None:
    raise ValueError(f"consent event {target.id} is a record: it is never changed or deleted")


class Signature(Base):
    __tablename__ = "signatures"
    # One signature per person per campaign, ever: the database enforces it.
    __table_args__ = (
        UniqueConstraint("campaign_id", "supporter_id"),
        Index("ix_signatures_campaign_id_id", "campaign_id", "id"),  # the export, in order
        Index("ix_signatures_campaign_id_number", "campaign_id", "number"),  # the dashboard
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    supporter_id: Mapped[int] = mapped_column(ForeignKey("supporters.id"), index=True)
    consent_event_id: Mapped[int] = mapped_column(ForeignKey("consent_events.id"), unique=True)
    number: Mapped[int] = mapped_column(Integer)  # signer #N of the campaign
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(100))
    consent_text: Mapped[str] = mapped_column(Text)
    message_sid: Mapped[str | None] = mapped_column(String(64))  # the inbound text that said YES
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))


class Message(Base):
    """Every text in and out. Outbound rows exist before the send, then gain a SID and status."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_phone_id", "phone", "id"),
        # Finds outbound work that a lost job left behind (see bot.recovery).
        Index("ix_messages_direction_status", "direction", "status"),
        # A broadcast's next pending texts, in order, and its figures by status.
        Index("ix_messages_broadcast_id_status_id", "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Twilio's MessageSid; unique, so a webhook delivered twice is stored once.
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(8))  # in, out
    phone: Mapped[str] = mapped_column(String(32))  # the supporter's side, E.164
    channel: Mapped[str] = mapped_column(String(16), default=Channel.SMS)
    body: Mapped[str] = mapped_column(Text)
    # in: received; out: pending -> sending -> sent/queued/delivered/undelivered/failed.
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(32))  # out: reply, confirmation
    # Why a message was not sent: opted_out, undeliverable, whatsapp_window.
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    # Why the bot itself could not send it (an error of ours, not the carrier's), in words.
    failure: Mapped[str | None] = mapped_column(Text)
    # When the texter's text arrived, for an answer to it; an answer that is late by then is
    # one the organization starts, and waits for quiet hours to end.
    in_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A held message (status "held") goes out at this time, when the recipient's window opens.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class User(Base):
    """An organizer's account for the dashboard: admin, organizer or field volunteer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin, organizer, field
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A disabled account cannot log in, and its sessions end; its name stays on its work.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Broadcast(Base):
    """A follow-up or action alert to a campaign's signers; its texts are rows in messages."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)  # a template: {first_name}, {city}
    audience: Mapped[str] = mapped_column(Text, default="{}")  # the filters, as JSON
    # draft -> scheduled -> planning -> sending <-> paused -> done; or canceled
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.DRAFT)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FunnelStep(Base):
    """The furthest a phone got in a campaign's conversation: keyword, name, zip, signed."""

    __tablename__ = "funnel_steps"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone", "step"),
        Index("ix_funnel_steps_campaign_id_reached_at", "campaign_id", "reached_at"),  # per day
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    phone: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """A rally or meeting with its own keyword: signatures that come through it are its."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    keyword: Mapped[str] = mapped_column(String(32), unique=True)  # upper-case, e.g. FACESATL
    name: Mapped[str] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Volunteer(Base):
    """A phone allowed to sign people up by text (ADD): its ADD texts count for ``event_id``,
    the event it serves now; ``VolunteerEvent`` lists every event it has served."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    # Removed volunteers keep their row: their sign-ups still name them.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VolunteerEvent(Base):
    """An event a volunteer serves or served: one volunteer, several events."""

    __tablename__ = "volunteer_events"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Signup(Base):
    """Someone a volunteer entered at an event; it becomes a signature only at their YES."""

    __tablename__ = "signups"
    __table_args__ = (Index("ix_signups_phone_status", "phone", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    name: Mapped[str] = mapped_column(String(100))
    zip_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    # The field account that entered it on the sign-up form (ADD and paper name a volunteer).
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    entered_via: Mapped[str] = mapped_column(String(8))  # form, sms, paper
    # awaiting_yes -> confirmed; or declined (NO), stopped (STOP)
    status: Mapped[str] = mapped_column(String(16), default=SignupStatus.AWAITING_YES)
    disclosure: Mapped[str] = mapped_column(Text)  # the confirmation request exactly as sent
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    consent_event_id: Mapped[int | None] = mapped_column(ForeignKey("consent_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A key for the REST API: only its SHA-256 is kept; the token is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxEvent(Base):
    """Something other tools hear about (a signature, an opt-out...), written in the same
    transaction as the change it reports; the worker hands it on after the commit."""

    __tablename__ = "outbox_events"
    # The worker's look-up of events not yet handed on: few, however long the table grows.
    __table_args__ = (
        Index(
            "ix_outbox_events_id_undispatched",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # signature.created, supporter.opted_out, ...
    payload: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookSubscription(Base):
    """A URL that is sent the events it asked for, signed with its own secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[str] = mapped_column(Text)  # kinds, comma-separated
    # Kept as given: signing needs the secret itself, not a hash of it.
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Removed subscriptions keep their row: their delivery log still names them.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one subscription: its attempts, the receiver's last answer, its state."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        # The worker's look-up of deliveries due an attempt.
        Index(
            "ix_webhook_deliveries_next_attempt_at_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default=DeliveryStatus.PENDING
    )  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response_code: Mapped[int | None] = mapped_column(Integer)  # the receiver's last answer
    error: Mapped[str | None] = mapped_column(Text)  # why the last attempt failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActionNetworkPetition(Base):
    """The Action Network petition a campaign's signatures are copied to."""

    __tablename__ = "action_network_petitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    petition_id: Mapped[str] = mapped_column(String(100))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActionNetworkSync(Base):
    """One thing sent to Action Network: a signature (once), or a phone's new status."""

    __tablename__ = "action_network_syncs"
    __table_args__ = (
        # A signature is recorded once, whatever retries, backfills and sweeps ask.
        Index(
            "ix_action_network_syncs_signature_id_sign",
            "signature_id",
            unique=True,
            postgresql_where=text("action = 'sign'"),
            sqlite_where=text("action = 'sign'"),
        ),
        UniqueConstraint("event_id", "signature_id"),
        Index(
            "ix_action_network_syncs_next_attempt_at_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id"), index=True)
    # The opt-out or opt-in that asked for a status change; none for a signature.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_events.id"))
    action: Mapped[str] = mapped_column(String(16))  # sign, unsubscribe, subscribe
    petition_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # What Action Network answered a signature with: sent again, it would not be POSTed again.
    person_id: Mapped[str | None] = mapped_column(String(100))
    remote_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# The tables themselves, for Core statements on the hot paths (a text's look-ups and replies,
# a broadcast's plan): a statement over ORM attributes pays for the ORM's compile and loading
# steps even when it returns plain rows, about twice the CPU of the same statement in Core.
MESSAGES = cast(Table, Message.__table__)
SUPPORTERS = cast(Table, Supporter.__table__)
SIGNATURES = cast(Table, Signature.__table__)
CAMPAIGNS = cast(Table, Campaign.__table__)
EVENTS = cast(Table, Event.__table__)
SIGNUPS = cast(Table, Signup.__table__)
OUTBOX_EVENTS = cast(Table, OutboxEvent.__table__)
