"""A field volunteer's phone in a real browser: entries made offline wait, then go by themselves.

The app runs in a thread on a real port, on the test database and Redis; Debian's Chromium
drives it through Playwright, 390 pixels wide like a phone. Set SCREENSHOTS=docs/screenshots
to save the README's pictures of the form, the sign and the stage screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from helpers import Phone
from live_browser import SCREENSHOTS, launch, needs_chromium, served
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from bot.accounts.auth import hash_password
from store.models import Signup, User

pytestmark = needs_chromium

SLUG = "doj-face-recognition"
EMAIL, PASSWORD = "maria@example.org", "a long passphrase"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def rally(runner, svc) -> None:
    """The Atlanta rally, and Maria's field account."""
    result = runner.invoke(
        args=["events", "create", "atlanta-rally", "--campaign", SLUG, "--keyword", "FACESATL",
              "--name", "the Atlanta rally", "--place", "Woodruff Park", "--date", "2026-12-05"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with svc.db.begin() as session:
        session.add(User(email=EMAIL, password_hash=hash_password(PASSWORD), role="field"))


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.fixture
def context(server: str) -> Iterator[Any]:
    """A phone-sized browser context that fails the test on any script error."""
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = launch(driver)
        context = browser.new_context(
            base_url=server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        context.on("weberror", lambda error: errors.append(str(error.error)))
        yield context
        context.close()
        browser.close()
    assert errors == []


def enter(page: Any, name: str, phone: str, zip_code: str) -> None:
    page.get_by_label("Their name").fill(name)
    page.get_by_label("Their mobile number").fill(phone)
    page.get_by_label("Their ZIP code").fill(zip_code)
    page.get_by_role("button", name="Send them the text").tap()


def test_entries_made_offline_wait_on_the_phone_and_go_when_it_is_back_online(
    context, rally, svc, twilio, run_jobs
) -> None:
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sign someone up")).to_be_visible()
    expect(page.get_by_label("Event")).to_have_value("atlanta-rally")

    context.set_offline(True)
    enter(page, "Jane Doe", "404-555-0123", "30303")
    expect(page.locator("#waiting")).to_have_text("1 waiting to send")
    enter(page, "Luis Ortiz", "(404) 555-0124", "30303")
    expect(page.locator("#waiting")).to_have_text("2 waiting to send")
    expect(page.locator("#result")).to_contain_text("Luis Ortiz is saved on this phone")
    expect(page.get_by_label("Their name")).to_have_value("")  # ready for the next person
    with svc.db() as session:
        assert session.scalars(select(Signup)).all() == []
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/field-form.png")

    context.set_offline(False)
    expect(page.locator("#waiting")).to_be_hidden()
    expect(page.locator("#result")).to_have_text(
        "Sent 2 waiting entries: each person gets a text to confirm."
    )
    assert page.evaluate("localStorage.getItem('field-signups-waiting')") == "[]"
    with svc.db() as session:
        entered = [
            (s.phone, s.name, s.status, s.entered_via)
            for s in session.scalars(select(Signup).order_by(Signup.id))
        ]
    assert entered == [
        ("+14045550123", "Jane Doe", "awaiting_yes", "form"),
        ("+14045550124", "Luis Ortiz", "awaiting_yes", "form"),
    ]
    run_jobs()
    (request,) = [m.body for m in twilio.messages if m.to == "+14045550123"]
    assert "Reply YES to confirm" in request


def test_a_bad_zip_is_explained_next_to_the_field_and_nothing_is_queued(context, rally) -> None:
    page = context.new_page()
    page.goto("/login?next=/field")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    enter(page, "Jane Doe", "404-555-0123", "00000")
    expect(page.locator("#zip-error")).to_have_text(
        "There is no ZIP code 00000. Check it with the person."
    )
    expect(page.get_by_label("Their ZIP code")).to_be_focused()
    expect(page.get_by_label("Their name")).to_have_value("Jane Doe")  # nothing to type again
    expect(page.locator("#waiting")).to_be_hidden()


def test_the_sign_and_the_stage_screen_show_the_keyword_and_the_count(
    context, rally, client, twilio, run_jobs
) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 816, "height": 1056})  # U.S. Letter at 96 dpi
    page.goto("/events/atlanta-rally/sign")
    expect(page.locator(".sign-keyword")).to_have_text("FACESATL")
    expect(page.locator(".sign-number")).to_have_text("to (404) 555-0100")
    keyword = page.locator(".sign-keyword").bounding_box()
    assert keyword is not None and keyword["height"] < 200  # one line, however long the word
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/event-sign.png", full_page=True)
    printed = page.pdf(format="Letter")
    assert len(re.findall(rb"/Type\s*/Page\b", printed)) == 1  # the sign prints on one page

    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/events/atlanta-rally/stage")
    expect(page.locator("[data-count]")).to_have_text("0")
    jane = Phone(client, twilio, "+14045550123")
    jane.text("FACESATL")
    jane.text("Jane Doe")
    jane.text("30303")
    jane.text("YES")
    run_jobs()
    expect(page.locator("[data-count]")).to_have_text("1", timeout=10_000)  # polled every 3 s
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/stage-screen.png")


def log_in_on(page: Any) -> None:
    page.goto("/login?next=/field")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sign someone up")).to_be_visible()


def test_a_new_error_does_not_sit_under_the_last_persons_success(context, rally) -> None:
    page = context.new_page()
    log_in_on(page)
    enter(page, "Lena Park", "404-555-0161", "30303")
    expect(page.locator("#result")).to_contain_text("Sent Lena")
    enter(page, "Jane Doe", "404-555-0123", "00000")
    expect(page.locator("#zip-error")).to_be_visible()
    expect(page.locator("#result")).to_be_hidden()


def test_an_entry_refused_after_waiting_offline_survives_a_reload(context, rally, svc) -> None:
    page = context.new_page()
    log_in_on(page)
    context.set_offline(True)
    enter(page, "Jane Doe", "404-555-0123", "00000")
    expect(page.locator("#waiting")).to_have_text("1 waiting to send")
    context.set_offline(False)
    expect(page.locator("#refused")).to_contain_text("Not sent: Jane Doe, 404-555-0123, 00000.")
    page.reload()
    expect(page.locator("#refused")).to_contain_text("There is no ZIP code 00000.")
    page.get_by_role("button", name="Correct and send").tap()
    expect(page.get_by_label("Their name")).to_have_value("Jane Doe")
    expect(page.get_by_label("Their ZIP code")).to_be_focused()
    expect(page.locator("#refused")).to_be_hidden()
    page.get_by_label("Their ZIP code").fill("30303")
    page.get_by_role("button", name="Send them the text").tap()
    expect(page.locator("#result")).to_contain_text("Sent Jane")
    with svc.db() as session:
        assert [s.zip_code for s in session.scalars(select(Signup))] == ["30303"]


@pytest.mark.parametrize("field", ["Their ZIP code", "Text them in Spanish"])
def test_the_send_button_never_covers_the_field_being_filled(context, rally, field) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 480})  # a phone with its keyboard up
    log_in_on(page)
    # As the phone brings the next field into view: just enough, from above.
    page.get_by_label(field).evaluate("el => el.scrollIntoView({block: 'nearest'})")
    box = page.get_by_label(field).bounding_box()
    button = page.get_by_role("button", name="Send them the text").bounding_box()
    assert box and button
    assert box["y"] + box["height"] <= button["y"], (box, button)
