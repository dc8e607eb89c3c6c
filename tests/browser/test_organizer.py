"""An organizer in a real browser: logs in, reads the dashboard, composes a broadcast, exports;
and an admin managing accounts.

The app runs in a thread on a real port, on the test database and Redis; Debian's Chromium
drives it through Playwright. Set SCREENSHOTS=docs/screenshots to save the README's pictures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from helpers import Phone, post_signed
from live_browser import SCREENSHOTS, launch, needs_chromium, served
from playwright.sync_api import Browser, Page, sync_playwright

from bot.accounts.auth import hash_password
from store.models import User

pytestmark = needs_chromium

SLUG = "doj-face-recognition"
EMAIL, PASSWORD = "organizer@example.org", "a long passphrase"


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"TWILIO_MPS": "1000", "SEND_WINDOW": "00:00-24:00"}


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as driver:
        chromium = launch(driver)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh browser tab, 1280 pixels wide, that fails a test on a page's script error."""
    context = browser.new_context(
        base_url=server,
        viewport={"width": 1280, "height": 900},
        timezone_id="America/New_York",
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


@pytest.fixture
def organizer(svc) -> None:
    with svc.db.begin() as session:
        session.add(User(email=EMAIL, password_hash=hash_password(PASSWORD), role="organizer"))


@pytest.fixture
def signers(client, twilio, run_jobs) -> dict[str, Phone]:
    """Jane and Ana in Atlanta and Luis in New York signed by text; Luis then texted STOP."""
    phones = {}
    for number, name, zip_code in [
        ("+14045550123", "Jane Doe", "30303"),
        ("+14045550177", "Ana López", "30303"),
        ("+12125550188", "Luis Ortiz", "10001"),
    ]:
        phones[name] = Phone(client, twilio, number)
        for body in ("FACES", name, zip_code, "YES"):
            phones[name].text(body)
    run_jobs()
    phones["Luis Ortiz"].text("STOP")
    twilio.reset()
    return phones


def deliver(client: Any, twilio: Any) -> None:
    """Report every text the fake Twilio took as delivered, through the signed callback."""
    for message in twilio.messages:
        fields = {"AccountSid": twilio.account_sid, "MessageSid": message.sid}
        fields |= {"MessageStatus": "delivered", "To": message.to}
        assert post_signed(client, twilio.auth_token, "/sms/status", fields).status_code == 200


def log_in(page: Page, email: str = EMAIL) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def shoot(page: Page, name: str) -> None:
    """Save the page for the README, when asked to."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def test_an_organizer_logs_in_through_the_form(page, organizer) -> None:
    page.goto("/broadcasts/")
    assert "/login" in page.url
    log_in(page)
    assert page.get_by_role("heading", name="Campaigns").is_visible()
    assert page.get_by_text(EMAIL).is_visible()


def test_the_dashboard_counts_the_signers_who_texted(page, organizer, signers) -> None:
    log_in(page)
    count = page.locator(f'[data-count-for="{SLUG}"]')
    assert count.inner_text() == "3"


def test_an_organizer_composes_a_broadcast_and_sees_the_preview(page, organizer, signers) -> None:
    log_in(page)
    page.get_by_role("link", name="Broadcasts").click()
    page.get_by_role("link", name="New broadcast").click()
    page.get_by_label("Message").fill(
        "{first_name}, the hearing is Thursday — join us at 6 at City Hall!"
    )
    page.get_by_label("State").fill("ga")
    page.get_by_role("button", name="Preview").click()
    assert page.locator('[data-preview="receiving"]').inner_text() == "2"
    assert page.locator("blockquote.message mark.ucs2").inner_text() == "—"
    assert page.locator('[data-preview="encoding"]').inner_text().startswith("UCS-2")
    assert page.get_by_role("button", name="Send to 2 people").is_enabled()
    shoot(page, "broadcast-compose.png")


def test_a_message_changed_after_its_preview_must_be_previewed_again(
    page, organizer, signers, twilio
) -> None:
    log_in(page)
    page.goto("/broadcasts/new")
    page.get_by_label("Message").fill("Hi {first_name}, see you Thursday.")
    page.get_by_role("button", name="Preview").click()
    page.get_by_label("Message").fill("Hi {first_name}, see you Friday.")
    assert page.get_by_role("button", name="Preview again").is_disabled()
    assert page.get_by_text("You changed the draft after this preview").is_visible()
    page.get_by_label("Message").fill("Hi {first_name}, see you Thursday.")
    assert page.get_by_role("button", name="Send to 2 people").is_enabled()
    page.get_by_label("Message").fill("Hi {first_name}, see you Friday.")
    page.get_by_role("button", name="Preview", exact=True).click()
    page.get_by_role("button", name="Send to 2 people").click()
    page.wait_for_url("**/broadcasts/1")
    assert page.locator("blockquote.message").inner_text() == "Hi {first_name}, see you Friday."


def test_an_organizer_sends_and_follows_a_broadcast(
    page, client, organizer, signers, twilio, run_jobs
) -> None:
    log_in(page)
    page.goto("/broadcasts/new")
    page.get_by_label("Message").fill("Thank you, {first_name}! The letter goes out Monday.")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Send to 2 people").click()
    page.wait_for_url("**/broadcasts/1")
    # The cards and the delivery report show each figure; they are one set, updated together.
    assert page.locator('[data-figure="planned"]').first.inner_text() in ("0", "3")
    run_jobs()
    # The page polls its figures and shows the finished broadcast by itself.
    page.locator('[data-figure="status"]', has_text="done").wait_for()
    assert page.locator('[data-figure="sent"]').all_inner_texts() == ["2", "2"]
    assert len(twilio.messages) == 2
    deliver(client, twilio)
    signers["Jane Doe"].text("Going")
    signers["Ana López"].text("going!")
    page.reload()
    assert page.get_by_role("heading", name="Replies: 2").is_visible()
    assert page.locator('[data-figure="delivered"]').all_inner_texts() == ["2", "2"]
    shoot(page, "broadcast-progress.png")


def test_an_organizer_downloads_the_signers_as_csv(page, organizer, signers) -> None:
    log_in(page)
    page.goto(f"/campaigns/{SLUG}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download signers (CSV)").click()
    saved = download.value.path()
    text = Path(saved).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "phone",
        "name",
        "zip",
        "city",
        "state",
        "signed_at",
        "source",
        "opted_out",
        "language",
    ]
    assert len(rows) == 4


def test_a_campaign_text_shows_its_encoding_and_segments_as_it_is_typed(page, organizer) -> None:
    log_in(page)
    page.goto("/campaigns/new")
    intro = page.get_by_label("Reply to the keyword").first
    shown = page.locator("label", has=page.locator('textarea[name="message_en_intro"]'))
    assert shown.locator("[data-segments]").inner_text() == "GSM-7, 1 segment"
    intro.fill("Rents are up 40% 📈 " + "and climbing " * 12 + "{first_name}?")
    assert shown.locator("[data-segments]").inner_text() == "UCS-2, 3 segments"


def test_an_admin_adds_an_account_and_is_asked_before_removing_it(page, svc) -> None:
    with svc.db.begin() as session:
        session.add(
            User(email="alex@example.org", password_hash=hash_password(PASSWORD), role="admin")
        )
    log_in(page, "alex@example.org")
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Email").fill("ben@example.org")
    page.get_by_label("Role").select_option("field")
    page.get_by_role("button", name="Add account").click()
    assert page.locator("h1").inner_text().startswith("ben@example.org")
    assert len(page.locator("code.secret").inner_text()) == len("abcd-efgh-jkmn-pqrs")
    shoot(page, "account.png")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Remove").click()
    assert page.locator("h1").inner_text().startswith("ben@example.org")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove").click()
    page.wait_for_url("**/admin/accounts/")
    assert page.get_by_text("Removed ben@example.org.").is_visible()
    shoot(page, "accounts.png")
