"""The delivery packet's signers: names with city and state, read a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.models import Signature, Supporter

PAGE_SIZE = 2000


@dataclass(frozen=True)
class PacketSigner:
    name: str
    city: str | None
    state: str | None

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.state) if part)


def signers(
    sessions: sessionmaker[Session], campaign_id: int | None, page_size: int = PAGE_SIZE
) -> Iterator[PacketSigner]:
    """Every signer in signing order; each page is its own short query, keyed on the last id."""
    if campaign_id is None:
        return
    after = 0
    while True:
        with sessions() as session:
            page = session.execute(
                select(Signature.id, Supporter.name, Supporter.city, Supporter.state)
                .join(Supporter, Supporter.id == Signature.supporter_id)
                .where(Signature.campaign_id == campaign_id, Signature.id > after)
                .order_by(Signature.id)
                .limit(page_size)
            ).all()
        for _, name, city, state in page:
            yield PacketSigner(name or "(no name given)", city, state)
        if len(page) < page_size:
            return
        after = page[-1].id
