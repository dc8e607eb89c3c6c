"""A factory of signers for broadcast tests: people who signed, stored as the bot stores them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.services import Services
from store.models import ConsentEvent, Signature, Supporter
from store.records import campaign_row

CAMPAIGN = "doj-face-recognition"
DISCLOSURE = "Civil Rights Text Team will add you to the letter… Reply YES to sign."


@dataclass(frozen=True)
class Signer:
    """One person who signed: where they live, how they signed, and what became of their phone."""

    phone: str
    name: str = "Jane Doe"
    zip_code: str = "30303"
    city: str = "Atlanta"
    state: str = "GA"
    time_zone: str = "America/New_York"
    language: str = "en"
    source: str = "sms"
    signed_at: datetime = datetime(2026, 2, 1, 15, 0, tzinfo=UTC)
    opted_out: bool = False
    undeliverable: str | None = None  # e.g. "landline"
    disclosure: str = DISCLOSURE


def add_signers(svc: Services, signers: Iterable[Signer], campaign: str = CAMPAIGN) -> None:
    """Store each signer: their supporter row, the YES they gave, and their signature."""
    with svc.db.begin() as session:
        file = svc.catalog.by_slug(campaign)
        assert file is not None
        campaign_id = campaign_row(session, file).id
        for number, signer in enumerate(signers, 1):
            supporter = Supporter(
                phone=signer.phone,
                name=signer.name,
                zip_code=signer.zip_code,
                city=signer.city,
                state=signer.state,
                time_zone=signer.time_zone,
                language=signer.language,
                opted_out_at=signer.signed_at if signer.opted_out else None,
                undeliverable_at=signer.signed_at if signer.undeliverable else None,
                undeliverable_reason=signer.undeliverable,
            )
            session.add(supporter)
            session.flush()
            consent = ConsentEvent(
                supporter_id=supporter.id,
                phone=signer.phone,
                campaign_id=campaign_id,
                kind="opt_in",
                channel="whatsapp" if signer.source == "whatsapp" else "sms",
                disclosure=signer.disclosure,
                created_at=signer.signed_at,
            )
            session.add(consent)
            session.flush()
            session.add(
                Signature(
                    campaign_id=campaign_id,
                    supporter_id=supporter.id,
                    consent_event_id=consent.id,
                    number=number,
                    signed_at=signer.signed_at,
                    source=signer.source,
                    consent_text=signer.disclosure,
                )
            )


def atlanta(count: int, start: int = 1000) -> list[Signer]:
    """``count`` signers in Atlanta with made-up 555 numbers, named Signer1, Signer2, …"""
    return [
        Signer(phone=f"+1404555{start + n:04d}", name=f"Signer{n + 1} Doe") for n in range(count)
    ]
