"""Security headers on every response; nothing inline that a strict CSP would block."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from helpers import log_in

SLUG = "doj-face-recognition"
PRIVATE = [
    "/",
    f"/campaigns/{SLUG}",
    f"/campaigns/{SLUG}/signers.csv",
    "/supporters",
    "/supporters/1",
    "/counts.json",
    "/broadcasts/",
    "/events",
]
PUBLIC = ["/login", "/events/atlanta-rally/sign", "/events/atlanta-rally/stage"]


@pytest.fixture
def signed_up(client, svc, atlanta_rally, phone, run_jobs) -> Any:
    """An admin logged in; Jane has signed; the Atlanta rally has a sign."""
    for body in ("FACES", "Jane Doe", "30303", "YES"):
        phone.text(body)
    run_jobs()
    log_in(client, svc, role="admin")
    return client


class Inline(HTMLParser):
    """What a page carries inline: scripts, styles, style="" and on…="" attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or (tag == "script" and "src" not in names):
            self.found.append(f"<{tag}>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name[:2] == "on"]


@pytest.mark.parametrize("path", PRIVATE + PUBLIC)
def test_every_page_sends_the_security_headers(signed_up, path: str) -> None:
    response = signed_up.get(path)
    assert response.status_code == 200, path
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # The test settings are production rules on https: browsers are told to stay on https.
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", PRIVATE)
def test_pages_with_personal_data_are_never_stored(signed_up, path: str) -> None:
    assert signed_up.get(path).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PRIVATE + PUBLIC)
def test_no_page_carries_inline_script_or_style(signed_up, path: str) -> None:
    response = signed_up.get(path)
    if response.mimetype != "text/html":
        return
    parser = Inline()
    parser.feed(response.get_data(as_text=True))
    assert parser.found == [], path


def test_the_embedded_default_sends_no_hsts(embedded) -> None:
    response = embedded.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert "Content-Security-Policy" in response.headers


def test_the_simulator_carries_nothing_inline(embedded) -> None:
    parser = Inline()
    parser.feed(embedded.test_client().get("/simulator/").get_data(as_text=True))
    assert parser.found == []
