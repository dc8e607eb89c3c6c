"""The privacy policy and terms: served from organization.yaml or the organization's own, linked
from HELP and event signs; and a production bot refuses the shipped example contact."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from helpers import LIVE_CONTACT, PUBLIC_BASE_URL, Phone

from bot import create_app
from bot.config import ConfigError
from bot.services import services

CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"


@pytest.fixture
def edited(settings: dict[str, Any], tmp_path: Path, app: Flask) -> Iterator[Callable[..., Flask]]:
    """An app whose campaign files are the tests' ones with some words replaced."""
    made: list[Flask] = []

    def make(file: str, old: str, new: str) -> Flask:
        folder = tmp_path / "campaigns"
        if not folder.exists():
            shutil.copytree(settings["CAMPAIGNS_DIR"], folder)
        path = folder / file
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), "utf-8")
        made.append(create_app(settings | {"CAMPAIGNS_DIR": str(folder)}))
        return made[-1]

    yield make
    for each in made:
        with each.app_context():
            services().db.kw["bind"].dispose()
            services().redis.close()


def test_the_privacy_policy_says_what_is_collected_and_that_numbers_are_not_sold(client) -> None:
    page = client.get("/privacy")
    assert page.status_code == 200  # to anyone: carriers read it before approving the number
    html = " ".join(page.get_data(as_text=True).split())
    for words in (
        "Civil Rights Text Team runs a text-message program",
        "Your mobile phone number",
        "your name and ZIP code",
        "Your phone number is not delivered with it",
        "We do not share or sell mobile phone numbers",
        "up to 4 messages a month",
        "Message and data rates may apply",
        "Reply <strong>STOP</strong>",
        f"Write to {LIVE_CONTACT}",
        f'href="{PUBLIC_BASE_URL}/terms"',
    ):
        assert words in html, words


def test_the_terms_name_frequency_rates_stop_help_and_the_privacy_policy(client) -> None:
    html = " ".join(client.get("/terms").get_data(as_text=True).split())
    for words in (
        "up to 4 messages a month",
        "Message and data rates may apply.",
        "reply STOP to any text",
        f"reply HELP, or write to {LIVE_CONTACT}",
        f'href="{PUBLIC_BASE_URL}/privacy"',
    ):
        assert words in html, words


def test_help_links_the_privacy_policy_and_states_the_campaigns_frequency(edited, twilio) -> None:
    app = edited("doj-face-recognition.yaml", "messages_per_month: 4", "messages_per_month: 2")
    phone = Phone(app.test_client(), twilio, "+14045550123")
    (outside,) = phone.text("HELP")
    assert "up to 2 msgs/month" in outside and f"Privacy: {PUBLIC_BASE_URL}/privacy" in outside
    (asked,) = phone.text("CARAS")
    # HELP mid-conversation is answered, then the question still waiting is asked again.
    spanish, again = phone.text("AYUDA")
    assert "hasta 2 msjs/mes" in spanish and f"Privacidad: {PUBLIC_BASE_URL}/privacy" in spanish
    assert again == asked


def test_an_organizations_own_policy_is_linked_and_the_bots_page_sends_there(
    edited, twilio
) -> None:
    own = "https://crtt.example/privacy"
    app = edited(
        "organization.yaml", '# privacy_url: "https://example.org/privacy"', f"privacy_url: {own}"
    )
    phone = Phone(app.test_client(), twilio, "+14045550123")
    assert f"Privacy: {own} " in phone.text("HELP")[0]
    response = app.test_client().get("/privacy")
    assert (response.status_code, response.headers["Location"]) == (302, own)
    assert app.test_client().get("/terms").status_code == 200  # still the bot's own


def test_the_event_sign_links_the_privacy_policy_and_terms(client, runner) -> None:
    result = runner.invoke(
        args=["events", "create", "atlanta-rally", "--campaign", "doj-face-recognition",
              "--keyword", "FACESATL", "--name", "the Atlanta rally"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = client.get("/events/atlanta-rally/sign").get_data(as_text=True)
    assert f"Privacy: {PUBLIC_BASE_URL}/privacy · Terms: {PUBLIC_BASE_URL}/terms" in html


def test_production_refuses_the_example_contact_and_campaigns_check_warns(
    settings, runner, live_campaigns
) -> None:
    with pytest.raises(ConfigError, match="support_contact is still the example help@example.org"):
        create_app(settings | {"BOT_ENV": "production", "CAMPAIGNS_DIR": str(CAMPAIGNS)})
    result = runner.invoke(args=["campaigns", "check", str(CAMPAIGNS)])
    assert result.exit_code == 0
    assert "warning: organization.yaml: support_contact is still the example" in result.output
    assert "warning" not in runner.invoke(args=["campaigns", "check", live_campaigns]).output
