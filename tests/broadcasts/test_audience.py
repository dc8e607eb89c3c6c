"""The audience: which signers a broadcast keeps, why some are left out, how each is addressed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from signers import CAMPAIGN, Signer, add_signers
from sqlalchemy import select

from bot.broadcasts.audience import Audience, AudienceError, check_template, count, personalize
from store.models import Campaign

ATLANTA = Signer("+14045550001", name="Ana López", zip_code="30303")
DECATUR = Signer("+14045550002", name="Ben Okafor", zip_code="30030", city="Decatur")
SAVANNAH = Signer("+19125550003", name="Cy Park", zip_code="31401", city="Savannah", language="es")
LOS_ANGELES = Signer(
    "+12135550004",
    name="Di Reyes",
    zip_code="90012",
    city="Los Angeles",
    state="CA",
    time_zone="America/Los_Angeles",
    source="whatsapp",
    signed_at=datetime(2026, 3, 15, tzinfo=UTC),
)
STOPPED = Signer("+14045550005", opted_out=True)
LANDLINE = Signer("+14045550006", undeliverable="landline")
UNPROVEN = Signer("+14045550007", disclosure="")


def counted(svc, audience: Audience) -> dict[str | None, int]:
    with svc.db() as session:
        campaign_id = session.scalars(select(Campaign.id).where(Campaign.slug == CAMPAIGN)).one()
        return count(session, campaign_id, audience).reasons


@pytest.fixture
def everyone(svc) -> None:
    add_signers(svc, [ATLANTA, DECATUR, SAVANNAH, LOS_ANGELES, STOPPED, LANDLINE, UNPROVEN])


def test_with_no_filters_every_signer_counts_and_the_left_out_are_counted_by_reason(
    svc, everyone
) -> None:
    assert counted(svc, Audience()) == {
        None: 4,
        "opted_out": 1,
        "undeliverable:landline": 1,
        "no_consent": 1,
    }


def test_each_filter_narrows_the_audience(svc, everyone) -> None:
    assert counted(svc, Audience.of(state="ca")) == {None: 1}
    assert counted(svc, Audience.of(zip_prefix="303"))[None] == 1  # 30303, not 30030
    assert counted(svc, Audience.of(zip_prefix="300")) == {None: 1}
    assert counted(svc, Audience.of(language="ES")) == {None: 1}
    assert counted(svc, Audience.of(source="whatsapp")) == {None: 1}
    assert counted(svc, Audience.of(signed_after="2026-03-01")) == {None: 1}
    assert counted(svc, Audience.of(state="GA", zip_prefix="314", language="es")) == {None: 1}
    assert counted(svc, Audience.of(state="NY")) == {}


def test_a_whatsapp_signer_is_not_left_out_for_an_undeliverable_sms_number(svc) -> None:
    add_signers(svc, [Signer("+14045550008", source="whatsapp", undeliverable="landline")])
    assert counted(svc, Audience()) == {None: 1}


def test_the_longest_first_name_and_city_are_found_for_the_segment_count(svc, everyone) -> None:
    with svc.db() as session:
        campaign_id = session.scalars(select(Campaign.id).where(Campaign.slug == CAMPAIGN)).one()
        found = count(session, campaign_id, Audience())
    assert (found.longest_first_name, found.longest_city) == (3, len("Los Angeles"))


def test_filters_are_read_forgivingly_and_refused_when_wrong() -> None:
    audience = Audience.of(state=" ga ", zip_prefix="303", language="Es", signed_after="2026-01-01")
    assert audience == Audience(
        state="GA",
        zip_prefix="303",
        language="es",
        signed_after=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert Audience.from_json(audience.to_json()) == audience
    assert Audience.of(state="", zip_prefix=None) == Audience()
    for wrong in ({"state": "Georgia"}, {"zip_prefix": "30a"}, {"signed_after": "last week"}):
        with pytest.raises(AudienceError):
            Audience.of(**wrong)


def test_filters_read_as_words() -> None:
    assert Audience().describe() == "every signer"
    assert Audience.of(state="GA", language="es").describe() == "signers in GA, language es"


def test_each_recipient_is_greeted_by_their_first_name_and_city() -> None:
    template = "Hi {first_name}! {city} votes Tuesday."
    assert (
        personalize(template, "Dr. Ana María López", "Atlanta") == "Hi Ana! Atlanta votes Tuesday."
    )
    assert personalize("{first_name}", "李小龍", None) == "李小龍"


def test_a_missing_name_leaves_no_stray_space() -> None:
    assert personalize("Hi {first_name}, vote Tuesday!", None, "Atlanta") == "Hi, vote Tuesday!"
    assert personalize("See you in {city} !", "Ana", "") == "See you in!"


def test_braces_that_are_not_placeholders_are_left_alone() -> None:
    assert personalize("Text {first_name} :-}", "Ana", "X") == "Text Ana :-}"


def test_a_template_may_use_only_the_placeholders_the_bot_fills() -> None:
    check_template("Hi {first_name} from {city}")
    with pytest.raises(AudienceError, match=r"\{name\}"):
        check_template("Hi {name}")
    with pytest.raises(AudienceError, match="empty"):
        check_template("   ")
