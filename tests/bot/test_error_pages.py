"""Error pages look like the dashboard, with its menu; machines keep their plain answers."""

from __future__ import annotations

import pytest
from helpers import log_in

import bot.dashboard.pages


def test_a_field_volunteer_turned_away_sees_the_dashboard_with_its_menu(client, svc) -> None:
    log_in(client, svc, role="field")
    response = client.get("/broadcasts/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<h1>Not for your account</h1>" in html
    assert '<nav aria-label="Dashboard">' in html and 'href="/field"' in html


def test_a_missing_page_has_the_menu_and_a_way_back(client, svc) -> None:
    log_in(client, svc)
    response = client.get("/campaigns/no-such-campaign")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in html and 'href="/broadcasts/"' in html


def test_an_error_in_a_page_is_shown_in_the_dashboards_words(app, client, svc, monkeypatch) -> None:
    log_in(client, svc)

    def broken() -> dict[str, int]:
        raise RuntimeError("the counts went away")

    monkeypatch.setattr(bot.dashboard.pages, "_counts", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html and '<nav aria-label="Dashboard">' in html
    assert "the counts went away" not in html


@pytest.mark.parametrize("path", ["/sms", "/sms/status"])
def test_twilios_webhooks_keep_their_plain_refusal(client, path: str) -> None:
    response = client.post(path, data={"From": "+14045550123"})
    assert response.status_code in (400, 403)
    assert "<nav" not in response.get_data(as_text=True)
