"""The phone simulator in a real browser: what is typed while a text is on its way is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from live_browser import launch, needs_chromium, served
from playwright.sync_api import Page, Route, expect, sync_playwright

pytestmark = needs_chromium


@pytest.fixture
def page(embedded: Flask) -> Iterator[Page]:
    # The simulator exists only on the embedded default.
    errors: list[str] = []
    with served(embedded) as url, sync_playwright() as driver:
        browser = launch(driver)
        context = browser.new_context(base_url=url)
        context.set_default_timeout(10_000)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        context.close()
        browser.close()
    assert errors == []


def test_text_typed_while_a_send_is_on_its_way_is_kept(page: Page) -> None:
    page.goto("/simulator/?phone=%2B14045550142")
    box = page.locator("#body")
    box.fill("FACES")
    box.press("Enter")
    expect(page.locator("#thread")).to_contain_text("What's your full name?")

    held: list[Route] = []

    def hold(route: Route, request: Any) -> None:
        if request.method == "POST":
            held.append(route)  # answered below, once the next words are typed
        else:
            route.continue_()

    page.route("**/simulator/messages*", hold)
    box.fill("Pat Jones")
    box.press("Enter")
    box.press_sequentially("30303")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#thread")).to_contain_text("What's your 5-digit ZIP code?")
    expect(box).to_have_value("30303")
