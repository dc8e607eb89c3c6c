"""Campaign files: the real ones load, and a broken one is refused with the file's name."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.campaigns.files import (
    CAMPAIGN_MESSAGES,
    ORGANIZATION_MESSAGES,
    CampaignFileError,
    load_catalog,
)
from bot.config import PROJECT_ROOT

CAMPAIGNS = PROJECT_ROOT / "campaigns"
SLUG = "doj-face-recognition"
# Longer than most names, and Twilio's advice is to keep a text within 320 characters.
LONG_NAME = "Maria Guadalupe Hernandez-Rodriguez"
LONG_CITY = "Rancho Santa Margarita"
SMS_LIMIT = 320


def sample_values(campaign_keyword: str) -> dict[str, object]:
    """A value for every placeholder any message may use, each on the long side."""
    return {
        "organization": "Civil Rights Text Team",
        "support_contact": "help@example.org",
        "name": LONG_NAME,
        "first_name": LONG_NAME.split()[0],
        "zip_code": "92688",
        "city": LONG_CITY,
        "state": "CA",
        "messages_per_month": 4,
        "keyword": campaign_keyword,
        "number": 123456,
        "call": "tell the DOJ to halt police face recognition",
        "lines": "Text FACES to tell the DOJ to halt police face recognition.",
        "volunteer": "Guadalupe",
        "event": "the Rancho Santa Margarita rally",
        "phone": "(404) 555-0123",
        "privacy_url": "https://petitions.civil-rights-text-team.org/privacy",
        "limit": 100,
    }


def test_the_real_folder_holds_the_doj_face_recognition_campaign() -> None:
    catalog = load_catalog(CAMPAIGNS)
    campaign = catalog.by_slug(SLUG)
    assert campaign is not None and campaign.active
    assert campaign.keyword == "FACES"
    assert len(campaign.demands) == 2
    assert campaign.letter.startswith("Dear Principal Deputy Assistant Attorney General Gupta")
    assert "Vanita Gupta" in campaign.target
    assert catalog.by_keyword("faces") == (campaign, "en")


def test_every_real_message_fits_in_a_reasonable_text() -> None:
    catalog = load_catalog(CAMPAIGNS)
    for campaign in catalog.campaigns:
        values = sample_values(campaign.keyword)
        for language, templates in campaign.messages.items():
            for key in templates:
                text = campaign.say(language, key, **values)
                assert len(text) < SMS_LIMIT, f"{campaign.slug} {language}.{key}: {len(text)}"
    organization = catalog.organization
    for language, templates in organization.messages.items():
        for key in templates:
            text = organization.say(language, key, **sample_values("FACES"))
            assert len(text) < SMS_LIMIT, f"organization {language}.{key}: {len(text)}"


def test_the_consent_disclosure_with_a_long_name_stays_under_320_characters() -> None:
    campaign = load_catalog(CAMPAIGNS).by_slug(SLUG)
    assert campaign is not None
    for language in campaign.messages:
        text = campaign.say(language, "consent", **sample_values("FACES"))
        assert LONG_NAME in text and LONG_CITY in text
        assert len(text) < SMS_LIMIT, (language, len(text))


# A tiny folder of our own: an organization and one campaign, every message a plain sentence.


def write_organization(folder: Path) -> None:
    messages = "".join(f"    {key}: Organization message {key}.\n" for key in ORGANIZATION_MESSAGES)
    (folder / "organization.yaml").write_text(
        f"name: Tiny Org\nsupport_contact: help@example.org\nmessages:\n  en:\n{messages}",
        encoding="utf-8",
    )


def write_campaign(
    folder: Path,
    slug: str = "tiny",
    keyword: str = "TINY",
    active: str = "true",
    file_name: str | None = None,
    messages: dict[str, str] | None = None,
) -> Path:
    texts = {key: f"Campaign message {key}." for key in CAMPAIGN_MESSAGES}
    texts.update(messages or {})
    lines = "".join(f"    {key}: {text}\n" for key, text in texts.items())
    path = folder / (file_name or f"{slug}.yaml")
    path.write_text(
        textwrap.dedent(
            f"""\
            slug: {slug}
            title: A tiny petition
            keywords:
              en: {keyword}
            active: {active}
            messages_per_month: 2
            target: Someone in charge
            demands:
              - Do the thing.
            letter: Dear Someone, please do the thing.
            messages:
              en:
            """
        )
        + lines,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_organization(tmp_path)
    return tmp_path


def refusal(folder: Path) -> str:
    with pytest.raises(CampaignFileError) as raised:
        load_catalog(folder)
    return str(raised.value)


def test_a_tiny_folder_loads(folder: Path) -> None:
    write_campaign(folder)
    catalog = load_catalog(folder)
    assert catalog.organization.name == "Tiny Org"
    assert [c.slug for c in catalog.campaigns] == ["tiny"]
    assert catalog.campaigns[0].active is True


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "ON"])
def test_a_bare_yaml_boolean_word_stays_a_keyword(folder: Path, word: str) -> None:
    write_campaign(folder, keyword=word)
    (campaign,) = load_catalog(folder).campaigns
    assert campaign.keyword == word.upper()
    assert isinstance(campaign.keywords["en"], str)


def test_a_bare_yaml_boolean_word_stays_text_in_a_message(folder: Path) -> None:
    write_campaign(folder, messages={"menu_call": "yes"})
    (campaign,) = load_catalog(folder).campaigns
    assert campaign.say("en", "menu_call") == "yes"


def test_active_false_closes_a_campaign(folder: Path) -> None:
    write_campaign(folder, active="false")
    (campaign,) = load_catalog(folder).campaigns
    assert campaign.active is False


def test_a_template_with_an_unknown_placeholder_is_refused(folder: Path) -> None:
    path = write_campaign(folder, messages={"confirmation": '"Thanks, {nickname}!"'})
    message = refusal(folder)
    assert str(path) in message
    assert "confirmation" in message and "nickname" in message


def test_a_missing_message_is_refused(folder: Path) -> None:
    path = write_campaign(folder)
    path.write_text(
        "".join(
            line
            for line in path.read_text().splitlines(keepends=True)
            if not line.strip().startswith("give_up:")
        )
    )
    message = refusal(folder)
    assert str(path) in message and "give_up" in message


def test_a_slug_that_is_not_the_file_name_is_refused(folder: Path) -> None:
    path = write_campaign(folder, slug="tiny", file_name="small.yaml")
    message = refusal(folder)
    assert str(path) in message and "'tiny'" in message


def test_two_active_campaigns_with_one_keyword_are_refused(folder: Path) -> None:
    write_campaign(folder, slug="first", keyword="SIGN")
    write_campaign(folder, slug="second", keyword="sign")
    message = refusal(folder)
    # The slug is the file's name (checked above), so naming both names both files.
    assert "SIGN" in message and "first" in message and "second" in message


def test_a_closed_campaign_may_share_a_keyword_with_an_active_one(folder: Path) -> None:
    write_campaign(folder, slug="first", keyword="SIGN", active="false")
    write_campaign(folder, slug="second", keyword="SIGN")
    assert [c.slug for c in load_catalog(folder).active] == ["second"]


def test_malformed_yaml_is_refused_naming_the_file(folder: Path) -> None:
    path = folder / "broken.yaml"
    path.write_text("slug: broken\nkeywords: {en: [BROKEN\n", encoding="utf-8")
    assert str(path) in refusal(folder)


def test_campaigns_check_lists_the_real_campaigns(runner) -> None:
    result = runner.invoke(args=["campaigns", "check"])
    assert result.exit_code == 0, result.output
    assert f"{SLUG}: keyword FACES, active" in result.output.splitlines()


def test_campaigns_check_says_how_each_text_is_sent(runner) -> None:
    lines = runner.invoke(args=["campaigns", "check"]).output.splitlines()
    assert "  en Reply to the keyword: GSM-7, 1 segment" in lines
    # The Spanish menu is written without accents to stay in GSM-7; where an accent stays
    # (í, ó are outside GSM-7), the whole text goes as UCS-2.
    assert "  es Reply to the keyword: GSM-7, 1 segment" in lines
    assert "  es Asking again for the name: UCS-2, 2 segments" in lines


def test_campaigns_check_fails_with_the_reason_on_a_broken_folder(runner, folder: Path) -> None:
    write_campaign(folder, slug="tiny", file_name="small.yaml")
    result = runner.invoke(args=["campaigns", "check", str(folder)])
    assert result.exit_code != 0
    assert "small.yaml" in result.output and "must match the file name" in result.output
