"""A field account may start only so many sign-up texts an hour."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from helpers import csrf_token, log_in
from sqlalchemy import func, select

from store.models import Signup

LIMIT = 3


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return settings | {"SIGNUPS_PER_HOUR": str(LIMIT), "SEND_WINDOW": "00:00-24:00"}


@pytest.fixture
def field_account(client, svc, atlanta_rally) -> str:
    log_in(client, svc, role="field")
    return csrf_token(client, "/field")


def enter(client: Any, token: str, n: int) -> Any:
    entry = {"event": "atlanta-rally", "name": "Jane Doe", "phone": f"404-555-{n:04d}"}
    return client.post(
        "/field/signups", json=entry | {"zip": "30303"}, headers={"X-CSRFToken": token}
    )


def test_a_field_account_gets_a_clear_refusal_past_its_hourly_limit(
    client, svc, field_account, caplog
) -> None:
    answers = [enter(client, field_account, 100 + n) for n in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [201] * LIMIT + [429, 429]
    assert f"its {LIMIT} sign-up texts for this hour" in answers[-1].get_json()["error"]
    with svc.db() as session:
        assert session.scalar(select(func.count(Signup.id))) == LIMIT
    assert any(
        r.levelno == logging.WARNING and "sign-up texts an hour" in r.getMessage()
        for r in caplog.records
    )


def test_entries_that_text_no_one_do_not_count(client, field_account) -> None:
    # The same person entered again is "already waiting": no second text, nothing counted.
    for _ in range(LIMIT + 2):
        assert enter(client, field_account, 100).status_code in (200, 201)
    assert enter(client, field_account, 101).status_code == 201
