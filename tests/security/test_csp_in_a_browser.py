"""The strict Content-Security-Policy, in Chromium: no page breaks it, and pages still work.

A blocked inline script or style is no script error, only a console message: this test
listens for those, on the pages that had inline code before it moved to static files.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser.live_browser import launch, needs_chromium, served
from flask import Flask
from helpers import Phone
from playwright.sync_api import sync_playwright

from bot.accounts.auth import hash_password
from store.models import User

pytestmark = needs_chromium

SLUG = "doj-face-recognition"
EMAIL, PASSWORD = "organizer@example.org", "a long passphrase"


@pytest.fixture
def server(app: Flask, svc, atlanta_rally, phone: Phone, run_jobs) -> Iterator[str]:
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)
    run_jobs()
    with svc.db.begin() as session:
        session.add(User(email=EMAIL, password_hash=hash_password(PASSWORD), role="organizer"))
    with served(app) as url:
        yield url


def test_no_page_breaks_the_policy_and_moved_code_still_runs(server: str) -> None:
    refused: list[str] = []
    with sync_playwright() as driver:
        chromium = launch(driver)
        try:
            tab = chromium.new_context(base_url=server).new_page()
            tab.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            tab.goto("/login")
            tab.fill("input[name=email]", EMAIL)
            tab.fill("input[name=password]", PASSWORD)
            tab.click("button[type=submit]")
            tab.wait_for_url(server + "/")
            tab.goto(f"/campaigns/{SLUG}")
            # The funnel's bars get their widths from meters.js, not from style="".
            widths = tab.eval_on_selector_all(
                "[data-width]", "bars => bars.map(b => b.style.width)"
            )
            assert widths and all(width.endswith("%") for width in widths)
            tab.goto("/events/atlanta-rally/sign")
            chars = tab.eval_on_selector("[data-chars]", "k => k.style.getPropertyValue('--chars')")
            assert chars == "8"
            tab.goto("/events/atlanta-rally/stage")
            tab.goto("/field")
        finally:
            chromium.close()
    assert refused == []
