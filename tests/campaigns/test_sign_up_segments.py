"""What a sign-up costs in segments, measured on the real campaign files with the real counter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.campaigns.files import load_catalog
from bot.lib.places import ZipCodes
from bot.lib.segments import GSM_7, measure
from conversations.parsing import first_name

CATALOG = load_catalog(Path(__file__).parents[2] / "campaigns")
ATLANTA = ZipCodes().lookup("30303")
LATIN_NAMES = [
    "Zoë O’Brien",
    "Łukasz Wójcik",
    "Siobhán Ní Dhomhnaill",
    "Nguyễn Thị Minh Khai",
    "François-René “Frank” Côté",
    "Ana María Hernández Núñez de la Cruz",
    "Jean–Luc Picard…",
    "Björn Ångström",
]


def sign_up(language: str, name: str) -> dict[str, str]:
    """The texts a supporter gets signing by keyword: intro, ZIP question, consent, thanks."""
    assert ATLANTA is not None
    campaign, organization = CATALOG.campaigns[0], CATALOG.organization
    disclosure = {
        "organization": organization.name,
        "name": name,
        "zip_code": ATLANTA.zip_code,
        "city": ATLANTA.city,
        "state": ATLANTA.state,
        "messages_per_month": campaign.messages_per_month,
    }
    greeting = first_name(name)
    keyword = campaign.keyword_in(language)
    return {
        "intro": campaign.say(language, "intro"),
        "ask_zip": campaign.say(language, "ask_zip", first_name=greeting),
        "consent": campaign.say(language, "consent", **disclosure),
        "consent_returning": campaign.say(language, "consent_returning", **disclosure),
        "confirm_signup": campaign.say(
            language,
            "confirm_signup",
            first_name=greeting,
            volunteer="María",
            event="the Atlanta rally",
            **disclosure,
        ),
        "confirmation": campaign.say(
            language, "confirmation", first_name=greeting, number="12,345", keyword=keyword
        ),
    }


@pytest.mark.parametrize("name", LATIN_NAMES)
def test_english_consent_stays_gsm_7_in_two_segments_for_any_latin_name(name) -> None:
    texts = sign_up("en", name)
    for key in ("consent", "consent_returning", "confirm_signup"):
        found = measure(texts[key])
        assert (found.encoding, found.count) == (GSM_7, 2), (key, texts[key])
    assert all(measure(text).encoding == GSM_7 for text in texts.values())


def test_a_name_is_smart_encoded_only_where_it_keeps_the_text_gsm_7() -> None:
    assert "will add Zoe O'Brien (Atlanta, GA)" in sign_up("en", "Zoë O’Brien")["consent"]
    # The Spanish ZIP question is UCS-2 for its accents anyway: the name keeps its own.
    assert sign_up("es", "María López")["ask_zip"].startswith("¡Gracias, María!")


@pytest.mark.parametrize("name", ["Ana López", *LATIN_NAMES])
def test_spanish_consent_fits_three_segments_and_the_whole_sign_up_seven(name) -> None:
    texts = sign_up("es", name)
    for key in ("consent", "consent_returning", "confirm_signup"):
        assert measure(texts[key]).count <= 3, (key, texts[key])
    path = ("intro", "ask_zip", "consent", "confirmation")
    assert sum(measure(texts[key]).count for key in path) <= 7
