"""Events: a rally's own keyword for a campaign, so its signatures are attributed to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from conversations import Catalog, EventKeyword
from conversations.parsing import NO_WORDS, YES_WORDS
from store.models import CAMPAIGNS, EVENTS, Campaign, Event
from store.records import campaign_row

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_KEYWORD = 32


class EventError(ValueError):
    """An event cannot be created as asked; the message says why, for an organizer."""


@dataclass(frozen=True)
class EventRow:
    """An event as the commands and pages list it."""

    slug: str
    campaign: str
    keyword: str
    name: str
    place: str | None
    held_on: date | None


def create_event(
    session: Session,
    catalog: Catalog,
    slug: str,
    *,
    campaign: str,
    keyword: str,
    name: str,
    place: str | None = None,
    held_on: date | None = None,
) -> Event:
    """Add an event to ``campaign``, with a keyword no active campaign or other event uses."""
    if not SLUG.fullmatch(slug):
        raise EventError(f"slug {slug!r} must be lower-case words joined by -, like atlanta-rally")
    found = catalog.by_slug(campaign)
    if found is None:
        raise EventError(f"there is no campaign {campaign!r}")
    if not found.active:
        raise EventError(f"campaign {campaign} is closed")
    keyword = keyword.strip().upper()
    if not keyword.isalnum() or len(keyword) > MAX_KEYWORD:
        raise EventError(f"keyword {keyword!r} must be up to {MAX_KEYWORD} letters and digits")
    if not _may_be_keyword(keyword.casefold()):
        raise EventError(
            f"keyword {keyword} would be taken for an answer (a yes, a no or a ZIP code): "
            "use a word with letters, like RALLY"
        )
    taken = catalog.by_keyword(keyword.casefold())
    if taken is not None:
        raise EventError(f"keyword {keyword} is campaign {taken[0].slug}'s keyword")
    if session.scalar(select(Event.slug).where(Event.keyword == keyword)) is not None:
        raise EventError(f"keyword {keyword} is already another event's")
    if session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
        raise EventError(f"there is already an event {slug}")
    if not name.strip():
        raise EventError("an event needs a name, like 'Atlanta rally'")
    event = Event(
        slug=slug,
        campaign_id=campaign_row(session, found).id,
        keyword=keyword,
        name=" ".join(name.split()),
        place=" ".join(place.split()) if place and place.strip() else None,
        held_on=held_on,
    )
    session.add(event)
    session.flush()
    return event


def list_events(session: Session) -> list[EventRow]:
    """Every event, the latest first."""
    rows = session.execute(
        select(Event, Campaign.slug)
        .join(Campaign, Campaign.id == Event.campaign_id)
        .order_by(Event.held_on.desc().nulls_last(), Event.id.desc())
    )
    return [
        EventRow(event.slug, slug, event.keyword, event.name, event.place, event.held_on)
        for event, slug in rows
    ]


def event_by_slug(session: Session, slug: str) -> Event:
    """The event called ``slug``; an EventError names it when there is none."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise EventError(f"there is no event {slug!r}")
    return event


# Built once: the webhook runs it for every lone word that is no campaign's keyword.
_EVENT_BY_KEYWORD = (
    select(EVENTS.c.slug, CAMPAIGNS.c.slug)
    .join(CAMPAIGNS, CAMPAIGNS.c.id == EVENTS.c.campaign_id)
    .where(EVENTS.c.keyword == bindparam("keyword"))
)


def event_keyword(session: Session, word: str) -> EventKeyword | None:
    """The event whose keyword is ``word`` (a normalized text), for the engine."""
    # Most texts are names, ZIP codes and answers: only a lone word can be a keyword.
    if not word.isalnum() or len(word) > MAX_KEYWORD or not _may_be_keyword(word):
        return None
    found = session.execute(_EVENT_BY_KEYWORD, {"keyword": word.upper()}).first()
    return None if found is None else EventKeyword(found[0], found[1])


def _may_be_keyword(word: str) -> bool:
    # Mid-conversation a YES or a ZIP code is an answer: no event may take one as its keyword,
    # and the webhook spares such texts the look-up.
    return not word.isdigit() and word not in YES_WORDS and word not in NO_WORDS
