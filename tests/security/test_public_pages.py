"""Public files are drawn once per version of the sign, and public pages are limited per address."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from bot.field import signs
from store.models import Event

SIGN_PDF = "/events/atlanta-rally/sign.pdf"


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"PUBLIC_REQUESTS_PER_MINUTE": "10"}


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keyword of each sign PDF drawn."""
    keywords: list[str] = []
    real = signs.sign_pdf

    def counting(sign: signs.Sign) -> bytes:
        keywords.append(sign.keyword)
        return real(sign)

    monkeypatch.setattr(signs, "sign_pdf", counting)
    return keywords


def test_the_sign_pdf_is_drawn_once_and_revalidated_by_its_etag(
    app, client, atlanta_rally, drawn, svc
) -> None:
    first = client.get(SIGN_PDF)
    again = app.test_client().get(SIGN_PDF)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data and first.data.startswith(b"%PDF")
    assert drawn == ["FACESATL"]
    etag = first.headers["ETag"]
    unchanged = client.get(SIGN_PDF, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    # The event changes: the sign is drawn anew, under a new ETag.
    with svc.db.begin() as session:
        session.execute(update(Event).values(name="the Atlanta march"))
    changed = client.get(SIGN_PDF, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert drawn == ["FACESATL", "FACESATL"]


def test_public_pages_are_limited_per_address(app, atlanta_rally) -> None:
    flooder = app.test_client()
    answers = [flooder.get(SIGN_PDF).status_code for _ in range(10)]
    answers.append(flooder.get("/events/atlanta-rally/stage").status_code)
    assert answers == [200] * 10 + [429]  # one budget for every public page
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert neighbour.get(SIGN_PDF).status_code == 200
