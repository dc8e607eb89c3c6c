"""Finding people: anyone who ever texted, by phone or by name, and a campaign's signer list.

A person who stopped before signing has no profile, only texts: a name search reads their
texts too, so someone who gave a name and ZIP and then said NO can still be found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from store.models import Message, Signature, Supporter

MATCHES = 50  # people a name search lists
PAGE = 50  # signers a page of the list shows


@dataclass(frozen=True)
class Match:
    """Someone a name search found: their profile's name, or the text that gave it."""

    phone: str
    name: str
    place: str
    supporter_id: int | None  # None: they texted, but no profile was kept
    opted_out: bool


def by_name(session: Session, words: str) -> list[Match]:
    """People whose profile name, or whose own texts, contain ``words`` (any case)."""
    pattern = f"%{_escaped(' '.join(words.split()))}%"
    profiles = session.scalars(
        select(Supporter)
        .where(Supporter.name.ilike(pattern, escape="\\"))
        .order_by(Supporter.name)
        .limit(MATCHES)
    ).all()
    found = [
        Match(
            s.phone,
            s.name or "",
            ", ".join(p for p in (s.city, s.state) if p),
            s.id,
            s.opted_out_at is not None,
        )
        for s in profiles
    ]
    # Their own words, for those who never signed: the newest text naming them, per phone.
    texts = session.execute(
        select(Message.phone, func.max(Message.body))
        .where(Message.direction == "in", Message.body.ilike(pattern, escape="\\"))
        .where(Message.phone.not_in(select(Supporter.phone).where(Supporter.name.is_not(None))))
        .group_by(Message.phone)
        .limit(MATCHES)
    ).all()
    found += [Match(phone, f"“{body}”", "", None, False) for phone, body in texts]
    return found[:MATCHES]


@dataclass(frozen=True)
class Signer:
    number: int
    supporter_id: int
    name: str | None
    phone: str
    zip_code: str | None
    city: str | None
    state: str | None
    signed_at: datetime
    source: str
    opted_out: bool


@dataclass(frozen=True)
class SignerPage:
    signers: list[Signer]
    total: int  # signers the search matched, on every page
    page: int  # from 1
    pages: int


def signer_page(session: Session, campaign_id: int | None, search: str, page: int) -> SignerPage:
    """One page of the campaign's signers, in signing order, narrowed by ``search``: a name,
    a phone's digits, a ZIP (or its start) or a two-letter state."""
    query = (
        select(
            Signature.number,
            Supporter.id,
            Supporter.name,
            Supporter.phone,
            Supporter.zip_code,
            Supporter.city,
            Supporter.state,
            Signature.signed_at,
            Signature.source,
            Supporter.opted_out_at.is_not(None),
        )
        .join(Supporter, Supporter.id == Signature.supporter_id)
        .where(Signature.campaign_id == campaign_id)
    )
    if search.strip():
        query = query.where(_matching(search))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE))
    page = min(max(page, 1), pages)
    rows = session.execute(
        query.order_by(Signature.number).offset((page - 1) * PAGE).limit(PAGE)
    ).all()
    return SignerPage([Signer(*row) for row in rows], total, page, pages)  # type: ignore[call-arg]


def _matching(search: str) -> ColumnElement[bool]:
    words = " ".join(search.split())
    digits = "".join(c for c in words if c.isdigit())
    matches: list[ColumnElement[bool]] = [Supporter.name.ilike(f"%{_escaped(words)}%", escape="\\")]
    if digits:
        matches.append(Supporter.phone.contains(digits, autoescape=True))
    if digits and len(digits) <= 5:
        matches.append(Supporter.zip_code.startswith(digits, autoescape=True))
    if len(words) == 2 and words.isalpha():
        matches.append(Supporter.state == words.upper())
    return or_(*matches)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
