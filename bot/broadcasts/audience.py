"""Who a broadcast goes to: a campaign's signers, narrowed by filters, and why some are left out.

Everything here is one SQL query shape, so a million signers are counted and planned by the
database without a row of them loaded into Python. The same filters and the same reasons serve
the preview (counts) and the plan (``INSERT … SELECT``), so the preview says what the plan does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, func, literal, select
from sqlalchemy.orm import Session

from bot.lib.quiet_hours import SendWindow, is_open, zones_for
from bot.outbound.frequency_cap import SKIP_REASON as FREQUENCY_CAP
from bot.outbound.frequency_cap import Cap
from conversations.parsing import first_name
from store.models import ConsentEvent, Signature, Supporter
from store.statuses import Channel

PLACEHOLDERS = ("first_name", "city")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")
# A placeholder with nothing to put in it leaves no stray space: "Hi {first_name}," -> "Hi,".
_SPACE_BEFORE = re.compile(r"[ \t]+(?=[,.!?;:])")


class AudienceError(ValueError):
    """A filter or a message template is malformed; the text says which and how."""


@dataclass(frozen=True)
class Audience:
    """The filters on a campaign's signers; each one left ``None`` does not narrow."""

    state: str | None = None  # two letters, e.g. GA
    zip_prefix: str | None = None  # the first digits of the ZIP code, e.g. 303
    language: str | None = None  # the supporter's language, e.g. es
    source: str | None = None  # how they signed: sms, whatsapp, or an event's slug
    signed_after: datetime | None = None  # signed at or after this moment (UTC)

    def __post_init__(self) -> None:
        if self.state is not None and not re.fullmatch(r"[A-Z]{2}", self.state):
            raise AudienceError(f"state {self.state!r} should be two capital letters, like GA")
        if self.zip_prefix is not None and not re.fullmatch(r"[0-9]{1,5}", self.zip_prefix):
            raise AudienceError(f"ZIP prefix {self.zip_prefix!r} should be 1 to 5 digits")
        if self.language is not None and not re.fullmatch(r"[a-z]{2}", self.language):
            raise AudienceError(f"language {self.language!r} should be a code like en or es")
        if self.signed_after is not None and self.signed_after.tzinfo is None:
            raise AudienceError("signed_after must be a timezone-aware time")

    @classmethod
    def of(
        cls,
        state: str | None = None,
        zip_prefix: str | None = None,
        language: str | None = None,
        source: str | None = None,
        signed_after: str | date | datetime | None = None,
    ) -> Audience:
        """Build filters from what a person typed: stray spaces and case are forgiven."""
        return cls(
            state=_clean(state, str.upper),
            zip_prefix=_clean(zip_prefix, str.strip),
            language=_clean(language, str.lower),
            source=_clean(source, str.lower),
            signed_after=_moment(signed_after),
        )

    def to_json(self) -> str:
        values = {k: v for k, v in asdict(self).items() if v is not None}
        if self.signed_after is not None:
            values["signed_after"] = self.signed_after.isoformat()
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data: dict[str, Any] = json.loads(text or "{}")
        return cls.of(**data)

    def describe(self, zone: tzinfo = UTC) -> str:
        """The filters in words, for a preview or a report, with times in ``zone``."""
        parts = [
            f"in {self.state}" if self.state else "",
            f"ZIP {self.zip_prefix}…" if self.zip_prefix else "",
            f"language {self.language}" if self.language else "",
            f"signed by {self.source}" if self.source else "",
            f"signed since {self.signed_after.astimezone(zone):%Y-%m-%d %H:%M %Z}"
            if self.signed_after
            else "",
        ]
        chosen = ", ".join(p for p in parts if p)
        return f"signers {chosen}" if chosen else "every signer"


def _clean(value: str | None, shape: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    return str(shape(str(value).strip()))


def _moment(value: str | date | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise AudienceError(f"{value!r} is not a date like 2026-01-01") from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def channel() -> ColumnElement[str]:
    """The channel a signer is texted on: the one they consented on, WhatsApp or else SMS."""
    # The consent's channel, not the signature's source: one who signed through an event's
    # keyword on WhatsApp has the event as source, and agreed to hear from us on WhatsApp.
    return case(
        (ConsentEvent.channel == Channel.WHATSAPP, literal(Channel.WHATSAPP, String)),
        else_=literal(Channel.SMS, String),
    )


def exclusion(cap: Cap | None = None) -> ColumnElement[str | None]:
    """Why a signer must not get the broadcast (the send checks again), or NULL if they may."""
    # The same reasons, worded the same, as bot.outbound.suppression.reason_to_skip and the
    # claim's frequency cap give at send time.
    capped = () if cap is None else ((cap.reached(), literal(FREQUENCY_CAP)),)
    return case(
        (Supporter.opted_out_at.is_not(None), literal("opted_out")),
        (
            (channel() == Channel.SMS) & Supporter.undeliverable_at.is_not(None),
            literal("undeliverable:") + func.coalesce(Supporter.undeliverable_reason, "unknown"),
        ),
        # A signature with no disclosure stored has no consent we could show: no texts.
        (func.coalesce(Signature.consent_text, "") == "", literal("no_consent")),
        *capped,
        else_=literal(None),
    )


def signers(campaign_id: int, audience: Audience) -> Select[Any]:
    """The signers of a campaign the filters keep: supporters joined to their signatures."""
    query = (
        select()
        .select_from(Signature)
        .join(Supporter, Supporter.id == Signature.supporter_id)
        .join(ConsentEvent, ConsentEvent.id == Signature.consent_event_id)
        .where(Signature.campaign_id == campaign_id)
    )
    if audience.state:
        query = query.where(Supporter.state == audience.state)
    if audience.zip_prefix:
        query = query.where(Supporter.zip_code.startswith(audience.zip_prefix, autoescape=True))
    if audience.language:
        query = query.where(Supporter.language == audience.language)
    if audience.source:
        query = query.where(Signature.source == audience.source)
    if audience.signed_after:
        query = query.where(Signature.signed_at >= audience.signed_after)
    return query


@dataclass(frozen=True)
class Count:
    """How many signers the filters keep, by reason left out, and their longest fields."""

    reasons: dict[str | None, int]  # None: will receive it
    longest_first_name: int
    longest_city: int

    @property
    def receiving(self) -> int:
        return self.reasons.get(None, 0)

    @property
    def excluded(self) -> dict[str, int]:
        return {reason: n for reason, n in self.reasons.items() if reason is not None}


def count(session: Session, campaign_id: int, audience: Audience, cap: Cap | None = None) -> Count:
    """Count the signers the filters keep, grouped by why they are left out, in one query."""
    reason = exclusion(cap).label("reason")
    rows = session.execute(
        signers(campaign_id, audience)
        .add_columns(
            reason,
            func.count().label("n"),
            func.max(func.length(_first_word(session, Supporter.name))),
            func.max(func.length(Supporter.city)),
        )
        .group_by(reason)
    ).all()
    return Count(
        reasons={row[0]: int(row[1]) for row in rows},
        longest_first_name=max((int(row[2] or 0) for row in rows if row[0] is None), default=0),
        longest_city=max((int(row[3] or 0) for row in rows if row[0] is None), default=0),
    )


def in_quiet_hours(
    session: Session, campaign_id: int, audience: Audience, now: datetime, window: SendWindow
) -> int:
    """How many of those who will receive it are in quiet hours at ``now``: their texts wait.

    Grouped by stored time zone and area code (the same rules as at send time), so a million
    signers are a few hundred rows.
    """
    area = func.substr(Supporter.phone, 1, 5)
    rows = session.execute(
        signers(campaign_id, audience)
        .add_columns(Supporter.time_zone, func.min(Supporter.phone), func.count())
        .where(exclusion().is_(None))
        .group_by(Supporter.time_zone, area)
    ).all()
    if window.always_open:
        return 0
    return sum(n for zone, phone, n in rows if not is_open(now, zones_for(zone, phone), window))


def _first_word(session: Session, name: Any) -> ColumnElement[str]:
    # A bound on the greeting's length; honorifics ("Dr. Ana") only make it longer than needed.
    if session.get_bind().dialect.name == "postgresql":
        return func.split_part(name, " ", 1)
    return func.substr(name, 1, func.instr(name + " ", " ") - 1)


def check_template(template: str) -> None:
    """Refuse a broadcast text that is empty or names a placeholder the bot cannot fill."""
    if not template.strip():
        raise AudienceError("the message is empty")
    unknown = sorted({n for n in _PLACEHOLDER.findall(template) if n not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown)
        raise AudienceError(f"the message uses {names}; it may use {{first_name}} and {{city}}")


def personalize(template: str, name: str | None, city: str | None) -> str:
    """Fill ``{first_name}`` and ``{city}`` for one recipient; an unknown value leaves nothing."""
    values = {"first_name": first_name(name or ""), "city": city or ""}
    text = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)
    if all(values.values()):
        return text
    return _SPACE_BEFORE.sub("", re.sub(r"[ \t]{2,}", " ", text)).strip()


def sample(template: str, longest_first_name: int, longest_city: int) -> str:
    """The template filled with the longest values in the audience, for the segment count."""
    values = {"first_name": "x" * longest_first_name, "city": "x" * longest_city}
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)
