"""A campaign's ``messages_per_month``, kept: the consent disclosure promises at most that many.

What counts is the texts the organization starts (broadcasts) that went to a phone for the
campaign in the last 30 days. Answers to a person's own texts (replies, the signature's
confirmation, the opt-out confirmation) do not: the person asked for them. The plan leaves out a
signer already at the cap (``reached``, one correlated count in the audience query, so the
preview says so too), and the claim checks again as each text goes (``went_this_month``, one
query per claimed batch), since other broadcasts may have gone meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.orm import Session

from conversations import Catalog
from store.models import Campaign, Message, Supporter
from store.statuses import MessageKind, MessageStatus

MONTH = timedelta(days=30)
COUNTED_KIND = MessageKind.BROADCAST
SKIP_REASON = "frequency_cap"
# A text on its way or taken by the carrier; not one refused, undelivered, held or skipped.
WENT = (
    MessageStatus.SENDING,
    MessageStatus.ACCEPTED,
    MessageStatus.SCHEDULED,
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
)


@dataclass(frozen=True)
class Cap:
    """One campaign's cap, as of a moment."""

    campaign_id: int
    per_month: int
    now: datetime

    def reached(self) -> ColumnElement[bool]:
        """True for a signer (``Supporter`` in the query) whose month is used up already."""
        went = (
            select(func.count())
            .select_from(Message)
            .where(
                Message.phone == Supporter.phone,
                Message.kind == COUNTED_KIND,
                Message.campaign_id == self.campaign_id,
                Message.created_at > self.now - MONTH,
                Message.status.in_(WENT),
            )
            .scalar_subquery()
        )
        return went >= self.per_month


def campaign_cap(session: Session, catalog: Catalog, campaign_id: int, now: datetime) -> Cap | None:
    """The cap of the campaign with this id, as of ``now``; None for one no longer known."""
    slug = session.scalar(select(Campaign.slug).where(Campaign.id == campaign_id))
    campaign = catalog.by_slug(slug or "")
    return None if campaign is None else Cap(campaign_id, campaign.messages_per_month, now)


def went_this_month(
    session: Session, messages: Sequence[Message], now: datetime, claimed: Collection[int]
) -> Counter[tuple[str, int]]:
    """How many counted texts each (phone, campaign) of these broadcast messages has had.

    ``claimed``: the batch's own ids, already marked sending by the claim, not counted.
    """
    pairs = {(m.phone, m.campaign_id) for m in messages if m.campaign_id is not None}
    if not pairs:
        return Counter()
    rows = session.execute(
        select(Message.phone, Message.campaign_id, func.count().label("n"))
        .where(
            tuple_(Message.phone, Message.campaign_id).in_(pairs),
            Message.kind == COUNTED_KIND,
            Message.created_at > now - MONTH,
            Message.status.in_(WENT),
            Message.id.not_in(claimed),
        )
        .group_by(Message.phone, Message.campaign_id)
    ).all()
    return Counter({(row.phone, int(row.campaign_id)): int(row.n) for row in rows})
