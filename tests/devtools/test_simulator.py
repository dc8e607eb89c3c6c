"""The phone simulator: a browser page that texts the bot as any phone number.

It exists only on the embedded default: a bot pointed at anything real has none.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import create_app
from bot.services import services

JANE = "+14045550123"


@pytest.fixture
def client(embedded: Flask) -> FlaskClient:
    return embedded.test_client()


def text(client: FlaskClient, body: str, phone: str = JANE) -> Any:
    return client.post("/simulator/messages", json={"phone": phone, "body": body})


def test_it_renders_the_page_naming_the_keyword(client: FlaskClient) -> None:
    response = client.get("/simulator/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Text FACES to start" in page
    assert "simulator.js" in page


def test_it_preselects_the_phone_named_in_the_address(client: FlaskClient) -> None:
    page = client.get("/simulator/?phone=(404) 555-0187").get_data(as_text=True)
    assert 'value="+14045550187"' in page


def test_the_login_page_points_newcomers_to_the_simulator(client: FlaskClient) -> None:
    assert 'href="/simulator/"' in client.get("/login").get_data(as_text=True)


def test_it_serves_its_script(client: FlaskClient) -> None:
    response = client.get("/simulator/static/simulator.js")
    assert response.status_code == 200
    response.close()


def test_every_script_and_stylesheet_the_page_names_is_served(client: FlaskClient) -> None:
    page = client.get("/simulator/").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|js))"', page)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_it_answers_the_keyword_with_the_first_question(client: FlaskClient) -> None:
    response = text(client, "FACES", phone="404-555-0123")
    thread = response.get_json()
    assert response.status_code == 200
    assert thread["phone"] == JANE
    assert [m["direction"] for m in thread["messages"]] == ["in", "out"]
    assert thread["messages"][0]["body"] == "FACES"
    assert thread["messages"][-1]["body"].endswith("What's your full name?")
    assert thread["messages"][-1]["kind"] == "reply"
    assert thread["messages"][-1]["at"].endswith("Z")


def test_it_shows_the_confirmation_once_it_is_sent(client: FlaskClient) -> None:
    # The embedded default runs jobs as they are queued: the confirmation is already sent.
    for body in ("FACES", "Jane Doe", "30303", "yes"):
        assert text(client, body).status_code == 200
    thread = client.get("/simulator/messages", query_string={"phone": JANE}).get_json()
    last = thread["messages"][-1]
    assert last["direction"] == "out"
    assert last["kind"] == "confirmation"
    assert "Thanks, Jane, you're signer #1" in last["body"]
    assert [m["id"] for m in thread["messages"]] == sorted(m["id"] for m in thread["messages"])


def test_it_keeps_each_phone_to_its_own_thread(client: FlaskClient) -> None:
    text(client, "FACES")
    other = client.get("/simulator/messages", query_string={"phone": "+14045550188"}).get_json()
    assert other == {"phone": "+14045550188", "messages": []}


def test_it_refuses_a_bad_phone(client: FlaskClient) -> None:
    response = text(client, "FACES", phone="not a phone")
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert client.get("/simulator/messages?phone=12").status_code == 400


def test_it_refuses_a_text_longer_than_twilio_allows(client: FlaskClient) -> None:
    assert text(client, "x" * 1601).status_code == 400
    assert text(client, "").status_code == 200


def test_it_refuses_a_form_post_as_another_site_could_send(client: FlaskClient) -> None:
    response = client.post("/simulator/messages", data={"phone": JANE, "body": "FACES"})
    assert response.status_code == 415


def test_it_is_absent_in_production(settings: dict[str, Any], live_campaigns: str) -> None:
    app = create_app({**settings, "BOT_ENV": "production", "CAMPAIGNS_DIR": live_campaigns})
    try:
        client = app.test_client()
        assert client.get("/simulator/").status_code == 404
        assert text(client, "FACES").status_code == 404
        assert 'href="/simulator/"' not in client.get("/login").get_data(as_text=True)
    finally:
        with app.app_context():
            services().db.kw["bind"].dispose()
            services().redis.close()
